/* Thread-local variables of a module in a target's main thread, found through glibc's
 * own bookkeeping: no ptrace, no registers, so the same on a live process and a core. */
#ifndef CODEFER_PHP_TLS_H
#define CODEFER_PHP_TLS_H

#include "runtime.h"

/* The address, in the main thread, of the STT_TLS symbol `name` of module m. 0, or -1
 * with why set (glibc's descriptors missing, the block not allocated yet). */
int tls_main_addr(struct target *t, struct module *m, const char *name, uint64_t *addr,
		  char *why, size_t len);

#endif
