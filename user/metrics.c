// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus exposition of each snapshot (see metrics.h). The page is rendered once per
 * refresh, in both formats, and copied out under a lock per scrape: a scrape costs the
 * target nothing and codefer-top one memcpy. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "fleet.h"
#include "metrics.h"

enum fam_type { F_GAUGE, F_COUNTER, F_INFO };

struct metrics {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *page[2];		/* text 0.0.4, OpenMetrics 1.0 */
	size_t len[2];
	int sites;
	uint64_t *pools;	/* pool addresses in the order first seen: their label is the rank */
	size_t npools;
};

static const char *const content_type[2] = {
	"text/plain; version=0.0.4; charset=utf-8",
	"application/openmetrics-text; version=1.0.0; charset=utf-8",
};

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	struct metrics *mx = cls;
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	struct MHD_Response *r;
	enum MHD_Result ret;
	int om = accept && strstr(accept, "application/openmetrics-text");
	unsigned code = MHD_HTTP_OK;

	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (strcmp(url, "/metrics")) {
		static const char msg[] = "codefer-top serves /metrics\n";

		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	} else {
		pthread_mutex_lock(&mx->lock);
		r = MHD_create_response_from_buffer(mx->len[om], mx->page[om] ? mx->page[om] : "",
						    MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&mx->lock);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				code == MHD_HTTP_OK ? content_type[om] : "text/plain");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

struct metrics *metrics_start(const char *addr, int sites, int *code, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV },
			*ai = NULL;
	char host[256];
	const char *port = strrchr(addr, ':');
	struct metrics *mx;
	size_t n;
	int r;

	*code = EXIT_USAGE;
	n = port ? (size_t)(port - addr) : 0;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']')
		addr++, n -= 2;
	if (!port || !n || n >= sizeof(host) || !port[1]) {
		snprintf(err, errlen, "--listen takes ADDR:PORT (127.0.0.1:9464, [::1]:9464)");
		return NULL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)n, addr);
	if ((r = getaddrinfo(host, port + 1, &hints, &ai))) {
		snprintf(err, errlen, "--listen %s:%s: %s", host, port + 1, gai_strerror(r));
		return NULL;
	}
	*code = EXIT_FAILURE_;
	if (!(mx = calloc(1, sizeof(*mx)))) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&mx->lock, NULL);
	mx->sites = sites;
	/* Only the address given (MHD_OPTION_SOCK_ADDR), never every interface. */
	mx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				 (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				 0, NULL, NULL, serve, mx, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				 MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				 MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!mx->d) {
		snprintf(err, errlen, "cannot listen on %s:%s (in use, or not an address of this host?)",
			 host, port + 1);
		metrics_stop(mx);
		return NULL;
	}
	return mx;
}

void metrics_stop(struct metrics *mx)
{
	if (!mx)
		return;
	if (mx->d)
		MHD_stop_daemon(mx->d);
	pthread_mutex_destroy(&mx->lock);
	free(mx->page[0]);
	free(mx->page[1]);
	free(mx->pools);
	free(mx);
}

/* A label value: \, " and newline escaped as the format wants. A longer one than
 * METRICS_LABEL_MAX bytes keeps its end after "..." (a site's file and line: two sites
 * alike in their first bytes stay two series), from a character's start (texts from the
 * target are already valid UTF-8: escape.c). */
static void label(FILE *f, const char *name, const char *v)
{
	size_t at = utf8_tail(v, METRICS_LABEL_MAX), n, i;

	fprintf(f, "%s=\"", name);
	if (at) {
		fputs("...", f);
		v += at;
	}
	n = strlen(v);
	for (i = 0; i < n; i++) {
		if (v[i] == '\\' || v[i] == '"')
			fputc('\\', f);
		if (v[i] == '\n')
			fputs("\\n", f);
		else
			fputc(v[i], f);
	}
	fputc('"', f);
}

/* # TYPE (and # HELP) of a family; counters' samples end in _total, in OpenMetrics the
 * family name does not. */
static void family(FILE *f, int om, const char *name, enum fam_type t, const char *help)
{
	static const char *const types[] = { "gauge", "counter", "info" };
	const char *suffix = !om && t == F_COUNTER ? "_total" : !om && t == F_INFO ? "_info" : "";

	fprintf(f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix,
		!om && t == F_INFO ? "gauge" : types[t]);
}

