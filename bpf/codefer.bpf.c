// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* codefer's BPF side: one handler per event kind, no runtime knowledge.
 *
 * Every probe is attached with a cookie indexing `probe_cfgs`, which says where the
 * coroutine id, pool, connection and site are for that probe point. State is kept per
 * (tgid, coroutine id), never per thread: coroutines move between threads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "codefer.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 targ_tgid = 0;
/* codefer-top's pid namespace when it is not the first (a container's): targ_tgid is a
 * pid in it, and the hitting process's is read there. */
const volatile __u64 pidns_dev = 0, pidns_ino = 0;
/* The runtime's coroutines end with no probe (LuaJIT's: the GC frees them unseen), and
 * their ids are addresses the next ones reuse. */
const volatile __u8 exits_unprobed = 0;
/* Set by user space once every probe is in: uprobes go in one by one, and a create seen
 * before its exit probe exists would never end. */
__u32 probes_on = 0;
/* Set by user space once the census is over: the end of a coroutine born later has no
 * census part to drop, and is not sent to user space. */
__u32 census_done = 0;
/* Bumped by user space before each walk of the runtime: a walk's state of a coroutine is
 * newer than its last event when the walk's number is above the one the event left. */
__u64 walk_gen = 0;
/* Bumped by user space at each refresh. A coroutine's first change since the last bump
 * sends its id on `changed`: a refresh reads the entries that changed, not all. */
__u32 refresh_epoch = 0;
/* Set when `changed` had no room: the next refresh reads every entry. */
__u32 changes_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_PROBES);
	__type(key, __u32);
	__type(value, struct probe_cfg);
} probe_cfgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_COROS);
	__type(key, struct coro_key);
	__type(value, struct coro);
} coros SEC(".maps");

/* Pending defers deeper than a coroutine's inline sites (struct coro), so a run retires
 * the right site. Allocated as used: only deep stacks (leaks, mostly) come here, and
 * preallocated it would be most of a process's map memory. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_DEFER_RECORDS);
	__type(key, struct defer_key);
	__type(value, struct site);
} defer_stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_POOLS);
	__type(key, struct pool_key);
	__type(value, struct pool_stats);
} pools SEC(".maps");

/* Connections out of their pool, by identity: who holds them, since when, taken where. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CONNS);
	__type(key, struct conn_key);
	__type(value, struct conn_hold);
} conns SEC(".maps");

/* Pending timers armed since attach (and the census's, seeded by user space), by id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* room as used: most targets arm few */
	__uint(max_entries, MAX_TIMERS);
	__type(key, struct timer_key);
	__type(value, struct timer_val);
} timers SEC(".maps");

/* Site addresses whose line is their caller's, with their SKIP_* kinds (user space fills
 * it: PF_SITE_UP_SKIPS). A library's functions may be tens of thousands: not preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, MAX_SITE_SKIPS);
	__type(key, __u64);
	__type(value, __u8);
} site_skips SEC(".maps");

/* Ends of coroutines born before attach (struct exit_event). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EXITS_RINGBUF_BYTES);
} exits SEC(".maps");

/* Ids of coroutines whose entry changed (or went) since the last refresh (mark_changed). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CHANGED_RINGBUF_BYTES);
} changed SEC(".maps");

/* One block of counters per CPU, looked up once per hit (probe_cfg_of). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter_block);
} counters SEC(".maps");

/* A coroutine's new entry, built here rather than on on_create's stack (too small for
 * it and a site's climb, skip_up). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct coro);
} fresh_coro SEC(".maps");

static __always_inline struct counter_block *counter_block(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&counters, &key);
}

/* For the rare counters (losses, retirements), which look up their block themselves. */
static __always_inline void count_n(enum counter c, __u64 n)
{
	struct counter_block *b = counter_block();

	if (b && c < C__COUNT)
		b->n[c] += n;
}

static __always_inline void count(enum counter c)
{
	count_n(c, 1);
}

static __always_inline int update_or_count(void *map, const void *key, const void *val, __u64 flags)
{
	int err = bpf_map_update_elem(map, key, val, flags);

	if (err)
		count(C_LOST_MAP_FULL);
	return err;
}

/* A register of the probed instruction. The verifier rejects a ctx access at a computed
 * offset, so each case loads at its own constant one; the empty asm keeps clang from
 * merging the cases into one load at a looked-up offset. */
