/* Reading the PHP heap of a target (NTS PHP 8.x): the object store, classes and their
 * ancestry, declared properties, arrays, and the frames of a PHP call stack. Shared by
 * the PHP profiles; offsets are resolved once (php_heap_open) from DWARF carrying Zend's
 * types (the PHP binary's, or an extension built with -g), else from a per-version table.
 * Every read is bounded and checked: the target may change under a live walk.
 */
#ifndef CODEFER_PHP_HEAP_H
#define CODEFER_PHP_HEAP_H

#include "runtime.h"

/* A PHP source position: addr is a zend_string* file name in the target, aux the line. */
#define SITE_PHP SITE_RUNTIME
/* A PHP function (a coroutine's body): addr is its zend_function*, shown as the file and
 * first line. For sites that must fit in one address (a coroutine's creation site). */
#define SITE_PHP_FUNC (SITE_RUNTIME + 1)
/* A PHP source position as a probe reads it: addr is the frame's zend_function*, aux its
 * current zend_op*; shown as SITE_PHP (the function's file, the op's line). The handler
 * reads two pointers, not the file name and line behind them. */
#define SITE_PHP_OP (SITE_RUNTIME + 2)

/* ZEND_MODULE_API_NO per PHP minor version; the build id string "API20220829,NTS" is in
 * every PHP binary (extensions are checked against it when loaded). */
#define PHP_API_8_1 20210902u
#define PHP_API_8_2 20220829u
#define PHP_API_8_3 20230831u
#define PHP_API_8_4 20240924u

#define ZVAL_SIZE 16
#define ZVAL_TYPE 8	/* the type byte (u1.v.type): after the 8-byte value */

/* zval types (Zend's IS_*), the same in PHP 7 and 8. */
enum {
	PHP_UNDEF = 0, PHP_NULL = 1, PHP_LONG = 4, PHP_STRING = 6, PHP_ARRAY = 7,
	PHP_OBJECT = 8, PHP_REFERENCE = 10, PHP_INDIRECT = 12, PHP_PTR = 13,
};

enum php_off {
	PO_EG_STORE_BUCKETS, PO_EG_STORE_TOP, PO_EG_CURRENT_EX, PO_EG_CLASS_TABLE,
	PO_EG_FUNCTION_TABLE, PO_CE_FUNCTION_TABLE,
	PO_EG_SYMBOL_TABLE, PO_CG_MAP_PTR_BASE,
	PO_OBJ_CE, PO_OBJ_PROPS,
	PO_CE_TYPE, PO_CE_NAME, PO_CE_PARENT, PO_CE_STATIC_COUNT, PO_CE_STATIC_TABLE,
	PO_CE_PROPS_INFO,
	PO_PI_OFFSET, PO_PI_FLAGS, PO_PI_CE,
	PO_HT_FLAGS, PO_HT_DATA, PO_HT_USED,
	PO_EX_OPLINE, PO_EX_FUNC, PO_EX_THIS, PO_EX_PREV,
	PO_FN_TYPE, PO_FN_LAST_VAR, PO_FN_FILENAME, PO_FN_LINE_START, PO_FN_STATIC_VARS,
	PO_OP_LINENO,
	PO_REF_VAL,
	PO_FIBER_CONTEXT, PO_FIBER_CTX_STATUS, PO_FIBER_FUNCTION, PO_FIBER_CALLER,
	PO_FIBER_EXECUTE_DATA,
	PO_CLOSURE_FUNC,
	PO__COUNT
};

struct php_ce_cache;

/* A PHP profile's context (rt_ctx.priv) starts with one: php_describe_site reads it. */
struct php_heap {
	struct target *t;
	long o[PO__COUNT];	/* -1: unknown for this PHP */
	int sites;		/* the offsets PHP file:line sites need are known */
	int walk;		/* every offset is known: heap walks can run */
	long frame_slot;	/* sizeof(zend_execute_data) in zvals, bytes: where CVs start */
	int packed_zvals;	/* PHP 8.2+: packed arrays hold zvals, not Buckets */
	unsigned api;
	uint64_t eg, cg;	/* &executor_globals, &compiler_globals (0: unknown) */
	char from[160];		/* "DWARF of FILE" or "table for PHP 8.2" */
	struct php_ce_cache *cache;	/* class -> role, for php_ce_role */
};

struct php_zval {
	uint64_t value;
	uint8_t type;
};

/* ZEND_MODULE_API_NO of the PHP in the target (20220829 for 8.2), 0 if unknown;
 * *zts is set for thread-safe builds (whose globals codefer cannot reach). */
unsigned php_api_version(struct target *t, int *zts);
/* Offsets from DWARF carrying Zend's types (PHP's, or an extension's built with -g), else
 * from the table for its PHP API, field by field. 0 when at least the sites can be read
 * (h->sites; h->walk when everything can; ZTS: h->eg is 0, to be set to a thread's
 * globals, and why says so), or -1 with why set (no PHP, no DWARF and no table for it). */
int php_heap_open(struct target *t, struct php_heap *h, char *why, size_t len);
/* ZTS: where _tsrm_ls_cache (the thread's pointer to its globals) is from the thread
 * pointer, in every thread; php is the module with executor_globals_offset. 0, or -1. */
