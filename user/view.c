// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The live view (see view.h): keys as in htop and k9s. Every text on screen either comes
 * from the site table (already terminal-safe) or is escaped here (tty_str). */
#define _GNU_SOURCE
#include <curses.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include "escape.h"
#include "fleet.h"
#include "render.h"
#include "view.h"

enum col { COL_ID, COL_STATE, COL_AGE, COL_PENDING, COL_DELTA, COL_PEAK, COL_CONNS,
	   COL_VERDICT, COL_SITE, COL__COUNT };
enum mode { M_TABLE, M_FILTER, M_DETAIL, M_HELP };
enum pair { P_GROWING = 1, P_PILING, P_HOLDING, P_BANNER, P_HEAD };

static const struct {
	const char *name;
	int width;		/* negative: left-aligned; 0: the rest of the line */
} cols[COL__COUNT] = {
	{ "ID", 18 }, { "STATE", -11 }, { "AGE", 6 }, { "PENDING", 8 }, { "+/INT", 6 },
	{ "PEAK", 7 }, { "CONNS", 6 }, { "VERDICT", -8 }, { "SITE", 0 },
};

struct view {
	struct fleet *fl;
	struct model *m;		/* the process shown: fl's member cur, NULL when none */
	size_t cur;
	pid_t cur_pid;			/* kept across refreshes, as members come and go */
	char news[640];			/* processes gone or passed over, shown a while */
	uint64_t news_until;
	const struct view_opts *o;
	enum mode mode, back;		/* back: where help returns to */
	enum col sort;
	int invert, paused, color;
	char filter[64], edit[64];	/* applied, and being typed */
	size_t *rows, nrows;		/* indexes into m->cur.coros: filtered, sorted */
	uint64_t sel_id;		/* the selected coroutine, kept across refreshes */
	int have_sel;
	size_t sel, top;		/* selected row and first row shown */
	int detail_top;
};

static const char *site_text(const struct model *m, size_t idx)
{
	return idx == SITE_TAB_OOM || idx >= m->sites.n ? "-" : m->sites.names[idx].text;
}

/* Numbers sort largest first, texts A to Z, verdicts worst first; ties by pending, id. */
static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct view *v = arg;
	const struct coro_row *x = &v->m->cur.coros[*(const size_t *)a],
			      *y = &v->m->cur.coros[*(const size_t *)b];
	double dx = 0, dy = 0;
	int r = 0;

	switch (v->sort) {
	case COL_ID:
		r = x->id < y->id ? -1 : x->id > y->id;
		break;
	case COL_STATE:
		r = strcmp(x->state ? x->state : "", y->state ? y->state : "");
		break;
	case COL_SITE:
		r = strcmp(site_text(v->m, x->site), site_text(v->m, y->site));
		break;
	case COL_AGE: dx = x->age_s, dy = y->age_s; break;
	case COL_PENDING: dx = x->c.pending, dy = y->c.pending; break;
	case COL_DELTA: dx = x->delta, dy = y->delta; break;
	case COL_PEAK: dx = x->c.peak, dy = y->c.peak; break;
	case COL_CONNS: dx = x->conns_held, dy = y->conns_held; break;
	case COL_VERDICT: dx = x->verdict, dy = y->verdict; break;
	default: break;
	}
	if (!r && dx != dy)
		r = dx > dy ? -1 : 1;
	if (v->invert)
		r = -r;
	if (!r && x->c.pending != y->c.pending)
		r = x->c.pending > y->c.pending ? -1 : 1;
	return r ? r : x->id < y->id ? -1 : x->id > y->id;
}

/* While the filter is typed the rows follow it, as in htop. */
static int matches(const struct view *v, const struct coro_row *r)
{
	const char *f = v->mode == M_FILTER ? v->edit : v->filter;
	char id[24];

	if (!f[0])
		return 1;
	model_id_text(v->m, r->id, id, sizeof(id));
	return strcasestr(id, f) || (r->state && strcasestr(r->state, f)) ||
	       strcasestr(site_text(v->m, r->site), f);
}