#define REG_CASE(r, field)                      \
	case r:                                 \
		v = regs->field;                \
		asm volatile("" : "+r"(v));     \
		break

static __always_inline __u64 reg_value(const struct pt_regs *regs, __u8 reg)
{
	__u64 v;

	switch (reg) {
	REG_CASE(CFREG_RDI, di);
	REG_CASE(CFREG_RSI, si);
	REG_CASE(CFREG_RDX, dx);
	REG_CASE(CFREG_RCX, cx);
	REG_CASE(CFREG_R8, r8);
	REG_CASE(CFREG_R9, r9);
	REG_CASE(CFREG_RAX, ax);
	REG_CASE(CFREG_RBX, bx);
	REG_CASE(CFREG_RBP, bp);
	REG_CASE(CFREG_RSP, sp);
	REG_CASE(CFREG_R10, r10);
	REG_CASE(CFREG_R11, r11);
	REG_CASE(CFREG_R12, r12);
	REG_CASE(CFREG_R13, r13);
	REG_CASE(CFREG_R14, r14);
	REG_CASE(CFREG_R15, r15);
	REG_CASE(CFREG_RIP, ip);
	default:
		v = 0;
	}
	return v;
}

static __always_inline int load(__u64 addr, __u8 size, __u64 *out)
{
	__u64 v = 0;
	int err;

	switch (size) {
	case 1: err = bpf_probe_read_user(&v, 1, (void *)addr); break;
	case 2: err = bpf_probe_read_user(&v, 2, (void *)addr); break;
	case 4: err = bpf_probe_read_user(&v, 4, (void *)addr); break;
	default: err = bpf_probe_read_user(&v, 8, (void *)addr); break;
	}
	*out = v;
	return err;
}

/* The rest of loc l from its load number `from` on, v being the value before it (read at
 * `at`, 0 for a base). Returns 0 or -1. */
static __always_inline int deref_from(const struct loc *l, int from, __u64 v, __u64 at, __u64 *out)
{
	int i;

	for (i = 0; i < LOC_MAX_DEREF; i++) {
		if (i < from)
			continue;
		if (i >= l->nderef)
			break;
		/* A null link (no current coroutine: Swoole's Callable made on the event loop)
		 * means nothing is there, not that something could not be read. */
		if (!v)
			return -1;
		at = v + l->off[i];
		if (load(at, i == l->nderef - 1 ? l->size : 8, &v)) {
			count(C_LOST_READ);
			return -1;
		}
	}
	if ((l->flags & LOCF_ALT) && at && (v & l->alt_mask) == l->alt_val &&
	    load(at + l->alt_off, 8, &v)) {
		count(C_LOST_READ);
		return -1;
	}
	if (l->flags & LOCF_THREAD)
		v = (bpf_get_current_pid_tgid() << 32) | (__u32)v;
	*out = v;
	return 0;
}

/* Evaluates a loc; `co` is the current coroutine id, for LOC_SAVED; `frame` the site
 * frame, for LOC_FRAME (sites only). Returns 0 or -1. */
static __noinline int eval_loc_in(const struct pt_regs *regs, const struct loc *l, __u64 co,
				  __u64 frame, __u64 *out)
{
	struct coro_key ck = { .tgid = targ_tgid, .id = co };
	struct task_struct *task;
	struct coro *c;
	__u64 v = 0;

	if (!l)
		return -1;
	switch (l->base) {
	case LOC_REG:
		if (l->reg >= CFREG__COUNT)
			return -1;
		v = reg_value(regs, l->reg) + l->base_off;
		break;
	case LOC_ADDR:
	case LOC_CONST:
		v = l->base_off;
		break;
	case LOC_FRAME:
		v = frame + l->base_off;
		break;
	case LOC_TLS:
		task = bpf_get_current_task_btf();
		v = BPF_CORE_READ(task, thread.fsbase) + l->base_off;
		break;
	case LOC_SAVED:
		c = bpf_map_lookup_elem(&coros, &ck);
		if (!c)
			return -1;
		v = c->saved[l->reg & (MAX_SAVE_SLOTS - 1)];
		break;
	default:
		*out = 0;
		return 0;
	}
	return deref_from(l, 0, v, 0, out);
}

static __always_inline int eval_loc(const struct pt_regs *regs, const struct loc *l, __u64 co,
				    __u64 *out)
{
	return eval_loc_in(regs, l, co, 0, out);
}