int php_tsrm_cache_offset(struct target *t, struct module *php, int64_t *off);
void php_heap_close(struct php_heap *h);

/* The zval at addr, references and indirections followed. 0 or -1. */
int php_zval(const struct php_heap *h, uint64_t addr, struct php_zval *z);
/* A zend_string's text (cut to len - 1). Its length, or -1. */
long php_string(const struct php_heap *h, uint64_t zstr, char *buf, size_t len);
/* Class name of ce into buf; 0 or -1. */
int php_class_name(const struct php_heap *h, uint64_t ce, char *buf, size_t len);
/* Which of names[] (fully qualified class names) ce is or descends from: the index of
 * the first that matches, else -1. Cached per class until php_ce_forget. */
int php_ce_role(struct php_heap *h, uint64_t ce, const char *const *names, int n);
void php_ce_forget(struct php_heap *h);
/* The object's declared (non-static) property `name`, looked up in its class and then its
 * ancestors. 0, or -1 when there is none or it cannot be read. */
int php_prop(const struct php_heap *h, uint64_t obj, const char *name, struct php_zval *z);
/* The user functions and methods whose own line says nothing of who called them, into
 * out (up to max; zend_function pointers): those named defer (Hyperf\Coroutine\defer,
 * Swoole\Coroutine\defer of Swoole's library, Hyperf's Coroutine::defer) wrap Swoole's
 * defer (SKIP_WRAPPER); those of a library (Composer's vendor/, Swoole's own PHP
 * library: Hyperf's pools, Swoole\ConnectionPool) stand between the program and a pool
 * (SKIP_LIBRARY). How many, or -1 when the tables cannot be read. */
long php_site_skips(const struct php_heap *h, struct site_skip *out, size_t max);
/* Is the file named by zend_string `name` (every function of a file shares it) a
 * library's: under Composer's vendor/, or in Swoole's own PHP library, compiled into it
 * ("@swoole/...")? Remembered in c, by name. */
#define PHP_LIB_FILES 1024	/* a power of two */
struct php_lib_files {
	struct { uint64_t name; int library; } e[PHP_LIB_FILES];
};
int php_library_file(const struct php_heap *h, struct php_lib_files *c, uint64_t name);
/* Calls fn on each element of the array ht (its zval's address and integer key); stops
 * when fn returns non-zero (returned). -1 when ht is unreadable; at most max elements. */
int php_array_each(const struct php_heap *h, uint64_t ht, size_t max,
		   int (*fn)(void *arg, uint64_t zv, uint64_t key, int int_key), void *arg);
/* Calls fn on each live object of the object store. 0; 1 when fn stopped it; -1 when
 * the store is unreadable (a warning is written to warn). */
int php_objects_each(struct php_heap *h, int (*fn)(void *arg, uint64_t obj, uint64_t ce),
		     void *arg, char *warn, size_t wlen);
/* Calls fn on each frame from ex down its prev chain (at most 256 frames): fn gets the
 * frame, its function, and for user functions the address and count of its CVs. */
int php_frames_each(const struct php_heap *h, uint64_t ex,
		    int (*fn)(void *arg, uint64_t ex, uint64_t func, uint64_t cvs, uint32_t ncv),
		    void *arg);
/* Counts, by class, the objects bound to a closure with `use` (its static variables),
 * into tm->captures. func is the closure's zend_function. */
void php_closure_captures(const struct php_heap *h, uint64_t func, struct census_timer *tm);
/* The same for obj when it is a Closure object (else nothing). */
void php_object_captures(const struct php_heap *h, uint64_t obj, struct census_timer *tm);
/* Calls fn on each declared static property of each user class (EG(class_table)), where
 * it is declared: its class name, property name and value zval. 0, or fn's non-zero
 * return, or -1 when the class table is unreadable. */
int php_statics_each(struct php_heap *h, int (*fn)(void *arg, const char *cls,
						   const char *prop, uint64_t zv), void *arg);
/* The file:line a frame is at, as a SITE_PHP site (SITE_NONE for internal functions). */
void php_frame_site(const struct php_heap *h, uint64_t ex, struct site *out);
/* Where a coroutine whose frame is ex is parked: the first PHP line down its frames that
 * is the program's, not a library's (a Hyperf pool's Channel::pop its waiters sit in,
 * an event loop's suspend), or the library's first when the program has none. */
void php_wait_site(const struct php_heap *h, struct php_lib_files *libs, uint64_t ex,
		   struct site *out);
/* Probe sites: the PHP frame that called the internal function whose frame is `frame`,
 * as a SITE_PHP_OP site: its function (site) and current op (site_aux). */
void php_caller_site(const struct php_heap *h, struct loc frame, struct probe_cfg *cfg);
/* A zend_function's file and first line as a SITE_PHP site (user functions only; else a
 * SITE_NONE site holding the function's address). h may be NULL (offsets unknown). */
void php_function_site(struct target *t, const struct php_heap *h, uint64_t func,
		       struct site *out);
/* "file.php:12" for a SITE_PHP, SITE_PHP_FUNC or SITE_PHP_OP site (rc->priv starts with
 * a php_heap). */
void php_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len);

#endif
