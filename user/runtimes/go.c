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
 *   create    each RET of runtime.newproc1 (it runs on g0): RAX is the new g; its body
 *             is g.startpc
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
 * Open-coded defers (at most eight in a function, not in a loop) make no runtime call
 * and are on no list: probes never see them.
 *
 * The census walks runtime.allgs and each live g's _defer chain, and each parked g's
 * frames for pending open-coded defers, which the runtime finds the same way on a panic
 * (FUNCDATA_OpenCodedDeferInfo). Those run inline, where no probe would retire them:
 * live, they are not seeded but re-read at each snapshot (CENSUS_UNPROBED).
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "disasm.h"
#include "elfsym.h"
#include "runtime.h"
#include "runtimes/go_pcln.h"

#define MAX_RETURNS 24
#define PROLOGUE_MAX_INSNS 6
#define PROLOGUE_MAX_BYTES 64
/* g.atomicstatus: _Gscan is or-ed into the state while the GC scans the stack. */
#define G_SCAN 0x1000
#define G_DEAD 6
#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_HDR 32
#define BUILDINFO_INLINE 0x2
#define ALLGS_CHUNK 512
#define G_HEAD_MAX 1024		/* bytes of a g read at once: every field the walks use */
#define G_RUNNABLE 1
#define G_SYSCALL 3
#define G_WAITING 4
#define G_PREEMPTED 9
#define FUNCDATA_OPEN_CODED_DEFER_INFO 4
#define ALLGS_DECODE_BYTES 256
#define OPEN_DEFERS_MAX 8		/* deferBits is one byte */
#define WALK_MAX_FRAMES 256
#define SQL_PREFIX "database/sql."

/* Go's own site kinds:
 * SITE_GO_BORROW   a pool get's site: a return address outside database/sql, whose
 *                  lines inlined from database/sql (db.Query into the caller, say) are
 *                  passed over too;
 * SITE_GO_CREATED  a goroutine's `go` statement: addr is g.gopc (the return address of
 *                  its call to runtime.newproc), aux g.startpc (the function it runs). */
enum { SITE_GO_BORROW = SITE_RUNTIME, SITE_GO_CREATED };

/* Offsets the probes and walks use: each field by its DWARF type and member, then its
 * offset per release for binaries without DWARF (-1: not in that release). Layouts only
 * change between minor releases. Measured with DWARF on binaries built by Debian's
 * go1.19.8, go1.21.13, go1.22.12 and go1.23.5, and by go1.17.13, go1.18.10 and go1.20.14
 * built from their release tags. */
enum go_off {
	O_G_DEFER, O_G_STATUS, O_G_GOID, O_G_GOPC, O_G_STARTPC,	/* runtime.g */
	O_G_STACK, O_G_SCHED_PC, O_G_SCHED_BP,
	O_D_PC, O_D_FN, O_D_LINK,				/* runtime._defer */
	/* Fields non-zero in records standing for no defer statement: _defer.openDefer
	 * (bool, before 1.22: a frame of open-coded defers during a panic), _defer.head
	 * (pointer, 1.22+: the head record of a range-over-func loop, popped once its list
	 * is spliced in, when rangefunc is already cleared). */
	O_D_OPENDEFER, O_D_HEAD,
	O__COUNT
};
#define GO_TABLE_FIRST 17	/* go1.17 is column 0 */
#define GO_TABLE_N 7		/* to go1.23 */
#define O_OPTIONAL(i) ((i) == O_D_OPENDEFER || (i) == O_D_HEAD)

static const struct {
	const char *type, *member;
	long v[GO_TABLE_N];	/* go1.17 ... go1.23 */
} offs_spec[O__COUNT] = {
	[O_G_DEFER] = { "runtime.g", "_defer", { 40, 40, 40, 40, 40, 40, 40 } },
	[O_G_STATUS] = { "runtime.g", "atomicstatus", { 144, 144, 144, 144, 144, 144, 152 } },
	[O_G_GOID] = { "runtime.g", "goid", { 152, 152, 152, 152, 152, 152, 160 } },
	[O_G_GOPC] = { "runtime.g", "gopc", { 296, 296, 296, 296, 280, 280, 288 } },
	[O_G_STARTPC] = { "runtime.g", "startpc", { 312, 312, 312, 312, 296, 296, 304 } },
	[O_G_STACK] = { "runtime.g", "stack.lo", { 0, 0, 0, 0, 0, 0, 0 } },
	[O_G_SCHED_PC] = { "runtime.g", "sched.pc", { 64, 64, 64, 64, 64, 64, 64 } },
	[O_G_SCHED_BP] = { "runtime.g", "sched.bp", { 104, 104, 104, 104, 104, 104, 104 } },
	[O_D_PC] = { "runtime._defer", "pc", { 16, 16, 16, 16, 16, 16, 16 } },
	[O_D_FN] = { "runtime._defer", "fn", { 24, 24, 24, 24, 24, 24, 24 } },
	[O_D_LINK] = { "runtime._defer", "link", { 40, 40, 40, 40, 40, 32, 32 } },
	/* 1.17 has openDefer at 6, after its siz field */
	[O_D_OPENDEFER] = { "runtime._defer", "openDefer", { 6, 2, 2, 2, 2, -1, -1 } },
	[O_D_HEAD] = { "runtime._defer", "head", { -1, -1, -1, -1, -1, 40, 40 } },
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
};

