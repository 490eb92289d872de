// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* codefer-top: per coroutine, pending defers and held pool connections of a running
 * process, live. Flow: attach.c (target, runtime profile, census, uprobes) -> model.c
 * (maps to snapshots) -> render.c (screen, text, JSON).
 */
#define _GNU_SOURCE	/* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "escape.h"
#include "fleet.h"
#include "metrics.h"
#include "render.h"
#include "view.h"

static const char usage[] =
"usage: codefer-top -p PID[,PID...] [options]\n"
"       codefer-top --comm NAME [options]\n"
"Shows, per coroutine of running processes, pending defers and held pool connections.\n"
"\n"
"  -p, --pid PID        a process to watch; PID,PID... or -p again for several (each\n"
"                       must exist: else exit 3 and nothing is attached)\n"
"      --comm NAME      follow the processes named NAME (as in /proc/PID/comm, ps -e):\n"
"                       new ones are attached at the next refresh, ended ones detached\n"
"                       and reported as gone; none yet: it waits for them\n"
"  -r, --runtime NAME   force a runtime (the names are listed below)\n"
"  -b, --batch          plain text snapshots, like top -b (default on a terminal: live view)\n"
"      --json           one JSON object per snapshot, one per line; with several\n"
"                       processes (or --comm) the object has `processes`, one object\n"
"                       each as with one -p PID, and the sums (README: JSON)\n"
"  -n, --iterations N   stop after N snapshots (batch and JSON; default: until ^C)\n"
"  -d, --delay SECS     seconds between snapshots (default 1)\n"
"  -m, --rows N         rows per table in text output (default 25)\n"
"  -s, --sort KEY       pending (default), conns, age, growth\n"
"      --explain        print the runtime, modules, probe points and offsets, then exit\n"
"      --probe SPEC     a probe point for the native profile (repeatable; implies -r native)\n"
"      --no-census      do not walk the runtime's structures (at attach, nor Go's\n"
"                       frames and LuaJIT's gc.root at each snapshot)\n"
"      --no-probes      attach nothing: walk the runtime's structures at every refresh\n"
"                       (zero cost to the target between walks)\n"
"      --walk-budget S  --no-probes: a walk stops after S seconds (default: half of -d)\n"
"      --freeze         stop the target while the probes go in and the census is taken\n"
"                       (default: it runs; the census is reconciled with the probes)\n"
"      --max-coroutines N  room for N coroutines seen by the probes (default 262144,\n"
"                       more for a Go target with more goroutines: 37 MB of kernel memory\n"
"                       per process at attach, 0.3 KB a coroutine)\n"
"  -v, --verbose        libbpf's messages (the verifier's log when a load fails)\n"
"      --grow SECS      verdict growing: pending rose and never fell for SECS (default 10)\n"
"      --pile N         verdict piling: N or more pending defers (default 100)\n"
"      --hold SECS      verdict holding: a connection held SECS or more (default 10)\n"
"      --listen ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (that\n"
"                       address only); runs until a signal, quiet unless -b, --json or\n"
"                       a terminal ask for output. Summed over the processes; the\n"
"                       codefer_process_* series give each process (label pid)\n"
"      --metrics-sites N  sites (and pools) with their own series, per kind; the rest\n"
"                       are summed as \"other\" (default 20)\n"
"      --no-color       a live view without colour (also when NO_COLOR is set)\n"
"  -h, --help\n"
"\n"
"Live view keys: ? or F1 help, / filter, Enter a coroutine's detail, Esc back or clear,\n"
"Space pause, arrows or j/k select, < > sort column, I invert, p c a g sort, Tab and\n"
"Shift-Tab the next and previous process, q quit.\n"
"\n"
"Native probe specs (one per event; see README):\n"
"  EVENT=[MODULE:]SYMBOL[+OFF][%return],co=LOC[,pool=LOC][,conn=LOC][,site=SITE][,if=LOC==0|!=0]\n"
"  EVENT  create, defer, defer-run, exit, get, put, touch\n"
"  MODULE a library name (libpcl), soname (libpcl.so.1) or path; default: every module\n"
"  LOC    BASE[+N][[OFF]...][:SIZE]; BASE: arg0..arg5, ret, %REG, sym:NAME, tls:N, entry:LOC, N\n"
"  SITE   caller | func:LOC | pc:LOC | LOC, optionally entry:SITE\n"
"  e.g. --probe 'defer=libco.so:co_defer,co=sym:co_current[0][0],site=caller'\n"
"\n"
"Exit codes: 0 ok, 1 failure, 2 usage, 3 no such process, 4 not root, 5 no supported\n"
"runtime, 6 symbol or offset missing, 7 target exited or exec'd (with several -p PIDs:\n"
"all of them; --comm never exits 7).\n";

