/* Reading the PHP heap of a target (NTS PHP 8.x): the object store, classes and their
 * ancestry, declared properties, arrays, and the frames of a PHP call stack. Shared by
 * the PHP profiles; offsets are resolved once (php_heap_open) from DWARF carrying Zend's
 * types (the PHP binary's, or an extension built with -g), else from a per-version table.
 * Every read is bounded and checked: the target may change under a live walk.
 */
#ifndef CODEFER_PHP_HEAP_H
#define CODEFER_PHP_HEAP_H

#include "runtime.h"

/* zval types (Zend's IS_*), the same in PHP 7 and 8. */
enum {
	PHP_UNDEF = 0, PHP_NULL = 1, PHP_LONG = 4, PHP_STRING = 6, PHP_ARRAY = 7,
	PHP_OBJECT = 8, PHP_REFERENCE = 10, PHP_INDIRECT = 12, PHP_PTR = 13,
};

enum php_off {
	PO_EG_STORE_BUCKETS, PO_EG_STORE_TOP, PO_EG_CURRENT_EX, PO_EG_CLASS_TABLE,
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
	PO__COUNT
};

struct php_ce_cache;

struct php_heap {
	struct target *t;
	long o[PO__COUNT];
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

/* 0, or -1 with why set (ZTS, no DWARF and no table for this PHP). */
int php_heap_open(struct target *t, struct php_heap *h, char *why, size_t len);
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
/* Calls fn on each declared static property of each user class (EG(class_table)), where
 * it is declared: its class name, property name and value zval. 0, or fn's non-zero
 * return, or -1 when the class table is unreadable. */
int php_statics_each(struct php_heap *h, int (*fn)(void *arg, const char *cls,
						   const char *prop, uint64_t zv), void *arg);
/* The file:line a frame is at, as a SITE_PHP site (SITE_NONE for internal functions). */
void php_frame_site(const struct php_heap *h, uint64_t ex, struct site *out);

#endif