static void sample_name(FILE *f, const char *name, enum fam_type t)
{
	fprintf(f, "%s%s", name, t == F_COUNTER ? "_total" : t == F_INFO ? "_info" : "");
}

/* " VALUE\n": counts exactly; fractions (seconds) to the microsecond. */
static void sample_value(FILE *f, double v)
{
	if (v == (double)(long long)v)
		fprintf(f, " %lld\n", (long long)v);
	else
		fprintf(f, " %.6f\n", v);
}

static void sample(FILE *f, const char *name, enum fam_type t, const char *lname,
		   const char *lvalue, double v)
{
	sample_name(f, name, t);
	if (lname) {
		fputc('{', f);
		label(f, lname, lvalue);
		fputc('}', f);
	}
	sample_value(f, v);
}

static void one(FILE *f, int om, const char *name, enum fam_type t, const char *help, double v)
{
	family(f, om, name, t, help);
	sample(f, name, t, NULL, NULL, v);
}

static const char *site_name(const struct model *m, size_t idx)
{
	return idx == SITE_TAB_OOM || idx >= m->sites.n ? "-" : m->sites.names[idx].text;
}

/* A site by its printed name, over every process (forked workers share their lines). */
struct named_count {
	const char *name;
	int64_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct named_count *)a)->name, ((const struct named_count *)b)->name);
}

static int by_count(const void *a, const void *b)
{
	const struct named_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

/* The sites of one kind, most first: the top mx->sites by name, the rest as "other". */
static void sites(FILE *f, int om, const struct metrics *mx, const struct fleet *fl,
		  enum site_row_kind k, const char *name, const char *help)
{
	struct named_count *rows;
	size_t i, j, n = 0, all = 1;
	int64_t other = 0;

	family(f, om, name, F_GAUGE, help);
	for (i = 0; i < fl->n; i++)
		all += fl->mem[i]->m.cur.nsites;
	if (!(rows = calloc(all, sizeof(*rows))))
		return;
	for (i = 0; i < fl->n; i++) {
		const struct model *m = &fl->mem[i]->m;

		for (j = 0; j < m->cur.nsites; j++)
			if (m->cur.sites[j].kind == k && m->cur.sites[j].pending > 0)
				rows[n++] = (struct named_count){ site_name(m, m->cur.sites[j].site),
								  m->cur.sites[j].pending };
	}
	qsort(rows, n, sizeof(*rows), by_name);
	for (i = j = 0; i < n; i++) {
		if (j && !strcmp(rows[j - 1].name, rows[i].name))
			rows[j - 1].n += rows[i].n;
		else
			rows[j++] = rows[i];
	}
	n = j;
	qsort(rows, n, sizeof(*rows), by_count);
	for (i = 0; i < n; i++) {
		/* A bare address names no line and is no label: it counts as other. */
		if (i < (size_t)mx->sites && strncmp(rows[i].name, "0x", 2))
			sample(f, name, F_GAUGE, "site", rows[i].name, rows[i].n);
		else
			other += rows[i].n;
	}
	if (other)
		sample(f, name, F_GAUGE, "site", "other", other);
	free(rows);
}

/* A pool's label: its rank in the order first seen ("1", "2"...), or "other". A pool
 * object at the same address in several processes (forked workers) is one series. */
static size_t pool_rank(struct metrics *mx, uint64_t pool)
{
	uint64_t *p;
	size_t i;

	for (i = 0; i < mx->npools; i++)
		if (mx->pools[i] == pool)
			return i;
	if (mx->npools == (size_t)mx->sites || !(p = realloc(mx->pools, (mx->npools + 1) * sizeof(*p))))
		return (size_t)mx->sites;
	mx->pools = p;
	mx->pools[mx->npools] = pool;
	return mx->npools++;
}

static void pools(FILE *f, int om, struct metrics *mx, const struct fleet *fl)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "codefer_pool_connections_out", "connections taken from the pool and not given back" },
		{ "codefer_pool_connections_orphaned", "connections still out whose borrower ended" },
		{ "codefer_pool_oldest_hold_seconds", "how long the oldest connection out has been held" },
	};
	size_t n = (size_t)mx->sites + 1, i, j, k;
	double *v = calloc(3 * n, sizeof(*v));
	char *used = calloc(n, 1), lv[24];

	for (k = 0; v && used && k < fl->n; k++) {
		const struct snapshot *snap = &fl->mem[k]->m.cur;

		for (i = 0; i < snap->npools; i++) {
			const struct pool_row *p = &snap->pools[i];
			size_t r = pool_rank(mx, p->pool);

			used[r] = 1;
			v[r] += p->s.outstanding;
			v[n + r] += p->s.orphans;
			if (p->oldest_hold_s > v[2 * n + r])
				v[2 * n + r] = p->oldest_hold_s;
		}
	}
	for (j = 0; j < 3; j++) {
		family(f, om, fams[j].name, F_GAUGE, fams[j].help);
		for (i = 0; v && used && i < n; i++) {
			if (!used[i])
				continue;
			if (i < (size_t)mx->sites)
				snprintf(lv, sizeof(lv), "%zu", i + 1);
			sample(f, fams[j].name, F_GAUGE, "pool", i < (size_t)mx->sites ? lv : "other",
			       v[j * n + i]);
		}
	}
	free(v);
	free(used);
}

