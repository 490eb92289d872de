// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Several processes (see fleet.h). Sessions share nothing: each has its own BPF object
 * (its tgid is a load-time constant of the programs), so processes of different runtimes
 * are watched side by side, and one that ends takes only its own maps and links away. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>
#include "codefer.skel.h"
#include "escape.h"
#include "fleet.h"

/* A process whose runtime is not found yet is tried at this many refreshes: one just
 * exec'd may not have mapped its libraries. */
#define NO_RUNTIME_TRIES 3

static struct member *member_new(struct fleet *f)
{
	struct member **v = realloc(f->mem, (f->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	f->mem = v;
	return v[f->n] = calloc(1, sizeof(**v));
}

/* Opens pid as the next member (not attached yet); the member is kept only on success. */
static int member_open(struct fleet *f, pid_t pid, char *err, size_t errlen)
{
	struct member *mb = member_new(f);
	struct attach_opts ao = f->ao;
	int r;

	if (!mb)
		return snprintf(err, errlen, "out of memory"), EXIT_FAILURE_;
	ao.pid = pid;
	if ((r = session_open(&mb->s, &ao, err, errlen))) {
		session_close(&mb->s);
		free(mb);
		return r;
	}
	f->n++;
	return 0;
}

/* What the kernel charged for a session's maps (memlock in each map's fdinfo): the
 * hash maps are allocated whole at load, so this is what the process costs. */
static uint64_t map_bytes(const struct session *s)
{
	struct bpf_map *map;
	uint64_t sum = 0;

	if (!s->skel)
		return 0;
	bpf_object__for_each_map(map, s->skel->obj) {
		char path[64], line[128];
		unsigned long long v;
		FILE *fp;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_map__fd(map));
		if (!(fp = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), fp))
			if (sscanf(line, "memlock: %llu", &v) == 1)
				sum += v;
		fclose(fp);
	}
	return sum;
}

/* MemAvailable of /proc/meminfo in bytes, or UINT64_MAX when unknown. */
static uint64_t mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *fp = fopen("/proc/meminfo", "re");
	int found = 0;

	while (fp && !found && fgets(line, sizeof(line), fp))
		found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
	if (fp)
		fclose(fp);
	return found ? kb * 1024 : UINT64_MAX;
}

static int member_attach(struct fleet *f, struct member *mb, char *err, size_t errlen)
{
	struct attach_opts ao = f->ao;
	int r;

	/* Another process's maps must leave the machine room to breathe (half of what is
	 * available at most), as far as the last one's size tells. */
	if (f->map_bytes_each && mem_available() / 2 < f->map_bytes_each)
		return snprintf(err, errlen, "not enough memory for another process's BPF maps "
				"(%llu MB each; --max-coroutines N makes them smaller)",
				(unsigned long long)(f->map_bytes_each >> 20)), EXIT_FAILURE_;
	ao.pid = mb->s.t.pid;
	if ((r = session_attach(&mb->s, &ao, err, errlen)))
		return r;
	mb->map_bytes = map_bytes(&mb->s);
	if (mb->map_bytes > f->map_bytes_each)
		f->map_bytes_each = mb->map_bytes;
	model_init(&mb->m, &mb->s, &f->th);
	return 0;
}

static void member_close(struct member *mb)
{
	if (mb->m.s)
		model_free(&mb->m);
	session_close(&mb->s);
	free(mb);
}

/* "pid 42: " before a member's own message, when there are several. */
static void prefix_pid(const struct fleet *f, pid_t pid, char *err, size_t errlen)
{
	char msg[1024];

	if (f->single)
		return;
	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, errlen, "pid %d: %s", pid, msg);
}

static int is_member(const struct fleet *f, pid_t pid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->mem[i]->s.t.pid == pid)
			return 1;
	return 0;
}

static struct passed_over *passed_of(struct fleet *f, pid_t pid)
{
	size_t i;