/* The hitting process's pid, as codefer-top sees pids (0: none there). */
static __always_inline __u32 current_tgid(void)
{
	struct bpf_pidns_info ns;

	if (!pidns_ino)
		return bpf_get_current_pid_tgid() >> 32;
	return bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)) ? 0 : ns.tgid;
}

/* The hit's probe_cfg and this CPU's counters; NULL for other processes. */
static __always_inline struct probe_cfg *probe_cfg_of(struct pt_regs *ctx, struct counter_block **ctr)
{
	__u32 idx = bpf_get_attach_cookie(ctx);
	struct probe_cfg *cfg;

	if (current_tgid() != targ_tgid || !probes_on)
		return NULL;
	*ctr = counter_block();
	cfg = bpf_map_lookup_elem(&probe_cfgs, &idx);
	if (!cfg || !*ctr) {
		count(C_LOST_NO_CFG);
		return NULL;
	}
	(*ctr)->n[C_EVENTS]++;
	return cfg;
}

/* The probe's condition, if it has one, says whether this hit counts. */
static __always_inline bool cond_holds(const struct pt_regs *regs, struct probe_cfg *cfg, __u64 co)
{
	__u64 v;

	if (!(cfg->flags & (PF_COND_ZERO | PF_COND_NONZERO | PF_COND_EQ)))
		return true;
	if (eval_loc(regs, &cfg->cond, co, &v))
		return false;
	if ((cfg->flags & PF_COND_EQ) ? v == cfg->cond_val :
	    (cfg->flags & PF_COND_ZERO) ? v == 0 : v != 0)
		return true;
	count(C_COND_SKIPPED);
	return false;
}

/* Reads the hit's coroutine id into *id: true when it could and the probe's condition
 * holds (the hit counts). */
static __always_inline bool hit_counts(const struct pt_regs *regs, struct probe_cfg *cfg, __u64 *id)
{
	return !eval_loc(regs, &cfg->co, 0, id) && cond_holds(regs, cfg, *id);
}

/* For an event about a pool, a connection or a timer rather than a coroutine: the
 * coroutine id (0 when unreadable) only matters for conditions and saved values. True
 * when the probe's condition holds (the hit counts). */
static __always_inline bool hit_counts_any_co(const struct pt_regs *regs, struct probe_cfg *cfg,
					      __u64 *id)
{
	*id = 0;
	eval_loc(regs, &cfg->co, 0, id);
	return cond_holds(regs, cfg, *id);
}

/* The first return address outside the skip range, from pc up the frame-pointer chain
 * that starts at the probe's RBP (the frame of pc's function). Bounded; when the chain
 * breaks or is too deep, the last PC read stands. */
static __always_inline __u64 skip_frames(const struct pt_regs *regs, const struct probe_cfg *cfg,
					 __u64 pc)
{
	__u64 fp = regs->bp, frame[2];	/* the saved frame pointer, then the return PC */
	int i;

	for (i = 0; i < MAX_SKIP_FRAMES; i++) {
		if (pc < cfg->site_skip_lo || pc >= cfg->site_skip_hi)
			break;
		/* One read a frame: each costs about as much whatever its size. */
		if (bpf_probe_read_user(frame, sizeof(frame), (void *)fp) || !frame[1])
			break;
		pc = frame[1];
		fp = frame[0];
	}
	return pc;
}

/* The rest of a fused site half (PF_SITE_FUSED): its first load's value is word `idx`. */
static __always_inline int fused_half(const struct loc *l, const __u64 *words, __u8 idx, __u64 *out)
{
	__u64 v = words[idx & (SITE_FUSE_BYTES / 8 - 1)];

	if (l->nderef == 1 && l->size && l->size < 8)
		v &= (1ull << (l->size * 8)) - 1;
	return deref_from(l, 1, v, 0, out);
}

/* Site and aux of a PF_SITE_FUSED probe, their first loads in one read. */
static __noinline int eval_site_fused(const struct pt_regs *regs, const struct probe_cfg *cfg,
				      __u64 frame, struct site *s)
{
	__u64 words[SITE_FUSE_BYTES / 8] = {}, base;
	__u32 len = cfg->fuse_len;

	base = cfg->site.base == LOC_FRAME ? frame : reg_value(regs, cfg->site.reg);
	if (!base || !len || len > sizeof(words))
		return -1;
	if (bpf_probe_read_user(words, len, (void *)(base + cfg->fuse_off))) {
		count(C_LOST_READ);
		return -1;
	}
	if (fused_half(&cfg->site, words, cfg->fuse_site, &s->addr))
		return -1;
	return fused_half(&cfg->site_aux, words, cfg->fuse_aux, &s->aux);
}

