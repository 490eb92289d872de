/* What codefer-top shows: one snapshot of the BPF maps per interval, with deltas against
 * the previous one and a verdict per coroutine. The renderers (render.c) only print it. */
#ifndef CODEFER_MODEL_H
#define CODEFER_MODEL_H

#include "attach.h"
#include "maps.h"
#include "sitetab.h"

enum verdict { V_OK, V_HOLDING, V_PILING, V_GROWING };
enum site_row_kind { SK_DEFER, SK_CONN, SK_CREATE, SK__COUNT };
enum sort_key { SORT_PENDING, SORT_CONNS, SORT_AGE, SORT_GROWTH };

/* What a row takes of its probes' entry (struct coro), with the census's part added. */
struct coro_counts {
	uint64_t created_ns, first_ns, last_walk;
	int64_t pending, low;
	uint64_t registered, run;
	int64_t peak;
	struct site create_site;
};

/* A row stays in place from one refresh to the next while nothing it is made of changed:
 * the fields a refresh reads for every row come first, together. */
struct coro_row {
	uint64_t id;
	uint64_t seq, seen_ns;	/* its probes' entry's seq and first_ns as last built */
	int probed;		/* the probes have an entry for it */
	enum verdict verdict;
	int same;		/* every field but age_s is as at the previous refresh */
	int fresh;		/* a coroutine new since the last refresh, still to be built */
	int64_t conns_held;
	double age_s;		/* -1: unknown */
	int64_t delta;		/* pending now minus pending a snapshot ago */
	int64_t base_pending;	/* pending when it last fell (or was first seen)... */
	uint64_t base_ns;	/* ... and when */
	struct coro_counts c;	/* absolute counts */
	struct census_row *census;	/* read by the census, or NULL */
	const char *state;
	char state_was[16];	/* state's text, for comparing once the walk that read it is gone */
	const char *owner;	/* what it runs for, from the census or the last walk, or NULL */
	double hold_s;		/* how long its oldest held connection has been out */
	size_t site;		/* dominant pending-defer site, else creation site; SITE_TAB_OOM: none */
	size_t create_idx;	/* its creation site's index (SITE_TAB_OOM: none) */
	struct site wait_site;	/* where it is parked: the latest walk's, or none */
	size_t contrib, ncontrib;	/* its pending defers per site: model.contrib[contrib..] */
	char *json;		/* render.c's text of it, kept while `same` (age_s's value
				   goes at json_age) */
	uint32_t json_len, json_age;
	unsigned json_at;	/* the refresh it was made or last used at (model.refreshes) */
};

struct pool_row {
	uint64_t pool;
	struct pool_stats s;
	const struct census_pool *walked;	/* what the pool's own structures said at the
						   last walk (name, limit, waiters), or NULL */
	double oldest_hold_s;	/* -1 when nothing is out */
	size_t site;		/* where the oldest hold was taken */
	size_t opened;		/* where a probe saw it opened; SITE_TAB_OOM: not seen */
};

/* A connection out of its pool, as the joins need it. */
struct hold {
	uint64_t conn, co, pool, get_ns;	/* get_ns 0: unknown (a walk found it) */
	struct site site;
	int counted;	/* its pool is a pool (not a one-way queue) */
	int orphan;
	int reused;	/* its holder's id names a coroutine born since */
	int late_orphan;	/* an orphan the probes did not count (its holder's end
				   deleted no entry that counted it: the census's) */
};

struct site_row {
	enum site_row_kind kind;
	size_t site;
	int64_t pending;	/* defers pending / connections out / coroutines alive */
	int64_t delta;		/* since the previous snapshot */
};

struct totals {
	uint64_t coroutines_live, coroutines_created, coroutines_exited;
	uint64_t defers_pending, defers_registered, defers_run, defers_lost;
	uint64_t conns_outstanding, conns_orphaned, queues;
	uint64_t timers_pending;	/* from the last walk (Swoole timers and callbacks) */
	uint64_t events, lost;
};