enum { OPT_JSON = 256, OPT_EXPLAIN, OPT_PROBE, OPT_NO_CENSUS, OPT_NO_FREEZE, OPT_FREEZE,
       OPT_NO_PROBES, OPT_WALK_BUDGET, OPT_MAX_COROS, OPT_GROW, OPT_PILE, OPT_HOLD, OPT_LISTEN,
       OPT_METRICS_SITES, OPT_NO_COLOR, OPT_COMM };

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "runtime", required_argument, NULL, 'r' },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "delay", required_argument, NULL, 'd' },
	{ "rows", required_argument, NULL, 'm' },
	{ "sort", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "probe", required_argument, NULL, OPT_PROBE },
	{ "no-census", no_argument, NULL, OPT_NO_CENSUS },
	{ "no-freeze", no_argument, NULL, OPT_NO_FREEZE },
	{ "freeze", no_argument, NULL, OPT_FREEZE },
	{ "no-probes", no_argument, NULL, OPT_NO_PROBES },
	{ "walk-budget", required_argument, NULL, OPT_WALK_BUDGET },
	{ "max-coroutines", required_argument, NULL, OPT_MAX_COROS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "grow", required_argument, NULL, OPT_GROW },
	{ "pile", required_argument, NULL, OPT_PILE },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "metrics-sites", required_argument, NULL, OPT_METRICS_SITES },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "comm", required_argument, NULL, OPT_COMM },
	{}
};

struct options {
	struct attach_opts a;
	int batch, json, explain, rows, quiet, no_color;
	const char *listen;
	const char *comm;
	pid_t pids[FLEET_MAX_PIDS];
	size_t npids;
	int metrics_sites;
	long iterations;
	double delay;
	enum sort_key sort;
	struct thresholds th;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fail(int code, const char *msg)
{
	char safe[2048];

	tty_str(safe, sizeof(safe), msg);
	fprintf(stderr, "codefer-top: %s\n", safe);
	return code;
}

static int parse_number(const char *s, double min, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || *out < min;
}

static int sort_key_of(int c, enum sort_key *k)
{
	switch (c) {
	case 'p': *k = SORT_PENDING; return 0;
	case 'c': *k = SORT_CONNS; return 0;
	case 'a': *k = SORT_AGE; return 0;
	case 'g': *k = SORT_GROWTH; return 0;
	}
	return -1;
}

/* "1,2,3" added to o->pids: 0, or -1 for anything but process ids. */
static int parse_pids(const char *arg, struct options *o)
{
	char *end;
	long v;

	do {
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || v < 1 || v != (pid_t)v || (*end && *end != ',') ||
		    o->npids == FLEET_MAX_PIDS)
			return -1;
		o->pids[o->npids++] = (pid_t)v;
		arg = end + 1;
	} while (*end);
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	static const char *specs[MAX_PROBES];
	double v;
	int c;