/* Site and aux from site frame `frame`. */
__noinline int site_in(struct pt_regs *regs, struct probe_cfg *cfg, __u64 co, __u64 frame,
		       struct site *s)
{
	if (!cfg || !s)
		return -1;
	if (cfg->flags & PF_SITE_FUSED)
		return eval_site_fused(regs, cfg, frame, s);
	if (eval_loc_in(regs, &cfg->site, co, frame, &s->addr))
		return -1;
	if (cfg->flags & PF_SITE_SKIP)
		s->addr = skip_frames(regs, cfg, s->addr);
	return eval_loc_in(regs, &cfg->site_aux, co, frame, &s->aux);
}

/* PF_SITE_UP_SKIPS: a wrapper's or a library's line (Hyperf's defer() around Swoole's,
 * its Pool::get() around a channel's pop) says nothing: the first caller's that is
 * neither, up from site s in frame `innermost`. With none (a coroutine only the library's
 * code runs), the innermost that is no wrapper's stands: read again (rare) rather than
 * kept on the stack. */
__noinline int skip_up(struct pt_regs *regs, struct probe_cfg *cfg, __u64 co, __u64 innermost,
		       struct site *s)
{
	__u64 at = innermost, next, fallback = 0, ok;
	__u8 *kinds;
	int i;

	if (!cfg || !s)
		return -1;
	for (i = 0; ; i++) {
		kinds = bpf_map_lookup_elem(&site_skips, &s->addr);
		if (!kinds || !(*kinds & cfg->skip_kinds))
			return 0;
		if (!fallback && !(*kinds & SKIP_WRAPPER))
			fallback = at;
		if (i == MAX_SKIP_FRAMES)
			break;
		if (cfg->flags & PF_SKIP_UP_STEP)
			next = at + cfg->skip_up;
		else if (load(at + cfg->skip_up, 8, &next) || !next)
			break;
		if (cfg->frame_ok.base && (eval_loc_in(regs, &cfg->frame_ok, co, next, &ok) ||
					   (ok & cfg->frame_ok_mask) != cfg->frame_ok_val))
			break;
		if (site_in(regs, cfg, co, next, s))
			return -1;
		at = next;
		/* A site with no second half (no current op: the frame a Swoole coroutine
		 * starts from) is no code's frame: the top. */
		if (!s->aux)
			break;
	}
	if (!fallback)
		fallback = innermost;
	return fallback != at ? site_in(regs, cfg, co, fallback, s) : 0;
}

static __always_inline int eval_site(struct pt_regs *regs, struct probe_cfg *cfg, __u64 co,
				     struct site *s)
{
	__u64 frame = 0;

	s->kind = cfg->site_kind;
	if (cfg->site_frame.base && eval_loc(regs, &cfg->site_frame, co, &frame))
		return -1;
	/* No calling frame (a Lua state an embedder's C code makes a thread on, with no Lua
	 * function running; PHP's outermost call): the event has no site, none was lost. */
	if (cfg->site_frame.base && !frame) {
		s->kind = 0;	/* SITE_NONE */
		return 0;
	}
	if (site_in(regs, cfg, co, frame, s))
		return -1;
	return cfg->flags & PF_SITE_UP_SKIPS ? skip_up(regs, cfg, co, frame, s) : 0;
}

/* Coroutine id's entry is new, or changed in a way a refresh shows: its id goes on
 * `changed`, once between two refreshes. */
static __always_inline void send_changed(__u64 id)
{
	if (bpf_ringbuf_output(&changed, &id, sizeof(id), 0))
		changes_lost = 1;
}

/* An event changed coroutine id's entry c. */
static __always_inline void mark_changed(__u64 id, struct coro *c)
{
	__u32 epoch = refresh_epoch;

	c->seq++;
	c->last_walk = walk_gen;
	if (c->changed_epoch != epoch) {
		c->changed_epoch = epoch;
		send_changed(id);
	}
}

/* A new entry for coroutine id, first seen by an event other than its create (the clock
 * is read only then). Out of line: its blank entry would sit on every handler's stack. */
