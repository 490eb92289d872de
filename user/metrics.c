// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus exposition of each snapshot (see metrics.h). The page is rendered once per
 * refresh, in both formats, and copied out under a lock per scrape: a scrape costs the
 * target nothing and codefer-top one memcpy. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
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

/* A label value: \, " and newline escaped as the format wants, cut to METRICS_LABEL_MAX
 * bytes of the value without splitting a UTF-8 character (texts from the target are
 * already valid UTF-8: escape.c). */
static void label(FILE *f, const char *name, const char *v)
{
	size_t n = strlen(v), i;

	if (n > METRICS_LABEL_MAX) {
		n = METRICS_LABEL_MAX;
		while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	fprintf(f, "%s=\"", name);
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

static void sample(FILE *f, const char *name, enum fam_type t, const char *lname,
		   const char *lvalue, double v)
{
	fprintf(f, "%s%s", name, t == F_COUNTER ? "_total" : t == F_INFO ? "_info" : "");
	if (lname) {
		fputc('{', f);
		label(f, lname, lvalue);
		fputc('}', f);
	}
	/* Counts exactly; fractions (seconds) to the microsecond. */
	if (v == (double)(long long)v)
		fprintf(f, " %lld\n", (long long)v);
	else
		fprintf(f, " %.6f\n", v);
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

static int by_pending(const void *a, const void *b)
{
	const struct site_row *x = *(const struct site_row *const *)a,
			      *y = *(const struct site_row *const *)b;

	return x->pending < y->pending ? 1 : x->pending > y->pending ? -1 : 0;
}

/* The sites of one kind, most first: the top mx->sites by name, the rest as "other". */
static void sites(FILE *f, int om, const struct metrics *mx, const struct model *m,
		  const struct snapshot *snap, enum site_row_kind k, const char *name,
		  const char *help)
{
	const struct site_row **rows = calloc(snap->nsites ? snap->nsites : 1, sizeof(*rows));
	size_t i, n = 0;
	int64_t other = 0;

	family(f, om, name, F_GAUGE, help);
	if (!rows)
		return;
	for (i = 0; i < snap->nsites; i++)
		if (snap->sites[i].kind == k && snap->sites[i].pending > 0)
			rows[n++] = &snap->sites[i];
	qsort(rows, n, sizeof(*rows), by_pending);
	for (i = 0; i < n; i++) {
		/* A bare address names no line and is no label: it counts as other. */
		if (i < (size_t)mx->sites && strncmp(site_name(m, rows[i]->site), "0x", 2))
			sample(f, name, F_GAUGE, "site", site_name(m, rows[i]->site), rows[i]->pending);
		else
			other += rows[i]->pending;
	}
	if (other)
		sample(f, name, F_GAUGE, "site", "other", other);
	free(rows);
}

/* A pool's label: its rank in the order first seen ("1", "2"...), or "other". */
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

static void pools(FILE *f, int om, struct metrics *mx, const struct snapshot *snap)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "codefer_pool_connections_out", "connections taken from the pool and not given back" },
		{ "codefer_pool_connections_orphaned", "connections still out whose borrower ended" },
		{ "codefer_pool_oldest_hold_seconds", "how long the oldest connection out has been held" },
	};
	size_t n = (size_t)mx->sites + 1, i, j;
	double *v = calloc(3 * n, sizeof(*v));
	char *used = calloc(n, 1), lv[24];

	for (i = 0; v && used && i < snap->npools; i++) {
		const struct pool_row *p = &snap->pools[i];
		size_t r = pool_rank(mx, p->pool);

		used[r] = 1;
		v[r] += p->s.outstanding;
		v[n + r] += p->s.orphans;
		if (p->oldest_hold_s > v[2 * n + r])
			v[2 * n + r] = p->oldest_hold_s;
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

static char *render(struct metrics *mx, int om, const struct model *m,
		    const struct snapshot *snap, double refresh_s, size_t *len)
{
	static const struct {
		const char *reason;
		enum counter c;
	} lost[] = {
		{ "unreadable", C_LOST_READ }, { "map_full", C_LOST_MAP_FULL },
		{ "no_config", C_LOST_NO_CFG }, { "truncated", C_LOST_TRUNCATED },
	};
	const struct session *s = m->s;
	const struct totals *t = &snap->tot;
	uint64_t verdicts[V_GROWING + 1] = {};
	char *buf = NULL, comm[256], version[512];
	size_t i;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	family(f, om, "codefer", F_INFO, "the process watched: its runtime and name");
	/* The target's own strings: made safe like every other (escape.c), then quoted. */
	tty_str(comm, sizeof(comm), s->t.comm);
	tty_str(version, sizeof(version), s->plan.version);
	fputs("codefer_info{", f);
	label(f, "runtime", s->rt->name);
	fputc(',', f);
	label(f, "version", version);
	fputc(',', f);
	label(f, "comm", comm);
	fputs("} 1\n", f);
	one(f, om, "codefer_coroutines_live", F_GAUGE, "coroutines alive", t->coroutines_live);
	one(f, om, "codefer_coroutines_created", F_COUNTER, "coroutines created since attach",
	    t->coroutines_created);
	one(f, om, "codefer_coroutines_exited", F_COUNTER, "coroutines ended since attach",
	    t->coroutines_exited);
	one(f, om, "codefer_defers_pending", F_GAUGE, "defers registered and not run, all coroutines",
	    t->defers_pending);
	one(f, om, "codefer_defers_registered", F_COUNTER, "defers registered since attach",
	    t->defers_registered);
	one(f, om, "codefer_defers_run", F_COUNTER, "defers run since attach", t->defers_run);
	one(f, om, "codefer_connections_out", F_GAUGE, "pool connections taken and not given back",
	    t->conns_outstanding);
	one(f, om, "codefer_connections_orphaned", F_GAUGE,
	    "pool connections still out whose borrower ended", t->conns_orphaned);
	pools(f, om, mx, snap);
	sites(f, om, mx, m, snap, SK_DEFER, "codefer_site_defers_pending",
	      "pending defers by the line that registered them");
	sites(f, om, mx, m, snap, SK_CONN, "codefer_site_connections_out",
	      "connections out by the line that took them");
	for (i = 0; i < snap->ncoros; i++)
		if (snap->coros[i].verdict <= V_GROWING)
			verdicts[snap->coros[i].verdict]++;
	family(f, om, "codefer_coroutines_by_verdict", F_GAUGE, "live coroutines by verdict");
	for (i = 0; i <= V_GROWING; i++)
		sample(f, "codefer_coroutines_by_verdict", F_GAUGE, "verdict", verdict_name(i),
		       verdicts[i]);
	one(f, om, "codefer_timers_pending", F_GAUGE, "timers and callbacks pending",
	    snap->tot.timers_pending);
	family(f, om, "codefer_lost_events", F_COUNTER, "events lost, by reason");
	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		sample(f, "codefer_lost_events", F_COUNTER, "reason", lost[i].reason,
		       snap->counters[lost[i].c]);
	one(f, om, "codefer_refresh_seconds", F_GAUGE, "what the last refresh took", refresh_s);
	if (om)
		fputs("# EOF\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

void metrics_update(struct metrics *mx, const struct model *m, const struct snapshot *snap,
		    double refresh_s)
{
	size_t len[2] = {};
	char *page[2];
	int i;

	for (i = 0; i < 2; i++)
		page[i] = render(mx, i, m, snap, refresh_s, &len[i]);
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
