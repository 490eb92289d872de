// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The post-mortem report (see report.h): open the target, pick the runtime, run its
 * census walker once, then render.
 *
 * A census of a big server holds millions of pending defers but only a handful of
 * distinct sites, and naming a site costs a symbol and a DWARF line lookup: so each
 * distinct site is described once (a hash table keyed by the raw site) and the
 * renderers work on site indexes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "report.h"
#include "escape.h"
#include "runtime.h"
#include "sitetab.h"

struct rep {
	struct target *t;
	const struct runtime *rt;
	struct census *c;
	struct site_tab sites;
	size_t *dsite;		/* per defer, in census order: its registration site's index */
	size_t *dfn;		/* ... and its function's */
	size_t *first;		/* per coroutine: index of its first defer in dsite/dfn */
	size_t *origin;		/* per coroutine: its create site's index */
	size_t *start;		/* ... its start function's (runtime.start_site), or SIZE_MAX */
	size_t *wait;		/* ... and its wait site's */
	uint64_t *live_ids;	/* sorted census ids, to tell orphaned connections */
	size_t *conn_site;
	size_t *timer_site;	/* per pending timer: its site's index */
	uint64_t pending, held, orphans, out, unknown;	/* out of their pools; unknown: holders not known */
};

/* ---- the model the renderers share ---- */

static int cmp_coro_id(const void *a, const void *b)
{
	return cmp_u64(&((const struct census_coro *)a)->id, &((const struct census_coro *)b)->id);
}

static int cmp_conn(const void *a, const void *b)
{
	const struct census_conn *x = a, *y = b;

	if (x->pool != y->pool)
		return x->pool < y->pool ? -1 : 1;
	return cmp_u64(&x->conn, &y->conn);
}

static int is_live(const struct rep *r, uint64_t id)
{
	return bsearch(&id, r->live_ids, r->c->ncoros, sizeof(id), cmp_u64) != NULL;
}

/* Out of a pool its own structures describe (out = open - idle): held, those a live
 * coroutine holds; orphaned, those whose holder ended, and those the walk found no holder
 * for (unless it cannot tell holders: Go). */
struct pool_holds {
	size_t held;
	int64_t orphans, unlisted, unknown;	/* unknown: out, holders not known (Go) */
};

static int is_live(const struct rep *r, uint64_t id);

static struct pool_holds pool_holds(const struct rep *r, const struct census_pool *p)
{
	const struct census *c = r->c;
	struct pool_holds h = { 0 };
	size_t i, listed = 0;

	for (i = 0; i < c->nconns; i++) {
		if (c->conns[i].pool != p->pool)
			continue;
		listed++;
		if (is_live(r, c->conns[i].co))
			h.held++;
		else
			h.orphans++;
	}
	if (p->holders_unknown)
		h.unknown = census_pool_unlisted(p, (int64_t)listed);
	else
		h.unlisted = census_pool_unlisted(p, (int64_t)listed);
	h.orphans += h.unlisted;
	return h;
}

static const struct census_pool *census_pool_of(const struct census *c, uint64_t pool)
{
	size_t i;

	for (i = 0; i < c->npools; i++)
		if (c->pools[i].pool == pool)
			return &c->pools[i];
	return NULL;
}

