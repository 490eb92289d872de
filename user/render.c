// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* codefer-top's renderers (see render.h). Site texts come from the site table, already
 * terminal-safe; JSON escapes them again for its own syntax. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "elfsym.h"
#include "escape.h"
#include "fleet.h"
#include "render.h"
#include "runtimes/native.h"

#define U(x) ((unsigned long long)(x))
#define L(x) ((long long)(x))

static const char *site_text(const struct model *m, size_t idx)
{
	return idx == SITE_TAB_OOM || idx >= m->sites.n ? "-" : m->sites.names[idx].text;
}

/* The rows of JSON are built in a buffer and leave it in 64 KiB writes: at 100,000 rows,
 * fprintf per field would cost more than the rest of a refresh. */
struct jrow {
	FILE *f;
	size_t n;
	char b[1 << 16];
};

/* Room for a row's worth (JR_ROW_MAX) more, writing out what is there if needed. */
#define JR_ROW_MAX 8192
static void jr_room(struct jrow *j)
{
	if (j->n + JR_ROW_MAX > sizeof(j->b)) {
		fwrite(j->b, 1, j->n, j->f);
		j->n = 0;
	}
}

/* Text longer than a row's worth is cut (a name of the target's, escaped). */
static void jr_n(struct jrow *j, const char *s, size_t l)
{
	if (j->n + l < sizeof(j->b)) {
		memcpy(j->b + j->n, s, l);
		j->n += l;
	}
}

static void jr_s(struct jrow *j, const char *s)
{
	jr_n(j, s, strlen(s));
}

/* A literal: its length known at compile time. */
#define JR_LIT(j, lit) jr_n(j, lit, sizeof(lit) - 1)

static void jr_u(struct jrow *j, unsigned long long v)
{
	char t[24];
	int i = sizeof(t);

	do
		t[--i] = '0' + v % 10;
	while (v /= 10);
	jr_n(j, t + i, sizeof(t) - i);
}

static void jr_i(struct jrow *j, long long v)
{
	if (v < 0) {
		jr_s(j, "-");
		jr_u(j, -(unsigned long long)v);
	} else {
		jr_u(j, v);
	}
}

/* v with three decimals, as %.3f prints it. */
static void jr_f3(struct jrow *j, double v)
{
	unsigned long long milli;
	char t[4] = { '.' };

	if (v < 0) {
		jr_s(j, "-");
		v = -v;
	}
	milli = (unsigned long long)(v * 1000 + 0.5);
	jr_u(j, milli / 1000);
	t[1] = '0' + milli / 100 % 10;
	t[2] = '0' + milli / 10 % 10;
	t[3] = '0' + milli % 10;
	jr_n(j, t, sizeof(t));
}

/* A site index's JSON literal, quoted once. */
static const char *site_json(struct model *m, size_t idx)
{
	if (idx == SITE_TAB_OOM || idx >= m->sites.n)
		return "\"-\"";
	if (idx >= m->nsite_json) {
		size_t n = m->sites.n + 64;
		char **p = realloc(m->site_json, n * sizeof(*p));

		if (!p)
			return "\"-\"";
		memset(p + m->nsite_json, 0, (n - m->nsite_json) * sizeof(*p));
		m->site_json = p;
		m->nsite_json = n;
	}
	if (!m->site_json[idx])
		m->site_json[idx] = json_quote(m->sites.names[idx].text);
	return m->site_json[idx] ? m->site_json[idx] : "\"-\"";
}

/* A site's JSON literal, or null when there is none. */
static const char *json_site(struct model *m, const struct site *s)
{
	if (!s || (!s->kind && !s->addr))
		return "null";
	return site_json(m, site_tab_index(&m->sites, s));
}

/* States are short words of codefer's own, quoted as they are when they are; few, and
 * the same in runs of rows, so the last answer is kept. */
static int state_is_plain(const char *state)
{
	static char last[32];
	static int last_plain;

	if (strncmp(state, last, sizeof(last))) {
		last_plain = !state[strspn(state, "abcdefghijklmnopqrstuvwxyz -_")];
		snprintf(last, sizeof(last), "%s", state);
	}
	return last_plain;
}

static void json_age(struct jrow *j, const struct coro_row *r)
{
	if (r->age_s < 0)
		JR_LIT(j, "null");
	else
		jr_f3(j, r->age_s);
}

/* A coroutine id as JSON: a number where the runtime numbers them (a per-thread id with
 * its thread after it), else a hex string. */
