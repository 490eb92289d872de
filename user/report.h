/* The post-mortem report: one census of a target (a core file or a live process) by its
 * runtime's walker, rendered as text or JSON. Used by codefer-dump, and by gdb/codefer.py
 * through libcodefer.so (codefer_report). */
#ifndef CODEFER_REPORT_H
#define CODEFER_REPORT_H

#include <stdio.h>
#include <sys/types.h>

struct report_opts {
	const char *core;	/* core file, or NULL for the live process `pid` */
	const char *exe;	/* executable (NULL: the one the core names) */
	const char *debug_dir;	/* searched for the core's build-id (NULL: not searched) */
	pid_t pid;
	const char *runtime;	/* NULL: detect */
	int json;		/* 0 text, 1 JSON, REPORT_JSON_BRIEF */
};

/* JSON without each coroutine's list of defers (its count and top site stay): what
 * gdb's list/summary/pools need, at a tenth of the size on a big core. */
#define REPORT_JSON_BRIEF 2

/* Writes the report to out: 0, or an enum exit_code with a one-line message in err. */
int report_run(const struct report_opts *o, FILE *out, char *err, size_t errlen);

/* For ctypes (gdb): the report as malloc'd text; core == NULL or "" means live `pid`;
 * json as in struct report_opts.
 * On failure the text is, with json, {"error": "...", "exit_code": N}, else
 * "error: ...". Free it with codefer_free(). */
char *codefer_report(const char *core, const char *exe, int pid, const char *runtime, int json);
void codefer_free(char *s);

#endif
