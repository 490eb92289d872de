/* A live session: the target's runtime profile turned into loaded BPF programs, maps
 * seeded by the attach-time census, and uprobes on that one process. */
#ifndef CODEFER_ATTACH_H
#define CODEFER_ATTACH_H

#include "runtime.h"

struct codefer_bpf;
struct bpf_link;
struct ring_buffer;

/* What the census saw of one coroutine that live rows do not carry. */
struct census_state {
	uint64_t id;
	char state[16];
	char *owner;		/* what it runs for (census_coro.owner), or NULL */
	struct site body;	/* its create site as the walk read it (census_coro.create_site) */
	struct site wait;	/* the line it was parked at (census_coro.wait_site) */
};

/* A run of pending defers at one site, in stack order. */
struct site_run {
	struct site site;
	int64_t n;
	size_t name;		/* its index in the model's site table, once named */
};

#define SITE_UNNAMED ((size_t)-2)

/* What the census read of one coroutine, kept in user space and added to what the probes
 * see of it (struct coro in codefer.h counts from attach): its `base` pending defers were
 * registered before attach, their sites the bottom of its stack. */
struct census_row {
	uint64_t id;
	int64_t base;
	uint64_t created_ns;		/* CLOCK_MONOTONIC; 0 unknown */
	uint64_t first_ns;		/* when the census read it */
	struct site create_site, wait_site;
	size_t create_name;		/* create_site's index in the model's site table */
	size_t runs, nruns;		/* its sites: session.runs[runs .. runs + nruns) */
	size_t top_site;		/* the model's pick among them while no probe saw it
					   (SITE_UNNAMED until picked) */
	int gone;			/* ended (the model drops it) */
};

/* Pending defers at one site of one coroutine that no probe sees (see census_scope). */
struct unprobed {
	uint64_t id;
	struct site site;
	int64_t n;
};

struct session {
	struct target t;
	const struct runtime *rt;
	const struct runtime *walker;	/* whose census seeds the maps: rt's, or for the
					   native profile the detected runtime's; may be NULL */
	struct runtime_opts ropts;
	struct rt_ctx rc;		/* rt opened on t */
	struct rt_ctx walker_own;	/* the walker opened on t, when it is not rt */
	struct rt_ctx *wc;		/* the walker's context: &rc, &walker_own or NULL */
	struct probe_plan plan;
	struct codefer_bpf *skel;
	struct bpf_link *links[MAX_PROBES];
	int nlinks;
	uint64_t attach_ns;		/* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
	int frozen_asked;		/* --freeze */
	int frozen;			/* the target was stopped for census and attach */
	char freeze_failed[160];	/* --freeze asked and the target not stopped: why */
	uint64_t stall_ns;		/* how long it was stopped */
	int no_probes;			/* --no-probes: every refresh walks, nothing attached */
	/* census: at attach, or (no_probes) the last walk */
	int census_done;
	size_t census_coros, census_defers, census_conns;
	unsigned census_walks;		/* walks the attach census took to read every
					   coroutine between two of its events */
	size_t census_unsettled;	/* coroutines that changed during every one of them */
	char census_warning[256];
	struct census_row *rows;	/* sorted by id */
	size_t nrows, ngone;		/* ngone: rows marked gone since the last drop */
	struct site_run *runs;
	size_t nruns;
	struct census_pool *pools;	/* the last walk's pools, sorted by address */
	size_t npools;
	struct census_conn *conns;	/* no_probes: the last walk's connections out */
	size_t nconns;
	struct census_timer *timers;	/* the last walk's pending timers and callbacks;
					   plan.timers_probed: the probes' map's timers
					   and the census's callbacks, at each refresh */
	size_t ntimers;
	struct census_timer *census_timers;	/* timers_probed: the census's, by id */
	size_t ncensus_timers;
	struct census_stale *stale;	/* the last walk's state kept for ended coroutines */
	size_t nstale;
	/* Per pool, the census's connections out at attach: those it names go in the
	 * probes' map, which takes them back when they return; the probes count from 0
	 * (sorted by pool). */
	struct seeded_pool {
		uint64_t pool;		/* first: sorts by cmp_u64 */
		int64_t out, orphans;
		/* of out: those the census counted but could not name (open - idle beyond
		 * its holds), whose return the probes see as a put of an unknown
		 * connection; orphans when the walk tells holders */
		int64_t unnamed;
		int unnamed_orphans;
	} *seeded;
	size_t nseeded;
	struct census_state *states;	/* sorted by id; from the census or the last walk */
	size_t nstates;
	uint64_t states_walk;		/* the walk that read them (begin_walk) */
	uint64_t states_ns;		/* when it began */
	uint64_t walks_begun;
	/* the last CENSUS_UNPROBED walk: its pending defers, sorted by id; the coroutines
	 * it listed, sorted (exits_unprobed; only from a walk that was not cut short);
	 * when it started, how long it took, how many walks so far */
	struct unprobed *unprobed;
	size_t nunprobed, unprobed_defers;
	uint64_t *living;
	size_t nliving;
	int living_complete;
	uint64_t unprobed_ns, unprobed_cost_ns;
	unsigned unprobed_walks;
	uint64_t exits_unseen;		/* coroutines found ended by those walks */
	/* exits_unprobed: coroutines the last complete walk did not list, sorted */
	uint64_t *unlisted;
	size_t nunlisted;
	unsigned walks_judged;		/* walks already looked at */
	struct ring_buffer *exits;	/* ends of coroutines (struct exit_event) */
	uint64_t census_retired;	/* census defers retired by those ends */
	uint64_t walk_created;		/* no_probes: coroutines that walks found new */
	uint64_t walk_deadline_ns;	/* no_probes: when the current walk must stop */
	int walk_partial;		/* the last walk was cut short by its budget */
	int walk_every;			/* walk at every snapshot (CODEFER_WALK_EVERY=1, tests) */
	int heap_rewalked;		/* rewalks_heap: pools, conns and stale are a walk's since
					   attach, not the census's */
	int no_walks;			/* --no-census: no census, no walks at snapshots */
};

struct attach_opts {
	pid_t pid;
	const char *runtime;		/* NULL: detect */
	const char **probe_specs;
	int nprobe_specs;
	int no_census;
	int freeze;			/* stop the target while the census is taken */
	int no_probes;
	uint32_t max_coroutines;	/* 0: the default size of the coroutine maps */
	int verbose;			/* libbpf's messages (the verifier log) on stderr */
};

/* Opens the target and resolves its runtime and probe plan; nothing is attached yet
 * (enough for --explain). 0, or an enum exit_code with a one-line message in err. */
int session_open(struct session *s, const struct attach_opts *o, char *err, size_t errlen);
/* Loads the BPF object, attaches the uprobes, then takes the census while the target
 * runs (with --freeze: stopped); with no_probes, only the census. 0, or an enum
 * exit_code with err set. */
int session_attach(struct session *s, const struct attach_opts *o, char *err, size_t errlen);
/* Brings the session up to date before a snapshot: with no probes a walk, else the
 * walks of what no probe sees, the ends on the ring buffer and the coroutines walks
 * found ended. The model then only reads and joins. 0, or -1. */
int session_refresh(struct session *s, double walk_budget_s);
/* The census row of a coroutine, or NULL. */
struct census_row *session_row(struct session *s, uint64_t id);
/* Detaches every probe and frees everything; safe on a partly opened session. */
void session_close(struct session *s);

uint64_t mono_ns(void);

#endif
