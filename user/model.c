// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Snapshots of the BPF maps (see model.h). Each refresh reads the coroutine, site, pool
 * and connection maps with batch lookups (a few syscalls for 100,000 coroutines), then
 * joins them in user space by sorting. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "codefer.skel.h"
#include "escape.h"
#include "model.h"


static const char *const verdicts[] = { "ok", "holding", "piling", "growing" };
static const char *const sort_keys[] = { "pending", "conns", "age", "growth" };
static const char *const site_kinds[] = { "defer", "conn", "create" };
static const char *const counters[C__COUNT] = {
	[C_EVENTS] = "events", [C_CREATED] = "created", [C_EXITED] = "exited",
	[C_DEFERS_REGISTERED] = "defers_registered", [C_DEFERS_RUN] = "defers_run",
	[C_DEFERS_RUN_AT_EXIT] = "defers_retired_at_exit",
	[C_DEFERS_RUN_UNSEEN] = "defers_run_unseen", [C_GETS] = "gets", [C_PUTS] = "puts",
	[C_ORPHANED] = "orphaned", [C_COND_SKIPPED] = "cond_skipped", [C_LOST_READ] = "lost_read",
	[C_LOST_MAP_FULL] = "lost_map_full", [C_LOST_NO_CFG] = "lost_no_cfg",
	[C_LOST_TRUNCATED] = "lost_truncated", [C_LOST_EXITS] = "lost_exits",
};

void model_id_text(const struct model *m, uint64_t id, char *buf, size_t len)
{
	if (m->s->plan.ids_per_thread)
		snprintf(buf, len, "%u:%u", (uint32_t)(id >> 32), (uint32_t)id);
	else
		snprintf(buf, len, m->s->rt->id_is_number ? "%llu" : "0x%llx",
			 (unsigned long long)id);
}

const char *verdict_name(enum verdict v)
{
	return verdicts[v];
}

const char *sort_key_name(enum sort_key k)
{
	return sort_keys[k];
}

const char *site_kind_name(enum site_row_kind k)
{
	return site_kinds[k];
}

const char *counter_name(enum counter c)
{
	return counters[c];
}

void model_init(struct model *m, struct session *s, const struct thresholds *th)
{
	memset(m, 0, sizeof(*m));
	m->s = s;
	m->th = *th;
	m->sites.t = &s->t;
	m->sites.rc = &s->rc;
}

/* ---- reading maps ---- */

static void sum_counters(struct model *m, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(m->s->skel->maps.counters), i, k;
	struct counter_block *b = calloc(ncpu > 0 ? ncpu : 1, sizeof(*b));
	__u32 key = 0;

	memset(out, 0, C__COUNT * sizeof(*out));
	if (b && ncpu > 0 && !bpf_map_lookup_elem(fd, &key, b))
		for (i = 0; i < ncpu; i++)
			for (k = 0; k < C__COUNT; k++)
				out[k] += b[i].n[k];
	free(b);
}

/* ---- joins ---- */

/* One site of a coroutine's pending defers (raw_sites: keys, with counts as values). */
struct coro_site_key {
	uint64_t id;
	struct site site;
};

static int cmp_pool_key(const void *a, const void *b)
{
	const struct pool_key *x = a, *y = b;

	return x->pool < y->pool ? -1 : x->pool > y->pool;
}

static int cmp_hold_co(const void *a, const void *b)
{
	const struct hold *x = a, *y = b;

	return x->co < y->co ? -1 : x->co > y->co;
}

/* The pool's index in the (sorted) pools map, or -1. */
static long pool_index(const struct raw_map *pools, uint64_t pool)
{
	struct pool_key key = { .pool = pool };
	const struct pool_key *k = bsearch(&key, pools->keys, pools->n, sizeof(key), cmp_pool_key);

	return k ? k - (const struct pool_key *)pools->keys : -1;
}

static const struct pool_stats *pool_of(const struct raw_map *pools, uint64_t pool)
{
	long i = pool_index(pools, pool);

	return i < 0 ? NULL : &((const struct pool_stats *)pools->vals)[i];
}

/* A walk finds pools by their own structures: with no probes, every hold counts. */
/* session.pools and session.seeded start with the pool's address, and are sorted by it. */
static const struct census_pool *walked_pool(const struct session *s, uint64_t pool)
{
	return bsearch(&pool, s->pools, s->npools, sizeof(*s->pools), cmp_u64);
}

/* A pool counts (a channel is no mere queue) when a walk found it by its own structures
 * or, with no probes, always; else once something taken from it came back. */
static int pool_counts(const struct model *m, uint64_t pool, const struct pool_stats *ps)
{
	return !m->s->skel || walked_pool(m->s, pool) ||
	       (ps && (!m->s->plan.pools_need_round_trip || (ps->flags & POOL_ROUND_TRIP)));
}

static enum verdict judge(const struct model *m, const struct coro_row *r, uint64_t now)
{
	if (r->c.pending > r->base_pending && now - r->base_ns >= m->th.growth_s * 1e9)
		return V_GROWING;
	if (r->c.pending >= m->th.pile)
		return V_PILING;
	if (r->conns_held > 0 && r->hold_s >= m->th.hold_s)
		return V_HOLDING;
	return V_OK;
}

/* Per site index, figures of one kind; grown to the table's size. */
static int64_t *grow_site_counts(int64_t **v, size_t *cap, size_t n)
{
	if (!n)
		n = 1;
	if (n > *cap) {
		int64_t *p = realloc(*v, n * sizeof(*p));

		if (!p)
			return NULL;
		memset(p + *cap, 0, (n - *cap) * sizeof(*p));
		*v = p;
		*cap = n;
	}
	return *v;
}

/* Per-site figures with room for n sites (called per row: the common case inline). */
static inline int64_t *site_counts(int64_t **v, size_t *cap, size_t n)
{
	return *v && n <= *cap ? *v : grow_site_counts(v, cap, n);
}

static int add_site_rows(struct model *m, struct snapshot *snap, int64_t *per[SK__COUNT])
{
	size_t n = m->sites.n, i;
	int k;

	for (k = 0; k < SK__COUNT; k++)
		if (!site_counts(&m->site_prev[k], &m->site_prev_cap[k], n))
			return -1;
	free(snap->sites);
	snap->nsites = 0;
	if (!(snap->sites = calloc(SK__COUNT * n + 1, sizeof(*snap->sites))))
		return -1;
	for (k = 0; k < SK__COUNT; k++)
		for (i = 0; i < n; i++) {
			if (per[k][i] || m->site_prev[k][i])
				snap->sites[snap->nsites++] = (struct site_row){
					.kind = k, .site = i, .pending = per[k][i],
					.delta = per[k][i] - m->site_prev[k][i],
				};
			m->site_prev[k][i] = per[k][i];
		}
	return 0;
}

static const struct site_tab *site_rows_tab;

/* By kind, then the rule every site ranking follows (site_tab_better). */
static int cmp_site_row(const void *a, const void *b)
{
	const struct site_row *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->pending != y->pending)
		return x->pending > y->pending ? -1 : 1;
	return strcmp(site_rows_tab->names[x->site].text, site_rows_tab->names[y->site].text);
}

/* Per site index, one coroutine's pending defers (few distinct sites each): its pick. */
struct row_sites {
	size_t idx[16];
	int64_t n[16];
	int len;
};

