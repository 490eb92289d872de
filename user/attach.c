// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* From a pid to running probes (see attach.h).
 *
 * Probes see only what happens after attach, while the census sees only what was there
 * before: so the target is stopped (ptrace, every thread) while the census is taken, the
 * maps are seeded and the uprobes go in, and nothing falls between the two.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "codefer.skel.h"

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* This thread's CPU time (user and system): what a walk costs when the target is stopped
 * and does not compete for the CPUs. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int session_open(struct session *s, const struct attach_opts *o, char *err, size_t errlen)
{
	char looked_for[1024];
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = target_open_pid(&s->t, o->pid, err, errlen)))
		return r;
	s->no_probes = o->no_probes;
	s->frozen_asked = o->freeze;
	s->ropts.probe_specs = o->probe_specs;
	s->ropts.nprobe_specs = o->nprobe_specs;
	if (o->runtime) {
		if (!(s->rt = runtime_by_name(o->runtime))) {
			snprintf(err, errlen, "unknown runtime '%s' (%s)", o->runtime, runtime_names());
			return EXIT_USAGE;
		}
	} else if (!(s->rt = runtime_detect(&s->t, looked_for, sizeof(looked_for)))) {
		snprintf(err, errlen, "no supported runtime in pid %d (%s): looked for %s; "
			 "for a C/C++ library give --probe specs", o->pid, s->t.comm, looked_for);
		return EXIT_NO_RUNTIME;
	}
	if ((r = rt_open(&s->rc, s->rt, &s->t, &s->ropts, err, errlen)))
		return r;
	s->walker = s->rt->census ? s->rt : runtime_detect(&s->t, NULL, 0);
	if (s->walker && !s->walker->census)
		s->walker = NULL;
	if (s->walker == s->rt)
		s->wc = &s->rc;
	else if (s->walker && !rt_open(&s->walker_own, s->walker, &s->t, NULL, err, errlen))
		s->wc = &s->walker_own;
	else
		s->walker = NULL;	/* the probes still work without its census */
	return s->rt->plan(&s->rc, &s->plan, err, errlen);
}

/* ---- stopping the target while census and attach happen ---- */

struct stopped {
	pid_t tid;
	int sig;	/* a signal that arrived while stopping: delivered at release */
};

static struct stopped *stopped;
static int nstopped;

static int is_stopped(pid_t tid)
{
	int i;

	for (i = 0; i < nstopped; i++)
		if (stopped[i].tid == tid)
			return 1;
	return 0;
}

static void release(void)
{
	int i;

	for (i = 0; i < nstopped; i++)
		ptrace(PTRACE_DETACH, stopped[i].tid, NULL, (void *)(long)stopped[i].sig);
	free(stopped);
	stopped = NULL;
	nstopped = 0;
}

/* How long the threads may take to stop: a thread its cgroup froze (docker pause) never
 * does until thawed. */
#define FREEZE_WAIT_NS 1000000000ull

/* Waits for thread tid's stop after PTRACE_INTERRUPT, until `deadline`; its signal then
 * pending, if any, goes in *sig. 0, or -1 when it did not stop in time. */
static int wait_stop(pid_t tid, uint64_t deadline, int *sig)
{
	int status;
	pid_t r;

	while (!(r = waitpid(tid, &status, __WALL | WNOHANG)) && mono_ns() < deadline)
		usleep(200);
	if (r != tid)
		return r < 0 && errno == ECHILD ? 0 : -1;	/* ECHILD: it ended */
	if (WIFSTOPPED(status) && status >> 16 != PTRACE_EVENT_STOP && WSTOPSIG(status) != SIGTRAP)
		*sig = WSTOPSIG(status);
	return 0;
}

/* Seizes and interrupts every thread, rescanning until no new one appears. 0, or -1
 * (then nothing stays stopped, and *why says why) when the process cannot be traced
 * (traced already) or its threads do not stop within FREEZE_WAIT_NS. */
static int freeze(pid_t pid, const char **why)
{
	uint64_t deadline = mono_ns() + FREEZE_WAIT_NS;
	char path[64];
	int found = 1;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	while (found) {
		struct dirent *d;
		DIR *dir = opendir(path);

		if (!dir)
			break;
		found = 0;
		while ((d = readdir(dir))) {
			pid_t tid = atoi(d->d_name);
			void *p;

			if (tid <= 0 || is_stopped(tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) || ptrace(PTRACE_INTERRUPT, tid, NULL, NULL)) {
				if (errno == ESRCH)
					continue;	/* the thread just ended */
				*why = errno == EPERM ? "it is traced by another process (gdb, strace)"
						      : "it cannot be traced";
				closedir(dir);
				release();
				return -1;
			}
			if (!(p = realloc(stopped, (nstopped + 1) * sizeof(*stopped)))) {
				*why = "out of memory";
				closedir(dir);
				release();
				return -1;
			}
			stopped = p;
			stopped[nstopped].tid = tid;
			stopped[nstopped].sig = 0;
			nstopped++;
			if (wait_stop(tid, deadline, &stopped[nstopped - 1].sig)) {
				*why = "its threads did not stop within 1 s (frozen by its cgroup?)";
				closedir(dir);
				release();
				return -1;
			}
			found = 1;
		}
		closedir(dir);
	}
	return 0;
}

/* ---- the census, taken while the target runs ---- */

static int cmp_state(const void *a, const void *b)
{
	const struct census_state *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The census's states, read at `ns`: they stand for coroutines with no event since. */
static void free_states(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nstates; i++)
		free(s->states[i].owner);
	free(s->states);
	s->states = NULL;
	s->nstates = 0;
}

/* A walk begins: the probes' events from now on are newer than what it reads. Returns its
 * number (see walk_gen in codefer.bpf.c). */
static uint64_t begin_walk(struct session *s)
{
	s->walks_begun++;
	if (s->skel)
		__atomic_store_n(&s->skel->bss->walk_gen, s->walks_begun, __ATOMIC_SEQ_CST);
	return s->walks_begun;
}

