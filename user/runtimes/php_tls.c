// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Thread-local storage from outside (see php_tls.h).
 *
 * A thread's pointer (fs_base on x86-64) is its struct pthread; glibc links every thread
 * on one of two lists of _rtld_global: _dl_stack_user (stacks it did not allocate: the
 * initial thread, linked first) and _dl_stack_used (the others). struct pthread starts
 * with the TCB, whose dtv pointer indexes each module's TLS block by the module id its
 * link_map records (l_tls_modid); a variable is at the block plus its symbol's value.
 * glibc exports the offsets of all of these for libthread_db as `_thread_db_*`
 * descriptors in libc.so.6: {size in bits, count, offset}.
 */
#include <stdio.h>
#include <string.h>
#include "elfsym.h"
#include "php_tls.h"

#define MAX_THREADS 65536	/* entries of a thread list walked */
#define MAX_LINK_MAPS 4096
#define LM_ADDR 0		/* link_map: l_addr, l_name, l_ld, l_next (public ABI, link.h) */
#define LM_NEXT 24
#define R_DEBUG_MAP 8		/* struct r_debug: r_version, then r_map */

/* A descriptor from libc's file (read-only data: not always in a core). */
static int db_desc(struct elf_file *libc, const char *name, struct db_desc *d)
{
	const struct elf_sym *s = elf_sym_by_name(libc, name);

	return s && !elf_read_vaddr(libc, s->value, d, sizeof(*d)) ? 0 : -1;
}

int tls_open(struct target *t, struct tls *x, char *why, size_t len)
{
	struct module *libc = NULL;

	memset(x, 0, sizeof(*x));
	x->t = t;
	if (!target_sym(t, NULL, "_thread_db_pthread_dtvp", &libc) || !libc ||
	    db_desc(libc->elf, "_thread_db_pthread_list", &x->list) ||
	    db_desc(libc->elf, "_thread_db_pthread_dtvp", &x->dtvp) ||
	    db_desc(libc->elf, "_thread_db_pthread_tid", &x->tid) ||
	    db_desc(libc->elf, "_thread_db_rtld_global__dl_stack_user", &x->stack_user) ||
	    db_desc(libc->elf, "_thread_db_rtld_global__dl_stack_used", &x->stack_used) ||
	    db_desc(libc->elf, "_thread_db_link_map_l_tls_modid", &x->modid) ||
	    db_desc(libc->elf, "_thread_db_dtv_t_pointer_val", &x->dtv_val) ||
	    db_desc(libc->elf, "_thread_db_dtv_dtv", &x->dtv_elem) || x->dtv_elem.bits < 64 ||
	    !(x->rtld = target_sym(t, NULL, "_rtld_global", NULL)) ||
	    !(x->rdebug = target_sym(t, NULL, "_r_debug", NULL))) {
		snprintf(why, len, "glibc's thread descriptors (_thread_db_*, _rtld_global, "
			 "_r_debug) not found: thread-local data cannot be located");
		return -1;
	}
	return 0;
}

uint64_t tls_modid(const struct tls *x, struct module *m)
{
	uint64_t lm, l_addr, id;
	int i;

	if (!module_elf(m) || target_read_u64(x->t, x->rdebug + R_DEBUG_MAP, &lm))
		return 0;
	for (i = 0; lm && i < MAX_LINK_MAPS; i++) {
		if (target_read_u64(x->t, lm + LM_ADDR, &l_addr))
			return 0;
		if (l_addr == m->bias)
			return target_read_u64(x->t, lm + x->modid.offset, &id) ? 0 : id;
		if (target_read_u64(x->t, lm + LM_NEXT, &lm))
			return 0;
	}
	return 0;
}

/* Appends the threads of one list (oldest first: list_add links at the head). */
static int list_threads(const struct tls *x, uint64_t head, struct tls_thread *out, int n,
			int max)
{
	uint64_t node;
	int i;

	if (target_read_u64(x->t, head + 8, &node))	/* list_t {next, prev}: the tail */
		return -1;
	for (i = 0; node != head && n < max && i < MAX_THREADS; i++) {
		out[n].pd = node - x->list.offset;
		if (target_read_u32(x->t, out[n].pd + x->tid.offset, &out[n].tid) ||
		    target_read_u64(x->t, node + 8, &node))
			return -1;
		n++;
	}
	return n;
}

int tls_threads(const struct tls *x, struct tls_thread *out, int max)
{
	struct tls_thread tmp;
	int n, i;

	n = list_threads(x, x->rtld + x->stack_user.offset, out, 0, max);
	if (n < 0 || (n = list_threads(x, x->rtld + x->stack_used.offset, out, n, max)) < 0)
		return -1;
	for (i = 0; x->t->pid && i < n; i++) {
		if (out[i].tid == (uint32_t)x->t->pid) {
			tmp = out[0];
			out[0] = out[i];
			out[i] = tmp;
			break;
		}
	}
	return n;
}

int tls_block(const struct tls *x, uint64_t pd, uint64_t modid, uint64_t *block)
{
	uint64_t dtv;

	/* 0 or TLS_DTV_UNALLOCATED (-1): the thread never touched the module's TLS. */
	if (!modid || target_read_u64(x->t, pd + x->dtvp.offset, &dtv) ||
	    target_read_u64(x->t, dtv + modid * (x->dtv_elem.bits / 8) + x->dtv_val.offset,
			    block) || !*block || *block == (uint64_t)-1)
		return -1;
	return 0;
}

struct loc tls_var_loc(const struct tls *x, uint64_t modid, uint64_t offset)
{
	struct loc dtv = { .base = LOC_TLS, .base_off = x->dtvp.offset };
	struct loc block = loc_deref(loc_deref(dtv, 0, 8),
				     modid * (x->dtv_elem.bits / 8) + x->dtv_val.offset, 8);

	return loc_deref(block, offset, 8);
}

int tls_main_addr(struct target *t, struct module *m, const char *name, uint64_t *addr,
		  char *why, size_t len)
{
	const struct elf_sym *var;
	struct tls_thread main;
	struct tls x;
	uint64_t block;

	*addr = 0;
	var = module_elf(m) ? elf_sym_by_name(m->elf, name) : NULL;
	if (!var || !var->is_tls) {
		snprintf(why, len, "%s: no thread-local symbol %s", m->path, name);
		return -1;
	}
	if (tls_open(t, &x, why, len))
		return -1;
	if (tls_threads(&x, &main, 1) != 1 || tls_block(&x, main.pd, tls_modid(&x, m), &block)) {
		snprintf(why, len, "%s: the main thread's TLS block for it cannot be found",
			 m->path);
		return -1;
	}
	*addr = block + var->value;
	return 0;
}