/* The column of each of the model's orders (model_sort: kept from one refresh to the
 * next, only the rows that changed sorted again). */
static const enum col key_col[] = { [SORT_PENDING] = COL_PENDING, [SORT_CONNS] = COL_CONNS,
				    [SORT_AGE] = COL_AGE, [SORT_GROWTH] = COL_DELTA };

/* The model's order for column c, largest first, when it keeps one. */
static int model_key(enum col c, enum sort_key *key)
{
	size_t k;

	for (k = 0; k < sizeof(key_col) / sizeof(*key_col); k++)
		if (key_col[k] == c) {
			*key = (enum sort_key)k;
			return 1;
		}
	return 0;
}

/* The rows to show, in order; the selection follows its coroutine. */
static void build_rows(struct view *v)
{
	struct snapshot *s = v->m ? &v->m->cur : NULL;
	size_t i, *rows = realloc(v->rows, ((s ? s->ncoros : 0) + 1) * sizeof(*rows));
	enum sort_key key;

	if (!rows)
		return;
	v->rows = rows;
	v->nrows = 0;
	if (!s) {
		v->have_sel = 0;
		return;
	}
	/* The same order as cmp_rows', the model's: the matching rows taken in it. */
	if (!v->invert && model_key(v->sort, &key) && !model_sort(s, key, 0)) {
		for (i = 0; i < s->ncoros; i++)
			if (matches(v, &s->coros[s->order[i]]))
				v->rows[v->nrows++] = s->order[i];
	} else {
		for (i = 0; i < s->ncoros; i++)
			if (matches(v, &s->coros[i]))
				v->rows[v->nrows++] = i;
		qsort_r(v->rows, v->nrows, sizeof(*v->rows), cmp_rows, v);
	}
	for (i = 0; v->have_sel && i < v->nrows; i++)
		if (s->coros[v->rows[i]].id == v->sel_id) {
			v->sel = i;
			return;
		}
	if (v->sel >= v->nrows)
		v->sel = v->nrows ? v->nrows - 1 : 0;
	/* A coroutine's detail stays on it once it has ended (draw_detail says so). */
	if (v->mode == M_DETAIL)
		return;
	v->have_sel = v->nrows > 0;
	if (v->have_sel)
		v->sel_id = s->coros[v->rows[v->sel]].id;
}

static void move_sel(struct view *v, long by)
{
	long to = (long)v->sel + by;

	if (!v->nrows)
		return;
	v->sel = to < 0 ? 0 : to >= (long)v->nrows ? v->nrows - 1 : (size_t)to;
	v->sel_id = v->m->cur.coros[v->rows[v->sel]].id;
	v->have_sel = 1;
}