static int build(struct rep *r)
{
	struct census *c = r->c;
	size_t i, k, nd = 0;

	qsort(c->coros, c->ncoros, sizeof(*c->coros), cmp_coro_id);
	qsort(c->conns, c->nconns, sizeof(*c->conns), cmp_conn);
	for (i = 0; i < c->ncoros; i++)
		nd += c->coros[i].ndefers;
	r->dsite = malloc((nd + 1) * sizeof(*r->dsite));
	r->dfn = malloc((nd + 1) * sizeof(*r->dfn));
	r->first = malloc((c->ncoros + 1) * sizeof(*r->first));
	r->origin = malloc((c->ncoros + 1) * sizeof(*r->origin));
	r->start = malloc((c->ncoros + 1) * sizeof(*r->start));
	r->wait = malloc((c->ncoros + 1) * sizeof(*r->wait));
	r->live_ids = malloc((c->ncoros + 1) * sizeof(*r->live_ids));
	r->conn_site = malloc((c->nconns + 1) * sizeof(*r->conn_site));
	r->timer_site = malloc((c->ntimers + 1) * sizeof(*r->timer_site));
	if (!r->dsite || !r->dfn || !r->first || !r->origin || !r->start || !r->wait ||
	    !r->live_ids || !r->conn_site || !r->timer_site)
		return -1;
	for (i = 0, nd = 0; i < c->ncoros; i++) {
		struct census_coro *co = &c->coros[i];
		struct site start;

		r->first[i] = nd;
		if ((r->origin[i] = site_tab_index(&r->sites, &co->create_site)) == SITE_TAB_OOM ||
		    (r->wait[i] = site_tab_index(&r->sites, &co->wait_site)) == SITE_TAB_OOM)
			return -1;
		r->start[i] = SIZE_MAX;
		if (r->rt->start_site && !r->rt->start_site(r->sites.rc, &co->create_site, &start) &&
		    (r->start[i] = site_tab_index(&r->sites, &start)) == SITE_TAB_OOM)
			return -1;
		r->live_ids[i] = co->id;
		r->held += co->conns_held;
		for (k = 0; k < co->ndefers; k++, nd++) {
			const struct census_defer *d = &co->defers[k];
			/* Walkers that only know the function leave the site empty: rank by it. */
			const struct site *s = d->site.kind || d->site.addr ? &d->site : &d->fn;

			r->dsite[nd] = site_tab_index(&r->sites, s);
			r->dfn[nd] = site_tab_index(&r->sites, &d->fn);
			if (r->dsite[nd] == SITE_TAB_OOM || r->dfn[nd] == SITE_TAB_OOM)
				return -1;
			r->sites.names[r->dsite[nd]].count++;
		}
	}
	r->pending = nd;
	for (i = 0; i < c->nconns; i++) {
		r->conn_site[i] = site_tab_index(&r->sites, &c->conns[i].site);
		if (r->conn_site[i] == SITE_TAB_OOM)
			return -1;
		r->orphans += !is_live(r, c->conns[i].co);
	}
	r->out = c->nconns;
	for (i = 0; i < c->npools; i++) {
		struct pool_holds h = pool_holds(r, &c->pools[i]);

		r->orphans += h.unlisted;
		r->out += h.unlisted + h.unknown;
		r->unknown += h.unknown;
	}
	for (i = 0; i < c->ntimers; i++)
		if ((r->timer_site[i] = site_tab_index(&r->sites, &c->timers[i].site)) == SITE_TAB_OOM)
			return -1;
	return 0;
}

/* Sites ranked by pending defers (the site table has one entry per text). Returns how
 * many; *out is malloc'd. */
struct ranked {
	const char *text;
	uint64_t pending;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->pending != y->pending)
		return x->pending > y->pending ? -1 : 1;
	return strcmp(x->text, y->text);
}

static size_t rank_sites(const struct rep *r, struct ranked **out)
{
	struct ranked *v = malloc((r->sites.n + 1) * sizeof(*v));
	size_t i, n = 0;

	*out = v;
	if (!v)
		return 0;
	for (i = 0; i < r->sites.n; i++)
		if (r->sites.names[i].count)
			v[n++] = (struct ranked){ r->sites.names[i].text, r->sites.names[i].count };
	qsort(v, n, sizeof(*v), cmp_ranked);
	return n;
}