static void json_id(char *buf, size_t len, const struct model *m, uint64_t id)
{
	if (m->s->plan.ids_per_thread)
		snprintf(buf, len, "%u, \"thread\": %u", (uint32_t)id, (uint32_t)(id >> 32));
	else if (m->s->rt->id_is_number)
		snprintf(buf, len, "%llu", U(id));
	else
		snprintf(buf, len, "\"0x%llx\"", U(id));
}

/* A row's object. A row that shows as it did at the previous refresh but for its age
 * (coro_row.same) is written from the text kept then; any other is made and kept. */
static void json_row(struct jrow *j, struct model *m, struct coro_row *r, int first)
{
	size_t start, age, age_end;
	char *state, *owner, *keep, id[48];
	struct site start_site;
	int plain;

	jr_room(j);
	if (!first)
		JR_LIT(j, ", ");
	if (r->json && r->same && r->json_at + 1 == m->refreshes) {
		jr_n(j, r->json, r->json_age);
		json_age(j, r);
		jr_n(j, r->json + r->json_age, r->json_len - r->json_age);
		r->json_at = m->refreshes;
		return;
	}
	plain = state_is_plain(r->state);
	state = plain ? NULL : json_quote(r->state);
	start = j->n;
	JR_LIT(j, "{\"id\": ");
	json_id(id, sizeof(id), m, r->id);
	jr_s(j, id);
	JR_LIT(j, ", \"state\": ");
	if (plain) {
		JR_LIT(j, "\"");
		jr_s(j, r->state);
		JR_LIT(j, "\"");
	} else {
		jr_s(j, state ? state : "\"?\"");
		free(state);
	}
	JR_LIT(j, ", \"age_s\": ");
	age = j->n;
	json_age(j, r);
	age_end = j->n;
	JR_LIT(j, ", \"defers_pending\": ");
	jr_i(j, r->c.pending);
	JR_LIT(j, ", \"defers_registered\": ");
	jr_u(j, r->c.registered);
	JR_LIT(j, ", \"defers_run\": ");
	jr_u(j, r->c.run);
	JR_LIT(j, ", \"defers_peak\": ");
	jr_i(j, r->c.peak);
	JR_LIT(j, ", \"defers_delta\": ");
	jr_i(j, r->delta);
	JR_LIT(j, ", \"conns_held\": ");
	jr_i(j, r->conns_held);
	JR_LIT(j, ", \"oldest_hold_s\": ");
	jr_f3(j, r->hold_s);
	jr_s(j, r->census ? ", \"census\": true, \"site\": " : ", \"census\": false, \"site\": ");
	jr_s(j, site_json(m, r->site));
	JR_LIT(j, ", \"create_site\": ");
	jr_s(j, json_site(m, &r->c.create_site));
	if (m->s->rt->start_site && (r->c.create_site.kind || r->c.create_site.addr) &&
	    !m->s->rt->start_site(&m->s->rc, &r->c.create_site, &start_site)) {
		JR_LIT(j, ", \"start\": ");
		jr_s(j, json_site(m, &start_site));
	}
	JR_LIT(j, ", \"wait_site\": ");
	jr_s(j, json_site(m, &r->wait_site));
	if (r->owner && (owner = json_quote_untrusted(r->owner))) {
		JR_LIT(j, ", \"owner\": ");
		jr_s(j, owner);
		free(owner);
	}
	JR_LIT(j, ", \"verdict\": \"");
	jr_s(j, verdict_name(r->verdict));
	JR_LIT(j, "\"}");
	/* Kept without the age's value. */
	r->json_len = j->n - start - (age_end - age);
	if (!(keep = realloc(r->json, r->json_len + 1))) {
		free(r->json);
		r->json = NULL;
		return;
	}
	r->json = keep;
	r->json_age = age - start;
	memcpy(keep, j->b + start, r->json_age);
	memcpy(keep + r->json_age, j->b + age_end, j->n - age_end);
	r->json_at = m->refreshes;
}

static double wall_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void json_totals(FILE *f, const struct totals *t)
{
	fprintf(f, "\"totals\": {\"coroutines_live\": %llu, \"coroutines_created\": %llu, "
		"\"coroutines_exited\": %llu, \"defers_pending\": %llu, \"defers_registered\": %llu, "
		"\"defers_run\": %llu, \"defers_lost\": %llu, \"conns_outstanding\": %llu, "
		"\"conns_orphaned\": %llu, \"queues\": %llu, \"timers_pending\": %llu, "
		"\"events\": %llu, \"lost\": %llu}",
		U(t->coroutines_live), U(t->coroutines_created), U(t->coroutines_exited),
		U(t->defers_pending), U(t->defers_registered), U(t->defers_run), U(t->defers_lost),
		U(t->conns_outstanding), U(t->conns_orphaned), U(t->queues), U(t->timers_pending),
		U(t->events), U(t->lost));
}