/* What go_open resolves once for a target. */
struct go_rt {
	struct go g;
	const struct go_pcln *pl;	/* NULL: no pclntab codefer reads (before 1.18) */
};

static const char *const state_names[] = {
	"idle", "runnable", "running", "syscall", "waiting", "moribund", "dead", "enqueue",
	"copystack", "preempted",
};

/* The version string of .go.buildinfo (Go 1.18+: inline, length-prefixed at +32;
 * before: a pointer to a string header at +16). 0, or -1 when absent. */
static int buildinfo_version(struct elf_file *e, char *buf, size_t len)
{
	const uint8_t *p, *s;
	uint64_t str[2], vaddr;
	uint32_t n;
	size_t size;

	p = elf_section(e, ".go.buildinfo", &size, &vaddr);
	if (!p || size < BUILDINFO_HDR || memcmp(p, BUILDINFO_MAGIC, 14) || p[14] != 8)
		return -1;
	if (p[15] & BUILDINFO_INLINE) {
		if (!(s = go_uvarint(p + BUILDINFO_HDR, p + size, &n)) || n > size - (size_t)(s - p))
			return -1;
		snprintf(buf, len, "%.*s", (int)n, s);
		return 0;
	}
	vaddr = u64_at(p, 16);
	if (elf_read_vaddr(e, vaddr, str, sizeof(str)) || str[1] >= len ||
	    elf_read_vaddr(e, str[0], buf, str[1]))
		return -1;
	buf[str[1]] = 0;
	return 0;
}

static int go_detect(struct target *t)
{
	struct module *exe = target_module(t, NULL);
	struct elf_file *e = exe ? module_elf(exe) : NULL;
	char v[32];

	if (target_sym(t, NULL, "runtime.newproc1", NULL))
		return 20;
	/* A stripped Go binary still has its build info: detect it, so that plan() can say
	 * why it cannot be probed. */
	return e && !buildinfo_version(e, v, sizeof(v)) ? 20 : 0;
}

