/* Thread-local variables of a module, in any thread of a target, found through glibc's
 * own bookkeeping: no ptrace, no registers, so the same on a live process and a core. */
#ifndef CODEFER_PHP_TLS_H
#define CODEFER_PHP_TLS_H

#include "runtime.h"

struct db_desc {
	uint32_t bits, count, offset;
};

/* glibc's layout (its _thread_db_* descriptors) and roots, resolved once. */
struct tls {
	struct target *t;
	struct db_desc list, dtvp, tid, stack_user, stack_used, dtv_val, dtv_elem, modid;
	uint64_t rtld;		/* &_rtld_global */
	uint64_t rdebug;	/* &_r_debug */
};

struct tls_thread {
	uint64_t pd;		/* its struct pthread (its thread pointer, fs_base) */
	uint32_t tid;
};

/* 0, or -1 with why set (not glibc, or its descriptors are missing). */
int tls_open(struct target *t, struct tls *x, char *why, size_t len);
/* The TLS module id of m (from its link_map), 0 if none. */
uint64_t tls_modid(const struct tls *x, struct module *m);
/* The process's threads, the initial one first (the one whose tid is the pid, else the
 * first glibc linked): at most max. How many, or -1 when the lists are unreadable. */
int tls_threads(const struct tls *x, struct tls_thread *out, int max);
/* Thread pd's TLS block of module id modid: 0, or -1 (not allocated in that thread). */
int tls_block(const struct tls *x, uint64_t pd, uint64_t modid, uint64_t *block);
/* For a probe: the loc of the 8-byte thread-local at `offset` in module modid's block,
 * read in the thread that hits the probe through its DTV (3 loads: the DTV, the block,
 * the value), whether the module's TLS is static or dynamic (dlopen'ed). */
struct loc tls_var_loc(const struct tls *x, uint64_t modid, uint64_t offset);
/* The address, in the main thread, of the STT_TLS symbol `name` of module m. 0, or -1
 * with why set. */
int tls_main_addr(struct target *t, struct module *m, const char *name, uint64_t *addr,
		  char *why, size_t len);

#endif
