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

/* One function per program, so each has its own probe; each starts with a PUSH, which
 * the kernel emulates. stepped_fn starts with a MOV, which it single-steps. */
#define PROBED(name) \
	__asm__(".text\n.globl " #name "_fn\n.type " #name "_fn, @function\n" \
		#name "_fn: push %rbx\n pop %rbx\n ret\n.size " #name "_fn, 3\n"); \
	void name##_fn(void);
PROBED(unprobed) PROBED(empty) PROBED(pid_check) PROBED(cookie_lookup) PROBED(hash_lookup)
PROBED(clock_read) PROBED(one_read) PROBED(two_reads)
__asm__(".text\n.globl stepped_fn\n.type stepped_fn, @function\n"
	"stepped_fn: mov %rdi, %rax\n ret\n.size stepped_fn, 4\n");
void stepped_fn(void);

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

/* Attaches each program, runs each function, prints the figures. 0 or 1. */
static int measure(struct floor_bpf *skel)
{
	struct step {
		const char *name, *fn_name;
		void (*fn)(void);
		size_t over;	/* the step it does one thing more than */
		struct bpf_program *prog;
	} steps[] = {
#define STEP(what, name, over) { what, #name "_fn", name##_fn, over, skel->progs.name }
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
	double bare, emulated, stepped, ns[sizeof(steps) / sizeof(steps[0])];
	LIBBPF_OPTS(bpf_uprobe_opts, stepped_opts, .func_name = "stepped_fn");
	size_t i;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = steps[i].fn_name);

		if (!bpf_program__attach_uprobe_opts(steps[i].prog, 0, "/proc/self/exe", 0, &opts)) {
			fprintf(stderr, "floor: cannot attach to %s\n", steps[i].fn_name);
			return 1;
		}
	}
	if (!bpf_program__attach_uprobe_opts(skel->progs.empty, 0, "/proc/self/exe", 0, &stepped_opts)) {
		fprintf(stderr, "floor: cannot attach to stepped_fn\n");
		return 1;
	}
	bare = ns_per_call(unprobed_fn);
	emulated = ns_per_call(empty_fn);
	for (i = 1; i < n; i++)
		ns_per_call(steps[i].fn);
	/* After the figures of the empty program: these runs would count in them. */
	stepped = ns_per_call(stepped_fn);
	for (i = 0; i < n; i++)
		if ((ns[i] = run_ns(steps[i].prog)) < 0) {
			fprintf(stderr, "floor: no bpf_stats (kernel.bpf_stats_enabled=0?)\n");
			return 1;
		}
	printf("floor    a uprobe hit with an empty BPF program costs the thread %.1f us on an "
	       "instruction the kernel emulates (push), %.1f us on one it single-steps (mov);\n"
	       "         bpf_stats per run: empty %.0f ns", (emulated - bare) / 1e3,
	       (stepped - bare) / 1e3, ns[0]);
	for (i = 1; i < n; i++)
		printf(", %s %+.0f", steps[i].name, ns[i] - ns[steps[i].over]);
	printf("\n");
	return 0;
}

int main(void)
{
	struct floor_bpf *skel = floor_bpf__open_and_load();
	int r;

	if (!skel) {
		fprintf(stderr, "floor: cannot load its BPF programs (root? BTF?)\n");
		return 1;
	}
	r = measure(skel);
	floor_bpf__destroy(skel);
	return r;
}