	for (i = 0; i < f->npassed; i++)
		if (f->passed[i].pid == pid)
			return &f->passed[i];
	return NULL;
}

/* /proc/PID/comm is NAME (cut as the kernel cuts it, to 15 bytes). */
static int named_comm(pid_t pid, const char *name)
{
	char path[64], comm[64] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!(fp = fopen(path, "re")))
		return 0;
	if (fgets(comm, sizeof(comm), fp))
		comm[strcspn(comm, "\n")] = 0;
	fclose(fp);
	return !strncmp(comm, name, 15) && strlen(comm) == (strlen(name) < 15 ? strlen(name) : 15);
}

/* The processes named f->comm that are not members yet, nor passed over: attached. A
 * failure is passed over with a note (f->note), never an error: a process of that name may
 * be anything. */
static void follow_comm(struct fleet *f)
{
	struct passed_over *po, *pv;
	struct dirent *d;
	char err[1024];
	DIR *dir;
	size_t i, k;
	int r;

	/* Passed-over processes that ended: their pid may come back as another process. */
	for (i = k = 0; i < f->npassed; i++)
		if (!kill(f->passed[i].pid, 0))
			f->passed[k++] = f->passed[i];
	f->npassed = k;
	if (!(dir = opendir("/proc")))
		return;
	while ((d = readdir(dir))) {
		pid_t pid = atoi(d->d_name);

		if (pid <= 0 || pid == getpid() || is_member(f, pid) || !named_comm(pid, f->comm))
			continue;
		po = passed_of(f, pid);
		if (po && po->tries >= NO_RUNTIME_TRIES)
			continue;
		if (!(r = member_open(f, pid, err, sizeof(err))) &&
		    (r = member_attach(f, f->mem[f->n - 1], err, sizeof(err))))
			member_close(f->mem[--f->n]);
		/* Gone, or a zombie not reaped yet (one that was a member, say): nothing to say. */
		if (!r || r == EXIT_NO_TARGET)
			continue;
		if (!po) {
			if (!(pv = realloc(f->passed, (f->npassed + 1) * sizeof(*pv))))
				continue;
			f->passed = pv;
			po = &f->passed[f->npassed++];
			*po = (struct passed_over){ .pid = pid };
		}
		po->tries = r == EXIT_NO_RUNTIME ? po->tries + 1 : NO_RUNTIME_TRIES;
		k = strlen(f->note);
		if (po->tries >= NO_RUNTIME_TRIES && k < sizeof(f->note))
			snprintf(f->note + k, sizeof(f->note) - k, "%spid %d (%.64s) not watched: %.400s",
				 k ? "; " : "", pid, f->comm, err);
	}
	closedir(dir);
}

/* Each skeleton holds a few dozen descriptors: many processes need more than the usual
 * soft limit of 1024, and the hard limit is there to be used. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int fleet_open_only(struct fleet *f, const pid_t *pids, size_t npids, char *err, size_t errlen)
{
	size_t i;
	int r;

	f->single = npids == 1 && !f->comm;
	for (i = 0; i < npids; i++) {
		if (is_member(f, pids[i]))
			continue;	/* -p 1,1 */
		if ((r = member_open(f, pids[i], err, errlen))) {
			prefix_pid(f, pids[i], err, errlen);
			return r;
		}
	}
	f->single = f->n == 1 && !f->comm;	/* -p 42,42 is one process */
	return 0;
}

int fleet_open(struct fleet *f, const pid_t *pids, size_t npids, char *err, size_t errlen)
{
	size_t i;
	int r;

	/* Every PID given is checked before anything is attached to any of them. */
	if ((r = fleet_open_only(f, pids, npids, err, errlen)))
		return r;
	if (!f->single)
		raise_nofile();
	for (i = 0; i < f->n; i++) {
		if ((r = member_attach(f, f->mem[i], err, errlen))) {
			prefix_pid(f, f->mem[i]->s.t.pid, err, errlen);
			return r;
		}
	}
	return 0;	/* the processes named --comm: at the first refresh */
}