struct snapshot {
	uint64_t ns;
	double interval_s;
	struct coro_row *coros;	/* by id */
	size_t ncoros, cap_coros;
	uint32_t *order;	/* display order (model_sort): indexes into coros */
	size_t norder;
	unsigned refresh;	/* model.refreshes when it was taken */
	size_t nchanged;	/* rows that do not show what they showed at the previous one */
	/* the refresh at which order was last made (norder rows by order_key), when the
	   rows stayed in place since (else 0) */
	unsigned ordered_at;
	enum sort_key order_key;
	struct pool_row *pools;
	size_t npools;
	struct hold *holds;	/* connections out, by holder */
	size_t nholds;
	struct site_row *sites;
	size_t nsites;
	uint64_t counters[C__COUNT];
	struct totals tot;
};

struct thresholds {
	double growth_s;	/* growing: pending rose and never fell for this long */
	int64_t pile;		/* piling: at least this many pending */
	double hold_s;		/* holding: a connection out this long */
	double walk_budget_s;	/* --no-probes: a walk's time budget */
};

struct model {
	struct session *s;
	struct thresholds th;
	struct site_tab sites;
	struct snapshot cur, prev;
	int64_t *site_prev[SK__COUNT];	/* per site index, the previous snapshot's figures */
	size_t site_prev_cap[SK__COUNT];
	int64_t *site_now[SK__COUNT];	/* ... and this one's: the rows' sums, kept by adding
					   what a changed row adds and taking off what it took */
	size_t site_now_cap[SK__COUNT];
	struct contrib {	/* pending defers of one row at one site */
		size_t site;
		int64_t n;
	} *contrib;
	size_t ncontrib, cap_contrib, live_contrib;
	/* What the rows were built from: while it stays, a refresh rebuilds only the rows
	 * whose probes' entry or connections changed (model.c, update_rows). */
	unsigned built_walks;
	struct unprobed *was;	/* the defers no probe sees as the last walk read them */
	size_t nwas;
	const struct census_row *built_census;
	size_t built_ncensus, built_nprobed;
	char **site_json;		/* per site index, its JSON literal (render.c) */
	size_t nsite_json;
	unsigned refreshes;
	struct coro_sync coro_sync;	/* the coroutine map */
	struct raw_map raw_stack, raw_sites, raw_pools, raw_conns;
};

void model_init(struct model *m, struct session *s, const struct thresholds *th);
/* Seconds from get_ns to now (0 for one taken since now was read), -1 when get_ns is 0:
 * unknown (a walk found the hold). */
double model_held_s(uint64_t now, uint64_t get_ns);
/* Reads every map once and builds m->cur (the old one becomes m->prev). 0 or -1. */
int model_refresh(struct model *m);
/* Does a probe watch pools being opened (Go's sql.OpenDB)? Then a pool whose opening it
 * did not see was opened before attach. */
int model_opens_watched(const struct session *s);
/* A pool's name in a table: its driver or class when a walk read it, else its address. */
void model_pool_id(const struct pool_row *p, char *buf, size_t len);
/* "opened at SITE", or "opened before attach" (where model_opens_watched). */
void model_pool_opened(const struct model *m, const struct pool_row *p, char *buf, size_t len);
/* Calls fn for each site of coroutine r's pending defers (those the probes saw, those a
 * walk found that no probe sees, the census's), with how many there; stops at fn's
 * non-zero and returns it. */
int model_row_sites(struct model *m, const struct coro_row *r,
		    int (*fn)(void *arg, const struct site *s, int64_t n), void *arg);
/* Puts the first `rows` coroutines by `key` in snap->order (0: all of them): a
 * partial selection, so a text refresh does not sort every row. */
int model_sort(struct snapshot *snap, enum sort_key key, size_t rows);
/* The i-th coroutine in display order. */
static inline const struct coro_row *snap_row(const struct snapshot *snap, size_t i)
{
	return &snap->coros[snap->order[i]];
}
void model_free(struct model *m);

/* A coroutine's id as text: "tid:id" when ids are per thread (Swoole's thread mode). */
void model_id_text(const struct model *m, uint64_t id, char *buf, size_t len);
const char *verdict_name(enum verdict v);
const char *site_kind_name(enum site_row_kind k);
const char *sort_key_name(enum sort_key k);
const char *counter_name(enum counter c);

#endif
