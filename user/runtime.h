/* What codefer knows about one coroutine runtime, in one place per runtime
 * (user/runtimes/<name>.c): how to recognise it, where to probe it, how to walk its
 * structures (the census, also used by codefer-dump and gdb) and how to name its sites.
 */
#ifndef CODEFER_RUNTIME_H
#define CODEFER_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include "../bpf/codefer.h"
#include "target.h"

struct probe_point {
	struct module *mod;	/* module whose file is probed */
	uint64_t file_off;	/* file offset of the probed instruction */
	char desc[160];		/* for --explain: "runtime.deferproc+0x14 (after prologue)" */
	char insn[64];		/* for --explain: the instruction probed */
	int emulated;		/* disasm_at(): 1 emulated, 0 single-stepped, -1 unknown */
	struct probe_cfg cfg;
};

struct probe_plan {
	struct probe_point pts[MAX_PROBES];
	int n;
	char version[64];		/* runtime version shown in the header */
	int pools_need_round_trip;	/* a pool is a pool once something taken comes back */
	int exit_runs_defers;		/* defers pending at exit run (else they are lost) */
	int pools_walked;		/* pools' figures are the walks' (their own structures):
					   the probes say who took what, where (see conn_now) */
	int ids_per_thread;		/* ids are (thread << 32) | the thread's own id */
	int timers_probed;		/* EV_TIMER_ADD/DONE keep the pending timers (ids as
					   census_timer.id) */
	char notes[2048];		/* lines for --explain: offsets, what cannot be seen */
};

/* Site kinds: how user space turns a struct site into text. */
enum site_kind {
	SITE_NONE = 0,
	SITE_PC,	/* addr is a return address in the target (a call site); aux unused */
	SITE_FUNC,	/* addr is a function's entry (a coroutine body, a deferred function) */
	SITE_RUNTIME,	/* kinds from here on are the runtime's own (its describe_site) */
};

struct census_defer {
	struct site fn;		/* the deferred function or closure */
	struct site site;	/* where it was registered (what the defer probe reports) */
};

struct census_coro {
	uint64_t id;		/* with a thread: (thread << 32) | the runtime's id */
	uint32_t thread;	/* the OS thread it belongs to when ids are per thread, else 0 */
	char state[16];
	struct site create_site;	/* where it was started (go statement, create call),
					   else its body function */
	struct site wait_site;		/* the line it is parked at, if known */
	char owner[48];			/* what it runs for, when the runtime says (an nginx
					   request or timer); raw, escaped when printed */
	struct census_defer *defers;	/* pending defers, oldest first */
	size_t ndefers;
	size_t conns_held;
	int64_t age_ns;			/* -1 when the runtime does not keep it */
	uint64_t at;			/* where the runtime keeps it (Go: its g), or 0 */
	int cut;			/* its defers were not all read (a record unreadable,
					   as one the target freed meanwhile) */
};

/* A coroutine a walk is asked to read again (census.only): its id and census_coro.at. */
struct census_pick {
	uint64_t id, at;
};

/* What a census walks. Pending defers no probe sees (Go's open-coded defers, which run
 * inline) must not seed the probes' maps, where nothing would retire them: live, they
 * are re-read at each snapshot instead. */
enum census_scope {
	CENSUS_ALL,		/* a report (core, gdb): everything */
	CENSUS_PROBED,		/* seeding live probes: what a probe will see retired */
	CENSUS_UNPROBED,	/* each snapshot: only the pending defers no probe sees */
};

struct census_conn {
	uint64_t conn, pool, co;
	struct site site;
};

/* A pool as its own structures describe it (database/sql's DB, a framework's pool
 * object): what a walk sees with no probe. */
struct census_pool {
	uint64_t pool;		/* its address: the id its probes use too (first: sorts by cmp_u64) */
	char name[96];		/* driver, class, pool name: raw, escaped when printed */
	struct site site;	/* where it was opened, if known */
	int64_t open;		/* connections it made and has not closed */
	int64_t idle;		/* of those, idle in the pool */
	int64_t max;		/* its limit; -1: none */
	int64_t waiters;	/* coroutines waiting for a connection */
	int holders_unknown;	/* the walk cannot tell who holds a connection out (none
				   counts as orphaned then) */
};

/* A callback the runtime's event loop holds (Swoole's Timer::after/tick, Event::defer):
 * its closure, and the objects it captures, stay alive while it is pending. */
#define CENSUS_CAPTURES 8
struct census_timer {
	uint64_t id;		/* the timer's id (in thread mode with the thread, as
				   coroutine ids), a deferred task's address; 0 for an
				   event callback */
	char kind[8];		/* "after", "tick", "defer" */
	struct site site;	/* where it was registered if known, else its function */
	int64_t interval_ms;	/* tick period; 0 for one shot */
	struct {
		char cls[64];	/* class of captured objects: raw, escaped when printed */
		uint32_t n;
	} captures[CENSUS_CAPTURES];
	int ncaptures;
};

/* Per-coroutine state kept after the coroutine ended: an array (a class's static property,
 * a global) keyed by the ids of coroutines that are gone. */