static void json_counters(FILE *f, const uint64_t counters[C__COUNT])
{
	int c;

	fputs("\"counters\": {", f);
	for (c = 0; c < C__COUNT; c++)
		fprintf(f, "%s\"%s\": %llu", c ? ", " : "", counter_name(c), U(counters[c]));
	fputc('}', f);
}

/* Pending timers and callbacks of the last walk, one entry per printed site, with the
 * classes their closures capture. */
#define TIMER_SITE_CLASSES 16

struct timer_site {
	size_t site;
	uint64_t pending;
	struct { const char *cls; uint64_t n; } caps[TIMER_SITE_CLASSES];
	int ncaps;
};

static int cmp_timer_site(const void *a, const void *b)
{
	const struct timer_site *x = a, *y = b;

	return x->pending < y->pending ? 1 : x->pending > y->pending ? -1 : 0;
}

/* *out is malloc'd; returns how many sites. */
static size_t timer_sites(struct model *m, struct timer_site **out)
{
	const struct session *s = m->s;
	struct timer_site *v = calloc(s->ntimers + 1, sizeof(*v));
	size_t i, n = 0, k;
	int c, j;

	*out = v;
	for (i = 0; v && i < s->ntimers; i++) {
		const struct census_timer *t = &s->timers[i];
		size_t idx = site_tab_index(&m->sites, &t->site);

		for (k = 0; k < n && v[k].site != idx; k++)
			;
		if (k == n)
			v[n++].site = idx;
		v[k].pending++;
		for (c = 0; c < t->ncaptures; c++) {
			for (j = 0; j < v[k].ncaps && strcmp(v[k].caps[j].cls, t->captures[c].cls); j++)
				;
			if (j == v[k].ncaps && j < TIMER_SITE_CLASSES)
				v[k].caps[v[k].ncaps++].cls = t->captures[c].cls;
			if (j < TIMER_SITE_CLASSES)
				v[k].caps[j].n += t->captures[c].n;
		}
	}
	if (v)
		qsort(v, n, sizeof(*v), cmp_timer_site);
	return v ? n : 0;
}

/* Connections out of a walked pool past its limit (a limit that bounds only the idle
 * ones lets them pile up: lua-resty-redis#265), else 0. */
static int64_t over_max(const struct pool_row *p)
{
	return p->walked && p->walked->max >= 0 && p->s.outstanding > p->walked->max ?
	       p->s.outstanding - p->walked->max : 0;
}

static int cmp_row_id(const void *key, const void *row)
{
	uint64_t id = *(const uint64_t *)key;
	const struct coro_row *r = row;

	return id < r->id ? -1 : id > r->id;
}

/* The connections out of `pool`: who holds each (and what it runs for, where the
 * runtime says), taken where, since when. */