static int set_states(struct session *s, const struct census *c, uint64_t walk, uint64_t ns)
{
	struct census_state *st = calloc(c->ncoros + 1, sizeof(*st));
	size_t i;

	if (!st)
		return -1;
	for (i = 0; i < c->ncoros; i++) {
		st[i].id = c->coros[i].id;
		snprintf(st[i].state, sizeof(st[i].state), "%s", c->coros[i].state);
		st[i].body = c->coros[i].create_site;
		st[i].wait = c->coros[i].wait_site;
		if (c->coros[i].owner[0])
			st[i].owner = strdup(c->coros[i].owner);
	}
	qsort(st, c->ncoros, sizeof(*st), cmp_state);
	free_states(s);
	s->states = st;
	s->nstates = c->ncoros;
	s->states_walk = walk;
	s->states_ns = ns;
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct census_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

struct census_row *session_row(struct session *s, uint64_t id)
{
	struct census_row key = { .id = id };

	return bsearch(&key, s->rows, s->nrows, sizeof(key), cmp_row);
}

/* The probes' entries, id order: what a census read is reconciled with. */
struct probed {
	uint64_t id, seq, first_ns;
	int64_t pending;
	uint32_t flags;
};

static int cmp_probed(const void *a, const void *b)
{
	const struct probed *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct probed *read_probed(struct session *s, size_t *n)
{
	int fd = bpf_map__fd(s->skel->maps.coros);
	size_t cap = bpf_map__max_entries(s->skel->maps.coros), got = 0;
	struct coro_key *keys = calloc(cap, sizeof(*keys));
	struct coro *vals = calloc(cap, sizeof(*vals));
	struct probed *p = calloc(cap + 1, sizeof(*p));
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in = 0, out = 0;
	void *inp = NULL;
	size_t i;

	if (!keys || !vals || !p)
		goto fail;
	for (;;) {
		__u32 count = cap - got;

		if (!count)
			break;
		if (bpf_map_lookup_batch(fd, inp, &out, keys + got, vals + got, &count, &opts)) {
			got += count;
			if (errno == ENOENT)
				break;
			goto fail;
		}
		got += count;
		in = out;
		inp = &in;
	}
	for (i = 0; i < got; i++)
		p[i] = (struct probed){ .id = keys[i].id, .seq = vals[i].seq,
					.first_ns = vals[i].first_ns, .pending = vals[i].pending,
					.flags = vals[i].flags };
	qsort(p, got, sizeof(*p), cmp_probed);
	free(keys);
	free(vals);
	*n = got;
	return p;
fail:
	free(keys);
	free(vals);
	free(p);
	return NULL;
}

/* The probes' entries of the coroutines picked (sorted by id), in id order. */
static struct probed *read_probed_picks(struct session *s, const struct census_pick *pick,
					size_t npick, size_t *n)
{
	int fd = bpf_map__fd(s->skel->maps.coros);
	struct probed *p = calloc(npick + 1, sizeof(*p));
	struct coro_key key = { .tgid = s->t.pid };
	struct coro v;
	size_t i;

	if (!p)
		return NULL;
	for (i = *n = 0; i < npick; i++) {
		key.id = pick[i].id;
		if (!bpf_map_lookup_elem(fd, &key, &v))
			p[(*n)++] = (struct probed){ .id = key.id, .seq = v.seq,
						     .first_ns = v.first_ns, .pending = v.pending,
						     .flags = v.flags };
	}
	return p;
}

/* Ends a settling stop begun at *stopped_at (0: none): the target runs again, and the
 * stop counts in the attach's stall. */
static void end_stop(struct session *s, uint64_t *stopped_at)
{
	if (!*stopped_at)
		return;
	release();
	s->frozen = 0;
	if (mono_ns() - *stopped_at > s->stall_ns)
		s->stall_ns = mono_ns() - *stopped_at;
	*stopped_at = 0;
}

/* The probes' entries of the picks just before (v[0]) and just after (v[1]) a walker
 * read their heads (census.around_heads), sorted by id. */
struct heads_probed {
	struct session *s;
	uint64_t *stopped_at;	/* the settling stop the walk began at */
	struct probed *v[2];
	size_t n[2];
	int used, failed;
};

static void around_heads(struct census *c, int after, size_t from, size_t to)
{
	struct heads_probed *h = c->caller;
	size_t m;
	struct probed *got = read_probed_picks(h->s, c->only + from, to - from, &m);
	void *np = got ? realloc(h->v[after], (h->n[after] + m + 1) * sizeof(*got)) : NULL;

	h->used = 1;
	/* At a settling stop, the heads were what it was for: the walk goes on with the
	 * target running (a chain that did more than grow meanwhile is read again). */
	if (after)
		end_stop(h->s, h->stopped_at);
	if (!np) {
		h->failed = 1;
		free(got);
		return;
	}
	h->v[after] = np;
	memcpy(h->v[after] + h->n[after], got, m * sizeof(*got));
	h->n[after] += m;
	free(got);
}

static uint64_t seq_of(const struct probed *p)
{
	return p ? p->seq : 0;
}

static int64_t pending_of(const struct probed *p)
{
	return p ? p->pending : 0;
}

static int cmp_pick(const void *a, const void *b)
{
	const struct census_pick *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct probed *probed_of(const struct probed *p, size_t n, uint64_t id)
{
	struct probed key = { .id = id };

	return bsearch(&key, p, n, sizeof(key), cmp_probed);
}

/* Appends co's pending defers as runs of equal sites, bottom of the stack first; only the
 * bottom `keep` (those registered before attach: the probes have the rest). */
static int add_runs(struct session *s, const struct census_coro *co, int64_t keep, size_t *cap)
{
	size_t j;

	for (j = 0; j < co->ndefers && (int64_t)j < keep; j++) {
		const struct site *at = &co->defers[j].site;

		if (s->nruns && s->rows[s->nrows].nruns &&
		    !memcmp(&s->runs[s->nruns - 1].site, at, sizeof(*at))) {
			s->runs[s->nruns - 1].n++;
			continue;
		}
		if (s->nruns == *cap) {
			size_t nc = *cap ? *cap * 2 : 1024;
			void *np = realloc(s->runs, nc * sizeof(*s->runs));

			if (!np)
				return -1;
			s->runs = np;
			*cap = nc;
		}
		s->runs[s->nruns++] = (struct site_run){ .site = *at, .n = 1, .name = SITE_UNNAMED };
		s->rows[s->nrows].nruns++;
	}
	return 0;
}

/* Keeps co as read at `now`, when the probes' entry for it was `e` (NULL: none). */
static int keep_row(struct session *s, const struct census_coro *co, const struct probed *e,
		    uint64_t now, size_t *cap_runs)
{
	struct census_row *r = &s->rows[s->nrows];

	*r = (struct census_row){
		.id = co->id, .first_ns = now, .create_site = co->create_site,
		.wait_site = co->wait_site, .runs = s->nruns, .create_name = SITE_UNNAMED,
		.top_site = SITE_UNNAMED,
		/* What the census read minus what the probes had added by then. */
		.base = (int64_t)co->ndefers - (e ? e->pending : 0),
	};
	if (co->age_ns >= 0 && (uint64_t)co->age_ns < now)
		r->created_ns = now - co->age_ns;
	if (add_runs(s, co, r->base, cap_runs))
		return -1;
	s->nrows++;
	s->census_defers += co->ndefers;
	return 0;
}

/* Moves c's array *from (n entries, cap room) into the session's *to (its old one goes). */
#define TAKE(to, nto, from, n, cap) do { free(to); (to) = (from); (nto) = (n); (from) = NULL; \
					 (n) = (cap) = 0; } while (0)

/* The wrappers and library functions a walk found go in the probes' map
 * (PF_SITE_UP_SKIPS): none goes away. */
static void keep_site_skips(struct session *s, const struct census *c)
{
	uint64_t *keys = malloc(c->nsite_skips * sizeof(*keys));
	uint8_t *kinds = malloc(c->nsite_skips);
	__u32 n = c->nsite_skips;
	size_t i;

	/* In one system call: a library's functions may be tens of thousands. */
	for (i = 0; keys && kinds && i < c->nsite_skips; i++) {
		keys[i] = c->site_skips[i].addr;
		kinds[i] = c->site_skips[i].kinds;
	}
	if (s->skel && n && keys && kinds)
		bpf_map_update_batch(bpf_map__fd(s->skel->maps.site_skips), keys, kinds, &n, NULL);
	free(keys);
	free(kinds);
}

/* Takes what c read beside the coroutines as the session's: pools, connections out,
 * pending timers, state kept for ended coroutines. */
static void keep_pools(struct session *s, struct census *c)
{
	keep_site_skips(s, c);
	TAKE(s->timers, s->ntimers, c->timers, c->ntimers, c->cap_timers);
	TAKE(s->stale, s->nstale, c->stale, c->nstale, c->cap_stale);
	qsort(c->pools, c->npools, sizeof(*c->pools), cmp_u64);
	TAKE(s->pools, s->npools, c->pools, c->npools, c->cap_pools);
	TAKE(s->conns, s->nconns, c->conns, c->nconns, c->cap_conns);
}

static void reset_rows(struct session *s)
{
	free(s->rows);
	free(s->runs);
	s->rows = NULL;
	s->runs = NULL;
	s->nrows = s->nruns = s->ngone = 0;
	s->census_defers = 0;
}

/* Walks and keeps what the walks read. The target runs meanwhile: a coroutine whose
 * probes' entry changed between the reads of the map before and after a walk may have
 * been read in the middle of an event, and a list walked while the target changes it
 * can break off. So walks go on (at most CENSUS_WALKS) until one is whole and every
 * coroutine it read has been kept from some walk where it stayed still. Coroutines that
 * changed during every walk (a worker that defers in a loop) are walked once more alone
 * (census.only: Go reads their gs, not allgs). A walker that reads their heads apart
 * (census.around_heads: Go) has the map read just around those reads: a coroutine still
 * there and whose events since were only defers made is kept as of its head, however
 * long its chain took to read. Those that changed again are read once more with the
 * target stopped (for their heads only, or when that walk was quick: SETTLE_STOP_WALK_NS;
 * the stop is stated as the attach's stall); else they are kept as last read, and the
 * header says how many those are (their census part may be off by what their events did
 * while they were read). */
#define CENSUS_WALKS 5
#define CENSUS_SETTLE_US 2000
/* When the walk of the coroutines that never stayed still took less CPU than this, they
 * are read once more with the target stopped: a stop of about one such walk (its
 * threads' ptrace stops added), well under the 10 ms codefer allows itself at attach.
 * CPU time, not wall time: on a machine the busy target keeps busy, the walk waits for a
 * CPU, and the stop frees them. */
#define SETTLE_STOP_WALK_NS 3000000
/* A coroutine on a CPU when the target stopped may be stopped inside an event (on_cpu):
 * it is read again at another stop, SETTLE_GAP_US later, at most SETTLE_STOPS in all. */
#define SETTLE_STOPS 4
#define SETTLE_GAP_US 300

/* Was co executing as it was read (every walker names that state "running")? Then it may
 * be inside an event whose probe fired and whose change it does not show yet (a defer
 * probe fires before the record is made, a run's just after it is gone). */
static int on_cpu(const struct census_coro *co)
{
	return !strcmp(co->state, "running");
}

/* The coroutines a walk left unkept, for the next one to read alone (sorted by id). */
struct picks {
	struct census_pick *v;
	size_t n, cap;
};

static int pick(struct picks *p, const struct census_coro *co)
{
	struct census_pick *k = array_push(&p->v, &p->n, &p->cap, sizeof(*k));

	if (!k)
		return -1;
	*k = (struct census_pick){ .id = co->id, .at = co->at };
	return 0;
}

/* A walker that follows links the running target changes can miss coroutines: those
 * the probes know were there before attach (an event, no create) that neither this walk
 * nor an earlier one kept are picked to be looked for again. How many, or -1. */
static long pick_missed(struct session *s, const struct census *c, const struct probed *after,
			size_t nafter, struct picks *next)
{
	uint64_t *walked = malloc((c->ncoros + 1) * sizeof(*walked));
	size_t i;
	long n = 0;

	if (!walked)
		return -1;
	for (i = 0; i < c->ncoros; i++)
		walked[i] = c->coros[i].id;
	qsort(walked, c->ncoros, sizeof(*walked), cmp_u64);
	for (i = 0; i < nafter; i++) {
		struct census_coro missed = { .id = after[i].id };

		if (!(after[i].flags & CF_UNSEEN_BIRTH) || (after[i].flags & CF_AFTER_CENSUS) ||
		    bsearch(&after[i].id, walked, c->ncoros, sizeof(*walked), cmp_u64) ||
		    session_row(s, after[i].id))
			continue;
		if (pick(next, &missed)) {
			free(walked);
			return -1;
		}
		n++;
	}
	free(walked);
	return n;
}

static int census_walks(struct session *s, char *err, size_t errlen)
{
	const char *unfrozen;	/* why a stop for the last walk failed (it then runs on) */
	struct probed *before = NULL, *after = NULL, *first = NULL;
	struct picks only = { .n = 0 }, next = { .n = 0 };
	struct heads_probed heads = { .n = { 0 } };
	size_t nbefore = 0, nafter = 0, nfirst = 0, cap_runs = 0, i, kept;
	uint64_t stopped_at = 0;
	int r = 0, w, whole, settle_stop, stops = 0, at_stop;
	long missed = 0;

	reset_rows(s);
	s->census_unsettled = 0;
	/* Walks after the CENSUS_WALKS-th read only what the one before left unkept. */
	for (w = 0;; w++) {
		struct census c = { .scope = s->no_probes ? CENSUS_ALL : CENSUS_PROBED,
				    .deadline_ns = s->walk_deadline_ns };
		int last = w >= CENSUS_WALKS || s->frozen || !s->skel;
		uint64_t now = mono_ns(), cpu = cpu_ns(), walk = begin_walk(s);
		void *np;

		at_stop = stopped_at != 0;
		free(heads.v[0]);
		free(heads.v[1]);
		heads = (struct heads_probed){ .s = s, .stopped_at = &stopped_at };
		if (w >= CENSUS_WALKS) {
			qsort(only.v, only.n, sizeof(*only.v), cmp_pick);
			c.only = only.v;
			c.nonly = only.n;
			if (s->skel) {
				c.around_heads = around_heads;
				c.caller = &heads;
			}
		}
		if (s->skel && !(before = c.only ? read_probed_picks(s, c.only, c.nonly, &nbefore)
						  : read_probed(s, &nbefore))) {
			snprintf(err, errlen, "cannot read the BPF maps: %s", strerror(errno));
			r = EXIT_FAILURE_;
			break;
		}
		if ((r = s->walker->census(s->wc, &c, err, errlen))) {
			census_free(&c);
			break;
		}
		/* A walker that reads heads apart stops the target only for those reads. */
		settle_stop = last && !at_stop && s->skel &&
			      (heads.used || cpu_ns() - cpu < SETTLE_STOP_WALK_NS);
		/* Some probed calls come just after the change they stand for (a defer popped,
		 * then its function called): a moment lets such a probe land before the map
		 * is read again, so a change the walk saw is never one the map missed. */
		if (s->skel && !s->frozen)
			usleep(CENSUS_SETTLE_US);
		if (s->skel && !(after = c.only ? read_probed_picks(s, c.only, c.nonly, &nafter)
						 : read_probed(s, &nafter)))
			goto oom;
		if (!c.only) {
			snprintf(s->census_warning, sizeof(s->census_warning), "%s", c.warning);
			s->walk_partial = c.partial;
		}
		if (!w && set_states(s, &c, walk, now))
			goto oom;
		if (!(np = realloc(s->rows, (s->nrows + c.ncoros + 1) * sizeof(*s->rows))))
			goto oom;
		s->rows = np;
		kept = s->nrows;
		next.n = 0;
		for (i = 0; i < c.ncoros; i++) {
			const struct census_coro *co = &c.coros[i];
			const struct probed *b = s->skel ? probed_of(before, nbefore, co->id) : NULL;
			const struct probed *a = s->skel ? probed_of(after, nafter, co->id) : NULL;
			const struct probed *f = s->skel ? probed_of(first, nfirst, co->id) : NULL;
			const struct probed *e = a;	/* the entry as of what the walk read */
			int still = seq_of(a) == seq_of(b);
			/* Executing when read, with events since the census began: its last
			 * event's probe may have fired before its change was made. Read again,
			 * at another settling stop if this was one. */
			int busy = on_cpu(co) && seq_of(a) != seq_of(f);

			if (heads.used && !heads.failed) {
				const struct probed *hb = probed_of(heads.v[0], heads.n[0], co->id);
				const struct probed *ha = probed_of(heads.v[1], heads.n[1], co->id);

				/* Still around its head's read, and since then only defers made
				 * (each adds one to seq and pending, and leaves the records
				 * below as they were): its chain is the one at that read. */
				still = seq_of(hb) == seq_of(ha) && (!ha || a) &&
					(int64_t)(seq_of(a) - seq_of(ha)) == pending_of(a) - pending_of(ha);
				e = ha;
			}

			if (busy && (!at_stop || stops + 1 < SETTLE_STOPS))
				still = 0;
			/* Its chain cut short: read while the target changed it. */
			if (co->cut)
				still = 0;

			/* Kept from an earlier walk (those rows are sorted). */
			if (bsearch(&(struct census_row){ .id = co->id }, s->rows, kept,
				    sizeof(*s->rows), cmp_row))
				continue;
			if (!still && (!last || settle_stop || at_stop)) {
				if (pick(&next, co))
					goto oom;
				continue;
			}
			/* Kept busy at the last stop: maybe inside an event. */
			s->census_unsettled += !still || busy;
			if (keep_row(s, co, e, now, &cap_runs))
				goto oom;
		}
		/* Sorted by id, for session_row() in the next walk and in the model. */
		qsort(s->rows, s->nrows, sizeof(*s->rows), cmp_row);
		missed = s->skel && s->walker->walks_links ? pick_missed(s, &c, after, nafter, &next) : 0;
		if (missed < 0)
			goto oom;
		if (!w) {
			s->census_conns = c.nconns;
			keep_pools(s, &c);
		}
		s->census_walks = w + 1;
		whole = (!c.warning[0] || c.partial) && !missed;
		census_free(&c);
		if (!w) {
			first = before;
			nfirst = nbefore;
		} else {
			free(before);
		}
		free(after);
		before = after = NULL;
		{
			struct picks t = only;

			only = next;
			next = t;
		}
		if (at_stop) {
			/* A settling stop: the target runs again between two. */
			end_stop(s, &stopped_at);
			if (!only.n || ++stops >= SETTLE_STOPS)
				break;
			usleep(SETTLE_GAP_US);
			settle_stop = 1;
		}
		if (last && only.n && settle_stop && !freeze(s->t.pid, &unfrozen)) {
			s->frozen = 1;
			stopped_at = mono_ns();
			continue;
		}
		if (last || (whole && !only.n) || (w + 1 >= CENSUS_WALKS && !only.n))
			break;
		continue;
oom:
		census_free(&c);
		snprintf(err, errlen, "out of memory for the census (%zu coroutines)", c.ncoros);
		r = EXIT_FAILURE_;
		break;
	}
	free(before);
	free(after);
	free(first);
	free(only.v);
	free(next.v);
	free(heads.v[0]);
	free(heads.v[1]);
	end_stop(s, &stopped_at);
	/* Missed by the last walk too: their census part is not known. */
	s->census_unsettled += missed > 0 ? missed : 0;
	if (!r)
		s->census_coros = s->nrows;
	return r;
}

/* Connections out of their pools at attach, with their holders: the probes will see
 * them come back. A holder no longer alive makes the connection an orphan. */
/* The census's connections out go in the probes' map, so a put finds its holder; the
 * pools' counts they add stay here (the handlers update those counts as they run). */
static int seed_conns(struct session *s)
{
	int pfd = bpf_map__fd(s->skel->maps.pools), cfd = bpf_map__fd(s->skel->maps.conns);
	uint64_t now = mono_ns();
	size_t i, j;

	if (!(s->seeded = calloc(s->nconns + s->npools + 1, sizeof(*s->seeded))))
		return -1;
	for (i = 0; i < s->nconns; i++) {
		struct census_conn *k = &s->conns[i];
		struct conn_key ck = { .tgid = s->t.pid, .conn = k->conn };
		struct pool_key pk = { .tgid = s->t.pid, .pool = k->pool };
		struct conn_hold h = { .pool = k->pool, .co = k->co, .get_ns = now, .site = k->site };
		struct pool_stats ps = {};

		h.orphan = !session_row(s, k->co);
		/* A connection the probes saw taken already is theirs. */
		if (bpf_map_update_elem(cfd, &ck, &h, BPF_NOEXIST))
			continue;
		bpf_map_update_elem(pfd, &pk, &ps, BPF_NOEXIST);
		for (j = 0; j < s->nseeded && s->seeded[j].pool != k->pool; j++)
			;
		s->seeded[j].pool = k->pool;
		s->seeded[j].out++;
		s->seeded[j].orphans += h.orphan;
		s->nseeded += j == s->nseeded;
	}
	/* Out of a pool and held by none the census found: out all the same (database/sql
	 * does not say who took a connection), and orphans where the walk tells holders
	 * (as codefer-dump counts them; a framework pool makes connections without its
	 * channel, which no probe sees). */
	for (i = 0; i < s->npools; i++) {
		const struct census_pool *cp = &s->pools[i];
		struct pool_key pk = { .tgid = s->t.pid, .pool = cp->pool };
		struct pool_stats ps = {};
		int64_t listed = 0, unlisted;

		for (j = 0; j < s->nconns; j++)
			listed += s->conns[j].pool == cp->pool;
		if (!(unlisted = census_pool_unlisted(cp, listed)))
			continue;
		for (j = 0; j < s->nseeded && s->seeded[j].pool != cp->pool; j++)
			;
		bpf_map_update_elem(pfd, &pk, &ps, BPF_NOEXIST);
		s->seeded[j].pool = cp->pool;
		s->seeded[j].out += unlisted;
		s->seeded[j].unnamed = unlisted;
		s->seeded[j].unnamed_orphans = !cp->holders_unknown;
		s->seeded[j].orphans += cp->holders_unknown ? 0 : unlisted;
		s->nseeded += j == s->nseeded;
	}
	qsort(s->seeded, s->nseeded, sizeof(*s->seeded), cmp_u64);
	return 0;
}

static int cmp_timer_id(const void *a, const void *b)
{
	return cmp_u64(&((const struct census_timer *)a)->id,
		       &((const struct census_timer *)b)->id);
}

/* plan.timers_probed: the census's timers go in the probes' map, which keeps the pending
 * ones from then on (one the probes saw armed already is theirs; one that ended since
 * attach left a tombstone there, which keeps it out). */
static void seed_timers(struct session *s)
{
	int fd = bpf_map__fd(s->skel->maps.timers);
	size_t i;

	s->census_timers = s->timers;
	s->ncensus_timers = s->ntimers;
	s->timers = NULL;
	s->ntimers = 0;
	qsort(s->census_timers, s->ncensus_timers, sizeof(*s->census_timers), cmp_timer_id);
	for (i = 0; i < s->ncensus_timers; i++) {
		struct timer_key k = { .tgid = s->t.pid, .id = s->census_timers[i].id };
		struct timer_val v = { .site = s->census_timers[i].site };

		if (k.id)
			bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);
	}
}

/* plan.timers_probed: s->timers (sorted by id) from the probes' map, with the census's
 * kind and captures of a timer it read (else the runtime reads the captures of its
 * callable, once: the last refresh's entry is kept), plus the census's callbacks no probe
 * follows (no id); tombstones, of use only while seeding, go. 0, or -1 out of memory. */
static int read_timers(struct session *s)
{
	int fd = bpf_map__fd(s->skel->maps.timers);
	struct timer_key cur, next, *prev = NULL, *dead = NULL;
	struct census c = { 0 };
	struct census_timer key, *tm, *ct;
	size_t i, ndead = 0;
	struct timer_val v;
	void *np;

	for (i = 0; i < s->ncensus_timers && !s->census_timers[i].id; i++) {
		if (!(tm = census_add_timer(&c)))
			goto oom;
		*tm = s->census_timers[i];
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		cur = next;
		prev = &cur;
		if (bpf_map_lookup_elem(fd, &cur, &v))
			continue;
		if (!v.site.kind && !v.site.addr) {
			if (!(np = realloc(dead, (ndead + 1) * sizeof(*dead))))
				goto oom;
			dead = np;
			dead[ndead++] = cur;
			continue;
		}
		key = (struct census_timer){ .id = cur.id, .kind = "timer" };
		if (!(ct = bsearch(&key, s->census_timers, s->ncensus_timers, sizeof(*ct),
				   cmp_timer_id)))
			ct = bsearch(&key, s->timers, s->ntimers, sizeof(*ct), cmp_timer_id);
		if (!(tm = census_add_timer(&c)))
			goto oom;
		*tm = ct ? *ct : key;
		tm->site = v.site;	/* the line that armed it, when a probe saw it */
		if (!ct && v.callable && s->rt->callback_captures)
			s->rt->callback_captures(&s->rc, v.callable, tm);
	}
	qsort(c.timers, c.ntimers, sizeof(*c.timers), cmp_timer_id);
	/* Deleted after the walk: a key gone from under get_next_key restarts it. */
	for (i = 0; i < ndead; i++)
		bpf_map_delete_elem(fd, &dead[i]);
	free(dead);
	free(s->timers);
	s->timers = c.timers;
	s->ntimers = c.ntimers;
	return 0;
oom:
	free(dead);
	census_free(&c);
	return -1;
}

static int take_census(struct session *s, char *err, size_t errlen)
{
	int r;

	/* Without a census the probes still work: say so in the header, carry on. */
	if ((r = census_walks(s, err, errlen))) {
		if (r == EXIT_FAILURE_)
			return r;
		snprintf(s->census_warning, sizeof(s->census_warning), "census failed: %.200s", err);
		return 0;
	}
	s->census_done = 1;
	if (s->no_probes)
		return 0;
	if (s->plan.timers_probed)
		seed_timers(s);
	r = seed_conns(s);
	free(s->conns);
	s->conns = NULL;
	s->nconns = 0;
	if (r) {
		snprintf(err, errlen, "cannot seed the BPF maps with the census's connections: %s",
			 strerror(errno));
		return EXIT_FAILURE_;
	}
	return 0;
}

static int cmp_unprobed(const void *a, const void *b)
{
	const struct unprobed *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return memcmp(&x->site, &y->site, sizeof(x->site));
}

static void set_living(struct session *s, const struct census *c)
{
	uint64_t *ids = malloc((c->ncoros + 1) * sizeof(*ids));
	size_t i;

	if (!ids)
		return;
	for (i = 0; i < c->ncoros; i++)
		ids[i] = c->coros[i].id;
	qsort(ids, c->ncoros, sizeof(*ids), cmp_u64);
	free(s->living);
	s->living = ids;
	s->nliving = c->ncoros;
	s->living_complete = 1;
}

/* Re-reads what no probe sees (s->unprobed, s->living, pools and stale state), when the
 * runtime has such; at most a tenth of the time (a fiftieth for pools and stale state
 * alone): a slow walk keeps its last result for longer. */
static void session_unprobed(struct session *s)
{
	uint64_t start = mono_ns(), walk;
	struct census c = { .scope = CENSUS_UNPROBED };
	struct unprobed *u = NULL;
	size_t n = 0, total = 0, i, j;
	char err[256];

	/* Walks that only refresh what the probes cannot see (pools' own figures, state kept
	 * for ended coroutines: rewalks_heap) take at most a fiftieth. */
	uint64_t duty = s->walker && !s->walker->has_unprobed && !s->walker->exits_unprobed ? 50 : 10;

	if (!s->walker || s->no_walks ||
	    !(s->walker->has_unprobed || s->walker->exits_unprobed || s->walker->rewalks_heap) ||
	    (!s->walk_every && s->unprobed_ns && start - s->unprobed_ns < duty * s->unprobed_cost_ns))
		return;
	s->living_complete = 0;
	walk = begin_walk(s);
	if (!s->walker->census(s->wc, &c, err, sizeof(err))) {
		for (i = 0; i < c.ncoros; i++)
			total += c.coros[i].ndefers;
		u = calloc(total + 1, sizeof(*u));
		if (s->walker->exits_unprobed && !c.warning[0])
			set_living(s, &c);
		set_states(s, &c, walk, start);
		/* The pools' own figures as they are now, and pools opened since attach (and
		 * where the probes only say who holds what, the only figures). */
		if (!c.warning[0]) {
			qsort(c.pools, c.npools, sizeof(*c.pools), cmp_u64);
			TAKE(s->pools, s->npools, c.pools, c.npools, c.cap_pools);
		}
		/* Who holds what and the state kept for ended coroutines, as they are now. */
		keep_site_skips(s, &c);
		if (s->walker->rewalks_heap && !c.warning[0]) {
			TAKE(s->conns, s->nconns, c.conns, c.nconns, c.cap_conns);
			TAKE(s->stale, s->nstale, c.stale, c.nstale, c.cap_stale);
			s->heap_rewalked = 1;
		}
	}
	for (i = 0; u && i < c.ncoros; i++)
		for (j = 0; j < c.coros[i].ndefers; j++)
			u[n++] = (struct unprobed){ .id = c.coros[i].id,
						    .site = c.coros[i].defers[j].site, .n = 1 };
	if (n)
		qsort(u, n, sizeof(*u), cmp_unprobed);
	/* One entry per (coroutine, site). */
	for (i = j = 0; i < n; i++) {
		if (j && !cmp_unprobed(&u[j - 1], &u[i]))
			u[j - 1].n++;
		else
			u[j++] = u[i];
	}
	census_free(&c);
	free(s->unprobed);
	s->unprobed = u;
	s->nunprobed = j;
	s->unprobed_defers = u ? total : 0;
	s->unprobed_ns = start;
	s->unprobed_cost_ns = mono_ns() - start;
	s->unprobed_walks++;
}

/* ---- probes ---- */

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

/* Automatic room stops here: a map's buckets take 16 bytes an entry at load. */
#define MAX_ROOM (1u << 24)

/* Room in the coroutine map for a target with n coroutines now: the default, or n and a
 * quarter more when that is more (the census's coroutines take room once they do
 * something; a full map loses events). Deep defers keep their default room. */
static uint32_t room_for(size_t n)
{
	size_t want = n + n / 4;

	return want > MAX_COROS ? (want < MAX_ROOM ? want : MAX_ROOM) : MAX_COROS;
}

/* The maps keyed by coroutine, sized for n coroutines (the others keep their size). */
static void size_maps(struct codefer_bpf *skel, uint32_t n)
{
	bpf_map__set_max_entries(skel->maps.coros, n);
	bpf_map__set_max_entries(skel->maps.defer_stack, n * 4 > n ? n * 4 : n);
}

static struct bpf_program *program_for(struct codefer_bpf *skel, enum event_kind kind)
{
	switch (kind) {
	case EV_CREATE: return skel->progs.on_create;
	case EV_DEFER: return skel->progs.on_defer;
	case EV_DEFER_RUN: return skel->progs.on_defer_run;
	case EV_EXIT: return skel->progs.on_exit;
	case EV_POOL_GET: return skel->progs.on_pool_get;
	case EV_POOL_PUT: return skel->progs.on_pool_put;
	case EV_SAVE: return skel->progs.on_save;
	case EV_TOUCH: return skel->progs.on_touch;
	case EV_TIMER_ADD:
	case EV_TIMER_DONE: return skel->progs.on_timer;
	case EV_POOL_OPEN: return skel->progs.on_pool_open;
	default: return NULL;
	}
}

/* One uprobe_multi link per program and module: the kernel takes a plan's points of one
 * event kind in a file in one call, and gives them back in one (a uprobe apiece costs it
 * about half a second each way on these machines). */
static int attach_probes(struct session *s, char *err, size_t errlen)
{
	int fd = bpf_map__fd(s->skel->maps.probe_cfgs), i, j;
	unsigned long offs[MAX_PROBES];
	char linked[MAX_PROBES] = { 0 };
	__u64 cookies[MAX_PROBES];

	for (i = 0; i < s->plan.n; i++) {
		__u32 key = i;

		if (!program_for(s->skel, s->plan.pts[i].cfg.kind) ||
		    bpf_map_update_elem(fd, &key, &s->plan.pts[i].cfg, BPF_ANY)) {
			snprintf(err, errlen, "%s: bad probe configuration", s->plan.pts[i].desc);
			return EXIT_FAILURE_;
		}
	}
	for (i = 0; i < s->plan.n; i++) {
		struct probe_point *pt = &s->plan.pts[i];
		struct bpf_program *prog = program_for(s->skel, pt->cfg.kind);
		LIBBPF_OPTS(bpf_uprobe_multi_opts, opts, .offsets = offs, .cookies = cookies);

		if (linked[i])
			continue;
		for (j = i; j < s->plan.n; j++)
			if (!linked[j] && s->plan.pts[j].mod == pt->mod &&
			    program_for(s->skel, s->plan.pts[j].cfg.kind) == prog) {
				offs[opts.cnt] = s->plan.pts[j].file_off;
				cookies[opts.cnt++] = j;
				linked[j] = 1;
			}
		s->links[s->nlinks] = bpf_program__attach_uprobe_multi(prog, s->t.pid,
								       pt->mod->open_path, NULL, &opts);
		if (!s->links[s->nlinks]) {
			/* ENOTSUPP (524, no libc text): the kernel cannot probe that instruction. */
			const char *why = errno == 524 ? "the kernel cannot probe that instruction"
						       : strerror(errno);

			if (opts.cnt == 1)
				snprintf(err, errlen, "cannot attach a uprobe at %s in %s: %s",
					 pt->desc, pt->mod->path, why);
			else
				snprintf(err, errlen, "cannot attach the uprobes at %s and %zu more "
					 "in %s: %s", pt->desc, opts.cnt - 1, pt->mod->path, why);
			return EXIT_FAILURE_;
		}
		s->nlinks++;
	}
	return 0;
}

/* A coroutine ended: its census part, if any, goes with it. */
static int on_exit_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct exit_event *e = data;
	struct census_row *r;

	if (size < sizeof(*e) || !(r = session_row(s, e->id)) || r->gone)
		return 0;
	r->gone = 1;
	s->ngone++;
	/* Its id taken by a coroutine born since: it ended, and no probe counted it. */
	s->exits_unseen += e->reused;
	/* Its census defers still pending then (older ones ran while it lived). */
	if (r->base + e->low > 0)
		s->census_retired += r->base + e->low;
	return 0;
}