/* The figures summed over the processes, and (fleets) given per process as
 * codefer_process_<name without codefer_>{pid,comm,runtime}. */
static const struct {
	const char *name, *help;
	enum fam_type type;
	size_t field;		/* in struct totals */
} headline[] = {
	{ "codefer_coroutines_live", "coroutines alive", F_GAUGE,
	  offsetof(struct totals, coroutines_live) },
	{ "codefer_coroutines_created", "coroutines created since attach", F_COUNTER,
	  offsetof(struct totals, coroutines_created) },
	{ "codefer_coroutines_exited", "coroutines ended since attach", F_COUNTER,
	  offsetof(struct totals, coroutines_exited) },
	{ "codefer_defers_pending", "defers registered and not run, all coroutines", F_GAUGE,
	  offsetof(struct totals, defers_pending) },
	{ "codefer_defers_registered", "defers registered since attach", F_COUNTER,
	  offsetof(struct totals, defers_registered) },
	{ "codefer_defers_run", "defers run since attach", F_COUNTER,
	  offsetof(struct totals, defers_run) },
	{ "codefer_connections_out", "pool connections taken and not given back", F_GAUGE,
	  offsetof(struct totals, conns_outstanding) },
	{ "codefer_connections_orphaned", "pool connections still out whose borrower ended",
	  F_GAUGE, offsetof(struct totals, conns_orphaned) },
};

static uint64_t total_field(const struct totals *t, size_t field)
{
	return *(const uint64_t *)((const char *)t + field);
}

/* The labels of a process: its runtime, version and comm, or pid, comm and runtime. */
static void proc_labels(FILE *f, const struct session *s, int with_pid)
{
	char comm[256], version[512], pid[16];
	const char *const by_pid[3][2] = { { "pid", pid }, { "comm", comm }, { "runtime", s->rt->name } };
	const char *const by_info[3][2] = { { "runtime", s->rt->name }, { "version", version },
					    { "comm", comm } };
	const char *const (*kv)[2] = with_pid ? by_pid : by_info;
	int i;

	/* The target's own strings: made safe like every other (escape.c), then quoted. */
	tty_str(comm, sizeof(comm), s->t.comm);
	tty_str(version, sizeof(version), s->plan.version);
	snprintf(pid, sizeof(pid), "%d", s->t.pid);
	for (i = 0; i < 3; i++) {
		fputc(i ? ',' : '{', f);
		label(f, kv[i][0], kv[i][1]);
	}
	fputc('}', f);
}

