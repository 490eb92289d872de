// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Thread-local storage from outside (see php_tls.h).
 *
 * A thread's pointer (fs_base on x86-64) is its struct pthread; glibc links every thread
 * whose stack it did not allocate, the initial thread first, on _rtld_global's
 * _dl_stack_user list. struct pthread starts with the TCB, whose dtv pointer indexes each
 * module's TLS block by the module id its link_map records (l_tls_modid); the variable is
 * at the block plus its symbol's value. glibc exports the offsets of all of these for
 * libthread_db as `_thread_db_*` descriptors in libc.so.6: {size in bits, count, offset}.
 */
#include <stdio.h>
#include <string.h>
#include "elfsym.h"
#include "php_tls.h"

#define MAX_THREADS 4096	/* entries of _dl_stack_user walked */
#define MAX_LINK_MAPS 4096
#define LM_ADDR 0		/* link_map: l_addr, l_name, l_ld, l_next (public ABI, link.h) */
#define LM_NEXT 24
#define R_DEBUG_MAP 8		/* struct r_debug: r_version, then r_map */

struct db_desc {
	uint32_t bits, count, offset;
};

/* A descriptor from libc's file (read-only data: not always in a core). */
static int db_desc(struct elf_file *libc, const char *name, struct db_desc *d)
{
	const struct elf_sym *s = elf_sym_by_name(libc, name);

	return s && !elf_read_vaddr(libc, s->value, d, sizeof(*d)) ? 0 : -1;
}

int tls_main_addr(struct target *t, struct module *m, const char *name, uint64_t *addr,
		  char *why, size_t len)
{
	struct db_desc list, dtvp, tid, stack_user, modid, dtv_val, dtv_elem;
	const struct elf_sym *var;
	struct module *libc = NULL;
	uint64_t rtld, rdebug, head, node, pd = 0, lm, l_addr, id, dtv, block;
	uint32_t ttid;
	int i;

	*addr = 0;
	var = module_elf(m) ? elf_sym_by_name(m->elf, name) : NULL;
	if (!var || !var->is_tls) {
		snprintf(why, len, "%s: no thread-local symbol %s", m->path, name);
		return -1;
	}
	if (!target_sym(t, NULL, "_thread_db_pthread_dtvp", &libc) || !libc ||
	    db_desc(libc->elf, "_thread_db_pthread_list", &list) ||
	    db_desc(libc->elf, "_thread_db_pthread_dtvp", &dtvp) ||
	    db_desc(libc->elf, "_thread_db_pthread_tid", &tid) ||
	    db_desc(libc->elf, "_thread_db_rtld_global__dl_stack_user", &stack_user) ||
	    db_desc(libc->elf, "_thread_db_link_map_l_tls_modid", &modid) ||
	    db_desc(libc->elf, "_thread_db_dtv_t_pointer_val", &dtv_val) ||
	    db_desc(libc->elf, "_thread_db_dtv_dtv", &dtv_elem) ||
	    !(rtld = target_sym(t, NULL, "_rtld_global", NULL)) ||
	    !(rdebug = target_sym(t, NULL, "_r_debug", NULL))) {
		snprintf(why, len, "glibc's thread descriptors (_thread_db_*, _rtld_global, "
			 "_r_debug) not found: thread-local data cannot be located");
		return -1;
	}
	/* The initial thread: the one whose tid is the pid, else (a core) the first one
	 * linked, at the tail of the list. */
	head = rtld + stack_user.offset;
	if (target_read_u64(t, head + 8, &node))
		return snprintf(why, len, "cannot read _dl_stack_user"), -1;
	pd = node - list.offset;
	for (i = 0, node = head; t->pid && i < MAX_THREADS; i++) {
		if (target_read_u64(t, node, &node) || node == head)
			break;
		if (!target_read_u32(t, node - list.offset + tid.offset, &ttid) &&
		    ttid == (uint32_t)t->pid) {
			pd = node - list.offset;
			break;
		}
	}
	/* The module's TLS id, from its link_map (matched by load bias). */
	if (target_read_u64(t, rdebug + R_DEBUG_MAP, &lm))
		return snprintf(why, len, "cannot read _r_debug"), -1;
	for (i = 0; lm && i < MAX_LINK_MAPS; i++) {
		if (target_read_u64(t, lm + LM_ADDR, &l_addr))
			break;
		if (l_addr == m->bias)
			break;
		if (target_read_u64(t, lm + LM_NEXT, &lm))
			lm = 0;
	}
	if (!lm || i == MAX_LINK_MAPS || target_read_u64(t, lm + modid.offset, &id) || !id ||
	    target_read_u64(t, pd + dtvp.offset, &dtv) ||
	    target_read_u64(t, dtv + id * (dtv_elem.bits / 8) + dtv_val.offset, &block)) {
		snprintf(why, len, "%s: its TLS block cannot be found", m->path);
		return -1;
	}
	/* 0 or TLS_DTV_UNALLOCATED (-1): the thread never touched the module's TLS. */
	if (!block || block == (uint64_t)-1) {
		snprintf(why, len, "%s: the main thread has no TLS block for it yet", m->path);
		return -1;
	}
	*addr = block + var->value;
	return 0;
}
