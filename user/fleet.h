/* codefer-top over several processes (-p PID,PID... and --comm NAME): each process is its
 * own session (its own BPF skeleton, maps and uprobes) and model; the fleet attaches the
 * processes --comm names as they appear and detaches those that end. */
#ifndef CODEFER_FLEET_H
#define CODEFER_FLEET_H

#include "model.h"

#define FLEET_MAX_PIDS 1024

struct member {
	struct session s;
	struct model m;
	uint64_t map_bytes;	/* what the kernel charged for its BPF maps */
};

/* A process that ended, and what it had counted (its counters stay in the sums). */
struct gone_proc {
	pid_t pid;
	char comm[64];
};

/* A process --comm matched that could not be attached: not tried again while it lives. */
struct passed_over {
	pid_t pid;
	int tries;		/* a runtime not found yet (just started): tried again */
};

struct fleet {
	struct member **mem;
	size_t n;
	struct attach_opts ao;		/* for every member; ao.pid set per process */
	struct thresholds th;
	const char *comm;		/* --comm NAME, or NULL */
	int single;			/* one -p PID and no --comm: the one-process outputs */
	struct gone_proc *gone;		/* ended since the previous refresh */
	size_t ngone;
	uint64_t gone_total;		/* processes ended since start */
	struct totals retired;		/* the counters of the processes that ended */
	uint64_t retired_counters[C__COUNT];
	struct passed_over *passed;
	size_t npassed;
	uint64_t map_bytes_each;	/* the largest member's map_bytes */
	char note[512];			/* the last refresh's news: a --comm match that could
					   not be attached (the caller shows it) */
};

/* Opens and attaches every PID given (all of them exist, or nothing is attached); the
 * processes named comm come at each refresh. 0, or an enum exit_code with a one-line
 * message in err. */
int fleet_open(struct fleet *f, const pid_t *pids, size_t npids, char *err, size_t errlen);
/* --explain: opens the PIDs given, without attaching. */
int fleet_open_only(struct fleet *f, const pid_t *pids, size_t npids, char *err, size_t errlen);
/* One refresh: detaches the processes that ended (f->gone), attaches the new ones named
 * --comm, then a snapshot of each. 0, or an exit code with err set: a one-process fleet
 * whose target ended, or a fleet of -p PIDs that all ended. */
int fleet_refresh(struct fleet *f, char *err, size_t errlen);
/* The sums over the members; counters (*_created, *_exited, registered, run, events,
 * lost) include the processes that ended, so that they never go down. */
void fleet_totals(const struct fleet *f, struct totals *t, uint64_t counters[C__COUNT]);
/* What the kernel charged for every member's BPF maps. */
uint64_t fleet_map_bytes(const struct fleet *f);
void fleet_close(struct fleet *f);

#endif