/* Live coroutines per creation site, most first. Returns how many; *out is malloc'd. */
static size_t rank_origins(const struct rep *r, struct ranked **out)
{
	uint64_t *n = calloc(r->sites.n + 1, sizeof(*n));
	struct ranked *v = malloc((r->sites.n + 1) * sizeof(*v));
	size_t i, m = 0;

	*out = v;
	if (n && v) {
		/* As codefer-top: a coroutine with no creation site (a main thread) is in
		 * no row. */
		for (i = 0; i < r->c->ncoros; i++)
			if (r->c->coros[i].create_site.kind || r->c->coros[i].create_site.addr)
				n[r->origin[i]]++;
		for (i = 0; i < r->sites.n; i++)
			if (n[i])
				v[m++] = (struct ranked){ r->sites.names[i].text, n[i] };
		qsort(v, m, sizeof(*v), cmp_ranked);
	}
	free(n);
	return m;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The site where most of a coroutine's pending defers come from, by the rule
 * codefer-top ranks by (site_tab_better). */
static const char *top_site(const struct rep *r, size_t ci)
{
	const struct census_coro *co = &r->c->coros[ci];
	size_t base = r->first[ci], *v, i, run = 0, best = SITE_TAB_OOM;
	uint64_t best_n = 0;

	if (!co->ndefers)
		return "-";
	if (!(v = malloc(co->ndefers * sizeof(*v))))
		return r->sites.names[r->dsite[base + co->ndefers - 1]].text;
	memcpy(v, &r->dsite[base], co->ndefers * sizeof(*v));
	qsort(v, co->ndefers, sizeof(*v), cmp_size);
	for (i = 0; i < co->ndefers; i++) {
		run++;
		if (i + 1 < co->ndefers && v[i + 1] == v[i])
			continue;
		if (site_tab_better(&r->sites, run, v[i], best_n, best)) {
			best_n = run;
			best = v[i];
		}
		run = 0;
	}
	free(v);
	return r->sites.names[best].text;
}

/* The thread of a per-thread id (Swoole's thread mode), 0 if none: census order. */
static uint32_t thread_of(const struct rep *r, uint64_t id)
{
	const struct census_coro key = { .id = id }, *co;

	co = bsearch(&key, r->c->coros, r->c->ncoros, sizeof(key), cmp_coro_id);
	return co ? co->thread : 0;
}

/* An id; per-thread ids as the thread's id and the thread ("thread" in JSON, tid:id). */
static void print_id(FILE *f, const struct rep *r, uint64_t id, int json)
{
	uint32_t tid = thread_of(r, id);

	if (tid)
		fprintf(f, json ? "%u, \"thread\": %u" : "%u:%u", json ? (uint32_t)id : tid,
			json ? tid : (uint32_t)id);
	else if (r->rt->id_is_number)
		fprintf(f, "%llu", (unsigned long long)id);
	else
		fprintf(f, json ? "\"0x%llx\"" : "0x%llx", (unsigned long long)id);
}

/* An id in an 18-wide text column. */
static void print_id_col(FILE *f, const struct rep *r, uint64_t id)
{
	uint32_t tid = thread_of(r, id);

	if (tid)
		fprintf(f, "%11u:%-6u", tid, (uint32_t)id);
	else
		fprintf(f, r->rt->id_is_number ? "%18llu" : "%#18llx", (unsigned long long)id);
}

/* Pending timers by site, in order of first appearance: how many, and the classes of the
 * objects their closures capture. */
#define SITE_CAPTURES 32
/* Sites with the same text are one site (threads compile a script each: two addresses). */
#define SAME_TIMER_SITE(r, a, b) \
	(!strcmp((r)->sites.names[(r)->timer_site[a]].text, (r)->sites.names[(r)->timer_site[b]].text))
static void render_timers(FILE *f, const struct rep *r, int json)
{
	const struct census *c = r->c;
	struct { const char *cls; uint64_t n; } caps[SITE_CAPTURES];
	size_t i, k, n, ncaps, first = 1;
	int j;
	char a[512];

	for (i = 0; i < c->ntimers; i++) {
		for (k = 0; k < i && !SAME_TIMER_SITE(r, k, i); k++)
			;
		if (k < i)
			continue;	/* that site was written with its first timer */
		for (n = 0, ncaps = 0, k = i; k < c->ntimers; k++) {
			const struct census_timer *tk = &c->timers[k];

			if (!SAME_TIMER_SITE(r, k, i))
				continue;
			n++;
			for (j = 0; j < tk->ncaptures; j++) {
				size_t x;

				for (x = 0; x < ncaps && strcmp(caps[x].cls, tk->captures[j].cls); x++)
					;
				if (x == ncaps && ncaps < SITE_CAPTURES) {
					caps[ncaps].cls = tk->captures[j].cls;
					caps[ncaps++].n = 0;
				}
				if (x < ncaps)
					caps[x].n += tk->captures[j].n;
			}
		}
		if (json) {
			fputs(first ? "{\"kind\": \"timer\", \"site\": " : ", {\"kind\": \"timer\", \"site\": ", f);
			json_str(f, r->sites.names[r->timer_site[i]].text);
			fprintf(f, ", \"pending\": %zu, \"captures\": {", n);
		} else {
			fprintf(f, "%8zu  %-6s %s", n, c->timers[i].kind,
				r->sites.names[r->timer_site[i]].text);
		}
		for (k = 0; k < ncaps; k++) {
			if (json) {
				fputs(k ? ", " : "", f);
				json_untrusted(f, caps[k].cls);
				fprintf(f, ": %llu", (unsigned long long)caps[k].n);
			} else {
				tty_str(a, sizeof(a), caps[k].cls);
				fprintf(f, "%s%s=%llu", k ? ", " : "  captures ", a,
					(unsigned long long)caps[k].n);
			}
		}
		fputs(json ? "}}" : "\n", f);
		first = 0;
	}
}

/* ---- JSON ---- */

/* The connections out of a pool, then the end of the pool's object. */
static void json_pool_conns(FILE *f, const struct rep *r, uint64_t pool)
{
	const struct census *c = r->c;
	size_t k, n = 0;

	for (k = 0; k < c->nconns; k++) {
		if (c->conns[k].pool != pool)
			continue;
		fprintf(f, "%s{\"conn\": \"0x%llx\", \"coroutine\": ", n++ ? ", " : "",
			(unsigned long long)c->conns[k].conn);
		print_id(f, r, c->conns[k].co, 1);
		fprintf(f, ", \"orphan\": %s, \"site\": ",
			is_live(r, c->conns[k].co) ? "false" : "true");
		json_str(f, r->sites.names[r->conn_site[k]].text);
		fputc('}', f);
	}
	fputs("]}", f);
}

/* Ranked sites as a text table under COUNT_HEAD and SITE_HEAD; frees them. */
static void text_ranked(FILE *f, struct ranked *rk, size_t n, const char *count_head,
			const char *site_head)
{
	size_t i;

	if (n)
		fprintf(f, "\n%8s  %s\n", count_head, site_head);
	for (i = 0; i < n; i++)
		fprintf(f, "%8llu  %s\n", (unsigned long long)rk[i].pending, rk[i].text);
	free(rk);
}

/* Ranked sites as JSON objects {"site", COUNT_KEY}; frees them. */
static void json_ranked(FILE *f, struct ranked *rk, size_t n, const char *count_key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fputs(i ? ", {\"site\": " : "{\"site\": ", f);
		json_str(f, rk[i].text);
		fprintf(f, ", \"%s\": %llu}", count_key, (unsigned long long)rk[i].pending);
	}
	free(rk);
}