	memset(o, 0, sizeof(*o));
	o->rows = 25;
	o->delay = 1;
	o->metrics_sites = 20;
	o->th = (struct thresholds){ .growth_s = 10, .pile = 100, .hold_s = 10 };
	o->a.probe_specs = specs;
	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, ":p:r:bn:d:m:s:hv", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pids(optarg, o))
				return snprintf(err, errlen, "-p takes a process id, or several: PID,PID... "
						"(at most %d)", FLEET_MAX_PIDS), EXIT_USAGE;
			break;
		case OPT_COMM:
			if (!optarg[0] || strchr(optarg, '/'))
				return snprintf(err, errlen, "--comm takes a process name (as ps -e "
						"shows it)"), EXIT_USAGE;
			o->comm = optarg;
			break;
		case 'r':
			o->a.runtime = optarg;
			break;
		case 'b':
			o->batch = 1;
			break;
		case 'n':
			if (parse_number(optarg, 1, &v))
				return snprintf(err, errlen, "-n takes a count >= 1"), EXIT_USAGE;
			o->iterations = (long)v;
			break;
		case 'd':
			if (parse_number(optarg, 0.05, &o->delay))
				return snprintf(err, errlen, "-d takes seconds >= 0.05"), EXIT_USAGE;
			break;
		case 'm':
			if (parse_number(optarg, 1, &v))
				return snprintf(err, errlen, "-m takes a row count >= 1"), EXIT_USAGE;
			o->rows = (int)v;
			break;
		case 's':
			if (sort_key_of(optarg[0], &o->sort) || strncmp(optarg, sort_key_name(o->sort), strlen(optarg)))
				return snprintf(err, errlen, "-s takes pending, conns, age or growth"),
				       EXIT_USAGE;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_EXPLAIN:
			o->explain = 1;
			break;
		case OPT_PROBE:
			if (o->a.nprobe_specs == MAX_PROBES)
				return snprintf(err, errlen, "too many --probe specs"), EXIT_USAGE;
			specs[o->a.nprobe_specs++] = optarg;
			break;
		case OPT_NO_CENSUS:
			o->a.no_census = 1;
			break;
		case OPT_NO_FREEZE:	/* the default; kept for scripts */
			o->a.freeze = 0;
			break;
		case OPT_FREEZE:
			o->a.freeze = 1;
			break;
		case OPT_NO_PROBES:
			o->a.no_probes = 1;
			break;
		case OPT_WALK_BUDGET:
			if (parse_number(optarg, 0.001, &o->th.walk_budget_s))
				return snprintf(err, errlen, "--walk-budget takes seconds >= 0.001"),
				       EXIT_USAGE;
			break;
		case OPT_MAX_COROS:
			if (parse_number(optarg, 1024, &v) || v > (1u << 30))
				return snprintf(err, errlen, "--max-coroutines takes a count from 1024 "
						"to 2^30"), EXIT_USAGE;
			o->a.max_coroutines = (uint32_t)v;
			break;
		case 'v':
			o->a.verbose = 1;
			break;
		case OPT_GROW:
		case OPT_HOLD:
		case OPT_PILE:
			if (parse_number(optarg, 0, &v))
				return snprintf(err, errlen, "--grow, --pile and --hold take a number >= 0"),
				       EXIT_USAGE;
			if (c == OPT_GROW)
				o->th.growth_s = v;
			else if (c == OPT_HOLD)
				o->th.hold_s = v;
			else
				o->th.pile = (int64_t)v;
			break;
		case OPT_NO_COLOR:
			o->no_color = 1;
			break;
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_METRICS_SITES:
			if (parse_number(optarg, 1, &v) || v > 10000)
				return snprintf(err, errlen, "--metrics-sites takes a count from 1 to 10000"),
				       EXIT_USAGE;
			o->metrics_sites = (int)v;
			break;
		case 'h':
			fputs(usage, stdout);
			printf("\nRuntimes: %s.\n", runtime_names());
			exit(0);
		case ':':
			return snprintf(err, errlen, "%.100s needs a value (see codefer-top --help)",
					argv[optind - 1]), EXIT_USAGE;
		default:
			return snprintf(err, errlen, "unknown option %.100s (see codefer-top --help)",
					argv[optind - 1]), EXIT_USAGE;
		}
	}
	if (optind < argc)
		return snprintf(err, errlen, "unexpected argument '%.100s'", argv[optind]), EXIT_USAGE;
	if (!o->npids && !o->comm)
		return snprintf(err, errlen, "-p PID or --comm NAME is required (see --help)"), EXIT_USAGE;
	if (o->explain && o->comm)
		return snprintf(err, errlen, "--explain takes -p PIDs, not --comm (pgrep -d, NAME "
				"lists them)"), EXIT_USAGE;
	if (o->a.nprobe_specs) {
		if (o->a.runtime && strcmp(o->a.runtime, "native"))
			return snprintf(err, errlen, "--probe goes with the native runtime only"), EXIT_USAGE;
		o->a.runtime = "native";
	}
	if (o->a.no_probes && (o->a.nprobe_specs || o->a.no_census || o->a.freeze))
		return snprintf(err, errlen, "--no-probes walks: it goes with neither --probe, "
				"--no-census nor --freeze"), EXIT_USAGE;
	if (!o->th.walk_budget_s)
		o->th.walk_budget_s = o->delay / 2;
	if (!o->json && !o->batch && !isatty(STDOUT_FILENO)) {
		/* A metrics exporter under a service manager prints nothing each refresh. */
		o->quiet = o->listen != NULL;
		o->batch = 1;
	}
	return 0;
}