static __noinline struct coro *coro_new(__u64 id)
{
	struct coro_key key = { .tgid = targ_tgid, .id = id };
	struct coro fresh = { .flags = CF_UNSEEN_BIRTH, .changed_epoch = refresh_epoch };

	send_changed(id);
	fresh.first_ns = bpf_ktime_get_ns();
	if (update_or_count(&coros, &key, &fresh, BPF_NOEXIST) && !bpf_map_lookup_elem(&coros, &key))
		return NULL;
	return bpf_map_lookup_elem(&coros, &key);
}

/* The coroutine's entry, made on its first event. */
static __always_inline struct coro *coro_get(__u64 id)
{
	struct coro_key key = { .tgid = targ_tgid, .id = id };
	struct coro *c = bpf_map_lookup_elem(&coros, &key);

	return c ? c : coro_new(id);
}

static __always_inline bool inline_depth(__s64 depth)
{
	return depth >= 0 && depth < CORO_INLINE_SITES;
}

/* Retires the pending defer at `depth` of coroutine `id` (depths are relative to attach
 * and may be below 0: the u32 wraps, keys stay distinct). Inline ones need nothing. */
static __always_inline void pop_defer(__u64 id, __s64 depth)
{
	struct defer_key key = { .tgid = targ_tgid, .id = id, .depth = (__u32)depth };

	if (!inline_depth(depth))
		bpf_map_delete_elem(&defer_stack, &key);
}

struct retire_ctx {
	__u64 id;
	__s64 from;
	__u64 n;
};

/* bpf_loop callback: retires depth from+i (the context is left unwritten, which keeps the
 * verifier's state space small). */
static long retire_one(__u64 i, struct retire_ctx *rc)
{
	if (i >= rc->n)
		return 1;
	pop_defer(rc->id, rc->from + i);
	return 0;
}

/* Retires the defer_stack entries of depths [from, to). */
static __always_inline void retire_range(__u64 id, __s64 from, __s64 to)
{
	struct retire_ctx rc = { .id = id, .from = from };

	if (to <= from)
		return;
	rc.n = to - from;
	if (rc.n > MAX_EXIT_DEFERS) {
		count(C_LOST_TRUNCATED);
		rc.n = MAX_EXIT_DEFERS;
	}
	bpf_loop(rc.n, retire_one, &rc, 0);
}

static long mark_orphan(struct bpf_map *map, struct conn_key *key, struct conn_hold *h, __u64 *id)
{
	struct pool_key pk = { .tgid = targ_tgid };
	struct pool_stats *ps;

	if (key->tgid != targ_tgid || h->co != *id || h->orphan)
		return 0;
	h->orphan = 1;
	pk.pool = h->pool;
	ps = bpf_map_lookup_elem(&pools, &pk);
	if (ps)
		__sync_fetch_and_add(&ps->orphans, 1);
	count(C_ORPHANED);
	return 0;
}

