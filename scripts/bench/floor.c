// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* make bench's floor: on this machine, what a uprobe trap costs the probed process, and
 * what each step of a BPF handler costs as bpf_stats shows it (run_time_ns / run_cnt),
 * so that codefer's handler figures can be read against what the machine allows.
 * Needs root and kernel.bpf_stats_enabled=1 (bench.sh sets it). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define CALLS 200000

/* One function per program, so each has its own probe. */
#define PROBED(name) __attribute__((noinline)) void name##_fn(void) { __asm__ volatile(""); }
PROBED(unprobed) PROBED(empty) PROBED(pid_check) PROBED(cookie_lookup) PROBED(hash_lookup)
PROBED(clock_read) PROBED(one_read) PROBED(two_reads)

static double ns_per_call(void (*fn)(void))
{
	struct timespec a, b;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < CALLS; i++)
		fn();
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / CALLS;
}

static double run_ns(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_prog_get_info_by_fd(bpf_program__fd(p), &info, &len) || !info.run_cnt)
		return -1;
	return (double)info.run_time_ns / info.run_cnt;
}

int main(void)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();
	struct step {
		const char *name, *fn_name;
		void (*fn)(void);
		size_t over;	/* the step it does one thing more than */
		struct bpf_program *prog;
	} steps[] = {
#define STEP(what, name, over) { what, #name "_fn", name##_fn, over, NULL }
		STEP("empty", empty, 0),
		STEP("pid check", pid_check, 0),
		STEP("cookie + array lookup", cookie_lookup, 0),
		STEP("hash lookup", hash_lookup, 0),
		STEP("bpf_ktime_get_ns", clock_read, 0),
		STEP("first user read", one_read, 0),
		STEP("second user read", two_reads, 5),
#undef STEP
	};
	const size_t n = sizeof(steps) / sizeof(steps[0]);
	double bare, base, ns[sizeof(steps) / sizeof(steps[0])];
	size_t i;

	if (!skel) {
		fprintf(stderr, "floor: cannot load its BPF programs (root? BTF?)\n");
		return 1;
	}
	steps[0].prog = skel->progs.empty;
	steps[1].prog = skel->progs.pid_check;
	steps[2].prog = skel->progs.cookie_lookup;
	steps[3].prog = skel->progs.hash_lookup;
	steps[4].prog = skel->progs.clock_read;
	steps[5].prog = skel->progs.one_read;
	steps[6].prog = skel->progs.two_reads;
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = steps[i].fn_name);

		if (!bpf_program__attach_uprobe_opts(steps[i].prog, 0, "/proc/self/exe", 0, &opts)) {
			fprintf(stderr, "floor: cannot attach to %s\n", steps[i].fn_name);
			return 1;
		}
	}
	bare = ns_per_call(unprobed_fn);
	base = ns_per_call(empty_fn);
	for (i = 1; i < n; i++)
		ns_per_call(steps[i].fn);
	for (i = 0; i < n; i++)
		if ((ns[i] = run_ns(steps[i].prog)) < 0) {
			fprintf(stderr, "floor: no bpf_stats (kernel.bpf_stats_enabled=0?)\n");
			return 1;
		}
	printf("floor    a uprobe hit with an empty BPF program costs the thread %.1f us; "
	       "bpf_stats per run: empty %.0f ns", (base - bare) / 1e3, ns[0]);
	for (i = 1; i < n; i++)
		printf(", %s +%.0f", steps[i].name, ns[i] - ns[steps[i].over]);
	printf("\n");
	floor_bpf__destroy(skel);
	return 0;
}