struct top {
	struct fleet *f;
	struct options *o;
	struct metrics *mx;
	char err[1024];
};

/* One snapshot of every process (and the metrics page from them): 0, or an exit code with
 * top->err set. */
static int refresh(void *arg)
{
	struct top *t = arg;
	uint64_t t0 = mono_ns();
	int r;

	if ((r = fleet_refresh(t->f, t->err, sizeof(t->err))))
		return r;
	if (t->mx)
		metrics_update(t->mx, t->f, (mono_ns() - t0) / 1e9);
	return 0;
}

static void show(struct fleet *f, const struct options *o)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		model_sort(&f->mem[i]->m.cur, o->sort, o->json ? 0 : (size_t)o->rows);
	if (f->single && o->json)
		render_json(stdout, &f->mem[0]->m, &f->mem[0]->m.cur);
	else if (f->single)
		render_text(stdout, &f->mem[0]->m, &f->mem[0]->m.cur, o->rows, 0, o->sort);
	else if (o->json)
		render_fleet_json(stdout, f);
	else
		render_fleet_text(stdout, f, o->rows, 0, o->sort);
	if (!o->json)
		fputc('\n', stdout);
}

static int run(struct fleet *f, struct options *o, struct metrics *mx)
{
	struct top t = { .f = f, .o = o, .mx = mx };
	long shown = 0;
	int r = 0, refreshed = 0;

	if (!o->json && !o->batch) {
		const char *nc = getenv("NO_COLOR");
		struct view_opts vo = { .delay = o->delay, .sort = o->sort,
					.color = !o->no_color && !(nc && nc[0]) };

		r = view_run(f, &vo, refresh, &t, &stop);
	} else {
		/* A snapshot leaves in a few large writes, not one per 4 KiB (JSON with every
		 * row runs to megabytes); render_* flush at its end. */
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);
		/* Into a pipe, as much at once: a 64 KiB pipe would switch to its reader
		 * sixteen times per write (best effort: pipe-max-size may be lower). */
		fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20);
		while (!stop && !(r = refresh(&t))) {
			/* None at the start: said once. */
			if (!refreshed++ && f->comm && !f->n)
				fail(0, "no process with that name yet: waiting for one");
			/* What happened to a process --comm found: said once, on stderr. */
			if (f->note[0])
				fail(0, f->note);
			if (!o->quiet)
				show(f, o);
			/* Its reader gone (a pipe into head), or a full disk: nobody reads what
			 * the probes cost the target, so they go. */
			if (fflush(stdout) || ferror(stdout)) {
				snprintf(t.err, sizeof(t.err), "cannot write the output (%s): probes "
					 "detached", strerror(errno ? errno : EIO));
				r = EXIT_FAILURE_;
				break;
			}
			if (o->iterations && ++shown >= o->iterations)
				break;
			/* A signal ends the wait (no SA_RESTART). */
			poll(NULL, 0, (int)(o->delay * 1000));
		}
	}
	if (r)
		fail(r, t.err[0] ? t.err : "cannot start the terminal view (is TERM right?); -b or "
				  "--json work anywhere");
	return r;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct fleet f;
	struct metrics *mx = NULL;
	static struct options o;
	char err[2048] = "";
	size_t i;
	int r;

	if ((r = parse_args(argc, argv, &o, err, sizeof(err))))
		return fail(r, err);
	if (!o.explain && geteuid() != 0)
		return fail(EXIT_NOT_ROOT, "needs root (BPF and ptrace): run it with sudo");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	f.ao = o.a;
	f.th = o.th;
	f.comm = o.comm;
	if (o.explain) {
		r = fleet_open_only(&f, o.pids, o.npids, err, sizeof(err));
		for (i = 0; !r && i < f.n; i++)
			render_explain(stdout, &f.mem[i]->s);
		fleet_close(&f);
		return r ? fail(r, err) : 0;
	}
	if ((r = fleet_open(&f, o.pids, o.npids, err, sizeof(err)))) {
		fleet_close(&f);
		return fail(r, err);
	}
	if (o.listen && !(mx = metrics_start(o.listen, o.metrics_sites, &r, err, sizeof(err)))) {
		fleet_close(&f);
		return fail(r, err);
	}
	r = run(&f, &o, mx);
	metrics_stop(mx);
	fleet_close(&f);
	return r;
}