/* Counts n pending defers at site idx for the row being built: in its contributions to
 * the site totals and, when rs, in its pick. */
static int add_row_site(struct model *m, struct row_sites *rs, size_t idx, int64_t n)
{
	int i;

	if (idx == SITE_TAB_OOM)
		return -1;
	if (m->ncontrib == m->cap_contrib) {
		size_t cap = m->cap_contrib ? 2 * m->cap_contrib : 4096;
		struct contrib *c = realloc(m->contrib, cap * sizeof(*c));

		if (!c)
			return -1;
		m->contrib = c;
		m->cap_contrib = cap;
	}
	m->contrib[m->ncontrib++] = (struct contrib){ .site = idx, .n = n };
	if (!rs)
		return 0;
	for (i = 0; i < rs->len && rs->idx[i] != idx; i++)
		;
	if (i == rs->len) {
		if (rs->len == 16)	/* more distinct sites than that: the top one is in them */
			i = 15;
		else
			rs->idx[rs->len++] = idx, rs->n[i] = 0;
	}
	rs->n[i] += n;
	return 0;
}

static size_t named(struct model *m, size_t *cache, const struct site *s)
{
	if (*cache == SITE_UNNAMED)
		*cache = site_tab_index(&m->sites, s);
	return *cache;
}

/* Calls fn for each run of the census's defers still pending in coroutine r: the bottom
 * of its stack, above the probes' lowest point (see struct coro). Stops at fn's non-zero. */
static int census_runs(const struct model *m, const struct coro_row *r,
		       int (*fn)(void *arg, struct site_run *run, int64_t n), void *arg)
{
	struct census_row *cr = r->census;
	int64_t left = cr ? cr->base + r->c.low : 0, n;
	size_t q;
	int ret;

	for (q = 0; cr && q < cr->nruns && left > 0; q++) {
		struct site_run *run = &m->s->runs[cr->runs + q];

		n = run->n < left ? run->n : left;
		left -= n;
		if ((ret = fn(arg, run, n)))
			return ret;
	}
	return 0;
}

struct row_fn {
	int (*fn)(void *arg, const struct site *s, int64_t n);
	void *arg;
};

static int run_to_site(void *arg, struct site_run *run, int64_t n)
{
	struct row_fn *f = arg;

	return f->fn(f->arg, &run->site, n);
}

int model_row_sites(struct model *m, const struct coro_row *r,
		    int (*fn)(void *arg, const struct site *s, int64_t n), void *arg)
{
	const struct coro_site_key *sk = m->raw_sites.keys;
	const __s64 *sv = m->raw_sites.vals;
	const struct session *s = m->s;
	struct row_fn f = { fn, arg };
	size_t i;
	int ret;

	for (i = 0; i < m->raw_sites.n; i++)
		if (sk[i].id == r->id && (ret = fn(arg, &sk[i].site, sv[i])))
			return ret;
	for (i = 0; i < s->nunprobed; i++)
		if (s->unprobed[i].id == r->id && (ret = fn(arg, &s->unprobed[i].site, s->unprobed[i].n)))
			return ret;
	return census_runs(m, r, run_to_site, &f);
}

struct row_add {
	struct model *m;
	struct row_sites *rs;	/* NULL: the pick is known, only the contributions */
};

static int add_census_run(void *arg, struct site_run *run, int64_t n)
{
	struct row_add *a = arg;

	return add_row_site(a->m, a->rs, named(a->m, &run->name, &run->site), n);
}

/* What one row is made of, found in the sources (all sorted by id). */
struct row_in {
	const struct coro *probed;	/* the probes' entry, or NULL */
	struct census_row *cr;		/* the census's row, or NULL */
	const struct census_state *st;	/* what the last walk read of it, or NULL */
	const struct unprobed *u;	/* its pending defers no probe sees */
	size_t nu;
	const struct coro_site_key *sk;	/* its pending defers the probes saw, by site */
	const __s64 *sv;
	size_t nsk;
	const struct hold *h;		/* the connections it holds */
	size_t nh;
	const struct coro_row *prev;	/* itself at the previous refresh, or NULL */
};

/* Row r's pending defers per site (its contributions, from m->ncontrib on) and its
 * site: where most of them are, else where it was created. */
static int row_sites(struct model *m, struct coro_row *r, const struct row_in *in)
{
	struct census_row *cr = r->census;
	struct row_sites rs = { .len = 0 };
	struct row_add add = { m, &rs };
	/* A census coroutine that nothing has touched since: its sites are the census's
	 * at every refresh, and so is its pick among them. */
	int quiet = cr && !r->probed && !in->nu;
	int64_t best = 0;
	size_t i;

	r->contrib = m->ncontrib;
	r->site = SITE_TAB_OOM;
	if (quiet && cr->top_site != SITE_UNNAMED) {
		add.rs = NULL;
		if (census_runs(m, r, add_census_run, &add))
			return -1;
		r->site = cr->top_site;
	} else {
		for (i = 0; i < in->nsk; i++)
			if (add_row_site(m, &rs, site_tab_index(&m->sites, &in->sk[i].site), in->sv[i]))
				return -1;
		for (i = 0; i < in->nu; i++)
			if (add_row_site(m, &rs, site_tab_index(&m->sites, &in->u[i].site), in->u[i].n))
				return -1;
		if (census_runs(m, r, add_census_run, &add))
			return -1;
		for (i = 0; i < (size_t)rs.len; i++)
			if (site_tab_better(&m->sites, rs.n[i], rs.idx[i], best, r->site)) {
				r->site = rs.idx[i];
				best = rs.n[i];
			}
		if (quiet)
			cr->top_site = r->site;
	}
	r->ncontrib = m->ncontrib - r->contrib;
	r->create_idx = SITE_TAB_OOM;
	if (!r->c.create_site.kind && !r->c.create_site.addr)
		return 0;
	r->create_idx = cr && !memcmp(&cr->create_site, &r->c.create_site, sizeof(struct site))
			? named(m, &cr->create_name, &cr->create_site)
			: site_tab_index(&m->sites, &r->c.create_site);
	if (r->site == SITE_TAB_OOM)
		r->site = r->create_idx;
	return r->create_idx == SITE_TAB_OOM ? -1 : 0;
}

/* Adds (sign 1) or takes off (sign -1) what row r counts in the per-site totals. */
static int row_totals(struct model *m, const struct coro_row *r, int sign)
{
	const struct contrib *c = &m->contrib[r->contrib];
	size_t i;
	int k;

	for (k = 0; k < SK__COUNT; k++)
		if (!site_counts(&m->site_now[k], &m->site_now_cap[k], m->sites.n))
			return -1;
	for (i = 0; i < r->ncontrib; i++)
		m->site_now[SK_DEFER][c[i].site] += sign * c[i].n;
	if (r->create_idx != SITE_TAB_OOM)
		m->site_now[SK_CREATE][r->create_idx] += sign;
	m->live_contrib = sign > 0 ? m->live_contrib + r->ncontrib : m->live_contrib - r->ncontrib;
	return 0;
}

/* The per-site figures: the rows' defers and creations as kept, the connections out
 * counted again (few). */