struct census_stale {
	char where[160];	/* "Class::$prop", "$GLOBALS['name']", then ['key'] if nested */
	uint64_t entries;	/* keys that are ids of ended coroutines */
	int64_t oldest_id, newest_id;
};

struct census {
	struct census_coro *coros;
	size_t ncoros, cap_coros;
	struct census_conn *conns;	/* connections out whose holder is known */
	size_t nconns, cap_conns;
	struct census_pool *pools;
	size_t npools, cap_pools;
	struct census_timer *timers;	/* pending timers and deferred callbacks */
	size_t ntimers, cap_timers;
	struct census_stale *stale;	/* state kept for ended coroutines */
	size_t nstale, cap_stale;
	/* Site addresses whose line is their caller's for the probes that skip their kinds
	 * (PF_SITE_UP_SKIPS: Swoole's PHP functions named defer, a library's functions) */
	struct site_skip {
		uint64_t addr;
		uint8_t kinds;	/* SKIP_* */
	} *site_skips;
	size_t nsite_skips;
	char version[64];
	char warning[256];		/* set when a walk was cut short (cycle, wild pointer) */
	enum census_scope scope;	/* set by the caller */
	uint64_t deadline_ns;		/* set by the caller (CLOCK_MONOTONIC; 0 none): past
					   it census_add_coro stops the walk */
	int partial;			/* the deadline cut the walk short */
	/* Set by the caller: the coroutines to read again (by id; NULL: all). A walker
	 * that starts from their `at` reads them alone, others walk as usual and skip the
	 * rest where that saves reads (census_wants). */
	const struct census_pick *only;
	size_t nonly;
	/* Set by the caller for a walk of census.only (NULL: none). A walker that reads the
	 * picks' heads (where their defers start) apart from the defers calls it just
	 * before (after = 0) and just after (after = 1) reading the heads of picks
	 * [from, to): the caller reads the probes' map there, so that a coroutine whose
	 * only events since were defers made (a chain grows at its head) is known as of
	 * that read, however long its walk. */
	void (*around_heads)(struct census *c, int after, size_t from, size_t to);
	void *caller;			/* around_heads' */
};

/* Walk limits: every walk over target memory is bounded. */
#define WALK_MAX_COROS 4000000
#define WALK_MAX_DEFERS 1000000

struct runtime_opts {
	const char **probe_specs;	/* native profile: --probe arguments */
	int nprobe_specs;
};

/* A runtime opened on one target: what its open() resolved once (symbols, offsets, the
 * layout of its structures) is kept in `priv` for plan, census and site naming, so none
 * of them looks a symbol up or reads DWARF again. */
struct rt_ctx {
	const struct runtime *rt;
	struct target *t;
	const struct runtime_opts *opts;
	void *priv;
};

struct runtime {
	const char *name;
	int id_is_number;	/* ids print as numbers (cid, goid), else hex strings */
	const char *looks_for;	/* what detect() looks for, for "no runtime found" */
	/* > 0 when the target runs this runtime (higher wins); 0 otherwise. */
	int (*detect)(struct target *t);
	/* Resolves what the others need into c->priv (NULL: nothing to resolve). 0, or an
	 * exit code with err set. close() frees it. */
	int (*open)(struct rt_ctx *c, char *err, size_t errlen);
	void (*close)(struct rt_ctx *c);
	/* Probe points and notes for this target. 0, or an exit code with err set. */
	int (*plan)(struct rt_ctx *c, struct probe_plan *p, char *err, size_t errlen);
	/* Walks the runtime's structures (NULL if it has no walker). 0, or an exit code
	 * with err set: EXIT_SYMBOL when something it needs is missing, EXIT_BAD_CORE when
	 * the structures cannot be read. A walk cut short is 0 with cs->warning set. */
	int (*census)(struct rt_ctx *c, struct census *cs, char *err, size_t errlen);
	/* How many coroutines the target has, read in a moment before the maps are made
	 * (Go: allglen), so that they have room for all of them; 0 when it cannot tell
	 * (NULL: never can). */
	size_t (*population)(struct rt_ctx *c);
	int has_unprobed;	/* its census finds something in CENSUS_UNPROBED scope */
	/* No probe sees its coroutines end (they have no defers either): a coroutine that
	 * two CENSUS_UNPROBED walks in a row do not list has ended. */
	int exits_unprobed;
	/* Its CENSUS_UNPROBED walks read again what only walks see beside the coroutines
	 * (pools' own figures and who holds what, state kept for ended coroutines, where
	 * each waits), not the defers, which the probes see: walked at each snapshot. */
	int rewalks_heap;
	/* Its census follows links the running target changes (a list): a walk can miss
	 * coroutines, and those the probes know were there are looked for again. */
	int walks_links;
	/* What a pending timer the probes saw armed keeps alive: its callable (what its
	 * timer-add probe read as `pool`) captures, into tm->captures (NULL: none). */
	void (*callback_captures)(struct rt_ctx *c, uint64_t callable, struct census_timer *tm);
	/* Text for a site of one of the runtime's own kinds (>= SITE_RUNTIME). */
	void (*describe_site)(struct rt_ctx *c, const struct site *s, char *buf, size_t len);
	/* A connection the probes saw taken and not given back, as the target has it now
	 * (for probes that cannot tell its pool, or miss some of its ends): 0 with *pool
	 * set and *orphan when its holder `co` has ended; 1 when it is out no more (not
	 * connected, or closed where no probe sees); -1 when its object is gone. NULL: the
	 * probes' view stands. */
	int (*conn_now)(struct rt_ctx *c, uint64_t conn, uint64_t co, uint64_t *pool,
			int *orphan);
	/* The function a coroutine started with, when its create site names the line that
	 * started it instead (Go's `go` statement): 0 with *start set, or -1 (NULL: none). */
	int (*start_site)(struct rt_ctx *c, const struct site *create, struct site *start);
};

