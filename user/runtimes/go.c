// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `go` profile: goroutines, their `defer` records and the database/sql pool, for
 * Go 1.17+ on x86-64 (register ABI: R14 holds the current g in Go code).
 *
 * Probe points, none of them a uretprobe (a goroutine switching stacks breaks the
 * kernel's return-probe bookkeeping and the Go unwinder rejects the patched return
 * address). Entry probes sit after the stack-check prologue: a function that grows its
 * stack or is preempted there restarts from its entry, and a probe on the entry would
 * fire twice for one call. At that point no frame is allocated yet, so [RSP] is still
 * the return address.
 *   create    each RET of runtime.newproc1 (it runs on g0): RAX is the new g; its site
 *             is its `go` statement (g.gopc), with the function it runs (g.startpc)
 *   exit      runtime.goexit1, and runtime.coroexit (iter.Pull's coroutines, 1.23+),
 *             on the dying g
 *   defer     runtime.deferproc (heap records: defers in loops, ...),
 *             runtime.deferprocStack (stack records: open-coding is off for functions
 *             with more than eight defers) and runtime.deferprocat (defers in the body
 *             of a range-over-func loop); the site is the return address, the value
 *             the runtime stores in _defer.pc, so probes and census agree (except for
 *             deferprocat, whose records later take the loop's pc)
 *   defer-run runtime.popDefer(gp) (Go 1.22+) or runtime.freedefer(d) (before): called
 *             once per record unlinked from g._defer, on deferreturn, panic and Goexit
 *             paths alike; records that stand for no defer statement (openDefer frames
 *             before 1.22, range-over-func heads since 1.22) are filtered out
 *   get       each RET of database/sql.(*DB).conn with a nil error: RAX is the
 *             *driverConn; the *DB and the caller's PC are saved at its entry; the
 *             site is the first caller outside database/sql, up the frame pointers
 *   put       database/sql.(*DB).putConn(db, dc, ...): RAX db, RBX dc
 *   open      each RET of database/sql.OpenDB: RAX is the *DB; the caller's PC is saved
 *             at its entry; the site is the first caller outside database/sql (sql.Open
 *             calls OpenDB), the line that opened the pool
 * Open-coded defers (at most eight in a function, not in a loop) make no runtime call
 * and are on no list: probes never see them.
 *
 * The census walks runtime.allgs and each live g's _defer chain, and each parked g's
 * frames for pending open-coded defers, which the runtime finds the same way on a panic
 * (FUNCDATA_OpenCodedDeferInfo), and for the line it waits at. Those defers run inline,
 * where no probe would retire them: live, they are not seeded but re-read at each
 * snapshot (CENSUS_UNPROBED). Each database/sql DB is read from the goroutine OpenDB
 * starts for it.
 *
 * A binary without .symtab (-ldflags=-s, strip) has its functions and lines from the
 * pclntab (go_pcln.c), its version from the build info, runtime.allgs from the code of
 * runtime.forEachG, and its offsets from the table below when it has no DWARF.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "disasm.h"
#include "elfsym.h"
#include "runtime.h"
#include "runtimes/go_pcln.h"

#define PROLOGUE_MAX_INSNS 6
#define PROLOGUE_MAX_BYTES 64
/* g.atomicstatus: _Gscan is or-ed into the state while the GC scans the stack. */
#define G_SCAN 0x1000
#define G_DEAD 6
#define G_DEAD_EXTRA 11		/* a dead g an extra M keeps for cgo callbacks (after 1.26) */
#define ALLGS_CHUNK 512
#define G_HEAD_MAX 1024		/* bytes of a g read at once: every field the walks use */
#define G_RUNNABLE 1
#define G_SYSCALL 3
#define G_WAITING 4
#define G_PREEMPTED 9
#define FUNCDATA_OPEN_CODED_DEFER_INFO 4
#define ALLGS_DECODE_BYTES 256
#define RT_PC_CACHE 1024		/* a power of two */
#define DB_HEAD_MAX 256			/* bytes of a database/sql.DB read at once */
#define WALK_MAX_POOLS 256
#define DB_MAX_CONNS (1 << 24)		/* a DB claiming more is not one */
#define TYPE_STR 40			/* runtime._type.str (a nameOff) */
#define TYPE_TFLAG 20
#define TFLAG_EXTRA_STAR 0x2		/* the name is stored as "*T" */
#define ITAB_TYPE 8
#define DSN_CONNECTOR_DRIVER 16		/* database/sql.dsnConnector.driver, after dsn */
#define OPEN_DEFERS_MAX 8		/* deferBits is one byte */
#define WALK_MAX_FRAMES 256
#define STACK_IMG 1024			/* bytes of a parked g's stack read with the others' */
#define DEFER_PAGE 4096			/* _defer records are read a page at a time */
#define DEFER_CACHE 256			/* pages a chunk's chain walk keeps (1 MiB) */
#define FUNCVAL_CACHE 256		/* a power of two */
#define SQL_PREFIX "database/sql."

/* Go's own site kinds:
 * SITE_GO_CALL     a return address in the program's code whose lines inlined from the
 *                  standard library are passed over (db.Query, mu.Lock into the
 *                  caller): a pool get's site (outside database/sql) and a wait site;
 * SITE_GO_CREATED  a goroutine's `go` statement: addr is g.gopc (the return address of
 *                  its call to runtime.newproc), aux g.startpc (the function it runs). */
enum { SITE_GO_CALL = SITE_RUNTIME, SITE_GO_CREATED };

/* Offsets the probes and walks use: each field by its DWARF type and member, then its
 * offset per release for binaries without DWARF (-1: not in that release). Layouts only
 * change between minor releases. 1.17 to 1.23 measured with DWARF on binaries built by
 * Debian's go1.19.8, go1.21.13, go1.22.12 and go1.23.5, and by go1.17.13, go1.18.10 and
 * go1.20.14 built from their release tags. 1.24 to 1.27 laid out by the compiler (go1.23's
 * unsafe.Offsetof, the method checked against 1.23's DWARF) from their sources, then
 * checked in the memory of stripped release binaries others built with go1.24.4, 1.24.7,
 * 1.25.6, 1.26.3, 1.26.6, 1.27.0 and 1.27.3 (tests/go/test_go_released.sh): from 1.25 gobuf
 * has no ret field, moving g.sched.bp and everything after g.sched up by 8; 1.26 has 8
 * more bytes before g.gopc than 1.25, and 1.27 keeps 1.26's g. _defer and database/sql.DB
 * are 1.23's in each. */
enum go_off {
	O_G_DEFER, O_G_STATUS, O_G_GOID, O_G_GOPC, O_G_STARTPC,	/* runtime.g */
	O_G_STACK, O_G_SCHED_PC, O_G_SCHED_BP,
	O_D_PC, O_D_FN, O_D_LINK,				/* runtime._defer */
	/* Fields non-zero in records standing for no defer statement: _defer.openDefer
	 * (bool, before 1.22: a frame of open-coded defers during a panic), _defer.head
	 * (pointer, 1.22+: the head record of a range-over-func loop, popped once its list
	 * is spliced in, when rangefunc is already cleared). */
	O_D_OPENDEFER, O_D_HEAD,
	/* database/sql.DB, when linked in; connRequests is a map up to 1.22, a
	 * connRequestSet (a slice) from 1.23 */
	O_DB_CONNECTOR, O_DB_FREECONN, O_DB_CONNREQ_MAP, O_DB_CONNREQ_SET, O_DB_NUMOPEN,
	O_DB_MAXOPEN,
	O__COUNT
};
#define GO_TABLE_FIRST 17	/* go1.17 is column 0 */
#define GO_TABLE_N 11		/* to go1.27 */
#define O_OPTIONAL(i) ((i) >= O_D_OPENDEFER)

static const struct {
	const char *type, *member;
	long v[GO_TABLE_N];	/* go1.17 ... go1.27 */
} offs_spec[O__COUNT] = {
	[O_G_DEFER] = { "runtime.g", "_defer", { 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40 } },
	[O_G_STATUS] = { "runtime.g", "atomicstatus", { 144, 144, 144, 144, 144, 144, 152, 152, 144, 144, 144 } },
	[O_G_GOID] = { "runtime.g", "goid", { 152, 152, 152, 152, 152, 152, 160, 160, 152, 152, 152 } },
	[O_G_GOPC] = { "runtime.g", "gopc", { 296, 296, 296, 296, 280, 280, 288, 288, 280, 288, 288 } },
	[O_G_STARTPC] = { "runtime.g", "startpc", { 312, 312, 312, 312, 296, 296, 304, 304, 296, 304, 304 } },
	[O_G_STACK] = { "runtime.g", "stack.lo", { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
	[O_G_SCHED_PC] = { "runtime.g", "sched.pc", { 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64 } },
	[O_G_SCHED_BP] = { "runtime.g", "sched.bp", { 104, 104, 104, 104, 104, 104, 104, 104, 96, 96, 96 } },
	[O_D_PC] = { "runtime._defer", "pc", { 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16 } },
	[O_D_FN] = { "runtime._defer", "fn", { 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24 } },
	[O_D_LINK] = { "runtime._defer", "link", { 40, 40, 40, 40, 40, 32, 32, 32, 32, 32, 32 } },
	/* 1.17 has openDefer at 6, after its siz field */
	[O_D_OPENDEFER] = { "runtime._defer", "openDefer", { 6, 2, 2, 2, 2, -1, -1, -1, -1, -1, -1 } },
	[O_D_HEAD] = { "runtime._defer", "head", { -1, -1, -1, -1, -1, 40, 40, 40, 40, 40, 40 } },
	/* database/sql.DB: measured on 1.19, 1.21, 1.22, 1.23; 1.17, 1.18 and 1.20 from
	 * their source (the same fields as 1.19), 1.24 to 1.26 (the same as 1.23) too */
	[O_DB_CONNECTOR] = { "database/sql.DB", "connector", { 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 } },
	[O_DB_FREECONN] = { "database/sql.DB", "freeConn", { 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40 } },
	[O_DB_CONNREQ_MAP] = { "database/sql.DB", "connRequests", { 64, 64, 64, 64, 64, 64, -1, -1, -1, -1, -1 } },
	[O_DB_CONNREQ_SET] = { "database/sql.DB", "connRequests.s", { -1, -1, -1, -1, -1, -1, 64, 64, 64, 64, 64 } },
	[O_DB_NUMOPEN] = { "database/sql.DB", "numOpen", { 80, 80, 80, 80, 80, 80, 88, 88, 88, 88, 88 } },
	[O_DB_MAXOPEN] = { "database/sql.DB", "maxOpen", { 128, 128, 128, 128, 128, 128, 136, 136, 136, 136, 136 } },
};

struct go {
	struct module *mod;
	struct elf_file *elf;
	char version[32];
	int minor;			/* 19 for go1.19.8 */
	long o[O__COUNT];
	char o_from[64];
	long d_skip;			/* O_D_OPENDEFER or O_D_HEAD, or -1 */
	size_t g_head;			/* bytes of a g the census reads */
	int d_skip_size;
	const char *run_fn;		/* runtime.popDefer or runtime.freedefer */
	uint64_t allgs;			/* runtime address of the slice header */
	const char *allgs_from;
	/* database/sql, when linked in (runtime addresses): its code, where a pool get's
	 * site is not; (*DB).connectionOpener, whose goroutine (one per DB) holds the *DB */
	uint64_t sql_lo, sql_hi, opener_lo, opener_hi;
	size_t db_head;			/* bytes of a DB the census reads; 0: no DB walk */
};

/* What go_open resolves once for a target. */
struct open_defer {
	uint64_t fn;
	struct site at;
};

/* What a walk found in a parked g's frames. The next walk takes it again while the g's
 * saved registers are the same: a g that has not run since has the same frames, and one
 * back at the same PC with the same SP and BP has the same deferBits (open-coded defers
 * are never in loops). */
struct frames_seen {
	uint64_t gp, goid, sp, pc, bp;
	struct site wait_site;
	size_t first, n;	/* its open-coded defers: frames_walk.defers[first .. first + n) */
};

/* Whose code a frame is in. A wait site is the first frame of the program's own
 * (the line of its mu.Lock(), wg.Wait(), time.Sleep(), conn.Read()), or failing that,
 * of a goroutine that only runs the standard library's code, the first one outside the
 * runtime. */
enum frame_owner { FRAME_PROGRAM, FRAME_STD, FRAME_RUNTIME };

struct go_rt {
	struct go g;
	const struct go_pcln *pl;	/* NULL: no pclntab codefer reads (before 1.18) */
	/* Return addresses and whose code they are in (wait sites): goroutines park at
	 * a handful of them. */
	struct { uint64_t pc; enum frame_owner owner; } frame_owners[RT_PC_CACHE];
	struct funcval_seen { uint64_t fv, code; } funcvals[FUNCVAL_CACHE];
	struct frames_walk {	/* what walks found in gs' frames (struct frames_seen) */
		struct frames_seen *gs;
		size_t n, cap;
		struct open_defer *defers;
		size_t ndefers, cap_defers;
	} seen[2];		/* the last walk's (sorted by g), the one being taken */
};

static const char *const state_names[] = {
	"idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue",
	"copystack", "preempted", "leaked" /* 1.26 */,
};

static int go_detect(struct target *t)
{
	struct module *exe = target_module(t, NULL);
	struct elf_file *e = exe ? module_elf(exe) : NULL;
	char v[32];

	if (target_sym(t, NULL, "runtime.newproc1", NULL))
		return 20;
	/* A stripped Go binary still has its build info (or, without it, the version its
	 * runtime.buildVersion gives), or at least its pclntab: detect it, so that plan()
	 * can say why it cannot be probed. */
	return e && (!go_build_version(e, v, sizeof(v)) || go_pcln_of(e)) ? 20 : 0;
}

/* Every offset from DWARF, else from the column of this release. 0, or -1 with *missing
 * the first field DWARF did not give (-1: DWARF gave them all, the layout is wrong). */
static int go_offsets(struct go *g, int *missing)
{
	int i, col = g->minor - GO_TABLE_FIRST;

	*missing = -1;
	for (i = O__COUNT - 1; i >= 0; i--) {
		g->o[i] = elf_dwarf_member_offset(g->elf, offs_spec[i].type, offs_spec[i].member);
		if (g->o[i] < 0 && !O_OPTIONAL(i))
			*missing = i;
	}
	snprintf(g->o_from, sizeof(g->o_from), "DWARF");
	if (*missing >= 0) {
		if (strncmp(g->version, "go1.", 4) || col < 0 || col >= GO_TABLE_N)
			return -1;
		for (i = 0; i < O__COUNT; i++)
			g->o[i] = offs_spec[i].v[col];
		snprintf(g->o_from, sizeof(g->o_from), "table for go1.%d", g->minor);
	}
	/* DWARF names the connRequestSet connRequests too: the map is gone with it. */
	if (g->o[O_DB_CONNREQ_SET] >= 0)
		g->o[O_DB_CONNREQ_MAP] = -1;
	g->d_skip = g->o[O_D_OPENDEFER] >= 0 ? g->o[O_D_OPENDEFER] : g->o[O_D_HEAD];
	g->d_skip_size = g->o[O_D_OPENDEFER] >= 0 ? 1 : 8;
	/* One read per g in the census: up to the end of the last field used. */
	for (g->g_head = 0, i = O_G_DEFER; i <= O_G_SCHED_BP; i++)
		if ((size_t)g->o[i] + (i == O_G_STACK ? 16 : 8) > g->g_head)
			g->g_head = (size_t)g->o[i] + (i == O_G_STACK ? 16 : 8);
	return g->g_head <= G_HEAD_MAX ? 0 : -1;
}

/* Every offset in use, by type, "-" for a field not in this release: "runtime.g: _defer 40
 * atomicstatus 152 ...; runtime._defer: ...". */
static void offsets_text(const struct go *g, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < O__COUNT && n < len; i++) {
		if (!i || strcmp(offs_spec[i].type, offs_spec[i - 1].type))
			n += snprintf(buf + n, len - n, "%s%s:", i ? "; " : "", offs_spec[i].type);
		if (n >= len)
			break;
		n += g->o[i] < 0 ? snprintf(buf + n, len - n, " %s -", offs_spec[i].member)
				 : snprintf(buf + n, len - n, " %s %ld", offs_spec[i].member, g->o[i]);
	}
}

/* runtime.allgs in a binary without data symbols: runtime.forEachG ranges over it, and
 * loads its pointer and length RIP-relative (MOVQ runtime.allgs(SB), CX; MOVQ
 * runtime.allgs+8(SB), DX): the first address loaded together with the word after it.
 * Its ELF vaddr, or 0. */
static uint64_t allgs_from_code(struct elf_file *e)
{
	const struct elf_sym *s = elf_sym_by_name(e, "runtime.forEachG");
	uint64_t loads[16], addr, found = 0;
	uint8_t buf[ALLGS_DECODE_BYTES];
	size_t left, n = 0, i, k;
	const uint8_t *code = buf;
	const cs_x86 *x;
	cs_insn *insn;
	csh cs;

	if (!s || !s->size)
		return 0;
	left = s->size < sizeof(buf) ? s->size : sizeof(buf);
	addr = s->value;
	if (elf_read_vaddr(e, s->value, buf, left) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	while (!found && n < sizeof(loads) / sizeof(loads[0]) &&
	       cs_disasm_iter(cs, &code, &left, &addr, insn)) {
		x = &insn->detail->x86;
		if (insn->id != X86_INS_MOV || x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
		    x->operands[1].type != X86_OP_MEM || x->operands[1].mem.base != X86_REG_RIP ||
		    x->operands[1].size != 8)
			continue;
		loads[n++] = insn->address + insn->size + x->operands[1].mem.disp;
		for (i = 0; i < n && !found; i++)
			for (k = 0; k < n; k++)
				if (loads[k] == loads[i] + 8)
					found = loads[i];
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return found;
}

/* Everything the plan and the census need. 0, or an exit code with err set. */
static int go_resolve(struct target *t, struct go_rt *r, char *err, size_t errlen)
{
	struct module *exe = target_module(t, NULL);
	struct go *g = &r->g;
	int major = 0, missing;
	const char *v;

	memset(g, 0, sizeof(*g));
	/* Without .symtab, the functions come from the pclntab. */
	if (exe && module_elf(exe))
		r->pl = go_pcln_of(exe->elf);
	if (!target_sym(t, NULL, "runtime.newproc1", &g->mod)) {
		if (exe && module_elf(exe) && !go_build_version(exe->elf, g->version,
								 sizeof(g->version))) {
			snprintf(err, errlen, "%s: %s binary without a symbol table, and no pclntab "
				 "codefer reads (Go 1.18+) to find its functions", exe->path,
				 g->version);
			return EXIT_SYMBOL;
		}
		snprintf(err, errlen, "no Go runtime (runtime.newproc1) in the target");
		return EXIT_NO_RUNTIME;
	}
	g->elf = module_elf(g->mod);
	r->pl = go_pcln_of(g->elf);
	if (!g->elf || go_build_version(g->elf, g->version, sizeof(g->version))) {
		snprintf(g->version, sizeof(g->version), "go (unknown version)");
		if (g->elf && !elf_file_has_dwarf(g->elf)) {
			snprintf(err, errlen, "%s: a Go binary with no build info, no "
				 "runtime.buildVersion string and no DWARF: its Go version, and so "
				 "its runtime.g layout, is unknown", g->mod->path);
			return EXIT_SYMBOL;
		}
	}
	/* A development build says "devel go1.27-abc123 ...". */
	if ((v = strstr(g->version, "go1.")) && sscanf(v, "go%d.%d", &major, &g->minor) == 2 &&
	    (major != 1 || g->minor < 17)) {
		snprintf(err, errlen, "%s: Go before 1.17 has no register ABI (R14 = g) on "
			 "x86-64: not supported", g->version);
		return EXIT_NO_RUNTIME;
	}
	if (go_offsets(g, &missing)) {
		if (missing < 0)
			snprintf(err, errlen, "%s: runtime.g in %s reaches past the %d bytes codefer "
				 "reads of it", g->version, g->mod->path, G_HEAD_MAX);
		else if (elf_file_has_dwarf(g->elf))
			snprintf(err, errlen, "%s: the DWARF of %s has no %s.%s, and codefer has "
				 "offset tables for go1.%d to go1.%d only", g->version, g->mod->path,
				 offs_spec[missing].type, offs_spec[missing].member, GO_TABLE_FIRST,
				 GO_TABLE_FIRST + GO_TABLE_N - 1);
		else
			snprintf(err, errlen, "%s: %s has no DWARF (built with -ldflags=-w?) and "
				 "codefer has offset tables for go1.%d to go1.%d only", g->version,
				 g->mod->path, GO_TABLE_FIRST, GO_TABLE_FIRST + GO_TABLE_N - 1);
		return EXIT_SYMBOL;
	}
	g->run_fn = elf_sym_by_name(g->elf, "runtime.popDefer") ? "runtime.popDefer"
								 : "runtime.freedefer";
	g->allgs = target_sym(t, g->mod, "runtime.allgs", NULL);
	g->allgs_from = "symbol";
	if (!g->allgs && (g->allgs = allgs_from_code(g->elf))) {
		g->allgs += g->mod->bias;
		g->allgs_from = "decoded from runtime.forEachG";
	}
	if (!g->allgs) {
		snprintf(err, errlen, "%s: runtime.allgs not found in %s (no symbol, and not "
			 "decoded from runtime.forEachG)", g->version, g->mod->path);
		return EXIT_SYMBOL;
	}
	return 0;
}

/* Is insn `cmp REG, [r14 + 0x10]` (the stack bound, g.stackguard0)? */
static int is_stack_check(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	int i;

	if (insn->id != X86_INS_CMP)
		return 0;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_R14 &&
		    x->operands[i].mem.disp == 0x10)
			return 1;
	return 0;
}

/* The first instruction after the stack-check prologue, or the entry of a function with
 * none (nosplit). Checks that nothing before it moved RSP, so [RSP] is the return
 * address there. 0, or -1 when the code cannot be decoded. */
static int after_prologue(struct elf_file *e, const struct elf_sym *s, uint64_t *vaddr)
{
	uint8_t buf[PROLOGUE_MAX_BYTES], nrd, nwr, i;
	size_t left = s->size < sizeof(buf) ? s->size : sizeof(buf);
	const uint8_t *code = buf;
	uint64_t addr = s->value;
	int n = 0, checked = 0, moves_sp = 0;
	cs_regs rd, wr;
	cs_insn *insn;
	csh cs;

	if (elf_read_vaddr(e, s->value, buf, left) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	*vaddr = s->value;
	while (!moves_sp && n++ < PROLOGUE_MAX_INSNS &&
	       cs_disasm_iter(cs, &code, &left, &addr, insn) &&
	       !cs_regs_access(cs, insn, rd, &nrd, wr, &nwr)) {
		/* A frame being set up means there was no stack check to skip. */
		for (i = 0; i < nwr; i++)
			moves_sp |= wr[i] == X86_REG_RSP;
		if (checked && cs_insn_group(cs, insn, CS_GRP_JUMP) && insn->id != X86_INS_JMP) {
			*vaddr = insn->address + insn->size;
			break;
		}
		checked = checked || is_stack_check(insn);
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return 0;
}

/* Adds a probe after the prologue of `sym`. */
static int add_entry(struct probe_plan *p, struct go *g, const char *sym,
		     const struct probe_cfg *cfg, char *err, size_t errlen)
{
	const struct elf_sym *s = elf_sym_by_name(g->elf, sym);
	char desc[160];
	uint64_t at;

	if (!s || !s->is_func) {
		snprintf(err, errlen, "%s: symbol %s not found in %s", g->version, sym,
			 g->mod->path);
		return EXIT_SYMBOL;
	}
	if (after_prologue(g->elf, s, &at)) {
		snprintf(err, errlen, "%s: cannot decode its first instructions", sym);
		return EXIT_SYMBOL;
	}
	snprintf(desc, sizeof(desc), at == s->value ? "%s (entry, no stack check)"
						     : "%s+0x%llx (after the stack check)",
		 sym, (unsigned long long)(at - s->value));
	return plan_add(p, g->mod, at, desc, cfg, err, errlen);
}

/* add_entry() for a function the linker may have left out. */
static int add_present(struct probe_plan *p, struct go *g, const char *sym,
		       const struct probe_cfg *cfg, char *err, size_t errlen)
{
	return elf_sym_by_name(g->elf, sym) ? add_entry(p, g, sym, cfg, err, errlen) : 0;
}

/* The goid of the g in register r. */
static struct loc goid_of(const struct go *g, enum loc_reg r)
{
	return loc_deref(loc_reg(r), g->o[O_G_GOID], 8);
}

/* The code of one package around one of its functions: [lo, hi) spans the functions
 * named "<pkg>." next to the anchor, cut short at any other function so that no frame
 * of another package is skipped (the linker lays a package out in one run, with
 * wrappers and type helpers of its own elsewhere). */
struct pkg_span {
	const char *prefix;
	uint64_t anchor, lo, hi;
};

static int pkg_span_widen(const struct elf_sym *s, void *arg)
{
	struct pkg_span *sp = arg;

	if (s->is_func && !strncmp(s->name, sp->prefix, strlen(sp->prefix))) {
		if (s->value < sp->lo)
			sp->lo = s->value;
		if (s->value + s->size > sp->hi)
			sp->hi = s->value + s->size;
	}
	return 0;
}

static int pkg_span_cut(const struct elf_sym *s, void *arg)
{
	struct pkg_span *sp = arg;

	if (!s->is_func || !strncmp(s->name, sp->prefix, strlen(sp->prefix)) ||
	    s->value < sp->lo || s->value >= sp->hi)
		return 0;
	if (s->value < sp->anchor && s->value + s->size > sp->lo)
		sp->lo = s->value + s->size;
	else if (s->value > sp->anchor && s->value < sp->hi)
		sp->hi = s->value;
	return 0;
}

static struct pkg_span pkg_span_of(struct elf_file *e, const char *prefix, uint64_t anchor)
{
	struct pkg_span sp = { .prefix = prefix, .anchor = anchor, .lo = anchor, .hi = anchor + 1 };

	elf_sym_each(e, pkg_span_widen, &sp);
	elf_sym_each(e, pkg_span_cut, &sp);
	return sp;
}

/* database/sql's code and what the DB walk needs, when it is linked in. */
static void resolve_sql(struct go *g)
{
	const struct elf_sym *conn = elf_sym_by_name(g->elf, "database/sql.(*DB).conn");
	const struct elf_sym *opener = elf_sym_by_name(g->elf, "database/sql.(*DB).connectionOpener");
	struct pkg_span sql;
	int i;

	if (!conn)
		return;
	sql = pkg_span_of(g->elf, SQL_PREFIX, conn->value);
	g->sql_lo = sql.lo + g->mod->bias;
	g->sql_hi = sql.hi + g->mod->bias;
	for (i = O_DB_CONNECTOR; i <= O_DB_MAXOPEN; i++)
		if (i != O_DB_CONNREQ_MAP && i != O_DB_CONNREQ_SET && g->o[i] < 0)
			return;
	if (!opener || (g->o[O_DB_CONNREQ_MAP] < 0 && g->o[O_DB_CONNREQ_SET] < 0))
		return;
	g->opener_lo = opener->value + g->mod->bias;
	g->opener_hi = g->opener_lo + opener->size;
	for (i = O_DB_CONNECTOR; i <= O_DB_MAXOPEN; i++)	/* a slice is 24 bytes */
		if (g->o[i] >= 0 && (size_t)g->o[i] + 24 > g->db_head)
			g->db_head = (size_t)g->o[i] + 24;
	if (g->db_head > DB_HEAD_MAX)
		g->db_head = 0;
}

static int plan_pool(struct probe_plan *p, struct go *g, char *err, size_t errlen)
{
	struct probe_cfg save_db = { .kind = EV_SAVE, .slot = 0, .save = loc_reg(CFREG_RAX) };
	struct probe_cfg save_pc = { .kind = EV_SAVE, .slot = 1,
				     .save = loc_deref(loc_reg(CFREG_RSP), 0, 8) };
	struct probe_cfg get = {
		.kind = EV_POOL_GET, .flags = PF_COND_ZERO | PF_SITE_SKIP, .site_kind = SITE_GO_CALL,
		.pool = { .base = LOC_SAVED, .reg = 0 }, .site = { .base = LOC_SAVED, .reg = 1 },
		.conn = loc_reg(CFREG_RAX), .cond = loc_reg(CFREG_RBX),
	};
	struct probe_cfg put = { .kind = EV_POOL_PUT, .pool = loc_reg(CFREG_RAX),
				 .conn = loc_reg(CFREG_RBX) };
	/* OpenDB returns the *DB; sql.Open calls it, and its caller is the line that opened. */
	struct probe_cfg save_open_pc = { .kind = EV_SAVE, .slot = 2,
					  .save = loc_deref(loc_reg(CFREG_RSP), 0, 8) };
	struct probe_cfg open = {
		.kind = EV_POOL_OPEN, .flags = PF_SITE_SKIP, .site_kind = SITE_GO_CALL,
		.pool = loc_reg(CFREG_RAX), .site = { .base = LOC_SAVED, .reg = 2 },
	};
	int r;

	if (!g->sql_lo || !elf_sym_by_name(g->elf, "database/sql.(*DB).putConn")) {
		plan_note(p, "pools: database/sql is not linked in: no pool probes");
		return 0;
	}
	/* Go keeps frame pointers: the site is the first caller outside database/sql. */
	get.site_skip_lo = open.site_skip_lo = g->sql_lo;
	get.site_skip_hi = open.site_skip_hi = g->sql_hi;
	save_db.co = save_pc.co = get.co = put.co = goid_of(g, CFREG_R14);
	save_open_pc.co = open.co = goid_of(g, CFREG_R14);
	if ((r = add_entry(p, g, "database/sql.(*DB).conn", &save_db, err, errlen)) ||
	    (r = add_entry(p, g, "database/sql.(*DB).conn", &save_pc, err, errlen)) ||
	    (r = plan_add_returns(p, g->mod, "database/sql.(*DB).conn", &get, NULL, err, errlen)) ||
	    (r = add_entry(p, g, "database/sql.(*DB).putConn", &put, err, errlen)))
		return r;
	if (elf_sym_by_name(g->elf, "database/sql.OpenDB") &&
	    ((r = add_entry(p, g, "database/sql.OpenDB", &save_open_pc, err, errlen)) ||
	     (r = plan_add_returns(p, g->mod, "database/sql.OpenDB", &open, NULL, err, errlen))))
		return r;
	plan_note(p, "pools: each *sql.DB; a get is (*DB).conn returning no error, its site "
		  "the first caller outside database/sql (ELF [0x%llx, 0x%llx)), at most %d frames up",
		  (unsigned long long)(g->sql_lo - g->mod->bias),
		  (unsigned long long)(g->sql_hi - g->mod->bias), MAX_SKIP_FRAMES);
	plan_note(p, "pools: each named by the line that opened it: the first caller outside "
		  "database/sql of OpenDB (sql.Open calls it), seen returning the *DB; one opened "
		  "before attach says so");
	plan_note(p, "pools: the census finds each *DB in its (*DB).connectionOpener goroutine "
		  "%s; it reads open, idle, max and waiters, not which goroutine holds a connection",
		  g->db_head ? "" : "(not here: no layout for database/sql.DB)");
	return 0;
}

/* Whether the defer-run probe must read the record popped, to pass over those that are
 * no defer: frames of open-coded defers (before 1.22), range-over-func heads (1.22+),
 * which only runtime.deferrangefunc makes, and the linker drops it when no loop body
 * defers. Without, the probe's two reads go. */
static int skip_popped(const struct go *g)
{
	return g->d_skip >= 0 &&
	       (g->d_skip_size == 1 || elf_sym_by_name(g->elf, "runtime.deferrangefunc"));
}

static int go_plan(struct rt_ctx *c, struct probe_plan *p, char *err, size_t errlen)
{
	struct probe_cfg create = { .kind = EV_CREATE, .site_kind = SITE_GO_CREATED };
	struct probe_cfg exit_ = { .kind = EV_EXIT };
	struct probe_cfg defer = { .kind = EV_DEFER, .site_kind = SITE_PC,
				   .site = loc_deref(loc_reg(CFREG_RSP), 0, 8) };
	struct probe_cfg run = { .kind = EV_DEFER_RUN };
	struct go_rt *r = c->priv;
	struct go *g = &r->g;
	char offs[512];
	int ret;

	snprintf(p->version, sizeof(p->version), "%s", g->version);
	p->pools_need_round_trip = 0;

	create.co = goid_of(g, CFREG_RAX);
	create.site = loc_deref(loc_reg(CFREG_RAX), g->o[O_G_GOPC], 8);
	create.site_aux = loc_deref(loc_reg(CFREG_RAX), g->o[O_G_STARTPC], 8);
	exit_.co = defer.co = run.co = goid_of(g, CFREG_R14);
	if (skip_popped(g)) {
		/* popDefer(gp) unlinks gp._defer; freedefer(d) gets the record itself. */
		run.cond = loc_reg(CFREG_RAX);
		if (!strcmp(g->run_fn, "runtime.popDefer"))
			run.cond = loc_deref(run.cond, g->o[O_G_DEFER], 8);
		run.cond = loc_deref(run.cond, g->d_skip, g->d_skip_size);
		run.flags = PF_COND_ZERO;
	}
	if ((ret = plan_add_returns(p, g->mod, "runtime.newproc1", &create, NULL, err, errlen)) ||
	    (ret = add_entry(p, g, "runtime.goexit1", &exit_, err, errlen)))
		return ret;
	/* The linker drops what the program never calls: a binary without any defer of a
	 * kind has no function registering it, and nothing to probe. */
	if ((ret = add_present(p, g, "runtime.deferproc", &defer, err, errlen)) ||
	    (ret = add_present(p, g, "runtime.deferprocStack", &defer, err, errlen)) ||
	    (ret = add_present(p, g, "runtime.deferprocat", &defer, err, errlen)) ||
	    (ret = add_present(p, g, g->run_fn, &run, err, errlen)) ||
	    (ret = add_present(p, g, "runtime.coroexit", &exit_, err, errlen)))
		return ret;
	if ((ret = plan_pool(p, g, err, errlen)))
		return ret;
	offsets_text(g, offs, sizeof(offs));
	plan_note(p, "offsets (%s): %s", g->o_from, offs);
	plan_note(p, "defers: registered in deferproc, deferprocStack, deferprocat; run: %s; "
		  "open-coded defers (<= 8 in a function, not in a loop) make no runtime call: "
		  "read from parked goroutines' frames at each snapshot instead (%s)", g->run_fn,
		  g->minor >= 18 ? "Go 1.18+ pclntab" : "not before Go 1.18: invisible");
	plan_note(p, "census: runtime.allgs at ELF 0x%llx (%s)",
		  (unsigned long long)(g->allgs - g->mod->bias), g->allgs_from);
	if (r->pl)
		plan_note(p, "pclntab at ELF 0x%llx: %s%s; text from %s, funcdata from %s; "
			  "version from %s", (unsigned long long)r->pl->vaddr,
			  r->pl->added_funcs ? "function symbols (no .symtab)" : "frames",
			  elf_file_has_dwarf(g->elf) ? "" : ", lines (no DWARF)", r->pl->text_from,
			  r->pl->gofunc_from, r->pl->version_from ? r->pl->version_from : "nowhere");
	if (skip_popped(g))
		plan_note(p, "defers: records with _defer+%ld set (%s) are not counted",
			  g->d_skip, g->d_skip_size == 1 ? "openDefer: frames of open-coded defers"
							   : "head: range-over-func loop heads");
	else if (g->d_skip >= 0)
		plan_note(p, "defers: no range-over-func loop defers here (no "
			  "runtime.deferrangefunc): every record popped counts, unread");
	return 0;
}

struct defer_rec {
	uint64_t fn, pc;
	int pc_is_fn;	/* a range-over-func body's: pc is its closure's code (no pc kept) */
};

/* A _defer chain (newest first, from g._defer d), added to co oldest first. 0, or -1
 * when cut short. */
/* Bytes of a _defer record up to the last field the walk reads. */
static size_t d_rec_size(const struct go *g)
{
	long end = g->o[O_D_PC] > g->o[O_D_FN] ? g->o[O_D_PC] : g->o[O_D_FN];

	if (g->o[O_D_LINK] > end)
		end = g->o[O_D_LINK];
	if (g->d_skip >= 0 && g->d_skip > end)
		end = g->d_skip;
	return end + 8;
}

/* One goroutine's _defer chain as a chunk's walk reads it: newest record first. */
struct chain {
	uint64_t d;		/* the next record to read, 0 at the end */
	struct defer_rec *recs;
	size_t n, cap;
	int broken;		/* unreadable, or longer than any real chain (a cycle) */
};

/* The chains' fn fields, *funcvals, replaced by the code each points to (its first
 * word), 0 when unreadable: for reports (the probes' census needs only where a defer was
 * registered). The walk's cache has the static ones (funcval_code); the others are read
 * together, each once. */
static void resolve_funcvals(struct target *t, struct go_rt *rt, struct chain *ch, size_t n)
{
	uint64_t *fvs = NULL, *codes = NULL;
	uint8_t *ok = NULL;
	size_t nf = 0, cap = 0, j, i, k;

	for (j = 0; j < n; j++)
		for (i = 0; i < ch[j].n; i++) {
			uint64_t fv = ch[j].recs[i].fn;

			if (!fv || rt->funcvals[(fv >> 3) & (FUNCVAL_CACHE - 1)].fv == fv)
				continue;
			if (nf == cap) {
				void *p = realloc(fvs, (cap = cap ? cap * 2 : 256) * sizeof(*fvs));

				if (!p)
					goto oom;
				fvs = p;
			}
			fvs[nf++] = fv;
		}
	qsort(fvs, nf, sizeof(*fvs), cmp_u64);
	for (i = k = 0; i < nf; i++)
		if (!k || fvs[k - 1] != fvs[i])
			fvs[k++] = fvs[i];
	nf = k;
	if (nf && (!(codes = malloc(nf * sizeof(*codes))) || !(ok = malloc(nf))))
		goto oom;
	target_read_many(t, fvs, nf, 8, codes, ok);
	for (i = 0; i < nf; i++)
		rt->funcvals[(fvs[i] >> 3) & (FUNCVAL_CACHE - 1)] =
			(struct funcval_seen){ .fv = fvs[i], .code = ok[i] ? codes[i] : 0 };
	for (j = 0; j < n; j++)
		for (i = 0; i < ch[j].n; i++) {
			uint64_t *fn = &ch[j].recs[i].fn;
			struct funcval_seen *seen = &rt->funcvals[(*fn >> 3) & (FUNCVAL_CACHE - 1)];
			uint64_t *at;

			if (!*fn || seen->fv == *fn) {
				*fn = *fn ? seen->code : 0;
				continue;
			}
			/* Its cache slot went to another one of this batch. */
			at = bsearch(fn, fvs, nf, sizeof(*fvs), cmp_u64);
			*fn = at && ok[at - fvs] ? codes[at - fvs] : 0;
		}
	goto out;
oom:	/* no function named rather than a funcval taken for code */
	for (j = 0; j < n; j++)
		for (i = 0; i < ch[j].n; i++)
			ch[j].recs[i].fn = 0;
out:
	free(fvs);
	free(codes);
	free(ok);
}

/* Room for one more record in chain x; 0, or -1 (x is then broken). */
static int chain_room(struct chain *x)
{
	void *p;

	if (x->n == WALK_MAX_DEFERS) {
		x->broken = 1;
		return -1;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		if (!(p = realloc(x->recs, x->cap * sizeof(*x->recs)))) {
			x->broken = 1;
			return -1;
		}
		x->recs = p;
	}
	return 0;
}

/* The defers of a range-over-func loop's body (Go 1.22+), newest first, onto chain x:
 * runtime.deferprocat pushes them on the list its head record's `head` (an
 * *atomic.Pointer[_defer]) points to, until the function returns and deferconvert
 * splices them into g._defer (leaving the sentinel badDefer, 1, in the head). */
static void add_loop_defers(struct target *t, const struct go *g, struct chain *x, uint64_t head,
			    int want_fn)
{
	size_t rec = d_rec_size(g);
	uint8_t r[64];
	uint64_t d;

	if (rec > sizeof(r) || target_read_u64(t, head, &d)) {
		x->broken = 1;
		return;
	}
	for (; d > 1; d = u64_at(r, g->o[O_D_LINK])) {
		uint64_t code = 0;

		if (target_read(t, d, r, rec)) {
			x->broken = 1;
			return;
		}
		if (chain_room(x))
			return;
		/* deferprocat keeps no pc: the site is the deferred closure, written at the
		 * defer statement (its first line is the statement's). */
		target_read_u64(t, u64_at(r, g->o[O_D_FN]), &code);
		x->recs[x->n] = (struct defer_rec){ .pc = code, .pc_is_fn = 1,
						    .fn = want_fn ? u64_at(r, g->o[O_D_FN]) : 0 };
		x->n++;
	}
}

/* The _defer chains of a chunk of goroutines, level by level: the k-th records of all
 * of them in one batch of reads. ch[j].d starts at goroutine j's g._defer. Records come
 * from their pages, read whole and kept (DEFER_CACHE, direct-mapped): a goroutine's
 * records sit side by side, or among a few hundred pages when the runtime recycled them
 * from its pools, so a long chain (a loop's defers) costs a read per page, not per record.
 * Every record a chain reaches was there when its g was read, before any page was. Adds
 * each chain to coroutine idx[j] of c, oldest first; returns how many were cut short. */
static size_t walk_defer_chains(struct target *t, struct go_rt *rt, struct census *c,
				struct chain *ch, const size_t *idx, size_t n, int want_fn)
{
	const struct go *g = &rt->g;
	size_t rec = d_rec_size(g), j, k, m, mp, cut = 0;
	uint64_t addrs[ALLGS_CHUNK], paddrs[ALLGS_CHUNK];
	uint8_t raw[ALLGS_CHUNK * 64], ok[ALLGS_CHUNK], pok[ALLGS_CHUNK], *pages, *tmp;
	const uint8_t *recp[ALLGS_CHUNK];	/* chain j's record, read */
	size_t who[ALLGS_CHUNK], pwho[ALLGS_CHUNK];
	uint64_t *page_at = calloc(DEFER_CACHE, sizeof(*page_at));	/* page + 1; 0: none */

	pages = malloc(DEFER_CACHE * DEFER_PAGE);
	tmp = malloc(n * DEFER_PAGE);
	if (rec > 64 || !pages || !tmp || !page_at) {
		free(pages);
		free(tmp);
		free(page_at);
		return n;
	}
	for (;;) {
		/* A record across two pages is read alone; else from its page, read when
		 * it is not kept. */
		for (j = m = mp = 0; j < n; j++) {
			uint64_t d = ch[j].d, pg = d & ~(uint64_t)(DEFER_PAGE - 1);
			size_t slot = (pg / DEFER_PAGE) % DEFER_CACHE;

			recp[j] = NULL;
			if (!d || ch[j].broken)
				continue;
			if (d + rec > pg + DEFER_PAGE) {
				addrs[m] = d;
				who[m++] = j;
			} else if (page_at[slot] != pg + 1) {
				paddrs[mp] = pg;
				pwho[mp++] = j;
			} else {
				recp[j] = pages + slot * DEFER_PAGE + (d - pg);
			}
		}
		target_read_many(t, addrs, m, rec, raw, ok);
		target_read_many(t, paddrs, mp, DEFER_PAGE, tmp, pok);
		for (k = 0; k < m; k++)
			recp[who[k]] = ok[k] ? raw + k * rec : NULL;
		/* From the batch itself: two pages of it may share a slot. */
		for (k = 0; k < mp; k++)
			recp[pwho[k]] = pok[k] ? tmp + k * DEFER_PAGE + (ch[pwho[k]].d - paddrs[k]) : NULL;
		for (j = k = 0; j < n; j++) {
			struct chain *x = &ch[j];
			const uint8_t *r = recp[j];

			if (!x->d || x->broken)
				continue;
			k++;
			if (!r) {
				x->broken = 1;
				continue;
			}
			if (chain_room(x))
				continue;
			x->d = u64_at(r, g->o[O_D_LINK]);
			/* A range-over-func loop's head: its body's defers wait on its list. */
			if (g->d_skip_size == 8 && g->d_skip >= 0 && u64_at(r, g->d_skip)) {
				add_loop_defers(t, g, x, u64_at(r, g->d_skip), want_fn);
				continue;
			}
			if (g->d_skip_size == 1 && g->d_skip >= 0 && r[g->d_skip])
				continue;
			x->recs[x->n] = (struct defer_rec){ .pc = u64_at(r, g->o[O_D_PC]),
							    .fn = want_fn ? u64_at(r, g->o[O_D_FN]) : 0 };
			x->n++;
		}
		for (j = 0; j < mp; j++) {
			size_t slot = (paddrs[j] / DEFER_PAGE) % DEFER_CACHE;

			if (!pok[j])
				continue;
			memcpy(pages + slot * DEFER_PAGE, tmp + j * DEFER_PAGE, DEFER_PAGE);
			page_at[slot] = paddrs[j] + 1;
		}
		if (!k)
			break;
	}
	free(pages);
	free(tmp);
	free(page_at);
	if (want_fn)
		resolve_funcvals(t, rt, ch, n);
	for (j = 0; j < n; j++) {
		cut += ch[j].broken;
		c->coros[idx[j]].cut = ch[j].broken;
		while (ch[j].n--) {
			struct site fn = { .addr = ch[j].recs[ch[j].n].fn, .kind = SITE_FUNC };
			struct site at = { .addr = ch[j].recs[ch[j].n].pc,
					   .kind = ch[j].recs[ch[j].n].pc_is_fn ? SITE_FUNC : SITE_PC };

			if (census_add_defer(&c->coros[idx[j]], &fn, &at)) {
				cut++;
				break;
			}
		}
		free(ch[j].recs);
	}
	return cut;
}

/* A function's open-coded defer info (FUNCDATA_OpenCodedDeferInfo, varints): where its
 * deferBits byte and deferred closures sit below the frame pointer. Up to Go 1.21, one
 * offset per closure; from 1.22, the offset of an array of closure slots. */
struct open_defer_info {
	uint32_t bits_off;
	uint32_t closure_off[OPEN_DEFERS_MAX];	/* before 1.22 */
	uint32_t slots_off;			/* 1.22+ */
	uint32_t n;				/* closures described before 1.22 */
};

/* 0 when _func fn has open-coded defers, with *info filled in. */
static int open_defer_info(const struct go *g, const struct go_pcln *pl, const uint8_t *fn,
			   struct open_defer_info *info)
{
	uint64_t at = go_pcln_funcdata(pl, fn, FUNCDATA_OPEN_CODED_DEFER_INFO);
	uint8_t buf[64];
	const uint8_t *p, *end = buf + sizeof(buf);
	uint32_t i;

	memset(buf, 0, sizeof(buf));
	if (!at || (elf_read_vaddr(g->elf, at, buf, sizeof(buf)) &&
		    elf_read_vaddr(g->elf, at, buf, 16)))
		return -1;
	memset(info, 0, sizeof(*info));
	if (!(p = go_uvarint(buf, end, &info->bits_off)))
		return -1;
	if (g->minor >= 22)
		return go_uvarint(p, end, &info->slots_off) ? 0 : -1;
	if (!(p = go_uvarint(p, end, &info->n)) || info->n > OPEN_DEFERS_MAX)
		return -1;
	for (i = 0; i < info->n; i++)
		if (!(p = go_uvarint(p, end, &info->closure_off[i])))
			return -1;
	return 0;
}

/* Is s the last part of a closure's name: funcN or deferwrapN, or N for a closure in a
 * closure (f.func1.1 before Go 1.22, f.1 since)? */
static int closure_part(const char *s)
{
	if (!strncmp(s, "func", 4))
		s += 4;
	else if (!strncmp(s, "deferwrap", 9))
		s += 9;
	if (*s < '0' || *s > '9')
		return 0;
	return s[strspn(s, "0123456789")] == 0;
}

/* Where an open-coded defer was registered. The compiler wraps a deferred call with
 * arguments, or a method call, in a closure of the deferring function written at the
 * defer statement (f.deferwrapN from Go 1.22, f.funcN before), as is a deferred func
 * literal: the closure's first line is the statement's. Otherwise (defer g(), g a
 * named function) only the line the frame is at now is known. */
static struct site open_defer_site(const struct go *g, uint64_t fn, uint64_t pc)
{
	const struct elf_sym *frame = elf_sym_by_addr(g->elf, pc - g->mod->bias);
	const struct elf_sym *clo = fn ? elf_sym_by_addr(g->elf, fn - g->mod->bias) : NULL;
	size_t n = frame ? strlen(frame->name) : 0;

	/* Its last part a closure's; parts between are functions inlined into the frame
	 * (f.func2.g.1: a closure of g, inlined into f.func2). */
	if (clo && n && clo->value + g->mod->bias == fn && !strncmp(clo->name, frame->name, n) &&
	    clo->name[n] == '.' && closure_part(strrchr(clo->name + n, '.') + 1))
		return (struct site){ .addr = fn, .kind = SITE_FUNC };
	return (struct site){ .addr = pc, .kind = SITE_PC };
}

/* The top of a parked g's stack from its saved SP, read in one batch with the other gs
 * of its chunk (go_census): frame walks read there, and from the target only past it. */
struct stack_img {
	uint64_t lo;
	const uint8_t *b;	/* STACK_IMG bytes, or NULL */
};

static int stack_read(struct target *t, const struct stack_img *img, uint64_t addr, void *buf,
		      size_t len)
{
	if (img && img->b && addr >= img->lo && addr - img->lo <= STACK_IMG &&
	    len <= STACK_IMG - (addr - img->lo)) {
		memcpy(buf, img->b + (addr - img->lo), len);
		return 0;
	}
	return target_read(t, addr, buf, len);
}

/* The frames of a parked g, from its saved registers up the frame pointers, within its
 * stack: at each, pc is in the frame's function and bp is its frame pointer. */
struct frames {
	uint64_t lo, hi, pc, bp;
	int depth;
	const struct stack_img *img;
};

static void frames_start(const struct go *g, const uint8_t *gh, const struct stack_img *img,
			 struct frames *f)
{
	f->lo = u64_at(gh, g->o[O_G_STACK]);
	f->hi = u64_at(gh, g->o[O_G_STACK] + 8);
	f->pc = u64_at(gh, g->o[O_G_SCHED_PC]);
	f->bp = u64_at(gh, g->o[O_G_SCHED_BP]);
	f->depth = 0;
	f->img = img;
}

/* 1 while there is a frame to look at. */
static int frames_ok(const struct frames *f)
{
	return f->depth < WALK_MAX_FRAMES && f->pc && f->bp >= f->lo && f->bp + 16 <= f->hi;
}

/* To the caller's frame: 0, or -1 at the end. */
static int frames_up(struct target *t, struct frames *f)
{
	uint64_t next[2];

	if (stack_read(t, f->img, f->bp, next, sizeof(next)) || next[0] <= f->bp)
		return -1;
	f->bp = next[0];
	f->pc = next[1];
	f->depth++;
	return 0;
}

/* Is function `name` (as the symbol table names it: "net/http.(*conn).serve",
 * "main.F[...]") in Go's standard library? Its package's first path element says: a
 * program's own packages cannot start with these without shadowing the library's. */
static int go_std_func(const char *name)
{
	static const char *const std[] = {
		"archive", "bufio", "bytes", "cmp", "compress", "container", "context", "crypto",
		"database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go",
		"hash", "html", "image", "index", "internal", "io", "iter", "log", "maps", "math",
		"mime", "net", "os", "path", "plugin", "reflect", "regexp", "runtime", "slices",
		"sort", "strconv", "strings", "structs", "sync", "syscall", "testing", "text",
		"time", "unicode", "unique", "unsafe", "vendor", "weak",
	};
	size_t n = strcspn(name, "/.["), i;

	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if (strlen(std[i]) == n && !strncmp(name, std[i], n))
			return 1;
	return 0;
}

/* Whose code pc is in. The runtime's: a function of package runtime, or one it provides
 * to another package (sync.runtime_Semacquire, internal/poll.runtime_pollWait). */
static enum frame_owner frame_owner(struct go_rt *r, uint64_t pc)
{
	size_t h = (pc ^ pc >> 12) & (RT_PC_CACHE - 1);
	const struct elf_sym *s;
	enum frame_owner owner = FRAME_STD;	/* no symbol: not the program's, as far as known */

	if (r->frame_owners[h].pc == pc)
		return r->frame_owners[h].owner;
	s = elf_sym_by_addr(r->g.elf, pc - r->g.mod->bias);
	if (s && (!strncmp(s->name, "runtime.", 8) || strstr(s->name, ".runtime_")))
		owner = FRAME_RUNTIME;
	else if (s && !go_std_func(s->name))
		owner = FRAME_PROGRAM;
	r->frame_owners[h].pc = pc;
	r->frame_owners[h].owner = owner;
	return owner;
}

/* The code a func value points to (its first word), *fv in place. A deferred closure's
 * funcval sits in its frame, or is a static one shared by every g that defers it: those
 * are remembered for the walk (go_rt.funcvals, cleared by go_census). */
static int funcval_code(struct target *t, struct go_rt *r, const struct stack_img *img,
			uint64_t *fv)
{
	struct funcval_seen *c = &r->funcvals[(*fv >> 3) & (FUNCVAL_CACHE - 1)];

	if (img && img->b && *fv >= img->lo && *fv - img->lo < STACK_IMG)
		return stack_read(t, img, *fv, fv, 8);
	if (c->fv != *fv) {
		c->fv = *fv;
		if (target_read_u64(t, *fv, &c->code))
			c->fv = c->code = 0;
	}
	*fv = c->code;
	return *fv ? 0 : -1;
}

/* A g's pending open-coded defers as its frame walk found them, outermost first. */
struct open_found {
	size_t n;
	int cut;		/* more than fit */
	struct open_defer d[64];
};

/* The pending open-coded defers of a parked g (its head read into gh), into *out, and its
 * wait site (the line it is parked at: see enum frame_owner): frame
 * pointers from g.sched; each frame of a function with open-coded defers keeps deferBits
 * (bit i: its i-th defer statement ran and its call is pending) and the closures below
 * its frame pointer. Bounded by the g's stack and WALK_MAX_FRAMES. The caller checks
 * that the g did not run meanwhile (same_sched) before it adds them. */
static void walk_open_defers(struct target *t, struct go_rt *r, const uint8_t *gh,
			     const struct stack_img *img, struct census_coro *co,
			     struct open_found *out)
{
	const struct go *g = &r->g;
	const struct go_pcln *pl = r->pl;
	struct open_defer_info info;
	uint64_t fv, at;
	struct frames f;
	const uint8_t *fn;
	uint64_t std_pc = 0;	/* the first frame outside the runtime */
	enum frame_owner owner;
	uint8_t bits;
	int i;

	out->n = 0;
	out->cut = 0;
	for (frames_start(g, gh, img, &f); frames_ok(&f) && !out->cut; ) {
		fn = go_pcln_func(pl, f.pc - g->mod->bias, NULL);
		if (!fn)
			break;
		if (f.depth && !co->wait_site.addr &&
		    (owner = frame_owner(r, f.pc)) != FRAME_RUNTIME) {
			if (!std_pc)
				std_pc = f.pc;
			if (owner == FRAME_PROGRAM)
				co->wait_site = (struct site){ .kind = SITE_GO_CALL, .addr = f.pc };
		}
		if (!open_defer_info(g, pl, fn, &info) && info.bits_off < f.bp - f.lo &&
		    !stack_read(t, img, f.bp - info.bits_off, &bits, 1)) {
			for (i = OPEN_DEFERS_MAX - 1; i >= 0; i--) {
				if (!(bits & 1u << i))
					continue;
				if (out->n == sizeof(out->d) / sizeof(out->d[0])) {
					out->cut = 1;
					break;
				}
				at = g->minor >= 22 ? f.bp - info.slots_off + (uint64_t)i * 8
						    : f.bp - info.closure_off[i];
				/* A slot holds a func value: a *funcval whose first word is code. */
				if ((g->minor < 22 && (uint32_t)i >= info.n) ||
				    stack_read(t, img, at, &fv, 8) || !fv || funcval_code(t, r, img, &fv))
					fv = 0;
				out->d[out->n].fn = fv;
				out->d[out->n++].at = open_defer_site(g, fv, f.pc);
			}
		}
		if (frames_up(t, &f))
			break;
	}
	if (!co->wait_site.addr && std_pc)
		co->wait_site = (struct site){ .kind = SITE_GO_CALL, .addr = std_pc };
}

/* Adds the open-coded defers found: inner frames and later bits are newer, so in reverse. */
static int add_open_defers(struct census_coro *co, const struct open_defer *d, size_t n)
{
	while (n--) {
		struct site fn_site = { .addr = d[n].fn, .kind = SITE_FUNC };

		if (census_add_defer(co, &fn_site, &d[n].at))
			return -1;
	}
	return 0;
}

static int cmp_frames_seen(const void *a, const void *b)
{
	const struct frames_seen *x = a, *y = b;

	return x->gp < y->gp ? -1 : x->gp > y->gp;
}

/* The last walk's findings for g (its head in gh), if its registers are the same. */
static const struct frames_seen *seen_before(const struct go_rt *r, uint64_t gp, const uint8_t *gh)
{
	const struct go *g = &r->g;
	const struct frames_seen key = { .gp = gp };
	const struct frames_seen *f = r->seen[0].n ? bsearch(&key, r->seen[0].gs, r->seen[0].n,
							     sizeof(key), cmp_frames_seen) : NULL;

	if (!f || f->goid != u64_at(gh, g->o[O_G_GOID]) || f->pc != u64_at(gh, g->o[O_G_SCHED_PC]) ||
	    f->sp != u64_at(gh, g->o[O_G_SCHED_PC] - 8) || f->bp != u64_at(gh, g->o[O_G_SCHED_BP]))
		return NULL;
	return f;
}

/* Keeps what this walk found in g for the next walk (best effort: out of memory, the
 * next walk reads it again). */
static void seen_now(struct go_rt *r, uint64_t gp, const uint8_t *gh, const struct site *wait_site,
		     const struct open_defer *d, size_t n)
{
	struct frames_walk *w = &r->seen[1];
	const struct go *g = &r->g;
	void *p;

	if (w->n == w->cap) {
		if (!(p = realloc(w->gs, (w->cap * 2 + 1024) * sizeof(*w->gs))))
			return;
		w->gs = p;
		w->cap = w->cap * 2 + 1024;
	}
	if (w->ndefers + n > w->cap_defers) {
		if (!(p = realloc(w->defers, (w->cap_defers * 2 + n + 1024) * sizeof(*w->defers))))
			return;
		w->defers = p;
		w->cap_defers = w->cap_defers * 2 + n + 1024;
	}
	memcpy(w->defers + w->ndefers, d, n * sizeof(*d));
	w->gs[w->n++] = (struct frames_seen){
		.gp = gp, .goid = u64_at(gh, g->o[O_G_GOID]), .sp = u64_at(gh, g->o[O_G_SCHED_PC] - 8),
		.pc = u64_at(gh, g->o[O_G_SCHED_PC]), .bp = u64_at(gh, g->o[O_G_SCHED_BP]),
		.wait_site = *wait_site, .first = w->ndefers, .n = n,
	};
	w->ndefers += n;
}

/* This walk's findings become the last walk's. */
static void seen_done(struct go_rt *r)
{
	struct frames_walk t = r->seen[0];

	qsort(r->seen[1].gs, r->seen[1].n, sizeof(*r->seen[1].gs), cmp_frames_seen);
	r->seen[0] = r->seen[1];
	r->seen[1] = t;
	r->seen[1].n = r->seen[1].ndefers = 0;
}

/* The open-coded defers found in a chunk's gs (want[k]: which g, its coroutine and what
 * was found) go into the census where the g's saved registers are still the ones the
 * walk started from: a live g that ran meanwhile left other frames, read at the next
 * walk. The registers of all of them in one batch of reads. 0, or -1 when one was cut. */
static int add_chunk_open_defers(struct target *t, struct go_rt *r, struct census *c,
				 const uint64_t *gps, const uint8_t *heads, const size_t *want,
				 const size_t *coro, struct open_found *found, size_t nwant)
{
	const struct go *g = &r->g;
	long from = g->o[O_G_SCHED_PC] < g->o[O_G_SCHED_BP] ? g->o[O_G_SCHED_PC] : g->o[O_G_SCHED_BP];
	size_t span = labs(g->o[O_G_SCHED_BP] - g->o[O_G_SCHED_PC]) + 8, k;
	uint64_t addrs[ALLGS_CHUNK];
	uint8_t now[ALLGS_CHUNK * 64], ok[ALLGS_CHUNK];
	int cut = 0;

	if (span > 64)
		return -1;
	for (k = 0; k < nwant; k++)
		addrs[k] = gps[want[k]] + from;
	target_read_many(t, addrs, nwant, span, now, ok);
	for (k = 0; k < nwant; k++) {
		const uint8_t *gh = heads + want[k] * g->g_head;

		const uint8_t *regs = now + k * span;

		if (!ok[k] || memcmp(regs, gh + from, 8) || memcmp(regs + span - 8, gh + from + span - 8, 8))
			continue;
		cut |= found[k].cut;
		if (add_open_defers(&c->coros[coro[k]], found[k].d, found[k].n))
			return -1;
		if (!found[k].cut)
			seen_now(r, gps[want[k]], gh, &c->coros[coro[k]].wait_site, found[k].d,
				 found[k].n);
	}
	return cut ? -1 : 0;
}

/* The *DBs found so far (their connectionOpener goroutines). */
struct dbs {
	uint64_t db[WALK_MAX_POOLS];
	size_t n;
};

/* The *DB of a g parked in (*DB).connectionOpener (OpenDB starts one per DB): the
 * compiler keeps its receiver, live across the select, in its register argument's spill
 * slot, just above the return address (frame pointer + 16). */
static void find_db(struct target *t, const struct go *g, const uint8_t *gh,
		    const struct stack_img *img, struct dbs *d)
{
	struct frames f;
	uint64_t db;
	size_t i;

	for (frames_start(g, gh, img, &f); frames_ok(&f); ) {
		if (f.pc >= g->opener_lo && f.pc < g->opener_hi) {
			if (stack_read(t, img, f.bp + 16, &db, 8) || !db)
				return;
			for (i = 0; i < d->n && d->db[i] != db; i++)
				;
			if (i == d->n && d->n < WALK_MAX_POOLS)
				d->db[d->n++] = db;
			return;
		}
		if (frames_up(t, &f))
			return;
	}
}

/* The name of the Go type at runtime address typ, as its reflect.Type.String() would
 * give it ("main.fakeDriver", "*mysql.MySQLDriver"): 0, or -1. */
static int type_name(struct target *t, const struct go_rt *r, uint64_t typ, char *buf,
		     size_t len)
{
	uint8_t ty[TYPE_STR + 4], nm[128];
	const uint8_t *p;
	uint32_t n;
	int star;

	if (!r->pl || !r->pl->types || target_read(t, typ, ty, sizeof(ty)))
		return -1;
	/* A name: a flags byte, its length (uvarint), its bytes; read in a file. */
	memset(nm, 0, sizeof(nm));
	if (elf_read_vaddr(r->g.elf, r->pl->types + (int32_t)u32_at(ty, TYPE_STR), nm, sizeof(nm)) ||
	    !(p = go_uvarint(nm + 1, nm + sizeof(nm), &n)))
		return -1;
	if (n > (size_t)(nm + sizeof(nm) - p))
		n = (uint32_t)(nm + sizeof(nm) - p);
	star = (ty[TYPE_TFLAG] & TFLAG_EXTRA_STAR) && n > 0;
	snprintf(buf, len, "%.*s", (int)n - star, (const char *)p + star);
	return 0;
}

/* The driver behind a DB's connector (an interface: itab, data): the connector's own
 * type, or for sql.Open's dsnConnector the driver's. */
static void driver_name(struct target *t, const struct go_rt *r, const uint8_t *conn,
			char *buf, size_t len)
{
	uint64_t typ, drv[2];

	snprintf(buf, len, "?");
	if (target_read_u64(t, u64_at(conn, 0) + ITAB_TYPE, &typ) || type_name(t, r, typ, buf, len))
		return;
	if (!strcmp(buf, "sql.dsnConnector") &&
	    !target_read(t, u64_at(conn, 8) + DSN_CONNECTOR_DRIVER, drv, sizeof(drv)) &&
	    !target_read_u64(t, drv[0] + ITAB_TYPE, &typ))
		type_name(t, r, typ, buf, len);
}

/* A database/sql pool as its DB describes it; a DB that does not read as one is left
 * out (a stale spill slot, a DB being closed). */
static int add_db_pool(struct target *t, const struct go_rt *r, uint64_t db, struct census *c)
{
	const struct go *g = &r->g;
	uint8_t d[DB_HEAD_MAX];
	struct census_pool *p;
	int64_t open, idle, max;
	uint64_t waiters = 0, hm;
	char drv[64];

	if (target_read(t, db, d, g->db_head))
		return 0;
	open = (int64_t)u64_at(d, g->o[O_DB_NUMOPEN]);
	idle = (int64_t)u64_at(d, g->o[O_DB_FREECONN] + 8);
	max = (int64_t)u64_at(d, g->o[O_DB_MAXOPEN]);
	if (open < 0 || open > DB_MAX_CONNS || idle < 0 || idle > open || max < 0 ||
	    max > DB_MAX_CONNS || (uint64_t)idle > u64_at(d, g->o[O_DB_FREECONN] + 16))
		return 0;
	if (g->o[O_DB_CONNREQ_SET] >= 0)
		waiters = u64_at(d, g->o[O_DB_CONNREQ_SET] + 8);
	else if ((hm = u64_at(d, g->o[O_DB_CONNREQ_MAP])) && target_read_u64(t, hm, &waiters))
		waiters = 0;	/* hmap.count first */
	if (waiters > DB_MAX_CONNS)
		return 0;
	if (!(p = census_add_pool(c, db)))
		return -1;
	driver_name(t, r, d + g->o[O_DB_CONNECTOR], drv, sizeof(drv));
	snprintf(p->name, sizeof(p->name), "sql.DB %s", drv);
	p->open = open;
	p->idle = idle;
	p->max = max ? max : -1;
	p->holders_unknown = 1;	/* a driverConn does not say who took it */
	p->waiters = (int64_t)waiters;
	return 0;
}

/* Is g a DB's connectionOpener (database/sql starts one per DB), parked? */
static int is_db_opener(const struct go *g, const uint8_t *gh)
{
	uint64_t gopc = u64_at(gh, g->o[O_G_GOPC]);

	return g->db_head && (u32_at(gh, g->o[O_G_STATUS]) & ~G_SCAN) == G_WAITING &&
	       gopc >= g->sql_lo && gopc < g->sql_hi;
}

/* Are g's saved registers its frames' (not stale: a running g's are; syscall saves BP
 * from 1.23)? */
static int frames_saved(const struct go *g, const uint8_t *gh)
{
	uint32_t status = u32_at(gh, g->o[O_G_STATUS]) & ~G_SCAN;

	return status == G_RUNNABLE || status == G_WAITING || status == G_PREEMPTED ||
	       (status == G_SYSCALL && g->minor >= 23);
}

/* The stack tops of a chunk's gs whose frames the census walks (not those whose frames
 * the last walk saw: seen[j]), in one batch of reads: a frame walk costs no system call
 * where its frames fit (most parked gs: a few hundred bytes). imgs[j].b is NULL for the
 * others and where the read failed. */
static void read_stack_tops(struct target *t, const struct go *g, const uint8_t *heads,
			    const uint8_t *head_ok, const struct frames_seen *const *seen, size_t n,
			    int have_pcln, uint8_t *buf, struct stack_img *imgs)
{
	uint64_t sps[ALLGS_CHUNK];
	size_t who[ALLGS_CHUNK], m = 0, j;
	uint8_t ok[ALLGS_CHUNK];

	for (j = 0; j < n; j++) {
		const uint8_t *gh = heads + j * g->g_head;

		imgs[j] = (struct stack_img){ .b = NULL };
		if (!head_ok[j] ||
		    !(is_db_opener(g, gh) || (have_pcln && frames_saved(g, gh) && !seen[j])))
			continue;
		/* gobuf starts with sp, then pc, in every version. */
		sps[m] = u64_at(gh, g->o[O_G_SCHED_PC] - 8);
		who[m++] = j;
	}
	target_read_many(t, sps, m, STACK_IMG, buf, ok);
	for (j = 0; j < m; j++)
		if (ok[j])
			imgs[who[j]] = (struct stack_img){ .lo = sps[j], .b = buf + j * STACK_IMG };
}

/* runtime.allglen, one read: every g, dead ones for reuse among them. */
static size_t go_population(struct rt_ctx *rc)
{
	const struct go_rt *r = rc->priv;
	uint64_t len;

	return r && !target_read_u64(rc->t, r->g.allgs + 8, &len) && len < (1ull << 32) ? len : 0;
}

static int go_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	uint64_t hdr[3], gps[ALLGS_CHUNK], goid;
	uint8_t ok[ALLGS_CHUNK], *heads, *gh, *stacks;
	struct stack_img imgs[ALLGS_CHUNK];
	struct open_found *found;
	size_t want[ALLGS_CHUNK], coro[ALLGS_CHUNK], nwant;
	const struct frames_seen *seen[ALLGS_CHUNK];
	const struct open_defer *seen_defers;
	struct chain ch[ALLGS_CHUNK];
	size_t idx[ALLGS_CHUNK], nch;
	struct census_coro *co;
	size_t i, j, n, total;
	uint32_t status;
	struct go_rt *r = rc->priv;
	const struct go *g = &r->g;
	struct target *t = rc->t;
	struct dbs dbs = { .n = 0 };
	uint64_t gopc;
	int have_pcln;
	/* One read per g: up to the last field used. */
	snprintf(c->version, sizeof(c->version), "%s", g->version);
	have_pcln = c->scope != CENSUS_PROBED && r->pl;
	/* allgs is a []*g: pointer, length, capacity. */
	if (target_read(t, g->allgs, hdr, sizeof(hdr)) || hdr[1] > hdr[2]) {
		snprintf(err, errlen, "cannot read runtime.allgs");
		return census_unreadable(t);
	}
	if (hdr[1] > WALK_MAX_COROS) {
		snprintf(c->warning, sizeof(c->warning), "allgs has %llu entries: walked %d",
			 (unsigned long long)hdr[1], WALK_MAX_COROS);
		hdr[1] = WALK_MAX_COROS;
	}
	/* The heads of a chunk of gs in one batch of reads (a system call per 512), then
	 * the tops of the stacks it walks. */
	heads = malloc(ALLGS_CHUNK * g->g_head);
	stacks = malloc(ALLGS_CHUNK * STACK_IMG);
	found = malloc(ALLGS_CHUNK * sizeof(*found));
	if (!heads || !stacks || !found) {
		free(heads);
		free(stacks);
		free(found);
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	memset(r->funcvals, 0, sizeof(r->funcvals));
	/* Some goroutines again (census.only): their gs alone, not allgs. A g whose goid
	 * changed was reused by another goroutine: that one ended. */
	total = c->only ? c->nonly : hdr[1];
	for (i = 0; i < total; i += n) {
		n = total - i < ALLGS_CHUNK ? total - i : ALLGS_CHUNK;
		if (c->only) {
			for (j = 0; j < n; j++)
				gps[j] = c->only[i + j].at;
		} else if (target_read(t, hdr[0] + i * 8, gps, n * 8)) {
			snprintf(c->warning, sizeof(c->warning), "allgs unreadable at entry %zu", i);
			break;
		}
		if (c->around_heads)
			c->around_heads(c, 0, i, i + n);
		target_read_many(t, gps, n, g->g_head, heads, ok);
		if (c->around_heads)
			c->around_heads(c, 1, i, i + n);
		for (j = 0; j < n; j++) {
			gh = heads + j * g->g_head;
			seen[j] = ok[j] && have_pcln && frames_saved(g, gh) ? seen_before(r, gps[j], gh)
									     : NULL;
		}
		read_stack_tops(t, g, heads, ok, seen, n, have_pcln, stacks, imgs);
		for (j = nch = nwant = 0; j < n; j++) {
			gh = heads + j * g->g_head;
			if (!ok[j]) {
				snprintf(c->warning, sizeof(c->warning),
					 "unreadable g at 0x%llx", (unsigned long long)gps[j]);
				continue;
			}
			status = u32_at(gh, g->o[O_G_STATUS]) & ~G_SCAN;
			goid = u64_at(gh, g->o[O_G_GOID]);
			if (status == G_DEAD || status == G_DEAD_EXTRA || !census_wants(c, goid))
				continue;
			if (!(co = census_add_coro(c, goid)))
				goto out;
			co->at = gps[j];
			snprintf(co->state, sizeof(co->state), "%s",
				 status < sizeof(state_names) / sizeof(state_names[0]) ?
				 state_names[status] : "?");
			/* The main goroutine has no creator to show (rt0_go's call), as in Go's
			 * tracebacks: it is named by its function. */
			gopc = goid == 1 ? 0 : u64_at(gh, g->o[O_G_GOPC]);
			co->create_site = (struct site){ .kind = SITE_GO_CREATED, .addr = gopc,
							 .aux = u64_at(gh, g->o[O_G_STARTPC]) };
			/* Goroutines database/sql started: one is each DB's opener. */
			if (is_db_opener(g, gh))
				find_db(t, g, gh, &imgs[j], &dbs);
			if (seen[j]) {
				seen_defers = r->seen[0].defers + seen[j]->first;
				co->wait_site = seen[j]->wait_site;
				if (add_open_defers(co, seen_defers, seen[j]->n))
					goto out;
				seen_now(r, gps[j], gh, &co->wait_site, seen_defers, seen[j]->n);
			} else if (have_pcln && frames_saved(g, gh)) {
				walk_open_defers(t, r, gh, &imgs[j], co, &found[nwant]);
				if (found[nwant].n) {
					want[nwant] = j;
					coro[nwant++] = co - c->coros;
				} else {
					seen_now(r, gps[j], gh, &co->wait_site, NULL, 0);
				}
			}
			if (c->scope != CENSUS_UNPROBED && u64_at(gh, g->o[O_G_DEFER])) {
				ch[nch] = (struct chain){ .d = u64_at(gh, g->o[O_G_DEFER]) };
				idx[nch++] = co - c->coros;
			}
		}
		if (nwant && add_chunk_open_defers(t, r, c, gps, heads, want, coro, found, nwant))
			snprintf(c->warning, sizeof(c->warning), "a frame walk cut short "
				 "(goroutines %zu to %zu of allgs)", i, i + n - 1);
		/* Live, a goroutine whose chain was cut is read again (census_coro.cut). */
		if (nch && walk_defer_chains(t, r, c, ch, idx, nch, c->scope == CENSUS_ALL) &&
		    c->scope != CENSUS_PROBED)
			snprintf(c->warning, sizeof(c->warning), "a defer chain cut short "
				 "(goroutines %zu to %zu of allgs)", i, i + n - 1);
	}
	seen_done(r);
out:
	r->seen[1].n = r->seen[1].ndefers = 0;
	free(heads);
	free(stacks);
	free(found);
	for (i = 0; i < dbs.n; i++)
		if (add_db_pool(t, r, dbs.db[i], c))
			break;
	return 0;
}

/* "created by F at file.go:N", as Go's tracebacks name a goroutine's go statement. */
static void describe_created(struct target *t, uint64_t gopc, char *buf, size_t len)
{
	struct module *m = target_module_at(t, gopc);
	struct elf_file *e = m ? module_elf(m) : NULL;
	const struct elf_sym *s = e ? elf_sym_by_addr(e, gopc - m->bias - 1) : NULL;
	const char *file, *base;
	int line, n;

	if (!s) {
		snprintf(buf, len, "created at 0x%llx", (unsigned long long)gopc);
		return;
	}
	n = snprintf(buf, len, "created by %s", s->name);
	if (n > 0 && (size_t)n < len && !elf_dwarf_line(e, gopc - m->bias - 1, NULL, NULL, &file, &line)) {
		base = strrchr(file, '/');
		snprintf(buf + n, len - n, " at %s:%d", base ? base + 1 : file, line);
	}
}

static void go_describe_site(struct rt_ctx *c, const struct site *s, char *buf, size_t len)
{
	if (s->kind == SITE_GO_CREATED && !s->addr)
		target_describe_pc(c->t, s->aux, 0, NULL, buf, len);
	else if (s->kind == SITE_GO_CREATED)
		describe_created(c->t, s->addr, buf, len);
	else
		target_describe_pc(c->t, s->addr, 1, go_std_func, buf, len);
}

static int go_start_site(struct rt_ctx *c, const struct site *create, struct site *start)
{
	(void)c;
	if (create->kind != SITE_GO_CREATED || !create->aux)
		return -1;
	*start = (struct site){ .kind = SITE_FUNC, .addr = create->aux };
	return 0;
}

static int go_open(struct rt_ctx *c, char *err, size_t errlen)
{
	struct go_rt *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	c->priv = r;
	if ((ret = go_resolve(c->t, r, err, errlen)))
		return ret;
	resolve_sql(&r->g);
	return 0;
}

static void go_close(struct rt_ctx *c)
{
	struct go_rt *r = c->priv;
	int i;

	for (i = 0; r && i < 2; i++) {
		free(r->seen[i].gs);
		free(r->seen[i].defers);
	}
	free(r);
}

const struct runtime runtime_go = {
	.name = "go",
	.id_is_number = 1,
	.looks_for = "Go (runtime.newproc1 or Go build info)",
	.detect = go_detect,
	.open = go_open,
	.close = go_close,
	.plan = go_plan,
	.census = go_census,
	.population = go_population,
	.has_unprobed = 1,
	.describe_site = go_describe_site,
	.start_site = go_start_site,
};