static int build_sites(struct model *m, struct snapshot *snap, struct hold *holds, size_t nholds)
{
	size_t i, idx;
	int k, r;

	for (k = 0; k < SK__COUNT; k++)
		if (!site_counts(&m->site_now[k], &m->site_now_cap[k], m->sites.n))
			return -1;
	memset(m->site_now[SK_CONN], 0, m->site_now_cap[SK_CONN] * sizeof(int64_t));
	for (i = 0; i < nholds; i++) {
		if (!holds[i].counted)
			continue;
		if ((idx = site_tab_index(&m->sites, &holds[i].site)) == SITE_TAB_OOM ||
		    !site_counts(&m->site_now[SK_CONN], &m->site_now_cap[SK_CONN], m->sites.n))
			return -1;
		m->site_now[SK_CONN][idx]++;
	}
	for (k = 0; k < SK__COUNT; k++)
		if (!site_counts(&m->site_now[k], &m->site_now_cap[k], m->sites.n))
			return -1;
	r = add_site_rows(m, snap, m->site_now);
	site_rows_tab = &m->sites;
	qsort(snap->sites, snap->nsites, sizeof(*snap->sites), cmp_site_row);
	return r;
}

static const struct seeded_pool *seeded_of(const struct session *s, uint64_t pool)
{
	return bsearch(&pool, s->seeded, s->nseeded, sizeof(*s->seeded), cmp_u64);
}

void model_pool_id(const struct pool_row *p, char *buf, size_t len)
{
	if (p->walked && p->walked->name[0])
		tty_str(buf, len, p->walked->name);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)p->pool);
}

void model_pool_opened(const struct model *m, const struct pool_row *p, char *buf, size_t len)
{
	if (p->opened == SITE_TAB_OOM || p->opened >= m->sites.n)
		snprintf(buf, len, "opened before attach");
	else
		snprintf(buf, len, "opened at %s", m->sites.names[p->opened].text);
}

int model_opens_watched(const struct session *s)
{
	int i;

	for (i = 0; !s->no_probes && i < s->plan.n; i++)
		if (s->plan.pts[i].cfg.kind == EV_POOL_OPEN)
			return 1;
	return 0;
}

static int holder_alive(struct model *m, uint64_t id);

double model_held_s(uint64_t now, uint64_t get_ns)
{
	if (!get_ns)
		return -1;
	return get_ns < now ? (now - get_ns) / 1e9 : 0;
}

/* Is connection conn one the probes (or the census's seeding) know out? */
static int conn_known(const struct hold *holds, size_t nholds, uint64_t conn)
{
	size_t i;

	for (i = 0; i < nholds; i++)
		if (holds[i].conn == conn)
			return 1;
	return 0;
}

/* A pool the walks at snapshots read again (rewalks_heap): out is what it says now. Those
 * out beyond what the probes saw taken were made without its channel (a framework pool
 * makes one when the channel is empty): held where the walk finds a live holder, orphans
 * otherwise, as codefer-dump and --no-probes count them. */
static void rewalked_pool(struct model *m, struct pool_row *p, const struct census_pool *w,
			  const struct hold *holds, size_t nholds)
{
	int64_t out = w->open - w->idle, unseen = out - p->s.outstanding, held = 0;
	size_t i;

	for (i = 0; unseen > 0 && i < m->s->nconns; i++) {
		const struct census_conn *k = &m->s->conns[i];

		held += k->pool == p->pool && holder_alive(m, k->co) &&
			!conn_known(holds, nholds, k->conn);
	}
	if (!w->holders_unknown && unseen > held)
		p->s.orphans += unseen - held;
	p->s.outstanding = out;
	if (p->s.orphans > out)
		p->s.orphans = out > 0 ? out : 0;
	if (out > p->s.peak)
		p->s.peak = out;
}

static int build_pools(struct model *m, struct snapshot *snap, struct hold *holds, size_t nholds)
{
	const struct seeded_pool *seeded;
	const struct pool_key *pk = m->raw_pools.keys;
	const struct pool_stats *pv = m->raw_pools.vals;
	const struct hold **oldests = calloc(m->raw_pools.n + 1, sizeof(*oldests));
	int64_t *late = calloc(m->raw_pools.n + 1, sizeof(*late));
	const struct session *s = m->s;
	size_t i;

	free(snap->pools);
	snap->npools = 0;
	if (!oldests || !late ||
	    !(snap->pools = calloc(m->raw_pools.n + s->npools + 1, sizeof(*snap->pools)))) {
		free(oldests);
		free(late);
		return -1;
	}
	for (i = 0; i < nholds; i++) {
		long p = pool_index(&m->raw_pools, holds[i].pool);

		if (p >= 0 && (!oldests[p] || holds[i].get_ns < oldests[p]->get_ns))
			oldests[p] = &holds[i];
		if (p >= 0)
			late[p] += holds[i].late_orphan;
	}
	/* Pools whose figures the walks read: the probes' one stands for them all. */
	for (i = 0; !s->plan.pools_walked && i < m->raw_pools.n; i++) {
		struct pool_row *p = &snap->pools[snap->npools];
		const struct hold *oldest = oldests[i];

		if (!pool_counts(m, pk[i].pool, &pv[i])) {
			snap->tot.queues++;
			continue;
		}
		p->pool = pk[i].pool;
		p->s = pv[i];
		p->s.orphans += late[i];
		if ((seeded = seeded_of(s, p->pool))) {
			/* Unknown puts return the census's unnamed connections first. */
			int64_t back = p->s.puts_unknown < (uint64_t)seeded->unnamed ?
				       (int64_t)p->s.puts_unknown : seeded->unnamed;

			p->s.outstanding += seeded->out - back;
			p->s.orphans += seeded->orphans - (seeded->unnamed_orphans ? back : 0);
			if (p->s.peak + seeded->out > p->s.peak)
				p->s.peak += seeded->out;
		}
		p->oldest_hold_s = oldest ? model_held_s(snap->ns, oldest->get_ns) : -1;
		p->site = oldest ? site_tab_index(&m->sites, &oldest->site) : SITE_TAB_OOM;
		p->opened = p->s.open_site.kind ? site_tab_index(&m->sites, &p->s.open_site)
						: SITE_TAB_OOM;
		p->walked = walked_pool(s, p->pool);
		if (s->heap_rewalked && p->walked)
			rewalked_pool(m, p, p->walked, holds, nholds);
		snap->tot.conns_outstanding += p->s.outstanding > 0 ? p->s.outstanding : 0;
		snap->tot.conns_orphaned += p->s.orphans > 0 ? p->s.orphans : 0;
		snap->npools++;
	}
	/* Pools only a walk found (no probe saw them used), or all with pools_walked: out
	 * is what they say. */
	for (i = 0; i < s->npools; i++) {
		const struct census_pool *w = &s->pools[i];
		struct pool_row *p = &snap->pools[snap->npools];
		const struct hold *oldest = NULL;
		int64_t listed = 0;
		size_t h;

		if (!s->plan.pools_walked && pool_index(&m->raw_pools, w->pool) >= 0)
			continue;
		*p = (struct pool_row){ .pool = w->pool, .walked = w, .oldest_hold_s = -1,
					.site = SITE_TAB_OOM, .opened = SITE_TAB_OOM };
		p->s.outstanding = p->s.peak = w->open - w->idle;
		for (h = 0; h < nholds; h++) {
			if (holds[h].pool != w->pool)
				continue;
			listed++;
			p->s.orphans += holds[h].orphan;
			if (holds[h].get_ns && (!oldest || holds[h].get_ns < oldest->get_ns))
				oldest = &holds[h];
		}
		if (oldest) {
			p->oldest_hold_s = model_held_s(snap->ns, oldest->get_ns);
			p->site = site_tab_index(&m->sites, &oldest->site);
		} else if (w->site.kind || w->site.addr) {
			p->site = site_tab_index(&m->sites, &w->site);
		}
		/* --no-probes: connections out that no hold lists (a framework pool's made
		 * without its channel, kept nowhere a walk looks) are orphans, as codefer-dump
		 * counts them. With probes, the census's were seeded at attach (seed_conns). */
		if (!s->skel && !w->holders_unknown)
			p->s.orphans += census_pool_unlisted(w, listed);
		snap->tot.conns_outstanding += p->s.outstanding > 0 ? p->s.outstanding : 0;
		snap->tot.conns_orphaned += p->s.orphans;
		snap->npools++;
	}
	free(oldests);
	free(late);
	return 0;
}