/* codefer_info: one series per distinct runtime, version and comm (workers share one). */
static void info(FILE *f, int om, const struct fleet *fl)
{
	char *seen = NULL, *one;
	size_t len = 0, n;
	FILE *lines = open_memstream(&seen, &len);
	size_t i;

	family(f, om, "codefer", F_INFO, "the processes watched: their runtime and name");
	if (!lines)
		return;
	for (i = 0; i < fl->n; i++) {
		FILE *o = open_memstream(&one, &n);

		if (!o)
			continue;
		fputs("codefer_info", o);
		proc_labels(o, &fl->mem[i]->s, 0);
		fputs(" 1\n", o);
		if (!fclose(o)) {
			fflush(lines);
			if (!seen || !strstr(seen, one)) {
				fputs(one, lines);
				fputs(one, f);
			}
		}
		free(one);
	}
	fclose(lines);
	free(seen);
}

static char *render(struct metrics *mx, int om, const struct fleet *fl, double refresh_s,
		    size_t *len)
{
	static const struct {
		const char *reason;
		enum counter c;
	} lost[] = {
		{ "unreadable", C_LOST_READ }, { "map_full", C_LOST_MAP_FULL },
		{ "no_config", C_LOST_NO_CFG }, { "truncated", C_LOST_TRUNCATED },
	};
	uint64_t verdicts[V_GROWING + 1] = {}, counters[C__COUNT];
	struct totals t;
	char *buf = NULL, pname[96];
	size_t i, k;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fleet_totals(fl, &t, counters);
	info(f, om, fl);
	for (i = 0; i < sizeof(headline) / sizeof(headline[0]); i++)
		one(f, om, headline[i].name, headline[i].type, headline[i].help,
		    total_field(&t, headline[i].field));
	pools(f, om, mx, fl);
	sites(f, om, mx, fl, SK_DEFER, "codefer_site_defers_pending",
	      "pending defers by the line that registered them");
	sites(f, om, mx, fl, SK_CONN, "codefer_site_connections_out",
	      "connections out by the line that took them");
	for (k = 0; k < fl->n; k++) {
		const struct snapshot *snap = &fl->mem[k]->m.cur;

		for (i = 0; i < snap->ncoros; i++)
			if (snap->coros[i].verdict <= V_GROWING)
				verdicts[snap->coros[i].verdict]++;
	}
	family(f, om, "codefer_coroutines_by_verdict", F_GAUGE, "live coroutines by verdict");
	for (i = 0; i <= V_GROWING; i++)
		sample(f, "codefer_coroutines_by_verdict", F_GAUGE, "verdict", verdict_name(i),
		       verdicts[i]);
	one(f, om, "codefer_timers_pending", F_GAUGE, "timers and callbacks pending",
	    t.timers_pending);
	family(f, om, "codefer_lost_events", F_COUNTER, "events lost, by reason");
	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		sample(f, "codefer_lost_events", F_COUNTER, "reason", lost[i].reason,
		       counters[lost[i].c]);
	one(f, om, "codefer_refresh_seconds", F_GAUGE, "what the last refresh took", refresh_s);
	if (!fl->single) {
		one(f, om, "codefer_processes", F_GAUGE, "processes watched", fl->n);
		one(f, om, "codefer_processes_gone", F_COUNTER, "processes watched that ended",
		    fl->gone_total);
		for (i = 0; i < sizeof(headline) / sizeof(headline[0]); i++) {
			snprintf(pname, sizeof(pname), "codefer_process_%s",
				 headline[i].name + strlen("codefer_"));
			family(f, om, pname, headline[i].type, headline[i].help);
			for (k = 0; k < fl->n; k++) {
				sample_name(f, pname, headline[i].type);
				proc_labels(f, &fl->mem[k]->s, 1);
				sample_value(f, total_field(&fl->mem[k]->m.cur.tot, headline[i].field));
			}
		}
	}
	if (om)
		fputs("# EOF\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

void metrics_update(struct metrics *mx, const struct fleet *fl, double refresh_s)
{
	size_t len[2] = {};
	char *page[2];
	int i;

	for (i = 0; i < 2; i++)
		page[i] = render(mx, i, fl, refresh_s, &len[i]);
	pthread_mutex_lock(&mx->lock);
	for (i = 0; i < 2; i++) {
		/* A page that could not be rendered (out of memory) keeps the last one. */
		if (!page[i])
			continue;
		free(mx->page[i]);
		mx->page[i] = page[i];
		mx->len[i] = len[i];
	}
	pthread_mutex_unlock(&mx->lock);
}