extern const struct runtime *const runtimes[];

const struct runtime *runtime_by_name(const char *name);
/* "go, swoole, ...": every runtime's name, in registry order. */
const char *runtime_names(void);
/* An event kind's name ("defer-run"), as probe specs and --explain write it. */
const char *event_name(enum event_kind k);
/* The best match for the target, or NULL; `looked_for` lists what was tried. */
const struct runtime *runtime_detect(struct target *t, char *looked_for, size_t len);
/* Opens rt on t (see runtime.open); rt_close is safe on a context never opened. */
int rt_open(struct rt_ctx *c, const struct runtime *rt, struct target *t,
	    const struct runtime_opts *o, char *err, size_t errlen);
void rt_close(struct rt_ctx *c);
/* Text for any site; c may be NULL (no runtime: addresses and symbols only). */
void describe_site(struct target *t, struct rt_ctx *c, const struct site *s, char *buf,
		   size_t len);

/* Helpers for profiles. */
int plan_add(struct probe_plan *p, struct module *m, uint64_t vaddr, const char *desc,
	     const struct probe_cfg *cfg, char *err, size_t errlen);
int plan_add_sym(struct probe_plan *p, struct target *t, struct module *m, const char *sym,
		 uint64_t sym_off, const struct probe_cfg *cfg, char *err, size_t errlen);
/* Most return instructions one function may have probed: past it the function is
 * refused (probe its caller instead), so one function never fills the plan. */
#define MAX_RETURN_PROBES 24
/* Probes every return instruction of sym in m, found by decoding (never a uretprobe):
 * their descriptions are "SYM+0xOFF (return: WHAT)" ("(return)" with no what). 0, or an
 * exit code with err set. */
int plan_add_returns(struct probe_plan *p, struct module *m, const char *sym,
		     const struct probe_cfg *cfg, const char *what, char *err, size_t errlen);
void plan_note(struct probe_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A zeroed slot at the end of the array *v of *n entries of `size` bytes, room doubling
 * as it grows (*cap); NULL out of memory. */
void *array_push(void *v, size_t *n, size_t *cap, size_t size);
/* A zeroed coroutine entry, or NULL: out of memory, too many, or past the deadline
 * (walkers stop at NULL). */
struct census_coro *census_add_coro(struct census *c, uint64_t id);
/* Past the walk's deadline? Then it is partial, its warning saying `kept` coroutines:
 * a walker that reads more of each after listing them keeps only those read. */
int census_past_deadline(struct census *c, size_t kept);
/* Is coroutine id one the walk is to read (census.only)? */
int census_wants(const struct census *c, uint64_t id);
/* How many of pool p's connections out (open - idle) are beyond the `listed` ones a hold
 * names (0 when none): with holders known, orphans (codefer-dump, codefer-top alike). */
int64_t census_pool_unlisted(const struct census_pool *p, int64_t listed);
int census_add_defer(struct census_coro *co, const struct site *fn, const struct site *site);
int census_add_conn(struct census *c, uint64_t conn, uint64_t pool, uint64_t co,
		    const struct site *site);
/* A zeroed pool entry (max -1), or NULL out of memory. */
struct census_pool *census_add_pool(struct census *c, uint64_t pool);
/* A zeroed timer entry, or NULL out of memory. */
struct census_timer *census_add_timer(struct census *c);
struct census_stale *census_add_stale(struct census *c);
void census_free(struct census *c);
/* The census's exit code when a structure every walk starts from cannot be read: a
 * damaged core, or (live) offsets that do not fit this build. */
int census_unreadable(const struct target *t);
int cmp_u64(const void *a, const void *b);	/* qsort/bsearch over uint64_t */

/* Fields of a block read from the target or a file (x86-64: little-endian, unaligned). */
static inline uint64_t u64_at(const void *b, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)b + off, sizeof(v));
	return v;
}

static inline uint32_t u32_at(const void *b, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)b + off, sizeof(v));
	return v;
}

static inline struct loc loc_reg(enum loc_reg r)
{
	struct loc l = { .base = LOC_REG, .reg = r };
	return l;
}

static inline struct loc loc_deref(struct loc l, int32_t off, uint8_t size)
{
	if (l.nderef < LOC_MAX_DEREF) {
		l.off[l.nderef++] = off;
		l.size = size;
	}
	return l;
}

#endif