/* Every offset from DWARF, else from the column of this release. 0, or -1. */
static int go_offsets(struct go *g)
{
	int i, col = g->minor - GO_TABLE_FIRST, missing = 0;

	for (i = 0; i < O__COUNT; i++) {
		g->o[i] = elf_dwarf_member_offset(g->elf, offs_spec[i].type, offs_spec[i].member);
		missing |= g->o[i] < 0 && !O_OPTIONAL(i);
	}
	snprintf(g->o_from, sizeof(g->o_from), "DWARF");
	if (missing) {
		if (strncmp(g->version, "go1.", 4) || col < 0 || col >= GO_TABLE_N)
			return -1;
		for (i = 0; i < O__COUNT; i++)
			g->o[i] = offs_spec[i].v[col];
		snprintf(g->o_from, sizeof(g->o_from), "table for go1.%d", g->minor);
	}
	g->d_skip = g->o[O_D_OPENDEFER] >= 0 ? g->o[O_D_OPENDEFER] : g->o[O_D_HEAD];
	g->d_skip_size = g->o[O_D_OPENDEFER] >= 0 ? 1 : 8;
	/* One read per g in the census: up to the end of the last field used. */
	for (g->g_head = 0, i = O_G_DEFER; i <= O_G_SCHED_BP; i++)
		if ((size_t)g->o[i] + (i == O_G_STACK ? 16 : 8) > g->g_head)
			g->g_head = (size_t)g->o[i] + (i == O_G_STACK ? 16 : 8);
	return g->g_head <= G_HEAD_MAX ? 0 : -1;
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
	int major = 0;

	memset(g, 0, sizeof(*g));
	/* Without .symtab, the functions come from the pclntab. */
	if (exe && module_elf(exe))
		r->pl = go_pcln_of(exe->elf);
	if (!target_sym(t, NULL, "runtime.newproc1", &g->mod)) {
		if (exe && module_elf(exe) && !buildinfo_version(exe->elf, g->version,
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
	if (!g->elf || buildinfo_version(g->elf, g->version, sizeof(g->version)))
		snprintf(g->version, sizeof(g->version), "go (unknown version)");
	if (sscanf(g->version, "go%d.%d", &major, &g->minor) == 2 &&
	    (major != 1 || g->minor < 17)) {
		snprintf(err, errlen, "%s: Go before 1.17 has no register ABI (R14 = g) on "
			 "x86-64: not supported", g->version);
		return EXIT_NO_RUNTIME;
	}
	if (go_offsets(g)) {
		snprintf(err, errlen, "%s: %s has no DWARF (built with -ldflags=-w?) and codefer "
			 "has offset tables for go1.%d to go1.%d only", g->version, g->mod->path,
			 GO_TABLE_FIRST, GO_TABLE_FIRST + GO_TABLE_N - 1);
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

/* Adds a probe on each return instruction of `sym`. */
static int add_returns(struct probe_plan *p, struct go *g, const char *sym,
		       const struct probe_cfg *cfg, char *err, size_t errlen)
{
	const struct elf_sym *s = elf_sym_by_name(g->elf, sym);
	uint64_t rets[MAX_RETURNS];
	char desc[160];
	int i, n, r;

	n = s ? disasm_returns(g->elf, s->value, s->size, rets, MAX_RETURNS) : -1;
	if (n <= 0 || n == MAX_RETURNS) {
		snprintf(err, errlen, "%s: %s", sym, !s ? "symbol not found" : n <= 0 ?
			 "no return instruction found" : "too many return instructions");
		return EXIT_SYMBOL;
	}
	for (i = 0; i < n; i++) {
		snprintf(desc, sizeof(desc), "%s+0x%llx (return)", sym,
			 (unsigned long long)(rets[i] - s->value));
		if ((r = plan_add(p, g->mod, rets[i], desc, cfg, err, errlen)))
			return r;
	}
	return 0;
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

static int plan_pool(struct probe_plan *p, struct go *g, char *err, size_t errlen)
{
	struct probe_cfg save_db = { .kind = EV_SAVE, .slot = 0, .save = loc_reg(CFREG_RAX) };
	struct probe_cfg save_pc = { .kind = EV_SAVE, .slot = 1,
				     .save = loc_deref(loc_reg(CFREG_RSP), 0, 8) };
	struct probe_cfg get = {
		.kind = EV_POOL_GET, .flags = PF_COND_ZERO | PF_SITE_SKIP, .site_kind = SITE_GO_BORROW,
		.pool = { .base = LOC_SAVED, .reg = 0 }, .site = { .base = LOC_SAVED, .reg = 1 },
		.conn = loc_reg(CFREG_RAX), .cond = loc_reg(CFREG_RBX),
	};
	struct probe_cfg put = { .kind = EV_POOL_PUT, .pool = loc_reg(CFREG_RAX),
				 .conn = loc_reg(CFREG_RBX) };
	const struct elf_sym *conn = elf_sym_by_name(g->elf, "database/sql.(*DB).conn");
	struct pkg_span sql;
	int r;

	if (!conn || !elf_sym_by_name(g->elf, "database/sql.(*DB).putConn")) {
		plan_note(p, "pools: database/sql is not linked in: no pool probes");
		return 0;
	}
	/* Go keeps frame pointers: the site is the first caller outside database/sql. */
	sql = pkg_span_of(g->elf, SQL_PREFIX, conn->value);
	get.site_skip_lo = sql.lo + g->mod->bias;
	get.site_skip_hi = sql.hi + g->mod->bias;
	save_db.co = save_pc.co = get.co = put.co = goid_of(g, CFREG_R14);
	if ((r = add_entry(p, g, "database/sql.(*DB).conn", &save_db, err, errlen)) ||
	    (r = add_entry(p, g, "database/sql.(*DB).conn", &save_pc, err, errlen)) ||
	    (r = add_returns(p, g, "database/sql.(*DB).conn", &get, err, errlen)) ||
	    (r = add_entry(p, g, "database/sql.(*DB).putConn", &put, err, errlen)))
		return r;
	plan_note(p, "pools: each *sql.DB; a get is (*DB).conn returning no error, its site "
		  "the first caller outside database/sql (ELF [0x%llx, 0x%llx)), at most %d frames up",
		  (unsigned long long)sql.lo, (unsigned long long)sql.hi, MAX_SKIP_FRAMES);
	plan_note(p, "pools: the census cannot tell which goroutine holds a connection: "
		  "only connections taken after attach are seen");
	return 0;
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
	int ret;

	snprintf(p->version, sizeof(p->version), "%s", g->version);
	p->pools_need_round_trip = 0;

	create.co = goid_of(g, CFREG_RAX);
	create.site = loc_deref(loc_reg(CFREG_RAX), g->o[O_G_GOPC], 8);
	create.site_aux = loc_deref(loc_reg(CFREG_RAX), g->o[O_G_STARTPC], 8);
	exit_.co = defer.co = run.co = goid_of(g, CFREG_R14);
	if (g->d_skip >= 0) {
		/* popDefer(gp) unlinks gp._defer; freedefer(d) gets the record itself. */
		run.cond = loc_reg(CFREG_RAX);
		if (!strcmp(g->run_fn, "runtime.popDefer"))
			run.cond = loc_deref(run.cond, g->o[O_G_DEFER], 8);
		run.cond = loc_deref(run.cond, g->d_skip, g->d_skip_size);
		run.flags = PF_COND_ZERO;
	}
	if ((ret = add_returns(p, g, "runtime.newproc1", &create, err, errlen)) ||
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
	plan_note(p, "offsets (%s): g->goid %ld g->_defer %ld g->atomicstatus %ld g->startpc %ld "
		  "g->stack %ld g->sched.pc %ld g->sched.bp %ld, _defer.pc %ld fn %ld link %ld",
		  g->o_from, g->o[O_G_GOID], g->o[O_G_DEFER], g->o[O_G_STATUS], g->o[O_G_STARTPC], g->o[O_G_STACK],
		  g->o[O_G_SCHED_PC], g->o[O_G_SCHED_BP], g->o[O_D_PC], g->o[O_D_FN], g->o[O_D_LINK]);
	plan_note(p, "defers: registered in deferproc, deferprocStack, deferprocat; run: %s; "
		  "open-coded defers (<= 8 in a function, not in a loop) make no runtime call: "
		  "read from parked goroutines' frames at each snapshot instead (%s)", g->run_fn,
		  g->minor >= 18 ? "Go 1.18+ pclntab" : "not before Go 1.18: invisible");
	plan_note(p, "census: runtime.allgs at ELF 0x%llx (%s)",
		  (unsigned long long)(g->allgs - g->mod->bias), g->allgs_from);
	if (r->pl)
		plan_note(p, "pclntab at ELF 0x%llx: %s%s; text from %s, funcdata from %s",
			  (unsigned long long)r->pl->vaddr,
			  r->pl->added_funcs ? "function symbols (no .symtab)" : "frames",
			  elf_file_has_dwarf(g->elf) ? "" : ", lines (no DWARF)", r->pl->text_from,
			  r->pl->gofunc_from);
	if (g->d_skip >= 0)
		plan_note(p, "defers: records with _defer+%ld set (%s) are not counted",
			  g->d_skip, g->d_skip_size == 1 ? "openDefer: frames of open-coded defers"
							   : "head: range-over-func loop heads");
	return 0;
}

struct defer_rec {
	uint64_t fn, pc;
};

/* A _defer chain (newest first, from g._defer d), added to co oldest first. 0, or -1
 * when cut short. */
static int walk_defers(struct target *t, const struct go *g, uint64_t d, struct census_coro *co)
{
	struct defer_rec *recs = NULL, *tmp;
	size_t n = 0, cap = 0;
	uint64_t fv, skip;
	int ret = 0;

	for (; d; ) {
		if (n == WALK_MAX_DEFERS) {
			ret = -1;	/* a cycle, or a runaway chain */
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(tmp = realloc(recs, cap * sizeof(*recs)))) {
				ret = -1;
				break;
			}
			recs = tmp;
		}
		skip = 0;
		if ((g->d_skip >= 0 && target_read(t, d + g->d_skip, &skip, g->d_skip_size)) ||
		    target_read_u64(t, d + g->o[O_D_PC], &recs[n].pc) ||
		    target_read_u64(t, d + g->o[O_D_FN], &fv)) {
			ret = -1;
			break;
		}
		/* fn is a *funcval whose first word is the code address. */
		if (!fv || target_read_u64(t, fv, &recs[n].fn))
			recs[n].fn = 0;
		if (!skip)
			n++;
		if (target_read_u64(t, d + g->o[O_D_LINK], &d)) {
			ret = -1;
			break;
		}
	}
	while (n--) {
		struct site fn = { .addr = recs[n].fn, .kind = SITE_FUNC };
		struct site at = { .addr = recs[n].pc, .kind = SITE_PC };

		if (census_add_defer(co, &fn, &at)) {
			ret = -1;
			break;
		}
	}
	free(recs);
	return ret;
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

struct open_defer {
	uint64_t fn;
	struct site at;
};

/* Where an open-coded defer was registered. The compiler wraps a deferred call with
 * arguments, or a method call, in a closure of the deferring function written at the
 * defer statement (f.deferwrapN from Go 1.21, f.funcN before), as is a deferred func
 * literal: the closure's first line is the statement's. Otherwise (defer g(), g a
 * named function) only the line the frame is at now is known. */
static struct site open_defer_site(const struct go *g, uint64_t fn, uint64_t pc)
{
	const struct elf_sym *frame = elf_sym_by_addr(g->elf, pc - g->mod->bias);
	const struct elf_sym *clo = fn ? elf_sym_by_addr(g->elf, fn - g->mod->bias) : NULL;
	size_t n = frame ? strlen(frame->name) : 0;

	if (clo && n && clo->value + g->mod->bias == fn && !strncmp(clo->name, frame->name, n) &&
	    clo->name[n] == '.' &&
	    (!strncmp(clo->name + n + 1, "func", 4) || !strncmp(clo->name + n + 1, "deferwrap", 9)))
		return (struct site){ .addr = fn, .kind = SITE_FUNC };
	return (struct site){ .addr = pc, .kind = SITE_PC };
}

/* The pending open-coded defers of a parked g (at gp, its head already read into gh),
 * outermost frame first: frame pointers from g.sched; each frame of a function with
 * open-coded defers keeps deferBits (bit i: its i-th defer statement ran and its call
 * is pending) and the closures below its frame pointer. Bounded by the g's stack and
 * WALK_MAX_FRAMES. */
static int walk_open_defers(struct target *t, const struct go *g, const struct go_pcln *pl,
			    uint64_t gp, const uint8_t *gh, struct census_coro *co)
{
	struct open_defer found[64];
	size_t n = 0;
	uint64_t stack[2], pc, bp, next[2], fv, at, pc0, bp0;
	struct open_defer_info info;
	const uint8_t *fn;
	uint8_t bits;
	int depth, i, ret = 0;

	stack[0] = u64_at(gh, g->o[O_G_STACK]);
	stack[1] = u64_at(gh, g->o[O_G_STACK] + 8);
	pc = pc0 = u64_at(gh, g->o[O_G_SCHED_PC]);
	bp = bp0 = u64_at(gh, g->o[O_G_SCHED_BP]);
	for (depth = 0; depth < WALK_MAX_FRAMES && pc; depth++) {
		if (bp < stack[0] || bp + 16 > stack[1])
			break;
		fn = go_pcln_func(pl, pc - g->mod->bias, NULL);
		if (!fn)
			break;
		if (!open_defer_info(g, pl, fn, &info) && info.bits_off < bp - stack[0] &&
		    !target_read(t, bp - info.bits_off, &bits, 1)) {
			for (i = OPEN_DEFERS_MAX - 1; i >= 0; i--) {
				if (!(bits & 1u << i))
					continue;
				if (n == sizeof(found) / sizeof(found[0])) {
					ret = -1;
					break;
				}
				at = g->minor >= 22 ? bp - info.slots_off + (uint64_t)i * 8
						    : bp - info.closure_off[i];
				/* A slot holds a func value: a *funcval whose first word is code. */
				if ((g->minor < 22 && (uint32_t)i >= info.n) ||
				    target_read_u64(t, at, &fv) || !fv || target_read_u64(t, fv, &fv))
					fv = 0;
				found[n].fn = fv;
				found[n++].at = open_defer_site(g, fv, pc);
			}
		}
		if (target_read(t, bp, next, sizeof(next)) || next[0] <= bp)
			break;
		bp = next[0];
		pc = next[1];
	}
	/* A live g that ran meanwhile left frames that are no longer the ones read: its
	 * saved registers tell. Its defers are read at the next walk. */
	if (n && (target_read_u64(t, gp + g->o[O_G_SCHED_PC], &pc) ||
		  target_read_u64(t, gp + g->o[O_G_SCHED_BP], &bp) || pc != pc0 || bp != bp0))
		return 0;
	/* Inner frames and later bits are newer: add in reverse. */
	while (n--) {
		struct site fn_site = { .addr = found[n].fn, .kind = SITE_FUNC };

		if (census_add_defer(co, &fn_site, &found[n].at))
			return -1;
	}
	return ret;
}

static int go_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	uint64_t hdr[3], gps[ALLGS_CHUNK], goid;
	uint8_t gh[G_HEAD_MAX];
	struct census_coro *co;
	size_t i, j, n;
	uint32_t status;
	struct go_rt *r = rc->priv;
	const struct go *g = &r->g;
	struct target *t = rc->t;
	int have_pcln;
	/* One read per g: up to the last field used. */
	snprintf(c->version, sizeof(c->version), "%s", g->version);
	have_pcln = c->scope != CENSUS_PROBED && r->pl;
	/* allgs is a []*g: pointer, length, capacity. */
	if (!g->allgs || target_read(t, g->allgs, hdr, sizeof(hdr)) || hdr[1] > hdr[2]) {
		snprintf(err, errlen, "cannot read runtime.allgs");
		return g->allgs ? EXIT_BAD_CORE : EXIT_SYMBOL;
	}
	if (hdr[1] > WALK_MAX_COROS) {
		snprintf(c->warning, sizeof(c->warning), "allgs has %llu entries: walked %d",
			 (unsigned long long)hdr[1], WALK_MAX_COROS);
		hdr[1] = WALK_MAX_COROS;
	}
	for (i = 0; i < hdr[1]; i += n) {
		n = hdr[1] - i < ALLGS_CHUNK ? hdr[1] - i : ALLGS_CHUNK;
		if (target_read(t, hdr[0] + i * 8, gps, n * 8)) {
			snprintf(c->warning, sizeof(c->warning), "allgs unreadable at entry %zu", i);
			break;
		}
		for (j = 0; j < n; j++) {
			if (target_read(t, gps[j], gh, g->g_head)) {
				snprintf(c->warning, sizeof(c->warning),
					 "unreadable g at 0x%llx", (unsigned long long)gps[j]);
				continue;
			}
			status = u32_at(gh, g->o[O_G_STATUS]) & ~G_SCAN;
			goid = u64_at(gh, g->o[O_G_GOID]);
			if (status == G_DEAD)
				continue;
			if (!(co = census_add_coro(c, goid)))
				return 0;
			snprintf(co->state, sizeof(co->state), "%s",
				 status < sizeof(state_names) / sizeof(state_names[0]) ?
				 state_names[status] : "?");
			co->create_site = (struct site){ .kind = SITE_GO_CREATED,
							 .addr = u64_at(gh, g->o[O_G_GOPC]),
							 .aux = u64_at(gh, g->o[O_G_STARTPC]) };
			/* A running g's saved registers are stale; syscall saves BP from 1.23. */
			if (have_pcln && (status == G_RUNNABLE || status == G_WAITING ||
					  status == G_PREEMPTED ||
					  (status == G_SYSCALL && g->minor >= 23)) &&
			    walk_open_defers(t, g, r->pl, gps[j], gh, co))
				snprintf(c->warning, sizeof(c->warning),
					 "goroutine %llu: frame walk cut short",
					 (unsigned long long)goid);
			if (c->scope != CENSUS_UNPROBED &&
			    walk_defers(t, g, u64_at(gh, g->o[O_G_DEFER]), co))
				snprintf(c->warning, sizeof(c->warning),
					 "goroutine %llu: defer chain cut short",
					 (unsigned long long)goid);
		}
	}
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
	if (n > 0 && (size_t)n < len && !elf_dwarf_line(e, gopc - m->bias - 1, NULL, &file, &line)) {
		base = strrchr(file, '/');
		snprintf(buf + n, len - n, " at %s:%d", base ? base + 1 : file, line);
	}
}

static void go_describe_site(struct rt_ctx *c, const struct site *s, char *buf, size_t len)
{
	if (s->kind == SITE_GO_CREATED)
		describe_created(c->t, s->addr, buf, len);
	else
		target_describe_pc(c->t, s->addr, 1, SQL_PREFIX, buf, len);
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

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	c->priv = r;
	return go_resolve(c->t, r, err, errlen);
}

static void go_close(struct rt_ctx *c)
{
	free(c->priv);
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
	.has_unprobed = 1,
	.describe_site = go_describe_site,
	.start_site = go_start_site,
};