static void render_json(FILE *f, const struct rep *r, const struct report_opts *o)
{
	const struct census *c = r->c;
	struct ranked *rk;
	size_t i, k;

	fputs("{\"target\": {", f);
	if (o->core) {
		fputs("\"core\": ", f);
		json_untrusted(f, o->core);
		fputs(", ", f);
	} else {
		fprintf(f, "\"pid\": %d, ", (int)o->pid);
	}
	fputs("\"exe\": ", f);
	json_untrusted(f, r->t->exe);
	fputs(", \"comm\": ", f);
	json_untrusted(f, r->t->comm);
	fputs("},\n \"runtime\": ", f);
	json_str(f, r->rt->name);
	fputs(", \"version\": ", f);
	json_untrusted(f, c->version);
	fputs(",\n \"coroutines\": [", f);
	for (i = 0; i < c->ncoros; i++) {
		const struct census_coro *co = &c->coros[i];
		size_t base = r->first[i];

		fputs(i ? ",\n  {\"id\": " : "\n  {\"id\": ", f);
		print_id(f, r, co->id, 1);
		fputs(", \"state\": ", f);
		json_untrusted(f, co->state);
		fputs(", \"origin\": ", f);
		json_str(f, r->sites.names[r->origin[i]].text);
		if (r->start[i] != SIZE_MAX) {
			fputs(", \"start\": ", f);
			json_str(f, r->sites.names[r->start[i]].text);
		}
		fputs(", \"wait_site\": ", f);
		json_str(f, r->sites.names[r->wait[i]].text);
		if (co->owner[0]) {
			fputs(", \"owner\": ", f);
			json_untrusted(f, co->owner);
		}
		if (co->age_ns >= 0)
			fprintf(f, ", \"age_ns\": %lld", (long long)co->age_ns);
		fprintf(f, ", \"defers_pending\": %zu, \"conns_held\": %zu, \"top_site\": ",
			co->ndefers, co->conns_held);
		json_str(f, top_site(r, i));
		if (o->json == REPORT_JSON_BRIEF) {
			fputc('}', f);
			continue;
		}
		fputs(", \"defers\": [", f);
		/* Newest first: the order they would run in. */
		for (k = co->ndefers; k-- > 0;) {
			fputs(k + 1 == co->ndefers ? "{\"function\": " : ", {\"function\": ", f);
			json_str(f, r->sites.names[r->dfn[base + k]].text);
			fputs(", \"site\": ", f);
			json_str(f, r->sites.names[r->dsite[base + k]].text);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("],\n \"pools\": [", f);
	/* Pools their objects describe, then any other pool with connections out. */
	for (i = 0; i < c->npools; i++) {
		const struct census_pool *p = &c->pools[i];
		struct pool_holds h = pool_holds(r, p);

		fprintf(f, "%s\n  {\"pool\": \"0x%llx\", \"name\": ", i ? "," : "",
			(unsigned long long)p->pool);
		json_untrusted(f, p->name);
		fprintf(f, ", \"open\": %lld, \"idle\": %lld, \"max\": %lld, \"waiters\": %lld, "
			"\"out\": %lld, \"held\": %zu, \"orphans\": %lld",
			(long long)p->open, (long long)p->idle, (long long)p->max,
			(long long)p->waiters, (long long)(p->open - p->idle), h.held,
			(long long)h.orphans);
		if (p->holders_unknown)
			fputs(", \"holders_unknown\": true", f);
		fputs(", \"conns\": [", f);
		json_pool_conns(f, r, p->pool);
	}
	for (i = 0; i < c->nconns;) {
		size_t j, orphans = 0;

		for (j = i; j < c->nconns && c->conns[j].pool == c->conns[i].pool; j++)
			orphans += !is_live(r, c->conns[j].co);
		if (census_pool_of(c, c->conns[i].pool)) {
			i = j;
			continue;
		}
		fprintf(f, "%s\n  {\"pool\": \"0x%llx\", \"out\": %zu, \"orphans\": %zu, \"conns\": [",
			i || c->npools ? "," : "", (unsigned long long)c->conns[i].pool, j - i, orphans);
		json_pool_conns(f, r, c->conns[i].pool);
		i = j;
	}
	fprintf(f, "],\n \"timers\": {\"pending\": %zu, \"sites\": [", c->ntimers);
	render_timers(f, r, 1);
	fputs("]},\n \"stale_state\": [", f);
	for (i = 0; i < c->nstale; i++) {
		fputs(i ? ", {\"where\": " : "{\"where\": ", f);
		json_untrusted(f, c->stale[i].where);
		fprintf(f, ", \"entries\": %llu, \"oldest_id\": %lld, \"newest_id\": %lld}",
			(unsigned long long)c->stale[i].entries, (long long)c->stale[i].oldest_id,
			(long long)c->stale[i].newest_id);
	}
	fprintf(f, "],\n \"summary\": {\"coroutines\": %zu, \"defers_pending\": %llu, "
		"\"conns_held\": %llu, \"conns_out\": %llu, \"conns_holders_unknown\": %llu, "
		"\"orphans\": %llu, \"sites\": [",
		c->ncoros, (unsigned long long)r->pending, (unsigned long long)r->held,
		(unsigned long long)r->out, (unsigned long long)r->unknown,
		(unsigned long long)r->orphans);
	json_ranked(f, rk, rank_sites(r, &rk), "pending");
	fputs("], \"created\": [", f);
	json_ranked(f, rk, rank_origins(r, &rk), "coroutines");
	fputs("]},\n \"warnings\": [", f);
	if (c->warning[0]) {
		json_untrusted(f, c->warning);
	}
	fputs("]}\n", f);
}

/* ---- text ---- */

static const struct rep *sort_rep;

/* Most pending defers first, then most connections, then id. */
static int cmp_row(const void *a, const void *b)
{
	const struct census_coro *x = &sort_rep->c->coros[*(const size_t *)a];
	const struct census_coro *y = &sort_rep->c->coros[*(const size_t *)b];

	if (x->ndefers != y->ndefers)
		return x->ndefers > y->ndefers ? -1 : 1;
	if (x->conns_held != y->conns_held)
		return x->conns_held > y->conns_held ? -1 : 1;
	return cmp_u64(&x->id, &y->id);
}

static void render_text(FILE *f, const struct rep *r, const struct report_opts *o)
{
	const struct census *c = r->c;
	struct ranked *rk;
	size_t i, *rows;
	char a[512], b[512];

	tty_str(a, sizeof(a), r->t->exe);
	tty_str(b, sizeof(b), r->t->comm);
	if (o->core)
		fprintf(f, "core %s: %s (%s)\n", o->core, b, a);
	else
		fprintf(f, "pid %d: %s (%s)\n", (int)o->pid, b, a);
	tty_str(a, sizeof(a), c->version);
	fprintf(f, "runtime %s %s\n", r->rt->name, a);
	fprintf(f, "%zu coroutines, %llu pending defers, %llu connections held", c->ncoros,
		(unsigned long long)r->pending, (unsigned long long)r->held);
	if (r->out)
		fprintf(f, " (%llu out of their pools, %llu orphaned%s)", (unsigned long long)r->out,
			(unsigned long long)r->orphans, r->unknown ? ", holders not known" : "");
	fputs("\n", f);
	if (c->warning[0]) {
		tty_str(a, sizeof(a), c->warning);
		fprintf(f, "warning: %s\n", a);
	}

	rows = malloc((c->ncoros + 1) * sizeof(*rows));
	if (rows) {
		for (i = 0; i < c->ncoros; i++)
			rows[i] = i;
		sort_rep = r;
		qsort(rows, c->ncoros, sizeof(*rows), cmp_row);
		fprintf(f, "\n%18s  %-10s %8s %6s  %s\n", "ID", "STATE", "DEFERS", "CONNS",
			"TOP DEFER SITE");
		for (i = 0; i < c->ncoros; i++) {
			const struct census_coro *co = &c->coros[rows[i]];

			tty_str(a, sizeof(a), co->state);
			print_id_col(f, r, co->id);
			fprintf(f, "  %-10s %8zu %6zu  %s", a, co->ndefers, co->conns_held,
				top_site(r, rows[i]));
			if (co->create_site.kind || co->create_site.addr) {
				const char *origin = r->sites.names[r->origin[rows[i]]].text;

				/* Go's already says so: "created by F at file:line". */
				fprintf(f, strncmp(origin, "created by ", 11) ? "  created at %s"
									     : "  %s", origin);
			}
			if (co->wait_site.kind || co->wait_site.addr)
				fprintf(f, "  waits at %s", r->sites.names[r->wait[rows[i]]].text);
			if (co->owner[0]) {
				tty_str(a, sizeof(a), co->owner);
				fprintf(f, "  for %s", a);
			}
			fputc('\n', f);
		}
		free(rows);
	}

	text_ranked(f, rk, rank_sites(r, &rk), "PENDING", "DEFER SITE");
	text_ranked(f, rk, rank_origins(r, &rk), "LIVE", "CREATED AT");

	if (c->ntimers) {
		fprintf(f, "\nPENDING TIMERS (%zu)\n%8s  %-6s %s\n", c->ntimers, "PENDING", "KIND",
			"SITE");
		render_timers(f, r, 0);
	}
	if (c->nstale) {
		fprintf(f, "\nSTATE KEPT FOR ENDED COROUTINES\n%8s %10s %10s  %s\n", "ENTRIES",
			"OLDEST", "NEWEST", "WHERE");
		for (i = 0; i < c->nstale; i++) {
			tty_str(a, sizeof(a), c->stale[i].where);
			fprintf(f, "%8llu %10lld %10lld  %s\n", (unsigned long long)c->stale[i].entries,
				(long long)c->stale[i].oldest_id, (long long)c->stale[i].newest_id, a);
		}
	}
	if (c->npools) {
		fprintf(f, "\n%-44s %18s %5s %5s %5s %7s %5s %5s %8s\n", "POOL", "ID", "OPEN",
			"IDLE", "MAX", "WAITERS", "OUT", "HELD", "ORPHANED");
		for (i = 0; i < c->npools; i++) {
			const struct census_pool *p = &c->pools[i];
			struct pool_holds h = pool_holds(r, p);

			tty_str(a, sizeof(a), p->name);
			fprintf(f, "%-44s %#18llx %5lld %5lld %5lld %7lld %5lld %5zu %8lld\n", a,
				(unsigned long long)p->pool, (long long)p->open, (long long)p->idle,
				(long long)p->max, (long long)p->waiters,
				(long long)(p->open - p->idle), h.held, (long long)h.orphans);
		}
	}
	if (c->nconns) {
		fprintf(f, "\n%18s %18s %18s  %s\n", "POOL", "CONN", "HOLDER", "TAKEN AT");
		for (i = 0; i < c->nconns; i++) {
			const struct census_conn *k = &c->conns[i];

			fprintf(f, "%#18llx %#18llx ", (unsigned long long)k->pool,
				(unsigned long long)k->conn);
			print_id_col(f, r, k->co);
			fprintf(f, "  %s%s\n", r->sites.names[r->conn_site[i]].text,
				is_live(r, k->co) ? "" : "  (orphan: holder ended)");
		}
	}
}

/* ---- entry points ---- */

int report_run(const struct report_opts *o, FILE *out, char *err, size_t errlen)
{
	struct target t;
	struct rt_ctx rc = {};
	struct census c;
	struct rep r;
	char looked[256];
	int ret;

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	ret = o->core ? target_open_core(&t, o->core, o->exe, o->debug_dir, err, errlen)
		      : target_open_pid(&t, o->pid, err, errlen);
	if (ret)
		return ret;
	if (o->runtime) {
		r.rt = runtime_by_name(o->runtime);
		if (!r.rt) {
			snprintf(err, errlen, "unknown runtime '%s'", o->runtime);
			ret = EXIT_USAGE;
			goto out;
		}
	} else if (!(r.rt = runtime_detect(&t, looked, sizeof(looked)))) {
		snprintf(err, errlen, "no supported coroutine runtime found in %s (looked for: %s)",
			 t.exe, looked);
		ret = EXIT_NO_RUNTIME;
		goto out;
	}
	if (!r.rt->census) {
		snprintf(err, errlen, "runtime %s has no walker: it cannot be read from a %s",
			 r.rt->name, o->core ? "core file" : "process without probes");
		ret = EXIT_NO_RUNTIME;
		goto out;
	}
	if ((ret = rt_open(&rc, r.rt, &t, NULL, err, errlen)) ||
	    (ret = r.rt->census(&rc, &c, err, errlen)))
		goto out;
	r.t = &t;
	r.c = &c;
	r.sites.t = &t;
	r.sites.rc = &rc;
	if (build(&r)) {
		snprintf(err, errlen, "out of memory");
		ret = EXIT_FAILURE_;
		goto out;
	}
	if (o->json)
		render_json(out, &r, o);
	else
		render_text(out, &r, o);
	if (fflush(out)) {
		snprintf(err, errlen, "cannot write the report");
		ret = EXIT_FAILURE_;
	}
out:
	site_tab_free(&r.sites);
	free(r.dsite);
	free(r.dfn);
	free(r.first);
	free(r.origin);
	free(r.start);
	free(r.wait);
	free(r.live_ids);
	free(r.conn_site);
	free(r.timer_site);
	census_free(&c);
	rt_close(&rc);
	target_close(&t);
	return ret;
}

char *codefer_report(const char *core, const char *exe, int pid, const char *runtime, int json)
{
	struct report_opts o = {
		.core = core && *core ? core : NULL,
		.exe = exe && *exe ? exe : NULL,
		.pid = pid,
		.runtime = runtime && *runtime ? runtime : NULL,
		.json = json,
	};
	char err[1024] = "", *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	if (!f)
		return NULL;
	ret = report_run(&o, f, err, sizeof(err));
	fclose(f);
	if (!ret)
		return buf;
	/* The caller gets the error alone, not a partial report. */
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (json) {
		fputs("{\"error\": ", f);
		json_str(f, err);
		fprintf(f, ", \"exit_code\": %d}\n", ret);
	} else {
		fprintf(f, "error: %s\n", err);
	}
	fclose(f);
	return buf;
}

void codefer_free(char *s)
{
	free(s);
}
