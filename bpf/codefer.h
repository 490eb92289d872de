/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Types shared by the BPF handlers (codefer.bpf.c) and user space.
 *
 * The handlers know no runtime. Each attached probe carries a cookie that indexes
 * `probe_cfgs`: which event it is and where, in the registers and memory of the target,
 * the coroutine id, pool, connection and site are. A runtime profile fills those in.
 */
#ifndef CODEFER_H
#define CODEFER_H

#define MAX_PROBES 64
#define LOC_MAX_DEREF 6
#define MAX_SAVE_SLOTS 4
#define MAX_SKIP_FRAMES 12
#define MAX_SITE_SKIPS 65536
/* Upper bound of the loop that retires a dead coroutine's pending defers in one exit. */
#define MAX_EXIT_DEFERS (1 << 20)

/* Default map sizes; codefer-top sizes the coroutine maps at load (--max-coroutines). */
#define MAX_COROS 262144
#define MAX_DEFER_RECORDS 1048576
/* The sites of a coroutine's first pending defers live in its map entry: registering and
 * running them costs no map update. Deeper ones go to `defer_stack`. */
#define CORO_INLINE_SITES 4
#define MAX_POOLS 4096
#define MAX_CONNS 65536
#define MAX_TIMERS 262144
#define EXITS_RINGBUF_BYTES (1 << 22)
/* Room for the ids of 256 Ki coroutines changed between two refreshes (16 bytes each). */
#define CHANGED_RINGBUF_BYTES (1 << 22)

enum event_kind {
	EV_CREATE = 1,	/* a coroutine is born: co = its id */
	EV_DEFER,	/* co registered one defer at site */
	EV_DEFER_RUN,	/* co ran (or dropped) its most recent pending defer */
	EV_EXIT,	/* co ended: its pending defers are retired, its conns become orphans */
	EV_POOL_GET,	/* co took conn from pool at site */
	EV_POOL_PUT,	/* conn went back to pool */
	EV_SAVE,	/* entry of a function whose result a return-site probe reads */
	EV_TOUCH,	/* co is alive (first sighting creates the row); nothing else */
	EV_TIMER_ADD,	/* a timer (id: `conn`) was armed at site, to call `pool` */
	EV_TIMER_DONE,	/* timer `conn` is gone: fired for the last time, cleared, or run */
	EV_POOL_OPEN,	/* pool was opened at site */
	EV__COUNT,
};

/* Where a value comes from: a base, then up to LOC_MAX_DEREF loads.
 *   v = base; for i < nderef: v = *(v + off[i]) (8 bytes; the last load reads `size`)
 * The base is a register plus `base_off`, an absolute address (globals, relocated by
 * user space), fs_base plus `base_off` (TLS), a value saved per coroutine by an
 * EV_SAVE probe, the constant `base_off`, or (in a site) the probe's site_frame plus
 * `base_off`.
 */
enum loc_base {
	LOC_NONE = 0,
	LOC_REG,
	LOC_ADDR,
	LOC_TLS,
	LOC_SAVED,
	LOC_CONST,
	LOC_FRAME,	/* site and site_aux only: the probe's site_frame, read once for both */
};

/* Registers a loc can start from; indexes match the x86-64 SysV argument order first. */
enum loc_reg {
	CFREG_RDI, CFREG_RSI, CFREG_RDX, CFREG_RCX, CFREG_R8, CFREG_R9,
	CFREG_RAX, CFREG_RBX, CFREG_RBP, CFREG_RSP, CFREG_R10, CFREG_R11,
	CFREG_R12, CFREG_R13, CFREG_R14, CFREG_R15, CFREG_RIP,
	CFREG__COUNT,
};

/* loc.flags. LOCF_THREAD: the value is per OS thread (a coroutine id that restarts in
 * every thread): the thread's id goes in its upper 32 bits, (tid << 32) | (u32)value. */
#define LOCF_THREAD	(1u << 0)
/* LOCF_ALT: a tagged word: when the last load's value v has (v & alt_mask) == alt_val,
 * the value is instead the 8 bytes at alt_off from where v was read (a LuaJIT frame
 * link that is a continuation's holds no return pc: the continuation frame below does). */
#define LOCF_ALT	(1u << 1)