/* Drops the census rows of coroutines that ended (when some did: a refresh with no end
 * does not touch the rows). */
static void drop_gone(struct session *s)
{
	size_t i, j;

	if (!s->ngone)
		return;
	s->ngone = 0;
	for (i = j = 0; i < s->nrows; i++)
		if (!s->rows[i].gone)
			s->rows[j++] = s->rows[i];
	s->nrows = j;
}

/* exits_unprobed: a coroutine that two complete walks in a row did not list, seen
 * before the first of them began, has ended: its probes' entry and its census row go.
 * Returns how many went. */
static int retire_unlisted(struct session *s)
{
	int fd = bpf_map__fd(s->skel->maps.coros), gone = 0, deleted = 0;
	size_t n = 0, nretired = 0, nprobed = 0, i, cap;
	uint64_t *unlisted = NULL, *retired = NULL;
	struct probed *p = NULL;

	if (!s->walker || !s->walker->exits_unprobed || s->unprobed_walks == s->walks_judged)
		return 0;
	s->walks_judged = s->unprobed_walks;
	/* A walk cut short proves nothing: start over. */
	if (s->living_complete && (p = read_probed(s, &nprobed))) {
		cap = nprobed + s->nrows + 1;
		unlisted = malloc(cap * sizeof(*unlisted));
		retired = malloc(cap * sizeof(*retired));
	}
	if (!unlisted || !retired) {
		free(p);
		free(unlisted);
		free(retired);
		s->nunlisted = 0;
		return 0;
	}
	for (i = 0; i < nprobed + s->nrows; i++) {
		int probed = i < nprobed;
		struct census_row *row = probed ? NULL : &s->rows[i - nprobed];
		uint64_t id = probed ? p[i].id : row->id;
		uint64_t first = probed ? p[i].first_ns : row->first_ns;
		struct coro_key key = { .tgid = s->t.pid, .id = id };

		if ((row && row->gone) || first >= s->unprobed_ns ||
		    bsearch(&id, s->living, s->nliving, sizeof(id), cmp_u64))
			continue;
		if (!bsearch(&id, s->unlisted, s->nunlisted, sizeof(id), cmp_u64)) {
			unlisted[n++] = id;
			continue;
		}
		if (row) {
			row->gone = 1;
			s->ngone++;
		} else if (bpf_map_delete_elem(fd, &key)) {
			continue;
		} else {
			deleted = 1;
		}
		retired[nretired++] = id;
	}
	free(p);
	/* No handler says so on `changed`: the next refresh reads the map whole. */
	if (deleted)
		__atomic_store_n(&s->skel->bss->changes_lost, 1, __ATOMIC_SEQ_CST);
	qsort(unlisted, n, sizeof(*unlisted), cmp_u64);
	free(s->unlisted);
	s->unlisted = unlisted;
	s->nunlisted = n;
	/* One end per coroutine, whether it had an entry, a census row or both. */
	qsort(retired, nretired, sizeof(*retired), cmp_u64);
	for (i = 0; i < nretired; i++)
		gone += !i || retired[i] != retired[i - 1];
	free(retired);
	s->exits_unseen += gone;
	return gone;
}