static void add_totals(struct totals *t, const struct totals *a)
{
	t->coroutines_live += a->coroutines_live;
	t->coroutines_created += a->coroutines_created;
	t->coroutines_exited += a->coroutines_exited;
	t->defers_pending += a->defers_pending;
	t->defers_registered += a->defers_registered;
	t->defers_run += a->defers_run;
	t->defers_lost += a->defers_lost;
	t->conns_outstanding += a->conns_outstanding;
	t->conns_orphaned += a->conns_orphaned;
	t->queues += a->queues;
	t->timers_pending += a->timers_pending;
	t->events += a->events;
	t->lost += a->lost;
}

/* Member i ended: its counters are kept in the sums, the member detached and dropped. */
static void retire(struct fleet *f, size_t i)
{
	struct member *mb = f->mem[i];
	const struct snapshot *last = &mb->m.cur;
	struct gone_proc *g = realloc(f->gone, (f->ngone + 1) * sizeof(*g));
	struct totals counted;
	int c;

	if (g) {
		f->gone = g;
		g[f->ngone].pid = mb->s.t.pid;
		snprintf(g[f->ngone].comm, sizeof(g->comm), "%s", mb->s.t.comm);
		f->ngone++;
	}
	f->gone_total++;
	/* Its counters stay; what it held now (gauges) went with it. */
	counted = last->tot;
	counted.coroutines_live = counted.defers_pending = counted.conns_outstanding = 0;
	counted.conns_orphaned = counted.queues = counted.timers_pending = 0;
	add_totals(&f->retired, &counted);
	for (c = 0; c < C__COUNT; c++)
		f->retired_counters[c] += last->counters[c];
	member_close(mb);
	memmove(&f->mem[i], &f->mem[i + 1], (f->n - i - 1) * sizeof(*f->mem));
	f->n--;
}

int fleet_refresh(struct fleet *f, char *err, size_t errlen)
{
	size_t i;

	f->ngone = 0;
	f->note[0] = 0;
	for (i = 0; i < f->n; ) {
		if (target_alive(&f->mem[i]->s.t)) {
			i++;
			continue;
		}
		if (f->single)
			return snprintf(err, errlen, "the target process %s%s",
					target_gone_how(&f->mem[i]->s.t),
					f->mem[i]->s.no_probes ? "" : "; probes detached"),
			       EXIT_TARGET_GONE;
		retire(f, i);
	}
	if (!f->n && !f->comm)
		return snprintf(err, errlen, "every target process exited; probes detached"),
		       EXIT_TARGET_GONE;
	if (f->comm)
		follow_comm(f);
	for (i = 0; i < f->n; i++) {
		if (model_refresh(&f->mem[i]->m)) {
			snprintf(err, errlen, "cannot read the BPF maps");
			prefix_pid(f, f->mem[i]->s.t.pid, err, errlen);
			return EXIT_FAILURE_;
		}
	}
	return 0;
}

void fleet_totals(const struct fleet *f, struct totals *t, uint64_t counters[C__COUNT])
{
	size_t i;
	int c;

	*t = f->retired;
	for (c = 0; c < C__COUNT; c++)
		counters[c] = f->retired_counters[c];
	for (i = 0; i < f->n; i++) {
		add_totals(t, &f->mem[i]->m.cur.tot);
		for (c = 0; c < C__COUNT; c++)
			counters[c] += f->mem[i]->m.cur.counters[c];
	}
}

uint64_t fleet_map_bytes(const struct fleet *f)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < f->n; i++)
		sum += f->mem[i]->map_bytes;
	return sum;
}

void fleet_close(struct fleet *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		member_close(f->mem[i]);
	free(f->mem);
	free(f->gone);
	free(f->passed);
	f->mem = NULL;
	f->gone = NULL;
	f->passed = NULL;
	f->n = f->ngone = f->npassed = 0;
}
