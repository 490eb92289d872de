/* What the PHP profiles (php-fiber, swoole) share: Zend engine offsets and PHP sites. */
#ifndef CODEFER_PHP_FIBER_H
#define CODEFER_PHP_FIBER_H

#include "runtime.h"

/* A PHP source position: addr is a zend_string* file name in the target, aux the line. */
#define SITE_PHP SITE_RUNTIME
/* A PHP function (a coroutine's body): addr is its zend_function*, shown as the file and
 * first line. For sites that must fit in one address (a coroutine's creation site). */
#define SITE_PHP_FUNC (SITE_RUNTIME + 1)

/* ZEND_MODULE_API_NO per PHP minor version; the build id string "API20220829,NTS" is in
 * every PHP binary (extensions are checked against it when loaded). */
#define PHP_API_8_1 20210902u
#define PHP_API_8_2 20220829u
#define PHP_API_8_3 20230831u
#define PHP_API_8_4 20240924u

/* Offsets into Zend engine structures (NTS builds). */
struct zend_offs {
	long eg_current_execute_data;	/* zend_executor_globals */
	long ex_opline, ex_func, ex_prev;	/* zend_execute_data */
	long op_lineno;			/* zend_op */
	long fn_type, fn_filename, fn_line_start;	/* zend_function (op_array) */
	char from[160];			/* "DWARF of FILE" or "table for PHP X.Y" */
};

/* ZEND_MODULE_API_NO of the PHP in the target (20220829 for 8.2), 0 if unknown;
 * *zts is set for thread-safe builds (whose globals codefer cannot reach). */
unsigned php_api_version(struct target *t, int *zts);
/* Zend offsets for the PHP in the target: from the DWARF of the PHP binary, else of any
 * module carrying Zend's types (an extension built with -g, such as swoole.so), else
 * from the table for its PHP API. 0, or -1 when none knows them (or PHP is ZTS). */
int php_target_zend_offsets(struct target *t, struct zend_offs *o);
/* The site of the PHP frame that called the internal function whose frame is `frame`:
 * its file (site) and line (site_aux). */
void php_caller_site(const struct zend_offs *o, struct loc frame, struct probe_cfg *cfg);
/* A zend_function's file and first line as a SITE_PHP site (user functions only; else a
 * SITE_NONE site holding the function's address). o may be NULL (offsets unknown). */
void php_function_site(struct target *t, const struct zend_offs *o, uint64_t func,
		       struct site *out);
/* "file.php:12" for a SITE_PHP or SITE_PHP_FUNC site. */
void php_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len);

#endif