/* Carries the rows of `old` that the (partial) walk did not reach into the session. */
static int carry_over(struct session *s, const struct census_row *old, size_t nold,
		      const struct site_run *oldruns)
{
	size_t i, j, n = s->nrows, extra = 0;
	void *np;

	for (i = 0; i < nold; i++)
		extra += old[i].nruns;
	if (!(np = realloc(s->rows, (n + nold + 1) * sizeof(*s->rows))))
		return -1;
	s->rows = np;
	if (!(np = realloc(s->runs, (s->nruns + extra + 1) * sizeof(*s->runs))))
		return -1;
	s->runs = np;
	for (i = 0; i < nold; i++) {
		if (bsearch(&old[i], s->rows, n, sizeof(*s->rows), cmp_row))
			continue;
		s->rows[s->nrows] = old[i];
		s->rows[s->nrows].runs = s->nruns;
		for (j = 0; j < old[i].nruns; j++)
			s->runs[s->nruns++] = oldruns[old[i].runs + j];
		s->nrows++;
	}
	qsort(s->rows, s->nrows, sizeof(*s->rows), cmp_row);
	return 0;
}

/* --no-probes: a new walk replaces the census, stopped after budget_s. */
static void session_walk(struct session *s, double budget_s)
{
	struct census_row *old = s->rows;
	struct site_run *oldruns = s->runs;
	size_t nold = s->nrows, i, j;
	uint64_t start = mono_ns();
	char err[256];

	s->rows = NULL;
	s->runs = NULL;
	s->nrows = s->nruns = 0;
	s->walk_deadline_ns = budget_s > 0 ? start + (uint64_t)(budget_s * 1e9) : 0;
	if (census_walks(s, err, sizeof(err))) {
		snprintf(s->census_warning, sizeof(s->census_warning), "walk failed: %.200s", err);
		reset_rows(s);
		s->rows = old;
		s->runs = oldruns;
		s->nrows = nold;
		goto out;
	}
	if (s->walk_partial) {
		if (carry_over(s, old, nold, oldruns))
			snprintf(s->census_warning, sizeof(s->census_warning), "out of memory");
	} else if (s->unprobed_walks) {
		/* Ids that came and went between two complete walks. */
		for (i = j = 0; i < s->nrows || j < nold; ) {
			if (j == nold || (i < s->nrows && s->rows[i].id < old[j].id)) {
				s->walk_created++;
				i++;
			} else if (i == s->nrows || old[j].id < s->rows[i].id) {
				s->exits_unseen++;
				j++;
			} else {
				/* Still there: it keeps when it was first seen. */
				s->rows[i].first_ns = old[j].first_ns;
				i++, j++;
			}
		}
	}
	free(old);
	free(oldruns);
out:
	s->unprobed_ns = start;
	s->unprobed_cost_ns = mono_ns() - start;
	s->unprobed_walks++;
}