/* A coroutine ended: the census's part of it, if any, goes in user space. */
static __always_inline void report_exit(__u64 id, __s64 low, __u32 reused)
{
	struct exit_event *e = bpf_ringbuf_reserve(&exits, sizeof(*e), 0);

	if (!e) {
		count(C_LOST_EXITS);
		return;
	}
	e->id = id;
	e->low = low;
	e->reused = reused;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

/* A coroutine ended (or its id is being reused): retire the defers the probes saw
 * registered (depths [low, pending)), orphan its conns. */
static __always_inline void retire_coro(__u64 id, struct coro *c)
{
	struct coro_key key = { .tgid = targ_tgid, .id = id };
	__s64 pending = c->pending;

	if (pending > c->low) {
		count_n(C_DEFERS_RUN_AT_EXIT, pending - c->low);
		/* The depths not inline: below 0, and from CORO_INLINE_SITES up. */
		retire_range(id, c->low, pending < 0 ? pending : 0);
		retire_range(id, CORO_INLINE_SITES > c->low ? CORO_INLINE_SITES : c->low, pending);
	}
	if (c->conns > 0)
		bpf_for_each_map_elem(&conns, mark_orphan, &id, 0);
	/* Even one born after attach: the census may have read it too. */
	if (!(c->flags & CF_AFTER_CENSUS))
		report_exit(id, c->low, 0);
	mark_changed(id, c);
	bpf_map_delete_elem(&coros, &key);
}

SEC("uprobe")
int BPF_UPROBE(on_create)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct coro_key key = { .tgid = targ_tgid };
	__u64 now = bpf_ktime_get_ns();
	struct coro *fresh, *old;
	__u32 zero = 0;

	if (!cfg || !hit_counts(regs, cfg, &key.id) ||
	    !(fresh = bpf_map_lookup_elem(&fresh_coro, &zero)))
		return 0;
	__builtin_memset(fresh, 0, sizeof(*fresh));
	old = bpf_map_lookup_elem(&coros, &key);
	/* Its id taken again (LuaJIT's, an address, with no probe on its free): the one
	 * that had it ended. */
	if (old) {
		retire_coro(key.id, old);
		ctr->n[C_EXITED]++;
	} else if (exits_unprobed && census_done) {
		/* One the census read before it ended, if any (the probes never saw it). */
		report_exit(key.id, 0, 1);
	}
	eval_site(regs, cfg, key.id, &fresh->create_site);
	fresh->created_ns = fresh->first_ns = now;
	fresh->last_walk = walk_gen;
	fresh->seq = 1;
	fresh->flags = census_done ? CF_AFTER_CENSUS : 0;
	fresh->changed_epoch = refresh_epoch;
	if (!update_or_count(&coros, &key, fresh, BPF_ANY)) {
		ctr->n[C_CREATED]++;
		send_changed(key.id);
	}
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_defer)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct defer_key dk = { .tgid = targ_tgid };
	struct site s = {};
	__s64 depth;
	struct coro *c;
	__u64 id;

	if (!cfg || !hit_counts(regs, cfg, &id))
		return 0;
	c = coro_get(id);
	if (!c)
		return 0;
	eval_site(regs, cfg, id, &s);
	depth = c->pending;
	if (inline_depth(depth)) {
		c->sites[depth & (CORO_INLINE_SITES - 1)] = s;
	} else {
		dk.id = id;
		dk.depth = (__u32)depth;
		if (update_or_count(&defer_stack, &dk, &s, BPF_ANY))
			return 0;
	}
	c->pending++;
	c->registered++;
	if (c->pending > c->peak)
		c->peak = c->pending;
	mark_changed(id, c);
	ctr->n[C_DEFERS_REGISTERED]++;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_defer_run)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct coro_key key = { .tgid = targ_tgid };
	struct coro *c;

	if (!cfg || !hit_counts(regs, cfg, &key.id))
		return 0;
	ctr->n[C_DEFERS_RUN]++;
	c = coro_get(key.id);
	if (!c)
		return 0;
	/* At its lowest, the defer that runs is one registered before attach. */
	if (c->pending <= c->low) {
		c->low--;
		ctr->n[C_DEFERS_RUN_UNSEEN]++;
	} else {
		pop_defer(key.id, c->pending - 1);
	}
	c->pending--;
	c->run++;
	mark_changed(key.id, c);
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_exit)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct coro_key key = { .tgid = targ_tgid };
	struct coro *c;

	if (!cfg || !hit_counts(regs, cfg, &key.id))
		return 0;
	ctr->n[C_EXITED]++;
	c = bpf_map_lookup_elem(&coros, &key);
	if (c)
		retire_coro(key.id, c);
	else
		report_exit(key.id, 0, 0);
	return 0;
}

/* Out of line, like coro_new. */
static __noinline struct pool_stats *pool_new(__u64 pool)
{
	struct pool_key key = { .tgid = targ_tgid, .pool = pool };
	struct pool_stats fresh = {};

	update_or_count(&pools, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&pools, &key);
}

static __always_inline struct pool_stats *pool_get(__u64 pool)
{
	struct pool_key key = { .tgid = targ_tgid, .pool = pool };
	struct pool_stats *ps = bpf_map_lookup_elem(&pools, &key);

	return ps ? ps : pool_new(pool);
}

/* A held connection comes back (or is taken again without a put we saw). */
static __always_inline void release_conn(struct conn_key *ck, struct conn_hold *h, __u64 put_pool)
{
	struct coro_key holder = { .tgid = targ_tgid, .id = h->co };
	struct pool_stats *ps = pool_get(h->pool);
	struct coro *c = bpf_map_lookup_elem(&coros, &holder);

	if (c && !h->orphan) {
		__sync_fetch_and_add(&c->conns, -1);
		mark_changed(h->co, c);
	}
	if (ps) {
		__sync_fetch_and_add(&ps->outstanding, -1);
		if (h->orphan)
			__sync_fetch_and_add(&ps->orphans, -1);
		if (put_pool == h->pool)
			ps->flags |= POOL_ROUND_TRIP;
	}
	bpf_map_delete_elem(&conns, ck);
}