static void json_holds(FILE *f, struct model *m, const struct snapshot *snap, uint64_t pool)
{
	const struct coro_row *r;
	const struct hold *h;
	size_t i, n = 0;
	char id[48];

	fputs(", \"conns\": [", f);
	for (i = 0; i < snap->nholds; i++) {
		h = &snap->holds[i];
		if (h->pool != pool || !h->counted)
			continue;
		json_id(id, sizeof(id), m, h->co);
		fprintf(f, "%s{\"conn\": \"0x%llx\", \"coroutine\": %s, \"orphan\": %s, "
			"\"held_s\": %.3f, \"site\": ", n++ ? ", " : "", U(h->conn), id,
			h->orphan ? "true" : "false",
			model_held_s(snap->ns, h->get_ns));
		json_str(f, h->site.kind || h->site.addr ?
			 site_text(m, site_tab_index(&m->sites, &h->site)) : "-");
		r = h->reused ? NULL : bsearch(&h->co, snap->coros, snap->ncoros, sizeof(*r),
					       cmp_row_id);
		if (r && r->owner) {
			fputs(", \"owner\": ", f);
			json_untrusted(f, r->owner);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

/* One process's object, without the line's end. */
static void json_process(FILE *f, struct model *m, const struct snapshot *snap)
{
	static struct jrow rows;
	const struct session *s = m->s;
	struct timer_site *ts;
	size_t i, k, nt;
	int c;

	fprintf(f, "{\"time\": %.3f, \"pid\": %d, \"comm\": ", wall_time(), s->t.pid);
	json_untrusted(f, s->t.comm);
	fputs(", \"runtime\": ", f);
	json_str(f, s->rt->name);
	fputs(", \"version\": ", f);
	json_untrusted(f, s->plan.version);
	fprintf(f, ", \"interval_s\": %.3f, ", snap->interval_s);
	json_totals(f, &snap->tot);
	fputs(", ", f);
	json_counters(f, snap->counters);
	fprintf(f, ", \"census\": {\"done\": %s, \"coroutines\": %zu, \"defers\": %zu, "
		"\"conns\": %zu, \"warning\": ", s->census_done ? "true" : "false", s->census_coros,
		s->census_defers, s->census_conns);
	json_untrusted(f, s->census_warning);
	fprintf(f, ", \"mode\": \"%s\", \"frozen\": %s, \"stall_s\": %.6f, \"walks\": %u, "
		"\"unsettled\": %zu", s->no_probes ? "no-probes" : "probes",
		s->frozen ? "true" : "false", s->stall_ns / 1e9, s->census_walks, s->census_unsettled);
	if (s->freeze_failed[0]) {
		fputs(", \"freeze_failed\": ", f);
		json_str(f, s->freeze_failed);
	}
	fprintf(f, "}, \"walks\": {\"runs\": %u, \"last_s\": %.3f, \"defers\": %zu, "
		"\"exits\": %llu, \"partial\": %s", s->unprobed_walks, s->unprobed_cost_ns / 1e9,
		s->unprobed_defers, U(s->exits_unseen), s->walk_partial ? "true" : "false");
	fputs("}, \"coroutines\": [", f);
	rows.f = f;
	rows.n = 0;
	for (i = 0; i < snap->norder; i++)
		json_row(&rows, m, &snap->coros[snap->order[i]], !i);
	fwrite(rows.b, 1, rows.n, f);
	fputs("], \"pools\": [", f);
	for (i = 0; i < snap->npools; i++) {
		const struct pool_row *p = &snap->pools[i];

		fprintf(f, "%s{\"id\": \"0x%llx\", \"gets\": %llu, \"puts\": %llu, "
			"\"puts_unknown\": %llu, \"outstanding\": %lld, \"peak\": %lld, \"orphans\": %lld, "
			"\"oldest_hold_s\": %.3f, \"site\": ", i ? ", " : "", U(p->pool), U(p->s.gets),
			U(p->s.puts), U(p->s.puts_unknown), L(p->s.outstanding), L(p->s.peak),
			L(p->s.orphans), p->oldest_hold_s);
		json_str(f, site_text(m, p->site));
		if (model_opens_watched(s)) {
			fputs(", \"opened_at\": ", f);
			if (p->opened == SITE_TAB_OOM)
				fputs("null", f);
			else
				json_str(f, site_text(m, p->opened));
			fprintf(f, ", \"opened_before_attach\": %s",
				p->opened == SITE_TAB_OOM ? "true" : "false");
		}
		if (p->walked) {
			fputs(", \"name\": ", f);
			json_untrusted(f, p->walked->name);
			fprintf(f, ", \"open\": %lld, \"idle\": %lld, \"max_open\": %lld, "
				"\"waiters\": %lld, \"over_max\": %lld", L(p->walked->open),
				L(p->walked->idle), L(p->walked->max), L(p->walked->waiters),
				L(over_max(p)));
		}
		json_holds(f, m, snap, p->pool);
		fputc('}', f);
	}
	fputs("], \"sites\": [", f);
	for (i = 0; i < snap->nsites; i++) {
		const struct site_row *r = &snap->sites[i];

		fprintf(f, "%s{\"kind\": \"%s\", \"site\": ", i ? ", " : "", site_kind_name(r->kind));
		json_str(f, site_text(m, r->site));
		fprintf(f, ", \"pending\": %lld, \"delta\": %lld}", L(r->pending), L(r->delta));
	}
	nt = timer_sites(m, &ts);
	for (k = 0; k < nt; k++) {
		fprintf(f, "%s{\"kind\": \"timer\", \"site\": ", i + k ? ", " : "");
		json_str(f, site_text(m, ts[k].site));
		fprintf(f, ", \"pending\": %llu, \"captures\": {", U(ts[k].pending));
		for (c = 0; c < ts[k].ncaps; c++) {
			fputs(c ? ", " : "", f);
			json_untrusted(f, ts[k].caps[c].cls);
			fprintf(f, ": %llu", U(ts[k].caps[c].n));
		}
		fputs("}}", f);
	}
	free(ts);
	fputs("], \"stale_state\": [", f);
	for (i = 0; i < s->nstale; i++) {
		fputs(i ? ", {\"where\": " : "{\"where\": ", f);
		json_untrusted(f, s->stale[i].where);
		fprintf(f, ", \"entries\": %llu, \"oldest_id\": %lld, \"newest_id\": %lld}",
			U(s->stale[i].entries), L(s->stale[i].oldest_id), L(s->stale[i].newest_id));
	}
	fputs("]}", f);
}

void render_json(FILE *f, struct model *m, const struct snapshot *snap)
{
	json_process(f, m, snap);
	fputc('\n', f);
	fflush(f);
}

void render_fleet_json(FILE *f, struct fleet *fl)
{
	uint64_t counters[C__COUNT];
	struct totals t;
	size_t i;

	fleet_totals(fl, &t, counters);
	fprintf(f, "{\"time\": %.3f, \"comm\": ", wall_time());
	if (fl->comm)
		json_untrusted(f, fl->comm);
	else
		fputs("null", f);
	fputs(", \"processes\": [", f);
	for (i = 0; i < fl->n; i++) {
		fputs(i ? ", " : "", f);
		json_process(f, &fl->mem[i]->m, &fl->mem[i]->m.cur);
	}
	fputs("], ", f);
	json_totals(f, &t);
	fputs(", ", f);
	json_counters(f, counters);
	fputs(", \"gone\": [", f);
	for (i = 0; i < fl->ngone; i++) {
		fprintf(f, "%s{\"pid\": %d, \"comm\": ", i ? ", " : "", fl->gone[i].pid);
		json_untrusted(f, fl->gone[i].comm);
		fputc('}', f);
	}
	fprintf(f, "], \"gone_total\": %llu, \"map_bytes\": %llu}\n", U(fl->gone_total),
		U(fleet_map_bytes(fl)));
	fflush(f);
}

/* Prints one line cut to width (0: as is). */
static void line(FILE *f, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void line(FILE *f, int width, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (width > 0 && (int)strlen(buf) > width)
		buf[width] = 0;
	fprintf(f, "%s\n", buf);
}

void age_text(char *buf, size_t len, double s)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s < 120)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%.1fh", s / 3600);
	else
		snprintf(buf, len, "%.1fd", s / 86400);
}

/* PENDING TIMERS and STATE KEPT FOR ENDED COROUTINES, from the last walk. */
static void text_timers_stale(FILE *f, struct model *m, int max_rows, int width)
{
	const struct session *s = m->s;
	struct timer_site *ts;
	char caps[512], cls[128];
	size_t i, nt = timer_sites(m, &ts), n;
	int c;

	if (nt) {
		line(f, width, "%s", "");
		line(f, width, "PENDING TIMERS (%zu, read by the %s)", s->ntimers,
		     s->no_probes ? "last walk" : s->plan.timers_probed ?
		     "probes, the census before attach" : "census at attach");
		line(f, width, "%15s  %s", "PENDING", "REGISTERED AT (CAPTURES)");
	}
	for (i = 0; i < nt && i < (size_t)max_rows; i++) {
		for (c = 0, n = 0, caps[0] = 0; c < ts[i].ncaps && n < sizeof(caps); c++) {
			tty_str(cls, sizeof(cls), ts[i].caps[c].cls);
			n += snprintf(caps + n, sizeof(caps) - n, "%s%s x%llu", c ? ", " : " (", cls,
				      U(ts[i].caps[c].n));
		}
		if (c && n < sizeof(caps))
			snprintf(caps + n, sizeof(caps) - n, ")");
		line(f, width, "%15llu  %s%s", U(ts[i].pending), site_text(m, ts[i].site), caps);
	}
	free(ts);
	if (s->nstale) {
		line(f, width, "%s", "");
		line(f, width, "STATE KEPT FOR ENDED COROUTINES");
		line(f, width, "%15s %10s %10s  %s", "ENTRIES", "OLDEST", "NEWEST", "WHERE");
	}
	for (i = 0; i < s->nstale && i < (size_t)max_rows; i++) {
		tty_str(caps, sizeof(caps), s->stale[i].where);
		line(f, width, "%15llu %10lld %10lld  %s", U(s->stale[i].entries),
		     L(s->stale[i].oldest_id), L(s->stale[i].newest_id), caps);
	}
}

void totals_text(char *buf, size_t len, const struct totals *t)
{
	snprintf(buf, len, "coroutines: %llu live, %llu created, %llu exited | defers: %llu pending, "
		 "%llu registered, %llu run%s | conns: %llu out, %llu orphaned", U(t->coroutines_live),
		 U(t->coroutines_created), U(t->coroutines_exited), U(t->defers_pending),
		 U(t->defers_registered), U(t->defers_run), t->defers_lost ? ", some lost at exit" : "",
		 U(t->conns_outstanding), U(t->conns_orphaned));
}

void proc_text(char *buf, size_t len, const struct model *m)
{
	const struct totals *t = &m->cur.tot;
	char comm[128], ver[256];

	tty_str(comm, sizeof(comm), m->s->t.comm);
	tty_str(ver, sizeof(ver), m->s->plan.version);
	snprintf(buf, len, PROC_FMT, m->s->t.pid, comm, m->s->rt->name, U(t->coroutines_live),
		 U(t->defers_pending), U(t->conns_outstanding), U(t->conns_orphaned), ver);
}

void render_text(FILE *f, struct model *m, const struct snapshot *snap, int max_rows, int width,
		 enum sort_key sorted_by)
{
	const struct session *s = m->s;
	const struct totals *t = &snap->tot;
	const uint64_t *c = snap->counters;
	char comm[128], a[16], b[16], tl[512];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, n;
	int k;

	localtime_r(&now, &tm);
	tty_str(comm, sizeof(comm), s->t.comm);
	line(f, width, "codefer-top - pid %d (%s) - %s - %02d:%02d:%02d - sorted by %s", s->t.pid,
	     comm, s->plan.version, tm.tm_hour, tm.tm_min, tm.tm_sec, sort_key_name(sorted_by));
	totals_text(tl, sizeof(tl), t);
	line(f, width, "%s", tl);
	line(f, width, "events: %llu  lost: %llu (unreadable %llu, map full %llu, truncated %llu)  "
	     "census: %zu coroutines, %zu defers%s%s", U(t->events), U(t->lost), U(c[C_LOST_READ]),
	     U(c[C_LOST_MAP_FULL]), U(c[C_LOST_TRUNCATED]), s->census_coros, s->census_defers,
	     s->census_warning[0] ? " - " : "", s->census_warning);
	if (s->no_probes)
		line(f, width, "no probes: every refresh walks (%u so far, last %.0f ms%s)",
		     s->unprobed_walks, s->unprobed_cost_ns / 1e6,
		     s->walk_partial ? ", PARTIAL: cut short by its budget" : "");
	else if (s->frozen)
		line(f, width, "attach: the target was stopped %.1f ms (--freeze)", s->stall_ns / 1e6);
	else if (s->freeze_failed[0])
		line(f, width, "attach: %s", s->freeze_failed);
	else if (s->stall_ns)
		line(f, width, "attach: the target was stopped %.1f ms for a last quick walk of the "
		     "coroutines that changed during every other", s->stall_ns / 1e6);
	else if (s->census_unsettled)
		line(f, width, "attach: census of a running target: %zu coroutines changed during "
		     "each of its %u walks (their census part may be off by those events)",
		     s->census_unsettled, s->census_walks);
	if (s->unprobed_walks && !s->no_probes)
		line(f, width, "walks at snapshots: %u (last %.0f ms): %zu pending defers no probe sees, "
		     "%llu exits found", s->unprobed_walks, s->unprobed_cost_ns / 1e6,
		     s->unprobed_defers, U(s->exits_unseen));
	if (t->defers_lost || t->queues)
		line(f, width, "defers lost at exit: %llu  channels used as queues (not pools): %llu",
		     U(t->defers_lost), U(t->queues));
	line(f, width, "%s", "");
	line(f, width, "%18s %-11s %6s %8s %6s %7s %5s %-8s %s", "ID", "STATE", "AGE", "PENDING",
	     "+/INT", "PEAK", "CONNS", "VERDICT", "SITE");
	n = snap->norder < (size_t)max_rows ? snap->norder : (size_t)max_rows;
	for (i = 0; i < n; i++) {
		const struct coro_row *r = snap_row(snap, i);
		char id[24];

		model_id_text(m, r->id, id, sizeof(id));
		age_text(a, sizeof(a), r->age_s);
		line(f, width, "%18s %-11.11s %6s %8lld %+6lld %7lld %5lld %-8s %s", id, r->state, a,
		     L(r->c.pending), L(r->delta), L(r->c.peak), L(r->conns_held),
		     verdict_name(r->verdict), site_text(m, r->site));
	}
	if (snap->ncoros > n)
		line(f, width, "%18s (%zu more)", "...", snap->ncoros - n);
	if (snap->npools) {
		line(f, width, "%s", "");
		line(f, width, "%18s %8s %8s %6s %6s %7s %6s %s", "POOL", "GETS", "PUTS", "OUT", "PEAK",
		     "ORPHANS", "HELD", "LONGEST HELD TAKEN AT");
		for (i = 0; i < snap->npools && i < (size_t)max_rows; i++) {
			const struct pool_row *p = &snap->pools[i];
			char id[256], opened[512], taken[24] = "-", back[24] = "-";

			model_pool_id(p, id, sizeof(id));
			/* A name wider than its column (a framework pool's class[name]) has a line. */
			if (strlen(id) > 18) {
				line(f, width, "%s", id);
				id[0] = 0;
			}
			age_text(b, sizeof(b), p->oldest_hold_s);
			/* Probes that cannot tell a pool count no gets or puts per pool. */
			if (!s->plan.pools_walked) {
				snprintf(taken, sizeof(taken), "%llu", U(p->s.gets));
				snprintf(back, sizeof(back), "%llu", U(p->s.puts));
			}
			line(f, width, "%18s %8s %8s %6lld %6lld %7lld %6s %s", id, taken, back,
			     L(p->s.outstanding), L(p->s.peak), L(p->s.orphans), b,
			     site_text(m, p->site));
			if (model_opens_watched(s)) {
				model_pool_opened(m, p, opened, sizeof(opened));
				line(f, width, "%18s %s", "", opened);
			}
			if (p->walked)
				line(f, width, "%18s idle %lld, waiting to connect %lld", "",
				     L(p->walked->idle), L(p->walked->waiters));
			if (over_max(p))
				line(f, width, "%18s OVER LIMIT: %lld out, limit %lld: it does not bound "
				     "the connections lent", "", L(p->s.outstanding), L(p->walked->max));
		}
	}
	for (k = 0; k < SK__COUNT; k++) {
		static const char *const heads[] = { "PENDING DEFERS", "CONNS OUT", "LIVE COROUTINES" };
		static const char *const what[] = { "REGISTERED AT", "TAKEN AT", "CREATED AT" };
		size_t shown = 0;

		for (i = 0; i < snap->nsites && shown < (size_t)max_rows; i++) {
			const struct site_row *r = &snap->sites[i];

			if (r->kind != (enum site_row_kind)k || !r->pending)
				continue;
			if (!shown++) {
				line(f, width, "%s", "");
				line(f, width, "%15s %6s  %s", heads[k], "+/INT", what[k]);
			}
			line(f, width, "%15lld %+6lld  %s", L(r->pending), L(r->delta), site_text(m, r->site));
		}
	}
	text_timers_stale(f, m, max_rows, width);
	fflush(f);
}

void render_fleet_text(FILE *f, struct fleet *fl, int max_rows, int width, enum sort_key sorted_by)
{
	uint64_t counters[C__COUNT];
	char buf[1024], comm[64];
	time_t now = time(NULL);
	struct totals t;
	struct tm tm;
	size_t i;

	fleet_totals(fl, &t, counters);
	localtime_r(&now, &tm);
	if (fl->comm)
		tty_str(comm, sizeof(comm), fl->comm);
	line(f, width, "codefer-top - %zu process%s%s%s - BPF maps %llu MB - %02d:%02d:%02d - "
	     "sorted by %s", fl->n, fl->n == 1 ? "" : "es", fl->comm ? " named " : "",
	     fl->comm ? comm : "", U(fleet_map_bytes(fl) >> 20), tm.tm_hour, tm.tm_min, tm.tm_sec,
	     sort_key_name(sorted_by));
	totals_text(buf, sizeof(buf), &t);
	line(f, width, "sum: %s", buf);
	for (i = 0; i < fl->ngone; i++) {
		tty_str(comm, sizeof(comm), fl->gone[i].comm);
		line(f, width, "gone: pid %d (%s) exited; detached", fl->gone[i].pid, comm);
	}
	line(f, width, PROC_HEAD);
	for (i = 0; i < fl->n; i++) {
		proc_text(buf, sizeof(buf), &fl->mem[i]->m);
		line(f, width, "%s", buf);
	}
	if (!fl->n)
		line(f, width, "%8s (no process named %s yet: waiting for one)", "", comm);
	for (i = 0; i < fl->n; i++) {
		line(f, width, "%s", "");
		render_text(f, &fl->mem[i]->m, &fl->mem[i]->m.cur, max_rows, width, sorted_by);
	}
	fflush(f);
}

void render_explain(FILE *f, const struct session *s)
{
	char a[1024], b[1024];
	int i;

	tty_str(a, sizeof(a), s->t.comm);
	tty_str(b, sizeof(b), s->t.exe);
	fprintf(f, "pid %d (%s), executable %s\nruntime: %s (%s)\n\nmodules probed:\n", s->t.pid, a,
		b, s->rt->name, s->plan.version);
	for (i = 0; i < s->t.nmods; i++) {
		struct module *m = &s->t.mods[i];
		const char *dbg;
		int j, used = 0;

		for (j = 0; j < s->plan.n && !used; j++)
			used = s->plan.pts[j].mod == m;
		if (!used)
			continue;
		dbg = m->elf ? elf_file_debug_path(m->elf) : NULL;
		tty_str(a, sizeof(a), m->path);
		tty_str(b, sizeof(b), dbg ? dbg : "none");
		fprintf(f, "  %s\n    mapped at 0x%llx-0x%llx, load bias 0x%llx, debug file %s\n", a,
			U(m->start), U(m->end), U(m->bias), b);
	}
	fputs("\nprobe points:\n", f);
	for (i = 0; i < s->plan.n; i++) {
		const struct probe_point *p = &s->plan.pts[i];
		const struct loc *locs[] = { &p->cfg.co, &p->cfg.pool, &p->cfg.conn, &p->cfg.site_frame,
					     &p->cfg.site, &p->cfg.site_aux, &p->cfg.cond, &p->cfg.save };
		static const char *const names[] = { "co", "pool", "conn", "frame", "site", "site_aux",
						     "if", "save" };
		size_t j;

		tty_str(a, sizeof(a), p->desc);
		tty_str(b, sizeof(b), p->mod->path);
		fprintf(f, "  %-9s %s\n            in %s at file offset 0x%llx\n",
			p->cfg.kind < EV__COUNT ? event_name(p->cfg.kind) : "?", a, b, U(p->file_off));
		if (p->emulated >= 0)
			fprintf(f, "            on `%s`: %s\n", p->insn, p->emulated ?
				"the kernel emulates it (a trap)" :
				"the kernel single-steps it (two traps: costlier)");
		fputs("           ", f);
		for (j = 0; j < sizeof(locs) / sizeof(locs[0]); j++) {
			if (!locs[j]->base)
				continue;
			loc_format(locs[j], a, sizeof(a));
			fprintf(f, " %s=%s", names[j], a);
		}
		if (p->cfg.flags & PF_COND_ZERO)
			fputs(" (if ==0)", f);
		if (p->cfg.flags & PF_COND_NONZERO)
			fputs(" (if !=0)", f);
		if (p->cfg.flags & PF_COND_EQ)
			fprintf(f, " (if ==%llu)", U(p->cfg.cond_val));
		if (p->cfg.flags & PF_SITE_FUSED)
			fputs(" (site halves: one read)", f);
		fputc('\n', f);
	}
	if (s->plan.notes[0]) {
		fputs("\nnotes:\n", f);
		for (const char *p = s->plan.notes; *p; ) {
			size_t n = strcspn(p, "\n");

			snprintf(b, sizeof(b), "%.*s", (int)n, p);
			tty_str(a, sizeof(a), b);
			fprintf(f, "  %s\n", a);
			p += n + (p[n] == '\n');
		}
	}
	if (s->no_probes)
		fprintf(f, "\n--no-probes: none of these probes is placed; every refresh walks the "
			"runtime's structures with the %s walker (pending defers, held connections, "
			"walked pools; created and exited from the ids between walks; defers "
			"registered and run are not counted)\n", s->walker ? s->walker->name : "(no)");
	fprintf(f, "\ncensus at attach: %s, %s\n", s->walker ? s->walker->name : "none (no walker)",
		s->frozen_asked ? "the target stopped meanwhile (--freeze)"
				: "taken while the target runs, reconciled with the probes");
	if (s->walker && (s->walker->has_unprobed || s->walker->exits_unprobed ||
			  s->walker->rewalks_heap))
		fprintf(f, "walked again at each snapshot (at most a tenth of the time): %s\n",
			s->walker->has_unprobed ? "pending defers no probe sees" :
			s->walker->exits_unprobed ? "the living, for exits no probe sees" :
			"pools, who holds what, state kept for ended coroutines, wait sites");
	fprintf(f, "pools: %s\ndefers pending at exit: %s\n",
		s->plan.pools_walked ? "their own figures, read at each walk; the probes say who "
				       "took each connection out, and where" :
		s->plan.pools_need_round_trip ? "a channel counts as a pool once something taken "
						"from it comes back" : "every get/put pair",
		s->plan.exit_runs_defers ? "run by the exit" : "lost (never run)");
}
