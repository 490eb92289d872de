/* Distinct sites, each named once. A big target holds millions of pending defers at a
 * handful of sites, and naming one costs a symbol and a DWARF line lookup: so a site is
 * described on first sight and then known by a stable index. Sites that print the same
 * (two closures of one PHP line, two return addresses on one Go line) share one index:
 * every table that ranks sites, in codefer-top and codefer-dump alike, has one row per
 * printed site. */
#ifndef CODEFER_SITETAB_H
#define CODEFER_SITETAB_H

#include <stddef.h>
#include "runtime.h"

struct site_name {
	struct site key;	/* the first site seen with this text */
	char *text;		/* terminal-safe */
	uint64_t count;		/* free for the user: pending defers, live coroutines... */
};

struct site_alias {
	struct site key;
	size_t name;		/* index in names */
};

struct site_tab {
	struct target *t;
	struct rt_ctx *rc;			/* the runtime opened on t, or NULL */
	struct site_name *names;		/* dense: indexes are stable */
	size_t n, cap;
	struct site_alias *keys;		/* every site seen */
	size_t nkeys, capkeys;
	size_t *slots;				/* open addressing over keys, index + 1 */
	size_t nslots;
	size_t *tslots;				/* open addressing over names by text */
	size_t ntslots;
};

#define SITE_TAB_OOM ((size_t)-1)

/* The index of s's text, named on first sight; SITE_TAB_OOM out of memory. */
size_t site_tab_index(struct site_tab *st, const struct site *s);
/* The rule both tools rank by: more first, ties to the text that sorts first. */
int site_tab_better(const struct site_tab *st, uint64_t n, size_t idx, uint64_t best_n,
		    size_t best_idx);
void site_tab_free(struct site_tab *st);

#endif
