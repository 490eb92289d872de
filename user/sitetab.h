/* Distinct sites, each named once. A big target holds millions of pending defers at a
 * handful of sites, and naming one costs a symbol and a DWARF line lookup: so a site is
 * described on first sight and then known by a stable index. */
#ifndef CODEFER_SITETAB_H
#define CODEFER_SITETAB_H

#include <stddef.h>
#include "runtime.h"

struct site_name {
	struct site key;
	char *text;		/* terminal-safe */
	uint64_t count;		/* free for the user: pending defers, live coroutines... */
};

struct site_tab {
	struct target *t;
	struct rt_ctx *rc;			/* the runtime opened on t, or NULL */
	struct site_name *names;	/* dense: indexes are stable */
	size_t n, cap;
	size_t *slots;			/* open addressing over names, index + 1 (0 = empty) */
	size_t nslots;
};

#define SITE_TAB_OOM ((size_t)-1)

/* The index of s's entry, named on first sight; SITE_TAB_OOM out of memory. */
size_t site_tab_index(struct site_tab *st, const struct site *s);
void site_tab_free(struct site_tab *st);

#endif
