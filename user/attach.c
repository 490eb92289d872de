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

int session_open(struct session *s, const struct attach_opts *o, char *err, size_t errlen)
{
	char looked_for[1024];
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = target_open_pid(&s->t, o->pid, err, errlen)))
		return r;
	s->ropts.probe_specs = o->probe_specs;
	s->ropts.nprobe_specs = o->nprobe_specs;
	if (o->runtime) {
		if (!(s->rt = runtime_by_name(o->runtime))) {
			snprintf(err, errlen, "unknown runtime '%s' (go, swoole, php-fiber, lua, luajit, "
				 "ucoro, native)", o->runtime);
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

/* Seizes and interrupts every thread, rescanning until no new one appears. 0, or -1
 * (then nothing stays stopped) when the process cannot be traced (already traced...). */
static int freeze(pid_t pid)
{
	char path[64];
	int found = 1, status;

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
				closedir(dir);
				release();
				return -1;
			}
			if (!(p = realloc(stopped, (nstopped + 1) * sizeof(*stopped)))) {
				closedir(dir);
				release();
				return -1;
			}
			stopped = p;
			stopped[nstopped].tid = tid;
			stopped[nstopped].sig = 0;
			if (waitpid(tid, &status, __WALL) == tid && WIFSTOPPED(status) &&
			    status >> 16 != PTRACE_EVENT_STOP && WSTOPSIG(status) != SIGTRAP)
				stopped[nstopped].sig = WSTOPSIG(status);
			nstopped++;
			found = 1;
		}
		closedir(dir);
	}
	return 0;
}

/* ---- seeding the maps from the census ---- */