SEC("uprobe")
int BPF_UPROBE(on_pool_get)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct conn_key ck = { .tgid = targ_tgid };
	struct conn_hold hold = {}, *old;
	__u64 now = bpf_ktime_get_ns(), id;
	struct pool_stats *ps;
	struct coro *c;

	if (!cfg || !hit_counts(regs, cfg, &id))
		return 0;
	if (eval_loc(regs, &cfg->conn, id, &ck.conn) || eval_loc(regs, &cfg->pool, id, &hold.pool))
		return 0;
	old = bpf_map_lookup_elem(&conns, &ck);
	if (old)
		release_conn(&ck, old, 0);
	c = coro_get(id);
	ps = pool_get(hold.pool);
	if (!c || !ps)
		return 0;
	eval_site(regs, cfg, id, &hold.site);
	hold.co = id;
	hold.get_ns = now;
	if (update_or_count(&conns, &ck, &hold, BPF_ANY))
		return 0;
	__sync_fetch_and_add(&c->conns, 1);
	mark_changed(id, c);
	__sync_fetch_and_add(&ps->gets, 1);
	if (__sync_fetch_and_add(&ps->outstanding, 1) + 1 > ps->peak)
		ps->peak = ps->outstanding;
	ctr->n[C_GETS]++;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_pool_put)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct conn_key ck = { .tgid = targ_tgid };
	struct conn_hold *h;
	struct pool_stats *ps;
	__u64 id, pool = 0;

	if (!cfg || !hit_counts_any_co(regs, cfg, &id) || eval_loc(regs, &cfg->conn, id, &ck.conn))
		return 0;
	eval_loc(regs, &cfg->pool, id, &pool);
	ctr->n[C_PUTS]++;
	h = bpf_map_lookup_elem(&conns, &ck);
	if (h) {
		ps = pool_get(h->pool);
		if (ps)
			__sync_fetch_and_add(&ps->puts, 1);
		release_conn(&ck, h, cfg->pool.base ? pool : h->pool);
		return 0;
	}
	if (!cfg->pool.base)
		return 0;
	ps = pool_get(pool);
	if (ps) {
		__sync_fetch_and_add(&ps->puts, 1);
		__sync_fetch_and_add(&ps->puts_unknown, 1);
	}
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_pool_open)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct pool_stats *ps;
	struct site site = {};
	__u64 id, pool;

	if (!cfg || !hit_counts_any_co(regs, cfg, &id) || eval_loc(regs, &cfg->pool, id, &pool) ||
	    eval_site(regs, cfg, id, &site))
		return 0;
	ps = pool_get(pool);
	if (ps)
		ps->open_site = site;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_save)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	__u64 v, id;
	struct coro *c;

	if (!cfg || !hit_counts(regs, cfg, &id))
		return 0;
	if (eval_loc(regs, &cfg->save, id, &v))
		return 0;
	c = coro_get(id);
	if (c)
		c->saved[cfg->slot & (MAX_SAVE_SLOTS - 1)] = v;
	return 0;
}

SEC("uprobe")
int BPF_UPROBE(on_touch)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct coro *c;
	__u64 id;

	if (!cfg || !hit_counts(regs, cfg, &id))
		return 0;
	c = coro_get(id);
	if (c)
		mark_changed(id, c);
	return 0;
}

/* EV_TIMER_ADD / EV_TIMER_DONE: a timer armed, or gone (see struct timer_val). */
SEC("uprobe")
int BPF_UPROBE(on_timer)
{
	struct pt_regs *regs = ctx;
	struct counter_block *ctr = NULL;
	struct probe_cfg *cfg = probe_cfg_of(ctx, &ctr);
	struct timer_key key = { .tgid = targ_tgid };
	struct timer_val v = {};
	__u64 co;

	if (!cfg || !hit_counts_any_co(regs, cfg, &co) || eval_loc(regs, &cfg->conn, co, &key.id))
		return 0;
	if (cfg->kind == EV_TIMER_ADD) {
		eval_site(regs, cfg, co, &v.site);
		eval_loc(regs, &cfg->pool, co, &v.callable);
		update_or_count(&timers, &key, &v, BPF_ANY);
	} else if (bpf_map_delete_elem(&timers, &key)) {
		update_or_count(&timers, &key, &v, BPF_NOEXIST);
	}
	return 0;
}