int session_refresh(struct session *s, double walk_budget_s)
{
	if (!s->skel) {
		session_walk(s, walk_budget_s);
		return 0;
	}
	session_unprobed(s);
	if (ring_buffer__consume(s->exits) < 0 || (s->plan.timers_probed && read_timers(s)))
		return -1;
	retire_unlisted(s);
	drop_gone(s);
	return 0;
}

int session_attach(struct session *s, const struct attach_opts *o, char *err, size_t errlen)
{
	const char *why = "";
	struct stat ns;
	struct bpf_program *prog;
	uint64_t t0;
	int r;

	s->no_walks = o->no_census;
	s->no_probes = o->no_probes;
	s->walk_every = getenv("CODEFER_WALK_EVERY") && !strcmp(getenv("CODEFER_WALK_EVERY"), "1");
	if (s->no_probes) {
		if (!s->walker) {
			snprintf(err, errlen, "--no-probes needs a walker: runtime %s has none",
				 s->rt->name);
			return EXIT_USAGE;
		}
		s->attach_ns = mono_ns();
		return 0;	/* the first refresh walks */
	}
	libbpf_set_print(o->verbose ? print_libbpf : NULL);
	if (!(s->skel = codefer_bpf__open())) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return EXIT_FAILURE_;
	}
	s->skel->rodata->targ_tgid = s->t.pid;
	/* In a pid namespace other than the first (PROC_PID_INIT_INO), pids are its own. */
	if (!stat("/proc/self/ns/pid", &ns) && ns.st_ino != 0xeffffffcu) {
		s->skel->rodata->pidns_dev = ns.st_dev;
		s->skel->rodata->pidns_ino = ns.st_ino;
	}
	s->skel->rodata->exits_unprobed = s->walker && s->walker->exits_unprobed;
	if (o->max_coroutines)
		size_maps(s->skel, o->max_coroutines);
	else if (s->walker && s->wc && s->walker->population)
		bpf_map__set_max_entries(s->skel->maps.coros, room_for(s->walker->population(s->wc)));
	bpf_object__for_each_program(prog, s->skel->obj)
		bpf_program__set_expected_attach_type(prog, BPF_TRACE_UPROBE_MULTI);
	if (codefer_bpf__load(s->skel)) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (a 6.6+ kernel with BTF, bpf_loop "
			 "and uprobe_multi needed; -v shows the verifier's log)", strerror(errno));
		return errno == EPERM ? EXIT_NOT_ROOT : EXIT_FAILURE_;
	}
	t0 = mono_ns();
	s->frozen = o->freeze && !freeze(s->t.pid, &why);
	if (o->freeze && !s->frozen)
		snprintf(s->freeze_failed, sizeof(s->freeze_failed), "--freeze: the target was not "
			 "stopped: %s; the census was taken while it ran", why);
	/* Probes first: from here on nothing is missed, and the census is reconciled with
	 * what they saw while it walked. */
	r = attach_probes(s, err, errlen);
	s->attach_ns = mono_ns();
	__atomic_store_n(&s->skel->bss->probes_on, 1, __ATOMIC_SEQ_CST);
	if (!r && !(s->exits = ring_buffer__new(bpf_map__fd(s->skel->maps.exits), on_exit_event,
						 s, NULL))) {
		snprintf(err, errlen, "cannot read the BPF ring buffer: %s", strerror(errno));
		r = EXIT_FAILURE_;
	}
	if (!r && s->walker && !o->no_census)
		r = take_census(s, err, errlen);
	__atomic_store_n(&s->skel->bss->census_done, 1, __ATOMIC_SEQ_CST);
	release();
	if (s->frozen)
		s->stall_ns = mono_ns() - t0;
	/* Whatever failed then (a uprobe on a file the exiting process no longer maps), it
	 * is the target's exit that says why. */
	if (!target_alive(&s->t)) {
		snprintf(err, errlen, "process %d %s during attach", s->t.pid, target_gone_how(&s->t));
		r = EXIT_TARGET_GONE;
	}
	return r;
}

void session_close(struct session *s)
{
	int i;

	for (i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	ring_buffer__free(s->exits);
	codefer_bpf__destroy(s->skel);
	reset_rows(s);
	free(s->unlisted);
	free_states(s);
	free(s->unprobed);
	free(s->living);
	free(s->seeded);
	free(s->pools);
	free(s->conns);
	free(s->timers);
	free(s->census_timers);
	free(s->stale);
	if (s->wc == &s->walker_own)
		rt_close(&s->walker_own);
	rt_close(&s->rc);
	target_close(&s->t);
	memset(s, 0, sizeof(*s));
}