struct loc {
	__u8 base;		/* enum loc_base */
	__u8 reg;		/* enum loc_reg, or the save slot for LOC_SAVED */
	__u8 nderef;
	__u8 size;		/* bytes of the last load: 1, 2, 4 or 8 (0 means 8) */
	__s32 off[LOC_MAX_DEREF];
	__u32 flags;		/* LOCF_* */
	__s64 base_off;
	__s32 alt_off;		/* LOCF_ALT */
	__u8 alt_mask, alt_val, pad[2];
};

/* probe_cfg.flags */
#define PF_COND_ZERO	(1u << 0)	/* count the event only when `cond` reads 0 */
#define PF_COND_NONZERO	(1u << 1)	/* ... only when it reads non-zero */
#define PF_SITE_SKIP	(1u << 2)	/* a site PC in [site_skip_lo, site_skip_hi) is replaced by its
					 * caller's, up the frame-pointer chain */
#define PF_SITE_FUSED	(1u << 3)	/* site's and site_aux's first loads are one read (below) */
#define PF_COND_EQ	(1u << 4)	/* count the event only when `cond` reads cond_val */
#define PF_SITE_UP_SKIPS (1u << 5)	/* a site whose address is in `site_skips` with a kind
					 * of skip_kinds is read again from the frame's parent,
					 * at skip_up in the frame, up to MAX_SKIP_FRAMES times */

#define PF_SKIP_UP_STEP	(1u << 6)	/* PF_SITE_UP_SKIPS: the parent frame is at skip_up
					 * from the frame (an array of frames), not read there */

/* Kinds of code whose line says nothing of who called (site_skips' values). */
#define SKIP_WRAPPER	(1u << 0)	/* a wrapper of the probed call (Hyperf's defer()) */
#define SKIP_LIBRARY	(1u << 1)	/* a library's (Composer's vendor/, Swoole's own PHP) */

/* PF_SITE_FUSED: site and site_aux start from the same base and their first loads lie
 * within SITE_FUSE_BYTES of each other: one read of fuse_len bytes at base + fuse_off
 * gives both, the word at index fuse_site for site and fuse_aux for site_aux (a read of
 * the target costs about as much whatever its size). Set by user space (plan_add). */
#define SITE_FUSE_BYTES 64

struct probe_cfg {
	__u32 kind;		/* enum event_kind */
	__u32 flags;
	__u32 slot;		/* EV_SAVE: which save slot `save` goes to */
	__u32 site_kind;	/* a profile-defined tag telling user space how to read `site` */
	struct loc co;		/* coroutine id: the current one, or the new one for EV_CREATE */
	struct loc pool;
	struct loc conn;
	struct loc site;	/* site address (a PC, a file-name pointer, ...) */
	struct loc site_aux;	/* second half of the site (a line number, ...) */
	struct loc site_frame;	/* what site and site_aux both start from (LOC_FRAME): a
				   caller's frame, say, read once instead of twice */
	struct loc cond;
	__u64 cond_val;		/* PF_COND_EQ */
	struct loc save;
	__u64 site_skip_lo;	/* PF_SITE_SKIP: a library's code, whose own frames say */
	__u64 site_skip_hi;	/* nothing about who borrowed (runtime addresses) */
	__s64 fuse_off;		/* PF_SITE_FUSED */
	__u8 fuse_len, fuse_site, fuse_aux;
	__u8 skip_kinds;	/* PF_SITE_UP_SKIPS: SKIP_* */
	__s32 skip_up;
	/* PF_SITE_UP_SKIPS, when its base is set: a parent frame has a site to read only if
	 * frame_ok (LOC_FRAME: from that frame) & frame_ok_mask reads frame_ok_val (a Lua
	 * function's frame, not a C function's) */
	struct loc frame_ok;
	__u64 frame_ok_mask, frame_ok_val;
};

struct site {
	__u64 addr;
	__u64 aux;
	__u32 kind;		/* profile's site_kind */
	__u32 pad;
};

struct coro_key {
	__u32 tgid;
	__u32 pad;
	__u64 id;
};

/* coro.flags */
#define CF_UNSEEN_BIRTH	(1u << 1)	/* first seen by an event other than create */
#define CF_AFTER_CENSUS	(1u << 2)	/* born once the census was over: it read none of it */

/* Sent on the `exits` ring buffer when a coroutine ends: user space drops what the
 * census read of it. */