/* Was the coroutine `id` that took a connection at get_ns born after it? Then it is a
 * new coroutine at the address of the one that took it (Lua's ids are addresses, which
 * the GC hands out again): that one has ended. */
static int born_after(const struct model *m, uint64_t id, uint64_t get_ns)
{
	const struct coro_key key = { .id = id }, *k;

	k = bsearch(&key, m->coro_sync.coros.keys, m->coro_sync.coros.n, sizeof(key), cmp_coro_key);
	return k && ((const struct coro *)m->coro_sync.coros.vals)[k - (const struct coro_key *)
							      m->coro_sync.coros.keys].created_ns > get_ns;
}

/* Is coroutine id alive: an entry of the probes' or a census row? */
static int holder_alive(struct model *m, uint64_t id)
{
	const struct coro_key key = { .id = id };

	return bsearch(&key, m->coro_sync.coros.keys, m->coro_sync.coros.n, sizeof(key), cmp_coro_key) ||
	       session_row(m->s, id);
}

/* Connections out, sorted by holder: as the probes saw them, or as the runtime says
 * they are now (conn_now), which drops from the map those whose object is gone. */
static struct hold *collect_holds(struct model *m, size_t *n)
{
	const struct conn_key *ck = m->raw_conns.keys;
	const struct conn_hold *cv = m->raw_conns.vals;
	struct hold *h = calloc(m->raw_conns.n + 1, sizeof(*h));
	struct session *s = m->s;
	size_t i, k = 0;
	int r;

	if (!h)
		return NULL;
	for (i = 0; i < m->raw_conns.n; i++) {
		h[k] = (struct hold){
			.conn = ck[i].conn, .co = cv[i].co, .pool = cv[i].pool,
			.get_ns = cv[i].get_ns, .site = cv[i].site, .orphan = cv[i].orphan,
		};
		if (s->skel && s->rt->conn_now &&
		    (r = s->rt->conn_now(&s->rc, ck[i].conn, cv[i].co, &h[k].pool, &h[k].orphan))) {
			if (r < 0)
				bpf_map_delete_elem(bpf_map__fd(s->skel->maps.conns), &ck[i]);
			continue;
		}
		h[k].reused = h[k].get_ns && born_after(m, h[k].co, h[k].get_ns);
		/* A holder the census read ends with no probes' entry counting its
		 * connections: they are orphans all the same. */
		h[k].orphan |= h[k].reused || !holder_alive(m, h[k].co);
		h[k].late_orphan = h[k].orphan && !cv[i].orphan;
		h[k].counted = pool_counts(m, h[k].pool, pool_of(&m->raw_pools, h[k].pool));
		k++;
	}
	qsort(h, k, sizeof(*h), cmp_hold_co);
	*n = k;
	return h;
}

