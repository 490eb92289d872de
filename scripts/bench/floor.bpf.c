// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* make bench's floor: what each step a handler can take costs on this machine, as
 * bpf_stats times it. Each program does one thing more than the empty one; floor.c
 * attaches each to its own function and takes the differences. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u64);
	__type(value, __u64);
} entries SEC(".maps");

/* Where each program leaves what it got, so that nothing is optimized away. */
__u64 sink;

SEC("uprobe")
int BPF_UPROBE(empty)
{
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(pid_check)
{
	sink += bpf_get_current_pid_tgid();
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(cookie_lookup)
{
	__u32 key = bpf_get_attach_cookie(ctx);
	__u64 *v = bpf_map_lookup_elem(&slots, &key);

	if (v)
		sink += *v;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(hash_lookup)
{
	__u64 key = 0, *v = bpf_map_lookup_elem(&entries, &key);

	if (v)
		sink += *v;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(clock_read)
{
	sink += bpf_ktime_get_ns();
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(one_read)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)PT_REGS_SP(ctx));
	sink += v;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(two_reads)
{
	__u64 v = 0, w = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)PT_REGS_SP(ctx));
	bpf_probe_read_user(&w, sizeof(w), (void *)PT_REGS_SP(ctx) + 8);
	sink += v + w;
	return 0;
}