struct exit_event {
	__u64 id;
	__s64 low;		/* its entry's low (0 without one): older defers it retired */
	__u32 reused;		/* no probe saw it end: a coroutine born since has its id */
	__u32 pad;
};

/* A coroutine as the probes saw it since attach. Counts are relative to attach: a
 * coroutine born before it starts at pending 0, and running one of its older defers
 * takes pending below 0. `low` is the lowest pending reached: the pending defers the
 * probes registered sit at stack depths [low, pending), the older ones below. User
 * space adds what the census read (see attach.c), so nothing needs seeding here. */
struct coro {
	__u64 created_ns;	/* 0 when born before attach; see first_ns */
	__u64 first_ns;		/* first sighting (create or first event) */
	__u64 last_walk;	/* walk_gen at its last event (no clock read: they cost) */
	__s64 pending;		/* defers registered minus run, since first sighting */
	__s64 low;		/* lowest pending reached (<= 0) */
	__u64 registered;	/* defers registered since first sighting */
	__u64 run;
	__u64 seq;		/* events on it: a census read between two equal seqs is
				   consistent with this entry */
	__s64 peak;		/* highest pending seen */
	__s64 conns;		/* pool connections held now */
	struct site create_site;	/* where it was created, or its body */
	__u32 flags;
	__u32 changed_epoch;	/* refresh_epoch when its id last went on `changed` */
	struct site sites[CORO_INLINE_SITES];	/* pending defers at depths 0.. (see defer_key) */
	__u64 saved[MAX_SAVE_SLOTS];	/* EV_SAVE values, for its probes on return instructions */
};

/* One pending defer, at position `depth` of its coroutine's stack (0 = the first registered
 * after attach; below 0 after older ones ran), when the depth is not one of the inline
 * sites of its coroutine's entry. */
struct defer_key {
	__u32 tgid;
	__u32 depth;
	__u64 id;
};

struct pool_key {
	__u32 tgid;
	__u32 pad;
	__u64 pool;
};

/* pool_stats.flags */
#define POOL_ROUND_TRIP	(1u << 0)	/* something taken from it came back */

struct pool_stats {
	__u64 gets;
	__u64 puts;
	__s64 outstanding;
	__s64 peak;
	__s64 orphans;		/* connections out whose borrower has ended */
	__u64 puts_unknown;	/* puts of connections never seen taken (made before attach, ...) */
	__u32 flags;
	__u32 pad;
	struct site open_site;	/* where it was opened (EV_POOL_OPEN); zero: not seen */
};

struct conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
};

struct conn_hold {
	__u64 pool;
	__u64 co;		/* borrower */
	__u64 get_ns;
	struct site site;
	__u32 orphan;		/* the borrower ended while holding it */
	__u32 pad;
};

struct timer_key {
	__u32 tgid;
	__u32 pad;
	__u64 id;
};

/* A pending timer: where it was armed, and what it will call (the runtime's object, for
 * user space to read). A timer that ends without an entry leaves a tombstone (site kind
 * 0, addr 0), so user space seeding the map with the census's timers after attach does
 * not bring back one that ended meanwhile. */
struct timer_val {
	struct site site;
	__u64 callable;
};

/* Per-CPU counters (one block per CPU in `counters`, summed by user space). */
enum counter {
	C_EVENTS,		/* probe hits that passed the pid filter */
	C_CREATED,
	C_EXITED,
	C_DEFERS_REGISTERED,
	C_DEFERS_RUN,
	C_DEFERS_RUN_AT_EXIT,	/* pending defers retired by an exit */
	C_DEFERS_RUN_UNSEEN,	/* runs of defers registered before attach (the census has them) */
	C_GETS,
	C_PUTS,
	C_ORPHANED,
	C_COND_SKIPPED,		/* events filtered out by their probe's condition */
	C_LOST_READ,		/* a loc could not be read */
	C_LOST_MAP_FULL,	/* an update failed: map full */
	C_LOST_NO_CFG,
	C_LOST_TRUNCATED,	/* an exit had more pending defers than MAX_EXIT_DEFERS */
	C_LOST_EXITS,		/* the exits ring buffer was full */
	C__COUNT,
};

struct counter_block {
	__u64 n[C__COUNT];
};

#endif