/* Adds what the census read of a coroutine born before attach to its probes' entry. */
static void add_census(struct coro_row *r, struct census_row *cr, int probed)
{
	r->census = cr;
	r->wait_site = cr->wait_site;
	r->c.pending += cr->base;
	r->c.registered += cr->base > 0 ? cr->base : 0;
	r->c.peak = probed ? r->c.peak + cr->base : cr->base;
	if (!r->c.created_ns)
		r->c.created_ns = cr->created_ns;
	if (!probed || cr->first_ns < r->c.first_ns)
		r->c.first_ns = cr->first_ns;
	if (!r->c.create_site.kind && !r->c.create_site.addr)
		r->c.create_site = cr->create_site;
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Does row r show what p showed (age_s aside; the verdict is judged after)? p's owner
 * may be read only while the walk's states it points to are kept (states_kept). */
static int row_same(const struct coro_row *p, const struct coro_row *r, int states_kept)
{
	return p->c.pending == r->c.pending && p->c.registered == r->c.registered &&
	       p->c.run == r->c.run && p->c.peak == r->c.peak && p->delta == r->delta &&
	       p->conns_held == r->conns_held && p->hold_s == r->hold_s && p->site == r->site &&
	       !p->census == !r->census &&
	       !memcmp(&p->c.create_site, &r->c.create_site, sizeof(struct site)) &&
	       !memcmp(&p->wait_site, &r->wait_site, sizeof(struct site)) &&
	       !strcmp(p->state_was, r->state_was) &&
	       (states_kept ? same_text(p->owner, r->owner) : !p->owner && !r->owner);
}

/* Builds row r from its sources, and counts it in the site totals. Its previous self
 * hands it its text. */
static int build_row(struct model *m, struct coro_row *r, uint64_t id, const struct row_in *in,
		     uint64_t now, int states_kept)
{
	const struct census_state *st = in->st;
	const struct coro_row *p = in->prev;
	uint64_t oldest = 0;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->id = id;
	if (in->probed) {
		r->c = (struct coro_counts){
			.created_ns = in->probed->created_ns, .first_ns = in->probed->first_ns,
			.last_walk = in->probed->last_walk, .pending = in->probed->pending,
			.low = in->probed->low, .registered = in->probed->registered,
			.run = in->probed->run, .peak = in->probed->peak,
			.create_site = in->probed->create_site,
		};
		r->probed = 1;
		r->seq = in->probed->seq;
		r->seen_ns = in->probed->first_ns;
	}
	if (in->cr)
		add_census(r, in->cr, r->probed);
	if (st && r->c.last_walk < m->s->states_walk) {
		r->state = st->state;
		/* Parked where the walk found it (newer than the attach census's, and the
		 * only one for a coroutine born since: walks that read frames say it). */
		if (st->wait.kind || st->wait.addr)
			r->wait_site = st->wait;
		_Static_assert(sizeof(r->state_was) == sizeof(st->state), "a state's text");
		memcpy(r->state_was, st->state, sizeof(r->state_was));
	} else {
		r->state = "live";
		strcpy(r->state_was, "live");
	}
	r->owner = st ? st->owner : NULL;
	/* A creation the probes saw with no site (luajit2 readying a thread for reuse):
	 * the site a walk since read, as for a coroutine from before attach. */
	if (!r->c.create_site.kind && !r->c.create_site.addr && st &&
	    r->c.created_ns <= m->s->states_ns)
		r->c.create_site = st->body;
	/* Pending defers no probe sees count as pending too. */
	for (i = 0; i < in->nu; i++)
		r->c.pending += in->u[i].n;
	if (r->c.pending > r->c.peak)
		r->c.peak = r->c.pending;
	for (i = 0; i < in->nh; i++) {
		if (in->h[i].orphan || !in->h[i].counted)
			continue;
		r->conns_held++;
		if (!oldest || in->h[i].get_ns < oldest)
			oldest = in->h[i].get_ns;
	}
	r->hold_s = oldest ? model_held_s(now, oldest) : 0;
	/* Growth: against the previous snapshot. */
	r->delta = p ? r->c.pending - p->c.pending : 0;
	if (p && r->delta >= 0) {
		r->base_pending = p->base_pending;
		r->base_ns = p->base_ns;
	} else {
		r->base_pending = r->c.pending;
		r->base_ns = now;
	}
	if (row_sites(m, r, in) || row_totals(m, r, 1))
		return -1;
	if (p) {
		r->verdict = p->verdict;
		r->same = row_same(p, r, states_kept);
		r->json = p->json;
		r->json_len = p->json_len;
		r->json_age = p->json_age;
		r->json_at = p->json_at;
	}
	return 0;
}

/* What every row needs at every refresh: its age, its verdict, and whether it shows as
 * before. */
static void finish_row(const struct model *m, struct snapshot *snap, struct coro_row *r,
		       uint64_t now)
{
	uint64_t born = r->c.created_ns ? r->c.created_ns : r->c.first_ns;
	enum verdict v;

	/* A birth the runtime does not keep, or one on another clock, is unknown. */
	r->age_s = born && born <= now ? (now - born) / 1e9 : -1;
	v = judge(m, r, now);
	r->same &= v == r->verdict;
	r->verdict = v;
	snap->nchanged += !r->same;
	snap->tot.defers_pending += r->c.pending > 0 ? r->c.pending : 0;
}

/* The elements of a sorted array whose u64 at key_off is id, from *cur on (advanced to
 * them): how many. */
static size_t run_of(const void *base, size_t n, size_t size, size_t key_off, size_t *cur,
		     uint64_t id)
{
	const char *b = base;
	uint64_t k;
	size_t i;

	for (; *cur < n; ++*cur) {
		memcpy(&k, b + *cur * size + key_off, sizeof(k));
		if (k >= id)
			break;
	}
	for (i = *cur; i < n; i++) {
		memcpy(&k, b + i * size + key_off, sizeof(k));
		if (k != id)
			break;
	}
	return i - *cur;
}

/* The first element of a sorted array whose u64 at key_off is not below id. */
static size_t lower_bound(const void *base, size_t n, size_t size, size_t key_off, uint64_t id)
{
	size_t lo = 0, hi = n;
	uint64_t k;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		memcpy(&k, (const char *)base + mid * size + key_off, sizeof(k));
		if (k < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Cursors into the sources of the rows, which are all sorted by id. */
struct row_cursors {
	size_t st, u, sk, h;
};

/* The sources of the row `id` but its probes' entry and census row. */
static void find_inputs(const struct model *m, struct row_cursors *c, const struct hold *holds,
			size_t nholds, uint64_t id, struct row_in *in)
{
	const struct session *s = m->s;

	in->st = run_of(s->states, s->nstates, sizeof(*s->states),
			offsetof(struct census_state, id), &c->st, id) ? &s->states[c->st] : NULL;
	in->nu = run_of(s->unprobed, s->nunprobed, sizeof(*s->unprobed),
			offsetof(struct unprobed, id), &c->u, id);
	in->u = s->unprobed + c->u;
	in->nsk = run_of(m->raw_sites.keys, m->raw_sites.n, sizeof(*in->sk),
			 offsetof(struct coro_site_key, id), &c->sk, id);
	in->sk = (const struct coro_site_key *)m->raw_sites.keys + c->sk;
	in->sv = (const __s64 *)m->raw_sites.vals + c->sk;
	in->nh = run_of(holds, nholds, sizeof(*holds), offsetof(struct hold, co), &c->h, id);
	in->h = holds + c->h;
}

/* Every row afresh: the probes' entries and the census rows merged in id order, each
 * matched with its previous self (m->prev), whose text it takes. */
static int build_rows(struct model *m, struct snapshot *snap, const struct hold *holds,
		      size_t nholds, uint64_t now, int states_kept)
{
	const struct coro_key *keys = m->coro_sync.coros.keys;
	const struct coro *vals = m->coro_sync.coros.vals;
	struct snapshot *prev = &m->prev;
	struct session *s = m->s;
	struct row_cursors c = {};
	size_t i = 0, j = 0, p = 0, n = 0;
	int k;

	m->ncontrib = m->live_contrib = 0;
	for (k = 0; k < SK__COUNT; k++)
		if (m->site_now[k])
			memset(m->site_now[k], 0, m->site_now_cap[k] * sizeof(int64_t));
	while (i < m->coro_sync.coros.n || j < s->nrows) {
		uint64_t id = j == s->nrows || (i < m->coro_sync.coros.n && keys[i].id < s->rows[j].id)
			      ? keys[i].id : s->rows[j].id;
		struct row_in in = {};

		if (i < m->coro_sync.coros.n && keys[i].id == id)
			in.probed = &vals[i++];
		if (j < s->nrows && s->rows[j].id == id)
			in.cr = &s->rows[j++];
		find_inputs(m, &c, holds, nholds, id, &in);
		if (run_of(prev->coros, prev->ncoros, sizeof(*prev->coros),
			   offsetof(struct coro_row, id), &p, id))
			in.prev = &prev->coros[p];
		if (build_row(m, &snap->coros[n], id, &in, now, states_kept))
			return -1;
		if (in.prev)
			prev->coros[p].json = NULL;	/* taken */
		finish_row(m, snap, &snap->coros[n++], now);
	}
	snap->ncoros = n;
	for (p = 0; p < prev->ncoros; p++) {
		free(prev->coros[p].json);
		prev->coros[p].json = NULL;
	}
	return 0;
}

/* Can the rows stay where they are, with only those whose probes' entry or connections
 * changed built again, and those of coroutines that came or went put in or taken out
 * (edit_rows)? Not after a walk replaced the census (--no-probes), nor when rebuilt rows
 * left too much of m->contrib unused. An end drops census rows in place (drop_gone):
 * the census is the same array, shorter. */
static int rows_kept(const struct model *m)
{
	const struct snapshot *snap = &m->cur;
	const struct session *s = m->s;

	return snap->ns && s->skel && s->rows == m->built_census && s->nrows <= m->built_ncensus &&
	       m->ncontrib <= 2 * m->live_contrib + 65536;
}

#define ROW_GONE UINT32_MAX

/* A coroutine with no row: where its row goes, its id and its census row. */
struct came {
	uint32_t row;
	uint64_t id;
	struct census_row *census;
};

/* Where each row goes (to[i], or ROW_GONE) when the rows become those of the coroutines
 * alive now: those with an entry of the probes' or a census row, in id order; and the
 * coroutines with no row (to and came NULL: counts only). A row whose census row left
 * while its entry stays goes and comes again (built anew). How many rows that makes. */
static size_t plan_edits(const struct model *m, const struct snapshot *snap, uint32_t *to,
			 struct came *came, size_t *ngone, size_t *ncame)
{
	const struct coro_key *keys = m->coro_sync.coros.keys;
	struct session *s = m->s;
	size_t nkeys = m->coro_sync.coros.n, i = 0, e = 0, c = 0, w = 0;

	*ngone = *ncame = 0;
	while (i < snap->ncoros || e < nkeys) {
		const struct coro_row *r = i < snap->ncoros ? &snap->coros[i] : NULL;
		int entry = e < nkeys && (!r || keys[e].id <= r->id);
		uint64_t id = entry ? keys[e].id : r->id;
		int row = r && r->id == id, census;

		while (c < s->nrows && s->rows[c].id < id)
			c++;
		census = c < s->nrows && s->rows[c].id == id;
		if (row && (entry || census) && !r->census == !census) {
			if (to)
				to[i] = w;
			w++;
		} else {
			if (row && to)
				to[i] = ROW_GONE;
			*ngone += row;
			if (entry || census) {
				if (came)
					came[*ncame] = (struct came){
						.row = w, .id = id, .census = census ? &s->rows[c] : NULL,
					};
				++*ncame;
				w++;
			}
		}
		i += row;
		e += entry;
	}
	return w;
}

/* Room in snap->coros for n rows. 0 or -1. */
static int snap_room(struct snapshot *snap, size_t n)
{
	size_t cap = n * 5 / 4 + 16;
	void *p;

	if (n < snap->cap_coros)
		return 0;
	if (!(p = realloc(snap->coros, cap * sizeof(*snap->coros))))
		return -1;
	snap->coros = p;
	snap->cap_coros = cap;
	return 0;
}

/* The census rows left where they were, but those after a dropped one moved down: the
 * rows that have one point to it again. */
static void census_moved(struct model *m, struct snapshot *snap)
{
	struct session *s = m->s;
	size_t i, c = 0;

	for (i = 0; i < snap->ncoros; i++) {
		if (!snap->coros[i].census)
			continue;
		while (c + 1 < s->nrows && s->rows[c].id < snap->coros[i].id)
			c++;
		snap->coros[i].census = &s->rows[c];
	}
}

/* Makes the rows those of the coroutines alive now, in place: the rows of those that
 * went leave (taking their part of the site totals with them), each that came gets a
 * fresh row where its id belongs, for update_rows to build. The rows that stay keep
 * their text and, when every row was in order, their place in it. With ids that only
 * grow (Go, Swoole, ucoro), only the end of the array moves. 0 or -1. */
static int edit_rows(struct model *m, struct snapshot *snap)
{
	size_t n = snap->ncoros, nn, ngone, ncame, i, o;
	int full = snap->ordered_at && snap->norder == n, r = 0;
	int census_dropped = m->s->nrows != m->built_ncensus;
	struct came *came = NULL;
	uint32_t *to = NULL, *order;

	if (m->coro_sync.coros.n == m->built_nprobed && !m->coro_sync.last_moved &&
	    !m->coro_sync.last_whole && !census_dropped)
		return 0;	/* the same entries, the same census */
	nn = plan_edits(m, snap, NULL, NULL, &ngone, &ncame);
	if (!ngone && !ncame) {
		if (census_dropped)
			census_moved(m, snap);
		return 0;
	}
	if (!(to = malloc((n + 1) * sizeof(*to))) || !(came = malloc((ncame + 1) * sizeof(*came))) ||
	    snap_room(snap, nn) ||
	    (full && !(order = realloc(snap->order, ((nn > n ? nn : n) + 1) * sizeof(*order))))) {
		free(to);
		free(came);
		return -1;
	}
	if (full)
		snap->order = order;
	plan_edits(m, snap, to, came, &ngone, &ncame);
	for (i = 0; i < n; i++)
		if (to[i] == ROW_GONE) {
			r |= row_totals(m, &snap->coros[i], -1);
			free(snap->coros[i].json);
		}
	/* Rows move left first, in increasing order, then right, in decreasing order: as
	 * `to` grows with i, none is overwritten before it moved. */
	for (i = 0; i < n; i++)
		if (to[i] != ROW_GONE && to[i] < i)
			snap->coros[to[i]] = snap->coros[i];
	for (i = n; i-- > 0;)
		if (to[i] != ROW_GONE && to[i] > i)
			snap->coros[to[i]] = snap->coros[i];
	for (i = 0; i < ncame; i++)
		snap->coros[came[i].row] = (struct coro_row){
			.id = came[i].id, .census = came[i].census, .fresh = 1,
			.site = SITE_TAB_OOM, .create_idx = SITE_TAB_OOM,
		};
	snap->ncoros = nn;
	if (census_dropped)
		census_moved(m, snap);
	if (full) {
		for (i = o = 0; i < n; i++)
			if (to[snap->order[i]] != ROW_GONE)
				snap->order[o++] = to[snap->order[i]];
		for (i = 0; i < ncame; i++)
			snap->order[o++] = came[i].row;
		snap->norder = nn;
	} else {
		snap->ordered_at = 0;
	}
	free(to);
	free(came);
	return r;
}

/* After a walk: does row r show what it showed, by what the walk read of it (its state,
 * its defers no probe sees; `was`: the last walk's)? Then it takes the walk's state. A
 * row with an owner, or with no create site of its own (the walk's may be new), is
 * built again. */
static int walk_kept(const struct model *m, struct coro_row *r, const struct coro *pe,
		     const struct row_in *in, const struct unprobed *was, size_t nwas)
{
	const char *state = in->st && r->c.last_walk < m->s->states_walk ? in->st->state : "live";
	const struct site *own = pe && (pe->create_site.kind || pe->create_site.addr)
				 ? &pe->create_site : r->census ? &r->census->create_site : NULL;
	size_t i;

	if (!own || (!own->kind && !own->addr) || r->owner || (in->st && in->st->owner) ||
	    strcmp(state, r->state_was) || in->nu != nwas)
		return 0;
	for (i = 0; i < nwas; i++)
		if (in->u[i].n != was[i].n || memcmp(&in->u[i].site, &was[i].site, sizeof(struct site)))
			return 0;
	r->state = state;
	return 1;
}

/* The rows in place (rows_kept, edit_rows): those whose probes' entry changed (its seq,
 * a new entry under the same id, one that came or went), that hold or held a connection,
 * or that a walk since found changed are built again, the fresh ones built, the others
 * only aged and judged. */
static int update_rows(struct model *m, struct snapshot *snap, const struct hold *holds,
		       size_t nholds, uint64_t now)
{
	const struct coro_key *keys = m->coro_sync.coros.keys;
	const struct coro *vals = m->coro_sync.coros.vals;
	size_t i, e = 0, h = 0, w = 0, nkeys = m->coro_sync.coros.n;
	int walked = m->s->unprobed_walks != m->built_walks;
	struct row_cursors wc = {};

	if (edit_rows(m, snap))
		return -1;
	for (i = 0; i < snap->ncoros; i++) {
		struct coro_row *r = &snap->coros[i];
		const struct coro *pe;
		struct row_in now_in = {};
		size_t nwas = 0;
		int changed;

		while (e < nkeys && keys[e].id < r->id)
			e++;
		pe = e < nkeys && keys[e].id == r->id ? &vals[e] : NULL;
		while (h < nholds && holds[h].co < r->id)
			h++;
		changed = r->fresh || !pe != !r->probed ||
			  (pe && (pe->seq != r->seq || pe->first_ns != r->seen_ns)) ||
			  r->conns_held || (h < nholds && holds[h].co == r->id);
		if (walked) {
			find_inputs(m, &wc, holds, nholds, r->id, &now_in);
			nwas = run_of(m->was, m->nwas, sizeof(*m->was), offsetof(struct unprobed, id),
				      &w, r->id);
			changed = changed || !walk_kept(m, r, pe, &now_in, m->was + w, nwas);
		}
		if (changed) {
			struct coro_row old = *r;
			struct row_in in = { .probed = pe, .cr = old.census,
					     .prev = old.fresh ? NULL : &old };
			struct row_cursors c = {
				.st = lower_bound(m->s->states, m->s->nstates, sizeof(*m->s->states),
						  offsetof(struct census_state, id), r->id),
				.u = lower_bound(m->s->unprobed, m->s->nunprobed,
						 sizeof(*m->s->unprobed), offsetof(struct unprobed, id),
						 r->id),
				.sk = lower_bound(m->raw_sites.keys, m->raw_sites.n,
						  sizeof(struct coro_site_key),
						  offsetof(struct coro_site_key, id), r->id),
				.h = h,
			};

			find_inputs(m, &c, holds, nholds, r->id, &in);
			/* After a walk, old's state and owner point into the states it freed. */
			if (row_totals(m, &old, -1) || build_row(m, r, old.id, &in, now, !walked))
				return -1;
		} else if (r->delta) {
			r->delta = 0;
			r->same = 0;
		} else {
			r->same = 1;
		}
		finish_row(m, snap, r, now);
	}
	return 0;
}

/* Connections out as the last walk found them (--no-probes), as holds. */
static int walked_holds(struct model *m)
{
	const struct session *s = m->s;
	size_t i;

	if (raw_reserve(&m->raw_conns, s->nconns + 1, sizeof(struct conn_key),
			sizeof(struct conn_hold)))
		return -1;
	for (i = 0; i < s->nconns; i++) {
		((struct conn_key *)m->raw_conns.keys)[i].conn = s->conns[i].conn;
		((struct conn_hold *)m->raw_conns.vals)[i] = (struct conn_hold){
			.pool = s->conns[i].pool, .co = s->conns[i].co, .site = s->conns[i].site,
			.orphan = !session_row((struct session *)s, s->conns[i].co),
		};
	}
	m->raw_conns.n = s->nconns;
	return 0;
}

/* Counts one more defer at site s for the coroutine whose sites start at `first`. */
static size_t add_defer_site(struct raw_map *out, size_t first, size_t n, uint64_t id,
			     const struct site *s)
{
	struct coro_site_key *k = out->keys;
	__s64 *v = out->vals;
	size_t i;

	for (i = first; i < n; i++)
		if (!memcmp(&k[i].site, s, sizeof(*s))) {
			v[i]++;
			return n;
		}
	k[n] = (struct coro_site_key){ .id = id, .site = *s };
	v[n] = 1;
	return n + 1;
}

/* Each coroutine's pending defers the probes saw, by site, sorted by id: the ones at
 * depths [low, pending) (struct coro), inline in its entry or in defer_stack. */
static int gather_defer_sites(struct model *m)
{
	const struct coro_key *ck = m->coro_sync.coros.keys;
	const struct coro *cv = m->coro_sync.coros.vals;
	const struct defer_key *dk = m->raw_stack.keys;
	const struct site *dv = m->raw_stack.vals;
	size_t i, j = 0, n = m->raw_stack.n;
	int64_t d;

	for (i = 0; i < m->coro_sync.coros.n; i++)
		if (cv[i].pending > 0)
			n += cv[i].pending < CORO_INLINE_SITES ? cv[i].pending : CORO_INLINE_SITES;
	if (raw_reserve(&m->raw_sites, n + 1, sizeof(struct coro_site_key), sizeof(__s64)))
		return -1;
	for (n = 0, i = 0; i < m->coro_sync.coros.n; i++) {
		size_t first = n;

		for (d = 0; d < cv[i].pending && d < CORO_INLINE_SITES; d++)
			n = add_defer_site(&m->raw_sites, first, n, ck[i].id, &cv[i].sites[d]);
		while (j < m->raw_stack.n && dk[j].id < ck[i].id)
			j++;
		for (; j < m->raw_stack.n && dk[j].id == ck[i].id; j++)
			n = add_defer_site(&m->raw_sites, first, n, ck[i].id, &dv[j]);
	}
	m->raw_sites.n = n;
	return 0;
}

/* Has a coroutine pending defers at depths outside its entry's inline sites (below the
 * point of attach, or deeper than CORO_INLINE_SITES)? */
static int deep_defers(const struct model *m)
{
	const struct coro *cv = m->coro_sync.coros.vals;
	size_t i;

	for (i = 0; i < m->coro_sync.coros.n; i++)
		if (cv[i].low < 0 || cv[i].pending > CORO_INLINE_SITES)
			return 1;
	return 0;
}

/* The maps, or with --no-probes a walk. 0 or -1. */
static int read_sources(struct model *m)
{
	struct codefer_bpf *skel = m->s->skel;

	if (session_refresh(m->s, m->th.walk_budget_s))
		return -1;
	if (!skel) {
		m->coro_sync.coros.n = m->raw_sites.n = m->raw_pools.n = 0;
		return walked_holds(m);
	}
	if (coro_sync(&m->coro_sync, skel) || read_map(skel->maps.pools, &m->raw_pools) ||
	    read_map(skel->maps.conns, &m->raw_conns))
		return -1;
	/* defer_stack holds the pending defers not inline in their coroutine's entry: when
	 * there are none, its (large) table of buckets is not walked. */
	m->raw_stack.n = 0;
	if (deep_defers(m) && read_map(skel->maps.defer_stack, &m->raw_stack))
		return -1;
	return sort_raw(&m->raw_stack, sizeof(struct defer_key), sizeof(struct site),
			offsetof(struct defer_key, id)) ||
	       sort_raw(&m->raw_pools, sizeof(struct pool_key), sizeof(struct pool_stats),
			offsetof(struct pool_key, pool)) ||
	       gather_defer_sites(m);
}

/* A copy of the last walk's defers no probe sees, for the next walk to be compared with
 * (the session frees them). */
static int keep_unprobed(struct model *m)
{
	size_t n = m->s->nunprobed;
	struct unprobed *p = realloc(m->was, (n + 1) * sizeof(*p));

	if (!p)
		return -1;
	if (n)
		memcpy(p, m->s->unprobed, n * sizeof(*p));
	m->was = p;
	m->nwas = n;
	return 0;
}

int model_refresh(struct model *m)
{
	struct snapshot *snap = &m->cur;
	uint64_t now = mono_ns(), last = m->cur.ns;
	struct hold *holds;
	size_t nholds = 0;
	uint64_t *c;
	int kept, states_kept;

	if (read_sources(m) || !(holds = collect_holds(m, &nholds)))
		return -1;
	kept = rows_kept(m);
	states_kept = last && m->s->unprobed_walks == m->built_walks;
	if (!kept) {
		/* The previous snapshot's buffers are reused for the new one. */
		struct snapshot tmp = m->prev;

		m->prev = m->cur;
		m->cur = tmp;
	}
	free(snap->holds);
	snap->holds = holds;
	snap->nholds = nholds;
	memset(&snap->tot, 0, sizeof(snap->tot));
	snap->nchanged = 0;
	snap->ns = now;
	snap->interval_s = last ? (now - last) / 1e9 : 0;
	snap->refresh = ++m->refreshes;
	if (!kept)
		snap->ordered_at = 0;	/* rows moved: the order is of other indexes */
	if (m->s->skel)
		sum_counters(m, snap->counters);
	if (!kept && snap_room(snap, m->coro_sync.coros.n + m->s->nrows))
		return -1;
	if (kept ? update_rows(m, snap, holds, nholds, now)
		 : build_rows(m, snap, holds, nholds, now, states_kept))
		return -1;
	if ((!last || m->built_walks != m->s->unprobed_walks) && keep_unprobed(m))
		return -1;
	m->built_walks = m->s->unprobed_walks;
	m->built_census = m->s->rows;
	m->built_ncensus = m->s->nrows;
	m->built_nprobed = m->coro_sync.coros.n;
	if (build_pools(m, snap, holds, nholds) || build_sites(m, snap, holds, nholds))
		return -1;
	c = snap->counters;
	snap->tot.coroutines_live = snap->ncoros;
	snap->tot.coroutines_created = c[C_CREATED] + m->s->walk_created;
	snap->tot.coroutines_exited = c[C_EXITED] + m->s->exits_unseen;
	snap->tot.defers_registered = c[C_DEFERS_REGISTERED];
	snap->tot.defers_run = c[C_DEFERS_RUN];
	if (m->s->plan.exit_runs_defers)
		snap->tot.defers_run += c[C_DEFERS_RUN_AT_EXIT] + m->s->census_retired;
	else
		snap->tot.defers_lost = c[C_DEFERS_RUN_AT_EXIT] + m->s->census_retired;
	snap->tot.timers_pending = m->s->ntimers;
	snap->tot.events = c[C_EVENTS];
	snap->tot.lost = c[C_LOST_READ] + c[C_LOST_MAP_FULL] + c[C_LOST_NO_CFG] +
			 c[C_LOST_TRUNCATED] + c[C_LOST_EXITS];
	return 0;
}

/* What display order compares, packed per row: the key, then pending, then id. */
struct sort_entry {
	double key;
	int64_t pending;
	uint64_t id;
	uint32_t row;
};

static int before(const struct sort_entry *x, const struct sort_entry *y)
{
	if (x->key != y->key)
		return x->key > y->key;
	if (x->pending != y->pending)
		return x->pending > y->pending;
	return x->id < y->id;
}

static int cmp_entry(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a);
}

/* Heap of the best so far, worst on top. */
static void sift_down(struct sort_entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, w = i;
		struct sort_entry t;

		if (l < n && before(&h[w], &h[l]))
			w = l;
		if (l + 1 < n && before(&h[w], &h[l + 1]))
			w = l + 1;
		if (w == i)
			return;
		t = h[i], h[i] = h[w], h[w] = t;
		i = w;
	}
}

static struct sort_entry entry_of(const struct coro_row *r, enum sort_key key, uint32_t i)
{
	struct sort_entry e = { .pending = r->c.pending, .id = r->id, .row = i };

	switch (key) {
	case SORT_CONNS: e.key = r->conns_held; break;
	case SORT_AGE: e.key = r->age_s; break;
	case SORT_GROWTH: e.key = r->delta; break;
	default: break;
	}
	return e;
}

/* The order of every row again, from the last one (ordered_at): rows that show the same
 * kept their key, so they are still in order among themselves; only the others are
 * sorted, then merged in. */
static int reorder(struct snapshot *snap, enum sort_key key)
{
	size_t n = snap->ncoros, nkept = 0, nmoved = 0, i, a, b;
	struct sort_entry *kept = malloc((n + 1) * sizeof(*kept));
	struct sort_entry *moved = malloc((n + 1) * sizeof(*moved));

	if (!kept || !moved) {
		free(kept);
		free(moved);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct coro_row *r = &snap->coros[snap->order[i]];
		struct sort_entry e = entry_of(r, key, snap->order[i]);

		/* An unknown age may become known as the clock passes the birth. */
		if (r->same && !(key == SORT_AGE && r->age_s < 0))
			kept[nkept++] = e;
		else
			moved[nmoved++] = e;
	}
	qsort(moved, nmoved, sizeof(*moved), cmp_entry);
	for (i = a = b = 0; i < n; i++)
		snap->order[i] = b == nmoved || (a < nkept && !before(&moved[b], &kept[a]))
				 ? kept[a++].row : moved[b++].row;
	free(kept);
	free(moved);
	return 0;
}

int model_sort(struct snapshot *snap, enum sort_key key, size_t rows)
{
	size_t n = !rows || rows > snap->ncoros ? snap->ncoros : rows, i;
	uint32_t *o;
	struct sort_entry *h;

	/* The order of the last refresh, of as many rows by the same key, holds while every
	 * row shows the same (ages all grow alike, but one unknown may become known). */
	if (snap->ordered_at && snap->ordered_at + 1 >= snap->refresh && snap->order_key == key &&
	    snap->norder == n) {
		snap->ordered_at = snap->refresh;
		if (!snap->nchanged && key != SORT_AGE)
			return 0;
		if (n == snap->ncoros)
			return reorder(snap, key);
	}
	o = realloc(snap->order, (snap->ncoros + 1) * sizeof(*o));
	h = malloc((n + 1) * sizeof(*h));
	if (!o || !h) {
		free(h);
		if (o)
			snap->order = o;
		snap->ordered_at = 0;
		return -1;
	}
	snap->order = o;
	snap->norder = n;
	snap->ordered_at = snap->refresh;
	snap->order_key = key;
	for (i = 0; i < n; i++)
		h[i] = entry_of(&snap->coros[i], key, i);
	if (n < snap->ncoros) {
		for (i = n / 2; n && i-- > 0; )
			sift_down(h, n, i);
		for (i = n; n && i < snap->ncoros; i++) {
			struct sort_entry e = entry_of(&snap->coros[i], key, i);

			if (before(&e, &h[0])) {
				h[0] = e;
				sift_down(h, n, 0);
			}
		}
	}
	/* Rows come by id, the last tie-break: when the keys are all equal, as in a quiet
	 * population, they are in order already. */
	for (i = 1; i < n && !before(&h[i], &h[i - 1]); i++)
		;
	if (i < n)
		qsort(h, n, sizeof(*h), cmp_entry);
	for (i = 0; i < n; i++)
		o[i] = h[i].row;
	free(h);
	return 0;
}

void model_free(struct model *m)
{
	struct raw_map *raws[] = { &m->raw_stack, &m->raw_sites, &m->raw_pools, &m->raw_conns };
	struct snapshot *snaps[] = { &m->cur, &m->prev };
	size_t i;

	for (i = 0; i < sizeof(raws) / sizeof(*raws); i++)
		raw_map_free(raws[i]);
	coro_sync_free(&m->coro_sync);
	for (i = 0; i < m->cur.ncoros; i++)
		free(m->cur.coros[i].json);	/* the previous snapshot's rows gave theirs */
	for (i = 0; i < 2; i++) {
		free(snaps[i]->coros);
		free(snaps[i]->order);
		free(snaps[i]->pools);
		free(snaps[i]->holds);
		free(snaps[i]->sites);
	}
	for (i = 0; i < SK__COUNT; i++) {
		free(m->site_prev[i]);
		free(m->site_now[i]);
	}
	free(m->contrib);
	free(m->was);
	for (i = 0; i < m->nsite_json; i++)
		free(m->site_json[i]);
	free(m->site_json);
	site_tab_free(&m->sites);
}