/* One line at y, cut to the screen; attributes around it. */
static void put(int y, int attr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void put(int y, int attr, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	if (y >= LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attron(attr);
	mvaddnstr(y, 0, buf, COLS);
	if (attr & A_REVERSE)
		for (int x = (int)strlen(buf); x < COLS; x++)
			mvaddch(y, x, ' ');
	attroff(attr);
}

static int color(const struct view *v, enum pair p)
{
	return v->color ? COLOR_PAIR(p) : 0;
}

static int verdict_attr(const struct view *v, enum verdict vd)
{
	switch (vd) {
	case V_GROWING: return color(v, P_GROWING) | A_BOLD;
	case V_PILING: return color(v, P_PILING) | A_BOLD;
	case V_HOLDING: return color(v, P_HOLDING);
	default: return 0;
	}
}

/* Several processes: the sums, a line per process (the one shown reversed) and the news
 * of those that came and went; returns the next free line. */
static int draw_fleet(struct view *v, int y)
{
	const struct fleet *fl = v->fl;
	uint64_t counters[C__COUNT];
	char buf[1024], comm[64] = "";
	size_t i, first = 0, room = LINES > 16 ? (size_t)LINES / 4 : 3;
	struct totals t;

	fleet_totals(fl, &t, counters);
	if (fl->comm)
		tty_str(comm, sizeof(comm), fl->comm);
	put(y++, color(v, P_HEAD) | A_BOLD, "codefer-top - %zu process%s%s%s - BPF maps %llu MB - "
	    "Tab: the next one", fl->n, fl->n == 1 ? "" : "es", fl->comm ? " named " : "", comm,
	    (unsigned long long)(fleet_map_bytes(fl) >> 20));
	totals_text(buf, sizeof(buf), &t);
	put(y++, 0, "sum: %s", buf);
	if (v->news[0] && mono_ns() < v->news_until)
		put(y++, color(v, P_BANNER) | A_BOLD, "%s", v->news);
	put(y++, A_BOLD, PROC_HEAD);
	if (v->cur >= room)
		first = v->cur - room + 1;
	for (i = first; i < fl->n && i < first + room; i++) {
		proc_text(buf, sizeof(buf), &fl->mem[i]->m);
		put(y++, i == v->cur ? A_REVERSE : 0, "%s", buf);
	}
	if (!fl->n)
		put(y++, 0, "%8s (no process named %s yet: waiting for one)", "", comm);
	return y + 1;
}

/* The process shown: header, totals and the warnings banner from line y; returns the
 * next free line. */
static int draw_head(struct view *v, int y)
{
	const struct session *s = v->m->s;
	const struct totals *t = &v->m->cur.tot;
	const uint64_t *c = v->m->cur.counters;
	char comm[128], ver[256], warn[512] = "", tl[512];
	time_t now = time(NULL);
	struct tm tm;
	int n = 0, nwarn = 0;

	localtime_r(&now, &tm);
	tty_str(comm, sizeof(comm), s->t.comm);
	tty_str(ver, sizeof(ver), s->plan.version);
	put(y++, color(v, P_HEAD) | A_BOLD, "codefer-top - pid %d (%s) - %s - %02d:%02d:%02d%s%s%s",
	    s->t.pid, comm, ver, tm.tm_hour, tm.tm_min, tm.tm_sec, v->paused ? " - PAUSED" : "",
	    v->filter[0] ? " - filter: " : "", v->filter);
	totals_text(tl, sizeof(tl), t);
	put(y++, 0, "%s", tl);
	/* What makes the figures incomplete, counted, so nobody trusts them blindly. */
	if (t->lost) {
		nwarn++;
		n += snprintf(warn + n, sizeof(warn) - n, " | %llu events lost (unreadable %llu, "
			      "map full %llu, truncated %llu)", (unsigned long long)t->lost,
			      (unsigned long long)c[C_LOST_READ], (unsigned long long)c[C_LOST_MAP_FULL],
			      (unsigned long long)c[C_LOST_TRUNCATED]);
	}
	if (s->census_warning[0] && n < (int)sizeof(warn)) {
		nwarn++;
		n += snprintf(warn + n, sizeof(warn) - n, " | partial walk: %s", s->census_warning);
	}
	if (!s->census_done && s->walker && !s->no_walks && n < (int)sizeof(warn)) {
		nwarn++;
		n += snprintf(warn + n, sizeof(warn) - n, " | census not done");
	}
	if (t->defers_lost && n < (int)sizeof(warn)) {
		nwarn++;
		snprintf(warn + n, sizeof(warn) - n, " | %llu defers lost at exit",
			 (unsigned long long)t->defers_lost);
	}
	if (nwarn) {
		char safe[1024];

		tty_str(safe, sizeof(safe), warn + 3);
		put(y++, color(v, P_BANNER) | A_BOLD, "%d warning%s: %s", nwarn, nwarn > 1 ? "s" : "",
		    safe);
	} else {
		put(y++, 0, "events: %llu, none lost", (unsigned long long)t->events);
	}
	return y;
}

/* States are escaped here; sites come escaped from the site table. */
static void cell(char *buf, size_t len, const struct view *v, const struct coro_row *r, enum col k)
{
	switch (k) {
	case COL_ID: model_id_text(v->m, r->id, buf, len); break;
	case COL_STATE: tty_str(buf, len, r->state ? r->state : "-"); break;
	case COL_AGE: age_text(buf, len, r->age_s); break;
	case COL_PENDING: snprintf(buf, len, "%lld", (long long)r->c.pending); break;
	case COL_DELTA: snprintf(buf, len, "%+lld", (long long)r->delta); break;
	case COL_PEAK: snprintf(buf, len, "%lld", (long long)r->c.peak); break;
	case COL_CONNS: snprintf(buf, len, "%lld", (long long)r->conns_held); break;
	case COL_VERDICT: snprintf(buf, len, "%s", verdict_name(r->verdict)); break;
	default: snprintf(buf, len, "%s", site_text(v->m, r->site)); break;
	}
}

/* cols[] laid out into buf: each cell cut to its width. */
static void layout(char *buf, size_t len, char cells[COL__COUNT][512])
{
	size_t n = 0;
	int k;

	for (k = 0; k < COL__COUNT && n < len; k++) {
		int w = cols[k].width;

		n += snprintf(buf + n, len - n, "%s%*.*s", k ? " " : "", w ? w : 1,
			      w ? abs(w) : 4096, cells[k]);
	}
}

static void draw_table(struct view *v, int y, int bottom)
{
	char cells[COL__COUNT][512], line[4096];
	int k, height = bottom - y - 1;
	size_t i;

	for (k = 0; k < COL__COUNT; k++)
		snprintf(cells[k], sizeof(cells[k]), "%s%s", cols[k].name,
			 k == (int)v->sort ? (v->invert ? "^" : "v") : "");
	layout(line, sizeof(line), cells);
	put(y++, A_REVERSE | A_BOLD, "%s", line);
	if (height < 1)
		return;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + (size_t)height)
		v->top = v->sel - height + 1;
	for (i = v->top; i < v->nrows && y < bottom; i++, y++) {
		const struct coro_row *r = &v->m->cur.coros[v->rows[i]];
		int attr = verdict_attr(v, r->verdict);

		for (k = 0; k < COL__COUNT; k++)
			cell(cells[k], sizeof(cells[k]), v, r, k);
		layout(line, sizeof(line), cells);
		put(y, attr | (i == v->sel ? A_REVERSE : 0), "%s", line);
	}
	if (!v->nrows)
		put(y, 0, "%18s", v->filter[0] ? "(no coroutine matches the filter)" : "(no coroutine)");
}

/* Under the table: pools, then the sites holding most, as much as fits. */
static void draw_bottom(struct view *v, int y, int bottom)
{
	const struct snapshot *s = &v->m->cur;
	static const char *const heads[] = { "PENDING DEFERS", "CONNS OUT", "LIVE COROUTINES" };
	static const char *const what[] = { "REGISTERED AT", "TAKEN AT", "CREATED AT" };
	char a[16];
	size_t i;
	int k;

	if (s->npools && y + 2 < bottom) {
		put(y++, A_BOLD, "%18s %8s %8s %6s %6s %7s %6s %s", "POOL", "GETS", "PUTS", "OUT",
		    "PEAK", "ORPHANS", "HELD", "LONGEST HELD TAKEN AT");
		for (i = 0; i < s->npools && y < bottom; i++) {
			const struct pool_row *p = &s->pools[i];
			char id[256], opened[512];

			model_pool_id(p, id, sizeof(id));
			/* A name wider than its column (a framework pool's class[name]) has a line. */
			if (strlen(id) > 18 && y + 1 < bottom) {
				put(y++, 0, "%s", id);
				id[0] = 0;
			}
			age_text(a, sizeof(a), p->oldest_hold_s);
			put(y++, p->s.orphans ? color(v, P_HOLDING) : 0,
			    "%18s %8llu %8llu %6lld %6lld %7lld %6s %s", id,
			    (unsigned long long)p->s.gets, (unsigned long long)p->s.puts,
			    (long long)p->s.outstanding, (long long)p->s.peak, (long long)p->s.orphans, a,
			    site_text(v->m, p->site));
			if (model_opens_watched(v->m->s) && y < bottom) {
				model_pool_opened(v->m, p, opened, sizeof(opened));
				put(y++, 0, "%18s %s", "", opened);
			}
		}
	}
	for (k = 0; k < SK__COUNT && y + 2 < bottom; k++) {
		int shown = 0;

		for (i = 0; i < s->nsites && y < bottom; i++) {
			const struct site_row *r = &s->sites[i];

			if (r->kind != (enum site_row_kind)k || !r->pending)
				continue;
			if (!shown++)
				put(y++, A_BOLD, "%15s %6s  %s", heads[k], "+/INT", what[k]);
			put(y++, 0, "%15lld %+6lld  %s", (long long)r->pending, (long long)r->delta,
			    site_text(v->m, r->site));
		}
	}
}

static void draw_keys(struct view *v)
{
	if (v->mode == M_FILTER) {
		put(LINES - 1, A_BOLD, "filter (id, state or site): %s_   Enter applies, Esc clears", v->edit);
		return;
	}
	put(LINES - 1, A_REVERSE, "%s%s",
	    v->mode == M_DETAIL ? "Esc back  j/k scroll  ? help  q quit"
				: "? help  / filter  Enter detail  Space pause  j/k select  < > sort  "
				  "I invert  p c a g  q quit", v->fl->single ? "" : "  Tab process");
}

static const char *const help[] = {
	"codefer-top keys",
	"",
	"  ? F1          this help (any key closes it)",
	"  /             filter by a substring of id, state or site; Enter applies, Esc clears",
	"  Esc           clear the filter; in a coroutine's detail, back to the table",
	"  Space         pause (the target keeps running; figures stop changing)",
	"  Up Down j k   select a row; PgUp PgDn Home End",
	"  Enter         the selected coroutine's detail: its pending defers by site, the",
	"                connections it holds, where it was created",
	"  < >           sort by the previous / next column",
	"  I             invert the sort order",
	"  p c a g       sort by pending, conns, age, growth (+/INT)",
	"  Tab S-Tab     several processes: show the next / previous one",
	"  q             quit",
	"",
	"Colours: growing red, piling magenta, holding yellow (--no-color or NO_COLOR: none).",
	"Verdicts: growing (pending rose and never fell for --grow s), piling (at least --pile",
	"pending), holding (a connection held --hold s or more), ok.",
};

static void draw_help(void)
{
	size_t i;

	for (i = 0; i < sizeof(help) / sizeof(help[0]); i++)
		put((int)i, i ? 0 : A_BOLD, "%s", help[i]);
}

struct site_count {
	size_t idx;		/* in the model's site table */
	uint64_t n;
};

static int cmp_count_desc(const void *a, const void *b)
{
	const struct site_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

struct site_list {
	struct model *m;
	struct site_count *list;
	size_t n;
};

/* model_row_sites' callback: c pending defers at site st, one entry per printed site. */
static int add_site(void *arg, const struct site *st, int64_t c)
{
	struct site_list *l = arg;
	size_t idx = site_tab_index(&l->m->sites, st), j;
	struct site_count *p;

	if (c <= 0)
		return 0;
	for (j = 0; j < l->n && l->list[j].idx != idx; j++)
		;
	if (j == l->n) {
		if (!(p = realloc(l->list, (l->n + 1) * sizeof(*p))))
			return -1;
		l->list = p;
		p[l->n++] = (struct site_count){ .idx = idx };
	}
	l->list[j].n += c;
	return 0;
}

/* The selected coroutine: figures, create site, pending defers by site (probed and
 * walked), the connections it holds. Lines go to out[] (at most max). */
static int detail_lines(struct view *v, const struct coro_row *r, char (*out)[1024], int max)
{
	struct model *m = v->m;
	const struct conn_hold *ck = m->raw_conns.vals;
	struct site_list sites = { .m = m };
	struct site_count *by_site;
	size_t i, nsites = 0;
	uint64_t now = mono_ns();
	char id[24], a[16], state[64];
	int n = 0, held = 0;

#define LINE(...) do { if (n < max) snprintf(out[n++], sizeof(out[0]), __VA_ARGS__); } while (0)
	model_id_text(m, r->id, id, sizeof(id));
	age_text(a, sizeof(a), r->age_s);
	tty_str(state, sizeof(state), r->state ? r->state : "-");
	LINE("coroutine %s - %s - state %s - age %s", id, verdict_name(r->verdict), state, a);
	LINE("pending defers %lld (registered %llu, run %llu, peak %lld, %+lld since the last "
	     "refresh)", (long long)r->c.pending, (unsigned long long)r->c.registered,
	     (unsigned long long)r->c.run, (long long)r->c.peak, (long long)r->delta);
	LINE("created at: %s", site_text(m, site_tab_index(&m->sites, &r->c.create_site)));
	if (r->wait_site.kind || r->wait_site.addr)
		LINE("waiting at: %s", site_text(m, site_tab_index(&m->sites, &r->wait_site)));
	else
		LINE("waiting at: not known (the census reads it, for runtimes that keep it)");
	if (r->owner) {
		tty_str(state, sizeof(state), r->owner);
		LINE("runs for: %s", state);
	}
	LINE("%s", "");
	/* Per printed site: what the probes counted, the walks found and the census read. */
	model_row_sites(m, r, add_site, &sites);
	by_site = sites.list;
	nsites = sites.n;
	qsort(by_site, nsites, sizeof(*by_site), cmp_count_desc);
	LINE("%8s  %s", "PENDING", "DEFERS REGISTERED AT");
	for (i = 0; i < nsites; i++)
		LINE("%8llu  %s", (unsigned long long)by_site[i].n, site_text(m, by_site[i].idx));
	if (!nsites)
		LINE("%8s  (none pending)", "");
	free(by_site);
	LINE("%s", "");
	LINE("%8s  %18s  %s", "HELD FOR", "POOL", "CONNECTION TAKEN AT");
	for (i = 0; i < m->raw_conns.n; i++) {
		if (ck[i].co != r->id || ck[i].orphan)
			continue;
		held++;
		age_text(a, sizeof(a), model_held_s(now, ck[i].get_ns));
		LINE("%8s  %#18llx  %s", a, (unsigned long long)ck[i].pool,
		     site_text(m, site_tab_index(&m->sites, &ck[i].site)));
	}
	if (!held)
		LINE("%8s  (holds no connection)", "");
#undef LINE
	return n;
}

static void draw_detail(struct view *v)
{
	static char lines[256][1024];
	const struct coro_row *r = NULL;
	char id[24];
	size_t i;
	int n, y = 0, k;

	for (i = 0; i < v->m->cur.ncoros && !r; i++)
		if (v->m->cur.coros[i].id == v->sel_id)
			r = &v->m->cur.coros[i];
	model_id_text(v->m, v->sel_id, id, sizeof(id));
	if (!r) {
		put(y, A_BOLD, "coroutine %s has ended (Esc: back to the table)", id);
		return;
	}
	n = detail_lines(v, r, lines, 256);
	if (v->detail_top > n - 1)
		v->detail_top = n > 0 ? n - 1 : 0;
	put(y++, verdict_attr(v, r->verdict) | A_BOLD, "%s", lines[0]);
	for (k = 1 + v->detail_top; k < n && y < LINES - 1; k++)
		put(y++, 0, "%s", lines[k]);
}

static void draw(struct view *v)
{
	int y;

	erase();
	if (v->mode == M_HELP) {
		draw_help();
	} else if (v->mode == M_DETAIL) {
		draw_detail(v);
	} else {
		int bottom = LINES - 1, table_end;

		y = v->fl->single ? 0 : draw_fleet(v, 0);
		if (!v->m) {
			draw_keys(v);
			refresh();
			return;
		}
		y = draw_head(v, y);
		/* The table gets two thirds of what is left, the pools and sites the rest. */
		table_end = y + 1 + (bottom - y - 1) * 2 / 3;
		if ((size_t)(table_end - y - 1) > v->nrows + 1)
			table_end = y + 1 + (int)v->nrows + 1;
		draw_table(v, y, table_end);
		draw_bottom(v, table_end + 1, bottom);
	}
	draw_keys(v);
	refresh();
}

/* Shows member i of the fleet; (size_t)-1: the one shown so far, found again by its pid
 * after a refresh (or its neighbour, once it has gone). Another process starts afresh. */
static void show_member(struct view *v, size_t i)
{
	const struct fleet *fl = v->fl;
	pid_t pid;

	if (i == (size_t)-1) {
		for (i = 0; i < fl->n && fl->mem[i]->s.t.pid != v->cur_pid; i++)
			;
		if (i == fl->n)
			i = v->cur < fl->n ? v->cur : fl->n ? fl->n - 1 : 0;
	}
	v->cur = i;
	v->m = i < fl->n ? &fl->mem[i]->m : NULL;
	pid = v->m ? v->m->s->t.pid : 0;
	if (pid != v->cur_pid) {
		v->have_sel = 0;
		v->sel = v->top = 0;
		if (v->mode == M_DETAIL)
			v->mode = M_TABLE;
		if (v->back == M_DETAIL)
			v->back = M_TABLE;
	}
	v->cur_pid = pid;
}

/* The processes that ended or were passed over at the last refresh, for a while. */
static void take_news(struct view *v)
{
	const struct fleet *fl = v->fl;
	char comm[64], safe[512];
	size_t i, n = 0;

	if (!fl->ngone && !fl->note[0])
		return;
	for (i = 0; i < fl->ngone && n < sizeof(v->news); i++) {
		tty_str(comm, sizeof(comm), fl->gone[i].comm);
		n += snprintf(v->news + n, sizeof(v->news) - n, "%s pid %d (%s)", i ? "," : "gone:",
			      fl->gone[i].pid, comm);
	}
	if (fl->note[0] && n < sizeof(v->news)) {
		tty_str(safe, sizeof(safe), fl->note);
		snprintf(v->news + n, sizeof(v->news) - n, "%s%s", n ? "; " : "", safe);
	}
	v->news_until = mono_ns() + 10000000000ull;
}

/* One key; returns 1 to quit. */
static int key(struct view *v, int ch)
{
	int page = LINES > 8 ? LINES - 8 : 1;

	if (v->mode == M_HELP) {
		v->mode = v->back;
		return 0;
	}
	if (ch == KEY_F(1) || (ch == '?' && v->mode != M_FILTER)) {
		v->back = v->mode;
		v->mode = M_HELP;
		return 0;
	}
	if (v->mode == M_FILTER) {
		size_t n = strlen(v->edit);

		if (ch == 27) {
			v->filter[0] = v->edit[0] = 0;
			v->mode = M_TABLE;
		} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			memcpy(v->filter, v->edit, sizeof(v->filter));
			v->mode = M_TABLE;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n) {
			/* A whole character: UTF-8 continuation bytes with it. */
			while (n > 1 && ((unsigned char)v->edit[n - 1] & 0xc0) == 0x80)
				n--;
			v->edit[n - 1] = 0;
		} else if (((ch >= 32 && ch < 127) || (ch >= 0x80 && ch <= 0xff)) &&
			   n + 1 < sizeof(v->edit)) {
			/* Bytes of UTF-8 too (getch gives a character's bytes one by one): sites
			 * are UTF-8. */
			v->edit[n] = (char)ch;
			v->edit[n + 1] = 0;
		}
		build_rows(v);
		return 0;
	}
	if (ch == 'q' || ch == 'Q')
		return 1;
	if (ch == ' ') {
		v->paused = !v->paused;
		return 0;
	}
	if (v->mode == M_DETAIL) {
		if (ch == 27 || ch == KEY_LEFT || ch == KEY_BACKSPACE || ch == 127)
			v->mode = M_TABLE;
		else if (ch == 'j' || ch == KEY_DOWN)
			v->detail_top++;
		else if ((ch == 'k' || ch == KEY_UP) && v->detail_top)
			v->detail_top--;
		return 0;
	}
	switch (ch) {
	case '/':
		snprintf(v->edit, sizeof(v->edit), "%s", v->filter);
		v->mode = M_FILTER;
		break;
	case 27:
		v->filter[0] = 0;
		break;
	case '\n': case '\r': case KEY_ENTER:
		if (v->have_sel) {
			v->mode = M_DETAIL;
			v->detail_top = 0;
		}
		break;
	case 'j': case KEY_DOWN: move_sel(v, 1); break;
	case 'k': case KEY_UP: move_sel(v, -1); break;
	case KEY_NPAGE: move_sel(v, page); break;
	case KEY_PPAGE: move_sel(v, -page); break;
	case KEY_HOME: move_sel(v, -(long)v->nrows); break;
	case KEY_END: move_sel(v, (long)v->nrows); break;
	case '<': case ',': v->sort = (v->sort + COL__COUNT - 1) % COL__COUNT; break;
	case '>': case '.': v->sort = (v->sort + 1) % COL__COUNT; break;
	case 'I': v->invert = !v->invert; break;
	case '\t': show_member(v, v->fl->n ? (v->cur + 1) % v->fl->n : 0); break;
	case KEY_BTAB: show_member(v, v->fl->n ? (v->cur + v->fl->n - 1) % v->fl->n : 0); break;
	case 'p': v->sort = COL_PENDING, v->invert = 0; break;
	case 'c': v->sort = COL_CONNS, v->invert = 0; break;
	case 'a': v->sort = COL_AGE, v->invert = 0; break;
	case 'g': v->sort = COL_DELTA, v->invert = 0; break;
	default: return 0;
	}
	build_rows(v);
	return 0;
}

int view_run(struct fleet *fl, const struct view_opts *o, int (*refresh_cb)(void *arg), void *arg,
	     volatile sig_atomic_t *stop)
{
	struct view v = { .fl = fl, .o = o, .sort = key_col[o->sort] };
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint64_t next = 0;
	SCREEN *scr;
	int r = 0, quit = 0;

	/* Characters only: numbers keep their C format (the metrics page is rendered in
	 * this process too). */
	setlocale(LC_CTYPE, "");
	/* newterm, not initscr: an unknown TERM is an error to report, not an exit. */
	if (!(scr = newterm(NULL, stdout, stdin)))
		return EXIT_FAILURE_;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	timeout(0);	/* keys are waited for with poll() */
	if (o->color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(P_GROWING, COLOR_RED, -1);
		init_pair(P_PILING, COLOR_MAGENTA, -1);
		init_pair(P_HOLDING, COLOR_YELLOW, -1);
		init_pair(P_BANNER, COLOR_WHITE, COLOR_RED);
		init_pair(P_HEAD, COLOR_CYAN, -1);
		v.color = 1;
	}
	while (!*stop) {
		uint64_t now = mono_ns();
		int ch;

		if (!v.paused && now >= next) {
			if ((r = refresh_cb(arg)))
				break;
			next = now + (uint64_t)(o->delay * 1e9);
			take_news(&v);
			show_member(&v, (size_t)-1);
			build_rows(&v);
		}
		draw(&v);
		/* Keys wake us at once, and signals (SIGINT, SIGWINCH) too, which getch would
		 * sleep through; otherwise the next refresh does (a pause: a second). */
		now = mono_ns();
		poll(&pfd, 1, v.paused ? 1000 : next > now ? (int)((next - now) / 1000000) + 1 : 0);
		while ((ch = getch()) != ERR)
			if (ch != KEY_RESIZE && (quit = key(&v, ch)))
				break;
		if (quit)
			break;
	}
	endwin();
	delscreen(scr);
	free(v.rows);
	return r;
}