static int cmp_state(const void *a, const void *b)
{
	const struct census_state *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Writes n entries in batches (one syscall per many), falling back to single updates. */
static int put_many(int fd, const void *keys, size_t ksz, const void *vals, size_t vsz, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t done = 0;

	while (done < n) {
		__u32 count = n - done > 65536 ? 65536 : n - done;

		if (bpf_map_update_batch(fd, (const char *)keys + done * ksz,
					 (const char *)vals + done * vsz, &count, &opts)) {
			size_t i;

			for (i = done; i < n; i++)
				if (bpf_map_update_elem(fd, (const char *)keys + i * ksz,
							(const char *)vals + i * vsz, BPF_ANY))
					return -1;
			return 0;
		}
		done += count;
	}
	return 0;
}

struct seed {
	struct coro_key *ck;
	struct coro *cv;
	struct defer_key *dk;
	struct site *dv;
	struct coro_site_key *sk;
	__s64 *sv;
	size_t nd, ns;
};

/* The census's states, read at `ns`: they stand for coroutines with no event since. */
static int set_states(struct session *s, const struct census *c, uint64_t ns)
{
	struct census_state *st = calloc(c->ncoros + 1, sizeof(*st));
	size_t i;

	if (!st)
		return -1;
	for (i = 0; i < c->ncoros; i++) {
		st[i].id = c->coros[i].id;
		snprintf(st[i].state, sizeof(st[i].state), "%s", c->coros[i].state);
	}
	qsort(st, c->ncoros, sizeof(*st), cmp_state);
	free(s->states);
	s->states = st;
	s->nstates = c->ncoros;
	s->states_ns = ns;
	return 0;
}

static int seed_coros(struct session *s, struct census *c, struct seed *z)
{
	uint64_t now = mono_ns();
	size_t i, j, total = 0;

	for (i = 0; i < c->ncoros; i++)
		total += c->coros[i].ndefers;
	z->ck = calloc(c->ncoros + 1, sizeof(*z->ck));
	z->cv = calloc(c->ncoros + 1, sizeof(*z->cv));
	z->dk = calloc(total + 1, sizeof(*z->dk));
	z->dv = calloc(total + 1, sizeof(*z->dv));
	z->sk = calloc(total + 1, sizeof(*z->sk));
	z->sv = calloc(total + 1, sizeof(*z->sv));
	if (!z->ck || !z->cv || !z->dk || !z->dv || !z->sk || !z->sv || set_states(s, c, now))
		return -1;
	for (i = 0; i < c->ncoros; i++) {
		struct census_coro *co = &c->coros[i];
		struct coro *v = &z->cv[i];
		size_t first_site = z->ns;

		z->ck[i] = (struct coro_key){ .tgid = s->t.pid, .id = co->id };
		v->first_ns = v->last_ns = now;
		if (co->age_ns >= 0 && (uint64_t)co->age_ns < now)
			v->created_ns = now - co->age_ns;
		v->pending = v->peak = co->ndefers;
		v->registered = co->ndefers;
		v->conns = co->conns_held;
		v->create_site = co->create_site;
		v->flags = CF_CENSUS;
		for (j = 0; j < co->ndefers; j++) {
			const struct site *at = &co->defers[j].site;
			size_t k;

			z->dk[z->nd] = (struct defer_key){ .tgid = s->t.pid, .depth = j, .id = co->id };
			z->dv[z->nd++] = *at;
			/* Few distinct sites per coroutine: a linear search is enough. */
			for (k = first_site; k < z->ns; k++)
				if (!memcmp(&z->sk[k].site, at, sizeof(*at)))
					break;
			if (k == z->ns) {
				z->sk[k] = (struct coro_site_key){ .tgid = s->t.pid, .id = co->id, .site = *at };
				z->ns++;
			}
			z->sv[k]++;
		}
	}
	if (put_many(bpf_map__fd(s->skel->maps.coros), z->ck, sizeof(*z->ck), z->cv, sizeof(*z->cv),
		     c->ncoros) ||
	    put_many(bpf_map__fd(s->skel->maps.defer_stack), z->dk, sizeof(*z->dk), z->dv,
		     sizeof(*z->dv), z->nd) ||
	    put_many(bpf_map__fd(s->skel->maps.coro_sites), z->sk, sizeof(*z->sk), z->sv,
		     sizeof(*z->sv), z->ns))
		return -1;
	s->census_coros = c->ncoros;
	s->census_defers = z->nd;
	return 0;
}

static int is_census_live(const struct session *s, uint64_t id)
{
	struct census_state key = { .id = id };

	return bsearch(&key, s->states, s->nstates, sizeof(key), cmp_state) != NULL;
}

/* Connections out of their pools, with their holders; a holder no longer alive makes
 * the connection an orphan. */
static int seed_conns(struct session *s, struct census *c)
{
	int pfd = bpf_map__fd(s->skel->maps.pools), cfd = bpf_map__fd(s->skel->maps.conns);
	uint64_t now = mono_ns();
	size_t i;

	for (i = 0; i < c->nconns; i++) {
		struct census_conn *k = &c->conns[i];
		struct conn_key ck = { .tgid = s->t.pid, .conn = k->conn };
		struct pool_key pk = { .tgid = s->t.pid, .pool = k->pool };
		struct conn_hold h = { .pool = k->pool, .co = k->co, .get_ns = now, .site = k->site };
		struct pool_stats ps = {};

		h.orphan = !is_census_live(s, k->co);
		bpf_map_lookup_elem(pfd, &pk, &ps);
		ps.outstanding++;
		if (ps.outstanding > ps.peak)
			ps.peak = ps.outstanding;
		ps.orphans += h.orphan;
		if (bpf_map_update_elem(pfd, &pk, &ps, BPF_ANY) ||
		    bpf_map_update_elem(cfd, &ck, &h, BPF_ANY))
			return -1;
	}
	s->census_conns = c->nconns;
	return 0;
}

static int take_census(struct session *s, char *err, size_t errlen)
{
	struct census c = { .scope = CENSUS_PROBED };
	struct seed z = {};
	int r = 0;

	/* Without a census the probes still work: say so in the header, carry on. */
	if (s->walker->census(s->wc, &c, err, errlen)) {
		snprintf(s->census_warning, sizeof(s->census_warning), "census failed: %.200s", err);
		census_free(&c);
		return 0;
	}
	snprintf(s->census_warning, sizeof(s->census_warning), "%s", c.warning);
	if (seed_coros(s, &c, &z) || seed_conns(s, &c)) {
		snprintf(err, errlen, "cannot seed the BPF maps with the census (%zu coroutines): %s",
			 c.ncoros, strerror(errno));
		r = EXIT_FAILURE_;
	}
	s->census_done = !r;
	free(z.ck);
	free(z.cv);
	free(z.dk);
	free(z.dv);
	free(z.sk);
	free(z.sv);
	census_free(&c);
	return r;
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

void session_unprobed(struct session *s)
{
	uint64_t start = mono_ns();
	struct census c = { .scope = CENSUS_UNPROBED };
	struct unprobed *u = NULL;
	size_t n = 0, total = 0, i, j;
	char err[256];

	if (!s->walker || s->no_walks || !(s->walker->has_unprobed || s->walker->exits_unprobed) ||
	    (s->unprobed_ns && start - s->unprobed_ns < 10 * s->unprobed_cost_ns))
		return;
	s->living_complete = 0;
	if (!s->walker->census(s->wc, &c, err, sizeof(err))) {
		for (i = 0; i < c.ncoros; i++)
			total += c.coros[i].ndefers;
		u = calloc(total + 1, sizeof(*u));
		if (s->walker->exits_unprobed && !c.warning[0])
			set_living(s, &c);
		set_states(s, &c, start);
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
	default: return NULL;
	}
}

static int attach_probes(struct session *s, char *err, size_t errlen)
{
	int fd = bpf_map__fd(s->skel->maps.probe_cfgs), i;

	for (i = 0; i < s->plan.n; i++) {
		struct probe_point *pt = &s->plan.pts[i];
		struct bpf_program *prog = program_for(s->skel, pt->cfg.kind);
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = i);
		__u32 key = i;

		if (!prog || bpf_map_update_elem(fd, &key, &pt->cfg, BPF_ANY)) {
			snprintf(err, errlen, "%s: bad probe configuration", pt->desc);
			return EXIT_FAILURE_;
		}
		s->links[i] = bpf_program__attach_uprobe_opts(prog, s->t.pid, pt->mod->open_path,
							      pt->file_off, &opts);
		if (!s->links[i]) {
			snprintf(err, errlen, "cannot attach a uprobe at %s in %s: %s", pt->desc,
				 pt->mod->path, strerror(errno));
			return EXIT_FAILURE_;
		}
		s->nlinks = i + 1;
	}
	return 0;
}

int session_attach(struct session *s, const struct attach_opts *o, char *err, size_t errlen)
{
	int r;

	libbpf_set_print(NULL);
	if (!(s->skel = codefer_bpf__open())) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return EXIT_FAILURE_;
	}
	s->skel->rodata->targ_tgid = s->t.pid;
	if (codefer_bpf__load(s->skel)) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (kernel with BTF, bpf_loop "
			 "and uprobe cookies needed)", strerror(errno));
		return errno == EPERM ? EXIT_NOT_ROOT : EXIT_FAILURE_;
	}
	s->frozen = !o->no_freeze && !freeze(s->t.pid);
	s->no_walks = o->no_census;
	r = 0;
	if (s->walker && !o->no_census)
		r = take_census(s, err, errlen);
	s->attach_ns = mono_ns();
	if (!r)
		r = attach_probes(s, err, errlen);
	release();
	if (!r && !target_alive(&s->t)) {
		snprintf(err, errlen, "process %d exited during attach", s->t.pid);
		r = EXIT_TARGET_GONE;
	}
	return r;
}

void session_close(struct session *s)
{
	int i;

	for (i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
	codefer_bpf__destroy(s->skel);
	s->skel = NULL;
	free(s->states);
	s->states = NULL;
	free(s->unprobed);
	s->unprobed = NULL;
	s->nunprobed = 0;
	free(s->living);
	s->living = NULL;
	if (s->wc == &s->walker_own)
		rt_close(&s->walker_own);
	rt_close(&s->rc);
	target_close(&s->t);
}
