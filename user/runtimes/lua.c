// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `lua` profile: PUC Lua 5.4 (5.4.3+, where pending to-be-closed variables form the
 * lua_State.tbclist chain), 5.3 and 5.1, in the interpreter or in any program linked
 * with liblua; the release is read from the target's lua_ident. A coroutine's id is its
 * lua_State address; a defer is a pending `local x <close>` (or a generic for's closing
 * value, or a lua_toclose slot): 5.3 and 5.1 have none.
 *
 * Probe points, none of them a uretprobe, all found from the public API by decoding,
 * so they work on the stripped interpreter as well as with the -dbg symbols:
 *   create    the call of stack_init(L1, L) inside lua_newthread (5.1: inside
 *             luaE_newthread, which lua_newthread calls): RDI is the new thread, RSI
 *             the creating one, whose caller's frame (the Lua function that called
 *             coroutine.create/wrap) gives the site
 *   defer     (5.4) luaF_newtbcupval (the one call of lua_toclose; OP_TBC and
 *             OP_TFORPREP call it directly), at its store to L->tbclist: past the early
 *             return for false/nil values and the error for values without __close, so
 *             only real registrations count; the site is L->ci's function and saved pc
 *   defer-run (5.4) luaF_close (the call of lua_closeslot), at its store to L->tbclist,
 *             done once per variable it pops before calling its __close: block exits,
 *             returns, errors, coroutine.close and lua_settop alike
 *   exit      luaE_freethread(L, L1) entry (-dbg symbols), or without them its first
 *             call, of luaF_closeupval(L1, L1->stack) (5.4) or luaF_close(L1, L1->stack)
 *             (5.3, 5.1): the GC frees the thread. A thread whose body returned, or
 *             that coroutine.close() closed, lives until then.
 * A site is (Proto *, saved pc): describe_site turns it into chunk:line.
 *
 * The census finds a lua_State through a word in the main thread's stack or in the
 * executable's data (lua.c keeps its state in `globalL`), checks it against its
 * global_State (L->l_G->mainthread->l_G == L->l_G, and the main state sits right before
 * its global_State), and walks g->allgc (5.1: g->rootgc) for threads.
 */
#define _GNU_SOURCE	/* memmem */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "disasm.h"
#include "elfsym.h"
#include "runtime.h"

enum {
	SITE_LUA = SITE_RUNTIME,	/* addr: Proto *, aux: saved pc into Proto.code */
	SITE_LUA_DEF,			/* addr: Proto *: where its function is defined */
};

#define LUA_TTHREAD 8
#define LUA_TFUNCTION 6
#define LUA_TAG_LCL 0x46		/* 5.3+: tagged Lua closure (ctb(LUA_VLCL)) */
#define LUA_TAG_THREAD 0x48		/* 5.3+: tagged thread (ctb(LUA_VTHREAD)) */
#define CIST_C_54 (1u << 1)		/* 5.4: a C frame */
#define CIST_LUA_53 (1u << 1)		/* 5.3: a Lua frame */
#define LUA51_CL_ISC 10			/* 5.1: Closure.isC, after next, tt and marked */
#define CIST_FRESH_54 (1u << 2)		/* a fresh luaV_execute: resume's call of the body */
#define CIST_FRESH_53 (1u << 3)
#define LUA_YIELD 1
#define TBC_MAXDELTA 0xffffu		/* a delta of 0 marks a dummy node this far down */

#define FN_MAX_BYTES 8192		/* decoding bound for one function */
#define FN_MAX_INSNS 2048
#define TEXT_MAX_BYTES (16u << 20)
#define MAX_STORES 8
#define ALLGC_MAX_OBJECTS (64u << 20)
#define PROTOS_MAX (4u << 20)
#define CI_MAX 200000			/* LUAI_MAXCCALLS-bound call depth, with margin */
#define ABSLINE_MAX 65536
#define LOCVARS_MAX 65536
#define STACK_SCAN_BYTES (512u << 10)
#define DATA_SCAN_BYTES (1u << 20)
#define SCAN_CHUNK 4096

/* The releases codefer reads, as indexes into the offset tables. */
enum flavour { L54, L53, L51, L__COUNT };

/* Offsets the probes and walkers use: one table per field, the DWARF type and member
 * (`alt`: the member's name in 5.1 when it differs), then the x86-64 values measured on
 * Debian's builds (5.4.4, 5.3.6, 5.1.5) for binaries without DWARF; -1 where that
 * release has no such field. */
enum {
	O_L_STATUS, O_L_TOP, O_L_G, O_L_CI, O_L_SAVEDPC, O_L_STACK, O_L_TBCLIST, O_L_BASE_CI,
	O_CI_FUNC, O_CI_PREVIOUS, O_CI_NEXT, O_CI_SAVEDPC, O_CI_CALLSTATUS,
	O_G_ALLGC, O_G_MAINTHREAD,
	O_CL_P, O_CCL_UPVALUE,
	O_P_TT, O_P_SIZECODE, O_P_SIZELOCVARS, O_P_SIZEABS, O_P_LINEDEFINED, O_P_CODE,
	O_P_LINEINFO, O_P_ABSLINEINFO, O_P_LOCVARS, O_P_SOURCE,
	O_TS_CONTENTS,
	O__COUNT,
};

static const struct {
	const char *type, *member, *alt;
	long v[L__COUNT];
} offs_spec[O__COUNT] = {
	[O_L_STATUS] = { "lua_State", "status", NULL, { 10, 12, 10 } },
	[O_L_TOP] = { "lua_State", "top", NULL, { 16, 16, 16 } },
	[O_L_G] = { "lua_State", "l_G", NULL, { 24, 24, 32 } },
	[O_L_CI] = { "lua_State", "ci", NULL, { 32, 32, 40 } },
	[O_L_SAVEDPC] = { "lua_State", "savedpc", NULL, { -1, -1, 48 } },
	[O_L_STACK] = { "lua_State", "stack", NULL, { 48, 56, 64 } },
	[O_L_TBCLIST] = { "lua_State", "tbclist", NULL, { 64, -1, -1 } },
	/* 5.1: a pointer to the CallInfo array; later, the first CallInfo itself. */
	[O_L_BASE_CI] = { "lua_State", "base_ci", NULL, { 96, 96, 80 } },
	[O_CI_FUNC] = { "CallInfo", "func", NULL, { 0, 0, 8 } },
	[O_CI_PREVIOUS] = { "CallInfo", "previous", NULL, { 16, 16, -1 } },
	[O_CI_NEXT] = { "CallInfo", "next", NULL, { 24, 24, -1 } },
	[O_CI_SAVEDPC] = { "CallInfo", "u.l.savedpc", "savedpc", { 32, 40, 24 } },
	[O_CI_CALLSTATUS] = { "CallInfo", "callstatus", NULL, { 62, 66, -1 } },
	[O_G_ALLGC] = { "global_State", "allgc", "rootgc", { 112, 88, 40 } },
	[O_G_MAINTHREAD] = { "global_State", "mainthread", NULL, { 264, 200, 176 } },
	[O_CL_P] = { "LClosure", "p", NULL, { 24, 24, 32 } },
	[O_CCL_UPVALUE] = { "CClosure", "upvalue", NULL, { 32, 32, 40 } },
	[O_P_TT] = { "Proto", "tt", NULL, { 8, 8, 8 } },
	[O_P_SIZECODE] = { "Proto", "sizecode", NULL, { 24, 24, 80 } },
	[O_P_SIZELOCVARS] = { "Proto", "sizelocvars", NULL, { 36, 36, 92 } },
	[O_P_SIZEABS] = { "Proto", "sizeabslineinfo", NULL, { 40, -1, -1 } },
	[O_P_LINEDEFINED] = { "Proto", "linedefined", NULL, { 44, 40, 96 } },
	[O_P_CODE] = { "Proto", "code", NULL, { 64, 56, 24 } },
	[O_P_LINEINFO] = { "Proto", "lineinfo", NULL, { 88, 72, 40 } },
	[O_P_ABSLINEINFO] = { "Proto", "abslineinfo", NULL, { 96, -1, -1 } },
	[O_P_LOCVARS] = { "Proto", "locvars", NULL, { 104, 80, 48 } },
	[O_P_SOURCE] = { "Proto", "source", NULL, { 112, 104, 64 } },
	/* 5.3 and 5.1 have no member: the text follows the 24-byte header. */
	[O_TS_CONTENTS] = { "TString", "contents", NULL, { 24, 24, 24 } },
};

/* Per release: sizeof(lua_State) (the main state's global_State follows it, in LG),
 * sizeof(CallInfo) (5.1 keeps them in an array), the Proto tag, and the releases whose
 * table holds. */
static const struct {
	const char *name, *releases;
	long state_size, ci_size;
	uint8_t proto_tt;
} flavours[L__COUNT] = {
	/* tbclist appeared in 5.4.3; 5.4.7 and 5.4.8 change no structure codefer reads */
	[L54] = { "5.4", "345678", 200, 64, 10 },
	[L53] = { "5.3", "0123456", 208, 72, 9 },
	[L51] = { "5.1", "012345", 184, 40, 9 },
};

struct lua {
	struct module *mod;
	struct elf_file *elf;
	enum flavour fl;
	char version[32];
	long o[O__COUNT];
	long state_size, ci_size;
	int from_dwarf;
	uint64_t g;		/* the global_State the last census found */
};

/* "Lua 5.4.4" from lua_ident ("$LuaVersion: Lua 5.4.4  Copyright ...", 5.1: "$Lua: Lua
 * 5.1.5 Copyright ..."), read from the file: it is constant data. 0, or -1. */
static int ident_version(struct elf_file *e, char *buf, size_t len)
{
	const struct elf_sym *s = elf_sym_by_name(e, "lua_ident");
	char ident[80], *p, *end;

	if (!s || elf_read_vaddr(e, s->value, ident, sizeof(ident) - 1))
		return -1;
	ident[sizeof(ident) - 1] = 0;
	if (!(p = strstr(ident, "Lua 5.")))
		return -1;
	for (end = p + 4; *end && *end != ' '; end++)
		;
	snprintf(buf, len, "%.*s", (int)(end - p), p);
	return 0;
}

/* The module with PUC Lua's C API (lua_newthread; LuaJIT, which exports it too, has
 * luaJIT_setmode and is not this runtime), its release in *fl. NULL when none, or a
 * release codefer cannot read (5.0, 5.2). */
static struct module *lua_module(struct target *t, enum flavour *fl, char *version, size_t len)
{
	struct module *m;
	char v[32];
	int i;

	if (!target_sym(t, NULL, "lua_newthread", &m) || target_sym(t, m, "luaJIT_setmode", NULL) ||
	    !module_elf(m))
		return NULL;
	/* An embedder may strip lua_ident: lua_toclose is 5.4's alone. */
	if (ident_version(m->elf, v, sizeof(v)))
		snprintf(v, sizeof(v), "Lua 5.4 (unknown release)");
	if (!target_sym(t, m, "lua_toclose", NULL) && !strcmp(v, "Lua 5.4 (unknown release)"))
		return NULL;
	for (i = 0; i < L__COUNT; i++)
		if (!strncmp(v + 4, flavours[i].name, 3) && (v[7] == '.' || v[7] == ' ' || !v[7]))
			break;
	if (i == L__COUNT)
		return NULL;
	if (fl)
		*fl = i;
	if (version)
		snprintf(version, len, "%s", v);
	return m;
}

static int lua_detect(struct target *t)
{
	return lua_module(t, NULL, NULL, 0) ? 20 : 0;
}

/* Everything the plan, census and sites need. 0, or an exit code with err set. */
static int lua_resolve(struct target *t, struct lua *l, char *err, size_t errlen)
{
	int i, missing = 0;
	long v;

	memset(l, 0, sizeof(*l));
	if (!(l->mod = lua_module(t, &l->fl, l->version, sizeof(l->version))) ||
	    !(l->elf = module_elf(l->mod))) {
		snprintf(err, errlen, "no Lua 5.1, 5.3 or 5.4 (lua_newthread, lua_ident) in the target");
		return EXIT_NO_RUNTIME;
	}
	for (i = 0; i < O__COUNT; i++) {
		if (offs_spec[i].v[l->fl] < 0) {
			l->o[i] = -1;
			continue;
		}
		v = elf_dwarf_member_offset(l->elf, offs_spec[i].type, offs_spec[i].member);
		if (v < 0 && offs_spec[i].alt)
			v = elf_dwarf_member_offset(l->elf, offs_spec[i].type, offs_spec[i].alt);
		/* A TString without `contents` (5.3, 5.1) is no sign of missing DWARF. */
		if (v < 0 && i == O_TS_CONTENTS && l->fl != L54)
			v = offs_spec[i].v[l->fl];
		l->o[i] = v;
		missing |= v < 0;
	}
	l->state_size = elf_dwarf_type_size(l->elf, "lua_State");
	l->ci_size = elf_dwarf_type_size(l->elf, "CallInfo");
	if (!missing && l->state_size > 0 && l->ci_size > 0) {
		l->from_dwarf = 1;
		return 0;
	}
	if (!strchr(flavours[l->fl].releases, l->version[8]) || l->version[7] != '.' ||
	    l->version[9]) {
		snprintf(err, errlen, "%s: %s has no DWARF and codefer has offsets for Lua 5.4.3 "
			 "to 5.4.8, 5.3 and 5.1 only (install its -dbg package)", l->version,
			 l->mod->path);
		return EXIT_SYMBOL;
	}
	for (i = 0; i < O__COUNT; i++)
		l->o[i] = offs_spec[i].v[l->fl];
	l->state_size = flavours[l->fl].state_size;
	l->ci_size = flavours[l->fl].ci_size;
	return 0;
}
/* --- decoding ---------------------------------------------------------------------- */

static int loc_reg_of(x86_reg r, enum loc_reg *out)
{
	static const struct { x86_reg x; enum loc_reg l; } map[] = {
		{ X86_REG_RDI, CFREG_RDI }, { X86_REG_RSI, CFREG_RSI }, { X86_REG_RDX, CFREG_RDX },
		{ X86_REG_RCX, CFREG_RCX }, { X86_REG_R8, CFREG_R8 }, { X86_REG_R9, CFREG_R9 },
		{ X86_REG_RAX, CFREG_RAX }, { X86_REG_RBX, CFREG_RBX }, { X86_REG_RBP, CFREG_RBP },
		{ X86_REG_R10, CFREG_R10 }, { X86_REG_R11, CFREG_R11 }, { X86_REG_R12, CFREG_R12 },
		{ X86_REG_R13, CFREG_R13 }, { X86_REG_R14, CFREG_R14 }, { X86_REG_R15, CFREG_R15 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].x == r) {
			*out = map[i].l;
			return 0;
		}
	return -1;
}

/* What a function does that the plan looks for. */
struct fn_scan {
	uint64_t calls[16];		/* call instructions ... */
	uint64_t call_to[16];		/* ... and their direct targets (0: indirect) */
	int ncalls;
	uint64_t stores[MAX_STORES];	/* `mov [REG + disp], reg64` with disp = store_disp */
	enum loc_reg store_base[MAX_STORES];
	int nstores;
	uint64_t tail_to;		/* the first tail call's target, or 0 */
};

/* Decodes the function at `start` by following its control flow (a tail of padding or
 * the next function is never reached: there is no symbol size without the -dbg file),
 * recording calls and 8-byte register stores to [reg + store_disp]. 0, or -1. */
static int scan_fn(struct elf_file *e, uint64_t start, long store_disp, struct fn_scan *fs)
{
	uint64_t todo[64], seen[FN_MAX_INSNS], addr, tgt;
	int ntodo = 0, nseen = 0, i, ret = -1, stop;
	uint8_t code[FN_MAX_BYTES];
	size_t left, avail;
	const uint8_t *p;
	cs_insn *insn;
	cs_x86 *x;
	csh cs;

	memset(fs, 0, sizeof(*fs));
	/* A function near the end of its segment: read less. */
	for (avail = sizeof(code); avail >= 256 && elf_read_vaddr(e, start, code, avail);)
		avail /= 4;
	if (avail < 256)
		return -1;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	todo[ntodo++] = start;
	while (ntodo) {
		addr = todo[--ntodo];
		for (stop = 0; !stop;) {
			for (i = 0; i < nseen && seen[i] != addr; i++)
				;
			if (i < nseen || nseen == FN_MAX_INSNS || addr < start ||
			    addr >= start + avail)
				break;
			seen[nseen++] = addr;
			p = code + (addr - start);
			left = avail - (addr - start);
			if (!cs_disasm_iter(cs, &p, &left, &addr, insn))
				goto out;
			x = &insn->detail->x86;
			tgt = x->op_count == 1 && x->operands[0].type == X86_OP_IMM ?
			      (uint64_t)x->operands[0].imm : 0;
			switch (insn->id) {
			case X86_INS_RET:
			case X86_INS_UD2:
			case X86_INS_HLT:
			case X86_INS_INT3:
				stop = 1;
				break;
			case X86_INS_CALL:
				if (fs->ncalls < 16) {
					fs->calls[fs->ncalls] = insn->address;
					fs->call_to[fs->ncalls++] = tgt;
				}
				break;
			case X86_INS_JMP:
				/* A jump inside the function continues there; a tail call ends it. */
				if (tgt > start && tgt < start + avail && ntodo < 64)
					todo[ntodo++] = tgt;
				else if (tgt && !fs->tail_to)
					fs->tail_to = tgt;
				stop = 1;
				break;
			case X86_INS_MOV:
				if (x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
				    x->operands[0].size == 8 && x->operands[1].type == X86_OP_REG &&
				    x->operands[0].mem.disp == store_disp &&
				    x->operands[0].mem.index == X86_REG_INVALID &&
				    fs->nstores < MAX_STORES &&
				    !loc_reg_of(x->operands[0].mem.base, &fs->store_base[fs->nstores]))
					fs->stores[fs->nstores++] = insn->address;
				break;
			default:
				if (cs_insn_group(cs, insn, CS_GRP_JUMP) && tgt && ntodo < 64)
					todo[ntodo++] = tgt;
			}
		}
	}
	/* Calls in address order: "the last call" means the last one in the code. */
	for (i = 1; i < fs->ncalls; i++) {
		int j = i;

		while (j > 0 && fs->calls[j - 1] > fs->calls[j]) {
			uint64_t a = fs->calls[j], b = fs->call_to[j];

			fs->calls[j] = fs->calls[j - 1];
			fs->call_to[j] = fs->call_to[j - 1];
			fs->calls[j - 1] = a;
			fs->call_to[j - 1] = b;
			j--;
		}
	}
	ret = 0;
out:
	cs_free(insn, 1);
	cs_close(&cs);
	return ret;
}

/* The ELF vaddr of `sym` in the Lua module, or 0. */
static uint64_t sym_vaddr(const struct lua *l, const char *sym)
{
	const struct elf_sym *s = elf_sym_by_name(l->elf, sym);

	return s && s->is_func ? s->value : 0;
}

/* An internal function: by its symbol (-dbg), else the first direct call in `api`. */
static uint64_t internal_fn(const struct lua *l, const char *sym, const char *api)
{
	uint64_t a = sym_vaddr(l, sym), api_a = sym_vaddr(l, api);
	struct fn_scan fs;

	if (a || !api_a || scan_fn(l->elf, api_a, 0x7fffffff, &fs) || !fs.ncalls)
		return a;
	return fs.call_to[0];
}

/* Calls that pass a thread's stack base, `f(L1, L1->stack)`: RSI loaded from
 * lua_State.stack at most 16 bytes before a direct call. A linear sweep of .text; how
 * many were found (at most max). */
struct stack_call {
	uint64_t at, to;
};

static int stack_calls(const struct lua *l, struct stack_call *out, int max)
{
	uint64_t addr, vaddr, load_at = 0;
	const uint8_t *text, *p;
	size_t size, left;
	cs_insn *insn;
	int n = 0;
	cs_x86 *x;
	csh cs;

	text = elf_section(l->elf, ".text", &size, &vaddr);
	if (!text || size > TEXT_MAX_BYTES || cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	p = text;
	left = size;
	addr = vaddr;
	while (left && n < max) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			p++;	/* data in .text: step over a byte */
			left--;
			addr++;
			continue;
		}
		x = &insn->detail->x86;
		if (insn->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_RSI &&
		    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.disp == l->o[O_L_STACK] &&
		    x->operands[1].mem.index == X86_REG_INVALID)
			load_at = insn->address;
		else if (insn->id == X86_INS_CALL && x->op_count == 1 &&
			 x->operands[0].type == X86_OP_IMM && load_at &&
			 insn->address - load_at <= 16)
			out[n++] = (struct stack_call){ insn->address, x->operands[0].imm };
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return n;
}

/* luaE_freethread without symbols: its call `close(L1, L1->stack)` (close: luaF_closeupval
 * in 5.4, found from luaF_close; luaF_close in 5.3 and 5.1, found as the function
 * lua_close calls that way on the main thread). The one such call outside lua_close and
 * the close_state it ends in is luaE_freethread's. Its address, or 0. */
static uint64_t freethread_call(const struct lua *l, uint64_t close_fn)
{
	struct stack_call sc[32];
	struct fn_scan api, tail;
	uint64_t found = 0, to = close_fn;
	int n, i, k, nfound = 0, in_close;

	if (scan_fn(l->elf, sym_vaddr(l, "lua_close"), 0x7fffffff, &api))
		return 0;
	if (!api.tail_to || scan_fn(l->elf, api.tail_to, 0x7fffffff, &tail))
		tail.ncalls = 0;
	n = stack_calls(l, sc, 32);
	for (i = 0; i < n; i++) {
		for (k = 0, in_close = 0; k < api.ncalls + tail.ncalls; k++)
			in_close |= (k < api.ncalls ? api.calls[k] : tail.calls[k - api.ncalls]) ==
				    sc[i].at;
		if (in_close && !to)
			to = sc[i].to;
		sc[i].at = in_close ? 0 : sc[i].at;
	}
	for (i = 0; i < n; i++)
		if (sc[i].at && sc[i].to == to) {
			found = sc[i].at;
			nfound++;
		}
	return to && nfound == 1 ? found : 0;
}

/* --- plan -------------------------------------------------------------------------- */

/* (Proto *, saved pc) of the frame that `ci` (a loc reaching a CallInfo *) designates. */
static void site_of_ci(const struct lua *l, struct loc ci, struct probe_cfg *cfg)
{
	struct loc frame = { .base = LOC_FRAME };	/* ci, read once for both halves */
	struct loc fn = loc_deref(frame, l->o[O_CI_FUNC], 8);

	fn = loc_deref(fn, 0, 8);	/* the TValue's value: the closure */
	cfg->site_frame = ci;
	cfg->site = loc_deref(fn, l->o[O_CL_P], 8);
	cfg->site_aux = loc_deref(frame, l->o[O_CI_SAVEDPC], 8);
	cfg->site_kind = SITE_LUA;
}

static int add_at(struct probe_plan *p, const struct lua *l, uint64_t vaddr, const char *what,
		  const struct probe_cfg *cfg, char *err, size_t errlen)
{
	const struct elf_sym *s = elf_sym_by_addr(l->elf, vaddr);
	char desc[160];

	if (s)
		snprintf(desc, sizeof(desc), "%s+0x%llx (%s)", s->name,
			 (unsigned long long)(vaddr - s->value), what);
	else
		snprintf(desc, sizeof(desc), "0x%llx (%s)", (unsigned long long)vaddr, what);
	return plan_add(p, l->mod, vaddr, desc, cfg, err, errlen);
}

/* Probes on each 8-byte store to L->tbclist in fn (all: `last` == 0; the last: 1). */
static int add_tbclist_stores(struct probe_plan *p, const struct lua *l, uint64_t fn,
			      int last, struct probe_cfg *cfg, const char *what, char *err,
			      size_t errlen)
{
	struct fn_scan fs;
	int i, r;

	if (!fn || scan_fn(l->elf, fn, l->o[O_L_TBCLIST], &fs) || !fs.nstores) {
		snprintf(err, errlen, "%s: %s: no store to lua_State.tbclist (+%ld) found",
			 l->version, what, l->o[O_L_TBCLIST]);
		return EXIT_SYMBOL;
	}
	for (i = last ? fs.nstores - 1 : 0; i < fs.nstores; i++) {
		cfg->co = loc_reg(fs.store_base[i]);
		if (cfg->site_kind)
			site_of_ci(l, loc_deref(cfg->co, l->o[O_L_CI], 8), cfg);
		if ((r = add_at(p, l, fs.stores[i], what, cfg, err, errlen)))
			return r;
	}
	return 0;
}

/* 5.1's luaE_newthread without symbols: the call of lua_newthread that lua_createtable
 * does not make too (both make the GC step). Its address, or 0. */
static uint64_t newthread_51(const struct lua *l)
{
	uint64_t a = sym_vaddr(l, "luaE_newthread");
	struct fn_scan nt, ct;
	int i, k, n = 0;

	if (a || scan_fn(l->elf, sym_vaddr(l, "lua_newthread"), 0x7fffffff, &nt) ||
	    scan_fn(l->elf, sym_vaddr(l, "lua_createtable"), 0x7fffffff, &ct))
		return a;
	for (i = 0; i < nt.ncalls; i++) {
		for (k = 0; k < ct.ncalls && ct.call_to[k] != nt.call_to[i]; k++)
			;
		if (k == ct.ncalls && nt.call_to[i]) {
			a = nt.call_to[i];
			n++;
		}
	}
	return n == 1 ? a : 0;
}

static int plan_create(struct probe_plan *p, const struct lua *l, char *err, size_t errlen)
{
	struct probe_cfg create = { .kind = EV_CREATE, .co = loc_reg(CFREG_RDI) };
	uint64_t fn = l->fl == L51 ? newthread_51(l) : sym_vaddr(l, "lua_newthread");
	uint64_t stack_init = sym_vaddr(l, "stack_init");
	struct loc ci = loc_deref(loc_reg(CFREG_RSI), l->o[O_L_CI], 8);
	struct fn_scan fs;

	if (!fn || scan_fn(l->elf, fn, 0x7fffffff, &fs) || !fs.ncalls ||
	    (stack_init && fs.call_to[fs.ncalls - 1] != stack_init)) {
		snprintf(err, errlen, "%s: %s: its call of stack_init(L1, L) not found",
			 l->version, l->fl == L51 ? "luaE_newthread" : "lua_newthread");
		return EXIT_SYMBOL;
	}
	/* L->ci is coroutine.create's own C frame; the Lua line that called it is one up
	 * (5.1: the CallInfo before it in the array, whose savedpc the call saved). Through
	 * a library's function (copas.addthread), the program's line that called that: up
	 * the frames while they are a library's Lua functions. */
	create.flags |= PF_SITE_UP_SKIPS;
	create.skip_kinds = SKIP_LIBRARY;
	if (l->fl == L51) {
		/* Each frame stands for its caller, the CallInfo before it. */
		struct loc frame = { .base = LOC_FRAME };
		struct loc fn = loc_deref(frame, l->o[O_CI_FUNC] - l->ci_size, 8);

		create.site_frame = ci;
		create.site = loc_deref(loc_deref(fn, 0, 8), l->o[O_CL_P], 8);
		create.site_aux = loc_deref(frame, l->o[O_CI_SAVEDPC] - l->ci_size, 8);
		create.site_kind = SITE_LUA;
		create.flags |= PF_SKIP_UP_STEP;
		create.skip_up = -(int32_t)l->ci_size;
		/* A Lua function's closure: isC is 0. */
		create.frame_ok = loc_deref(loc_deref(fn, 0, 8), LUA51_CL_ISC, 1);
		create.frame_ok_mask = 0xff;
		create.frame_ok_val = 0;
	} else {
		site_of_ci(l, loc_deref(ci, l->o[O_CI_PREVIOUS], 8), &create);
		create.skip_up = l->o[O_CI_PREVIOUS];
		create.frame_ok = loc_deref((struct loc){ .base = LOC_FRAME },
					    l->o[O_CI_CALLSTATUS], 2);
		create.frame_ok_mask = l->fl == L54 ? CIST_C_54 : CIST_LUA_53;
		create.frame_ok_val = l->fl == L54 ? 0 : CIST_LUA_53;
	}
	return add_at(p, l, fs.calls[fs.ncalls - 1], "create: stack_init(L1, L)", &create, err,
		      errlen);
}

static int plan_exit(struct probe_plan *p, const struct lua *l, uint64_t close_fn, char *err,
		     size_t errlen)
{
	struct probe_cfg exit_ = { .kind = EV_EXIT, .co = loc_reg(CFREG_RSI) };
	uint64_t fn = sym_vaddr(l, "luaE_freethread"), call, closeupval = 0;
	struct fn_scan fs;

	if (fn)
		return add_at(p, l, fn, "exit: the GC frees a thread", &exit_, err, errlen);
	/* 5.4's luaF_close starts with luaF_closeupval(L, level). */
	if (l->fl == L54 && !scan_fn(l->elf, close_fn, 0x7fffffff, &fs) && fs.ncalls)
		closeupval = fs.call_to[0];
	if ((l->fl == L54 && !closeupval) || !(call = freethread_call(l, closeupval))) {
		snprintf(err, errlen, "%s: luaE_freethread not found (no symbols, and no single "
			 "call of %s(L1, L1->stack) outside lua_close)", l->version,
			 l->fl == L54 ? "luaF_closeupval" : "luaF_close");
		return EXIT_SYMBOL;
	}
	exit_.co = loc_reg(CFREG_RDI);
	return add_at(p, l, call, "exit: luaE_freethread's first call (L1, L1->stack)", &exit_,
		      err, errlen);
}

static int lua_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	const struct lua *l = rc->priv;
	struct probe_cfg defer = { .kind = EV_DEFER, .site_kind = SITE_LUA };
	struct probe_cfg run = { .kind = EV_DEFER_RUN };
	uint64_t newtbc = 0, close_fn = 0;
	int r;

	snprintf(p->version, sizeof(p->version), "%s", l->version);
	if (l->fl == L54) {
		newtbc = internal_fn(l, "luaF_newtbcupval", "lua_toclose");
		close_fn = internal_fn(l, "luaF_close", "lua_closeslot");
	}
	if ((r = plan_create(p, l, err, errlen)) ||
	    (l->fl == L54 &&
	     ((r = add_tbclist_stores(p, l, newtbc, 1, &defer, "defer: tbc variable linked",
				      err, errlen)) ||
	      (r = add_tbclist_stores(p, l, close_fn, 0, &run, "defer-run: tbc variable "
				      "unlinked", err, errlen)))) ||
	    (r = plan_exit(p, l, close_fn, err, errlen)))
		return r;
	plan_note(p, "module %s%s; offsets from %s%s%s: lua_State.l_G %ld ci %ld stack %ld, "
		  "CallInfo.func %ld savedpc %ld, LClosure.p %ld, global_State.%s %ld",
		  l->mod->path, sym_vaddr(l, "luaE_freethread") ? " (with symbols)" :
		  " (no symbols: internal functions found by decoding the C API)",
		  l->from_dwarf ? "DWARF" : "the ", l->from_dwarf ? "" : l->version,
		  l->from_dwarf ? "" : " table", l->o[O_L_G], l->o[O_L_CI],
		  l->o[O_L_STACK], l->o[O_CI_FUNC], l->o[O_CI_SAVEDPC], l->o[O_CL_P],
		  l->fl == L51 ? "rootgc" : "allgc", l->o[O_G_ALLGC]);
	plan_note(p, "coroutines: born in lua_newthread, gone when the GC frees them: a "
		  "finished or closed coroutine stays until collected");
	if (l->fl == L54)
		plan_note(p, "defers: pending to-be-closed variables (local <close>, generic for, "
			  "lua_toclose); a suspended coroutine the GC frees never runs its "
			  "handlers");
	else
		plan_note(p, "defers: none (Lua %s has no to-be-closed variables)",
			  flavours[l->fl].name);
	plan_note(p, "sites: the Lua line that called coroutine.create/wrap%s; the census "
		  "gives a coroutine its body function's definition and the line it waits at",
		  l->fl == L54 ? ", and the line of each <close>; lua_toclose from C has no Lua "
		  "line" : "");
	plan_note(p, "create sites through a library's Lua functions (chunks under share/lua, "
		  "lib/lua, lualib, luarocks or lua_modules, loaded at attach: copas.addthread): "
		  "the program's line that called them; with a C function between, the "
		  "library's own");
	plan_note(p, "not seen: resume and yield (no probe: states come from the census)");
	return 0;
}
/* --- walking ----------------------------------------------------------------------- */

/* Line of pc (an instruction index) in Proto p, as luaG_getfuncline computes it: 5.3
 * and 5.1 keep one absolute line per instruction, 5.4 abslineinfo (pc, line pairs) and
 * lineinfo (signed deltas). -1 when unknown. */
static int proto_line(struct target *t, const struct lua *l, uint64_t p, int pc)
{
	uint64_t lineinfo, abs;
	int32_t nabs, line, pair[2];
	int basepc = -1, lo, hi, mid;
	int8_t deltas[256];

	if (target_read_u64(t, p + l->o[O_P_LINEINFO], &lineinfo) || !lineinfo)
		return -1;
	if (l->fl != L54)
		return target_read(t, lineinfo + 4 * (uint64_t)pc, &line, 4) ? -1 : line;
	if (target_read(t, p + l->o[O_P_LINEDEFINED], &line, 4) ||
	    target_read(t, p + l->o[O_P_SIZEABS], &nabs, 4) ||
	    target_read_u64(t, p + l->o[O_P_ABSLINEINFO], &abs))
		return -1;
	if (nabs > ABSLINE_MAX)
		return -1;
	/* The last absolute entry at or before pc (pcs ascend): a binary search. */
	for (lo = 0, hi = nabs - 1; lo <= hi;) {
		mid = lo + (hi - lo) / 2;
		if (target_read(t, abs + 8 * (uint64_t)mid, pair, sizeof(pair)))
			return -1;
		if (pair[0] <= pc) {
			basepc = pair[0];
			line = pair[1];
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	/* Absolute entries are at most 128 instructions apart. */
	if (pc - basepc > (int)sizeof(deltas) ||
	    (pc > basepc && target_read(t, lineinfo + basepc + 1, deltas, pc - basepc)))
		return -1;
	for (mid = 0; mid < pc - basepc; mid++)
		line += deltas[mid];
	return line;
}

/* Is p a Proto? Its code and instruction count. 0, or -1. */
static int proto_code(struct target *t, const struct lua *l, uint64_t p, uint64_t *code,
		      int32_t *ncode)
{
	uint8_t tt;

	return target_read(t, p + l->o[O_P_TT], &tt, 1) || tt != flavours[l->fl].proto_tt ||
	       target_read_u64(t, p + l->o[O_P_CODE], code) ||
	       target_read(t, p + l->o[O_P_SIZECODE], ncode, 4) || *ncode < 0 ? -1 : 0;
}

/* Index of the instruction a saved pc was saved after, or -1 when savedpc does not
 * point into p's code (p is no Proto, or it was freed). */
static int saved_pc_index(struct target *t, const struct lua *l, uint64_t p, uint64_t savedpc)
{
	uint64_t code;
	int32_t ncode;

	if (proto_code(t, l, p, &code, &ncode) || savedpc <= code ||
	    savedpc > code + 4 * (uint64_t)ncode || (savedpc - code) % 4)
		return -1;
	return (savedpc - code) / 4 - 1;
}

static void lua_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len)
{
	struct target *t = rc->t;
	const struct lua *l = rc->priv;
	char src[256];
	uint64_t ts, code;
	int32_t ncode;
	int pc = 0, line = -1;

	if ((s->kind == SITE_LUA_DEF ? proto_code(t, l, s->addr, &code, &ncode) :
	     (pc = saved_pc_index(t, l, s->addr, s->aux)) < 0) ||
	    target_read_u64(t, s->addr + l->o[O_P_SOURCE], &ts) ||
	    target_read_str(t, ts + l->o[O_TS_CONTENTS], src, sizeof(src)) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	if (s->kind == SITE_LUA_DEF)
		target_read(t, s->addr + l->o[O_P_LINEDEFINED], &line, 4);
	else
		line = proto_line(t, l, s->addr, pc);
	/* Chunk names as Lua shows them: "@file" and "=name" without the mark, code
	 * loaded from a string as [string "its first line"]. */
	if (src[0] == '@' || src[0] == '=')
		snprintf(buf, len, "%s:%d", src + 1, line);
	else
		snprintf(buf, len, "[string \"%.*s\"]:%d", (int)strcspn(src, "\n"), src, line);
}

/* How to recognise a lua_State in memory: its global state pointer, the global state's
 * main thread, and the main thread's size (the global state follows it in one block). */
struct anchor {
	long l_g, g_main, state_size;
};

/* Is v a lua_State? Then *g is its global_State. Checked both ways: the main thread of
 * its global state shares it, and sits right before it. */
static int is_state(struct target *t, const struct anchor *a, uint64_t v, uint64_t *g)
{
	uint64_t main, main_g;

	return !(v & 7) && v > 0x10000 && !target_read_u64(t, v + a->l_g, g) && *g &&
	       !(*g & 7) && !target_read_u64(t, *g + a->g_main, &main) &&
	       !target_read_u64(t, main + a->l_g, &main_g) && main_g == *g &&
	       main + a->state_size == *g;
}

/* Scans [from, to) word by word for a lua_State; its global_State in *g. 0, or -1. */
static int scan_range(struct target *t, const struct anchor *a, uint64_t from, uint64_t to,
		      uint64_t *g)
{
	uint64_t words[SCAN_CHUNK / 8], at;
	size_t i;

	for (at = from & ~7ull; at < to; at += sizeof(words)) {
		if (target_read(t, at, words, sizeof(words)))
			return -1;
		for (i = 0; i < sizeof(words) / 8; i++)
			if (target_module_at(t, words[i]) == NULL && is_state(t, a, words[i], g))
				return 0;
	}
	return -1;
}

/* The global_State, from a lua_State found in the main thread's stack (from the top,
 * where main() and lua_pcall's callers keep it) or the executable's data (lua.c and
 * luajit.c keep it in `globalL`). A state used only by another thread, and referenced
 * only from the heap, is not found. 0, or -1. */
static int find_global(struct target *t, const struct anchor *a, uint64_t *g)
{
	struct module *exe = target_module(t, NULL);
	uint64_t top, at, vaddr, end;
	size_t size;

	if ((at = target_sym(t, NULL, "__libc_stack_end", NULL)) && !target_read_u64(t, at, &top)) {
		top = (top + SCAN_CHUNK) & ~(uint64_t)(SCAN_CHUNK - 1);
		for (at = top - SCAN_CHUNK; at + STACK_SCAN_BYTES > top; at -= SCAN_CHUNK)
			if (!scan_range(t, a, at, at + SCAN_CHUNK, g))
				return 0;
	}
	if (!exe || !module_elf(exe) || !elf_section(exe->elf, ".data", &size, &vaddr))
		return -1;
	vaddr += exe->bias;
	end = exe->end < vaddr + DATA_SCAN_BYTES ? exe->end : vaddr + DATA_SCAN_BYTES;
	return vaddr < end ? scan_range(t, a, vaddr, end, g) : -1;
}

/* The Proto of the Lua closure in stack slot fn. 0, or -1 when it holds no Lua closure. */
static int slot_proto(struct target *t, const struct lua *l, uint64_t fn, uint64_t *proto)
{
	uint64_t clo;
	uint8_t tag, is_c = 0;

	if (target_read(t, fn + 8, &tag, 1) || target_read_u64(t, fn, &clo))
		return -1;
	/* 5.1: one function tag, and the closure says whether it is C. */
	if (l->fl == L51 ? tag != LUA_TFUNCTION || target_read(t, clo + 10, &is_c, 1) || is_c :
	    tag != LUA_TAG_LCL)
		return -1;
	return target_read_u64(t, clo + l->o[O_CL_P], proto) ? -1 : 0;
}

/* The first CallInfo of thread L (its C base; 5.1 keeps them in an array). 0, or -1. */
static int base_ci(struct target *t, const struct lua *l, uint64_t L, uint64_t *ci)
{
	if (l->fl == L51)
		return target_read_u64(t, L + l->o[O_L_BASE_CI], ci);
	*ci = L + l->o[O_L_BASE_CI];
	return 0;
}

/* Is the frame at ci a Lua function's? Its function slot in *fn. 1, 0, or -1. */
static int ci_is_lua(struct target *t, const struct lua *l, uint64_t ci, uint64_t *fn)
{
	uint64_t proto;
	uint16_t st;

	if (target_read_u64(t, ci + l->o[O_CI_FUNC], fn))
		return -1;
	if (l->fl == L51)
		return !slot_proto(t, l, *fn, &proto);
	if (target_read(t, ci + l->o[O_CI_CALLSTATUS], &st, 2))
		return -1;
	return l->fl == L54 ? !(st & CIST_C_54) : !!(st & CIST_LUA_53);
}

/* The saved pc of the Lua frame at ci (5.1 keeps the innermost frame's in L). */
static int ci_savedpc(struct target *t, const struct lua *l, uint64_t L, uint64_t ci,
		      uint64_t *pc)
{
	uint64_t cur;

	if (l->fl == L51 && !target_read_u64(t, L + l->o[O_L_CI], &cur) && cur == ci)
		return target_read_u64(t, L + l->o[O_L_SAVEDPC], pc);
	return target_read_u64(t, ci + l->o[O_CI_SAVEDPC], pc);
}

/* The frame owning stack slot `level` and its (Proto, saved pc); with level 0, the
 * innermost Lua frame of the thread (a suspended one is in coroutine.yield, a C
 * frame), or for a coroutine not started yet the first line of its body. The walk down
 * the frames starts at *from (L's innermost when 0), and leaves there the frame found:
 * slots asked for from the top down are found in one walk. 0, or -1 when that frame is
 * a C function. */
static int frame_site(struct target *t, const struct lua *l, uint64_t L, uint64_t level,
		      uint64_t *from, uint64_t *func, struct site *s)
{
	uint64_t ci = *from, base, fn = 0, proto, savedpc, code;
	int n, lua = 0;
	int32_t ncode;

	if ((!ci && target_read_u64(t, L + l->o[O_L_CI], &ci)) || base_ci(t, l, L, &base))
		return -1;
	for (n = 0; ci && n < CI_MAX; n++) {
		if ((lua = ci_is_lua(t, l, ci, &fn)) < 0)
			return -1;
		if (!level ? lua : fn < level)
			break;
		if (ci == base)
			ci = 0;
		else if (l->fl == L51)
			ci = ci > base ? ci - l->ci_size : 0;
		else if (target_read_u64(t, ci + l->o[O_CI_PREVIOUS], &ci))
			return -1;
	}
	if (!ci && !level) {
		/* Only base_ci: the body waits in the slot above it (stack[1]). */
		if (target_read_u64(t, L + l->o[O_L_STACK], &fn) || slot_proto(t, l, fn + 16, &proto) ||
		    proto_code(t, l, proto, &code, &ncode))
			return -1;
		savedpc = code + 4;
	} else if (!ci || n == CI_MAX || (*from = ci, lua != 1) || slot_proto(t, l, fn, &proto) ||
		   ci_savedpc(t, l, L, ci, &savedpc)) {
		return -1;
	}
	s->addr = proto;
	s->aux = savedpc;
	s->kind = SITE_LUA;
	*func = fn;
	return 0;
}


/* The site a probe would have given the <close> variable at stack slot `level`: the
 * pc after its OP_TBC, which is the variable's startpc (locvars, in register order of
 * the variables active at the frame's pc). The frame's current line when not found. */
static void tbc_site(struct target *t, const struct lua *l, uint64_t L, uint64_t level,
		     uint64_t *from, struct site *s)
{
	int32_t nloc, range[2];
	uint64_t func, locvars, code;
	int pc, i, reg;

	memset(s, 0, sizeof(*s));
	if (frame_site(t, l, L, level, from, &func, s) ||
	    (pc = saved_pc_index(t, l, s->addr, s->aux)) < 0 ||
	    target_read(t, s->addr + l->o[O_P_SIZELOCVARS], &nloc, 4) ||
	    target_read_u64(t, s->addr + l->o[O_P_LOCVARS], &locvars) ||
	    target_read_u64(t, s->addr + l->o[O_P_CODE], &code))
		return;
	reg = (level - func) / 16 - 1;
	for (i = 0; i < nloc && i < LOCVARS_MAX; i++) {
		/* LocVar: varname, startpc, endpc */
		if (target_read(t, locvars + 16 * (uint64_t)i + 8, range, sizeof(range)) ||
		    range[0] > pc)
			return;
		if (pc < range[1] && reg-- == 0) {
			s->aux = code + 4 * ((uint64_t)range[0] + 1);
			return;
		}
	}
}

/* Pending to-be-closed variables of thread L, oldest first. 0, or -1 when cut short. */
static int walk_tbc(struct target *t, const struct lua *l, uint64_t L, struct census_coro *co)
{
	uint64_t tbc, stack, *levels = NULL, *tmp, from = 0;
	size_t n = 0, cap = 0, i;
	struct site *sites;
	uint16_t delta;
	int ret = 0;

	if (target_read_u64(t, L + l->o[O_L_TBCLIST], &tbc) ||
	    target_read_u64(t, L + l->o[O_L_STACK], &stack))
		return -1;
	while (tbc > stack) {
		if (n == WALK_MAX_DEFERS || target_read(t, tbc + 10, &delta, 2)) {
			ret = -1;
			break;
		}
		if (!delta) {	/* a dummy node: the next entry was too far for 16 bits */
			tbc -= (uint64_t)TBC_MAXDELTA * 16;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(tmp = realloc(levels, cap * sizeof(*levels)))) {
				ret = -1;
				break;
			}
			levels = tmp;
		}
		levels[n++] = tbc;
		tbc -= (uint64_t)delta * 16;
	}
	/* Their sites in one walk down the frames (the newest is the highest slot), then
	 * oldest first into the census. */
	if (!(sites = calloc(n + 1, sizeof(*sites))))
		ret = -1;
	for (i = 0; sites && i < n; i++)
		tbc_site(t, l, L, levels[i], &from, &sites[i]);
	while (sites && n--) {
		if (census_add_defer(co, NULL, &sites[n])) {
			ret = -1;
			break;
		}
	}
	free(sites);
	free(levels);
	return ret;
}

/* coroutine.status() seen from outside, with "not started" told from "suspended" (Lua
 * says "suspended" for both) and "active" for a thread with frames: running, or normal
 * (it resumed another), told apart once every thread is known (resolve_active). */
static void thread_state(struct target *t, const struct lua *l, uint64_t L, uint64_t main,
			 char *buf, size_t len)
{
	uint64_t ci, base, top, stack;
	uint8_t status;

	if (target_read(t, L + l->o[O_L_STATUS], &status, 1) ||
	    target_read_u64(t, L + l->o[O_L_CI], &ci) || base_ci(t, l, L, &base) ||
	    target_read_u64(t, L + l->o[O_L_TOP], &top) ||
	    target_read_u64(t, L + l->o[O_L_STACK], &stack))
		snprintf(buf, len, "?");
	else if (L == main)
		snprintf(buf, len, "main");
	else if (status == LUA_YIELD)
		snprintf(buf, len, "suspended");
	else if (status)
		snprintf(buf, len, "dead");	/* an error ended it */
	else if (ci != base)
		snprintf(buf, len, "active");
	else
		/* No frame: not started yet (its function is on the stack) or finished. */
		snprintf(buf, len, top > stack + 16 ? "not started" : "dead");
}

/* The thread L's innermost frame resumes: coroutine.resume's first argument, or the
 * first upvalue of a coroutine.wrap function; 0 when it holds none. */
static uint64_t resumed_thread(struct target *t, const struct lua *l, uint64_t L)
{
	const uint8_t thread_tag = l->fl == L51 ? LUA_TTHREAD : LUA_TAG_THREAD;
	uint64_t ci, fn, clo, v;
	uint8_t tag, is_c;

	if (target_read_u64(t, L + l->o[O_L_CI], &ci) ||
	    target_read_u64(t, ci + l->o[O_CI_FUNC], &fn))
		return 0;
	if (!target_read(t, fn + 24, &tag, 1) && tag == thread_tag &&
	    !target_read_u64(t, fn + 16, &v))
		return v;
	/* A C closure: 5.1's function tag with isC set, else ctb(LUA_VCCL). */
	if (target_read(t, fn + 8, &tag, 1) || target_read_u64(t, fn, &clo) ||
	    (l->fl == L51 ? tag != LUA_TFUNCTION || target_read(t, clo + 10, &is_c, 1) || !is_c :
	     tag != (LUA_TAG_LCL | 0x20)))
		return 0;
	clo += l->o[O_CCL_UPVALUE];
	return !target_read(t, clo + 8, &tag, 1) && tag == thread_tag &&
	       !target_read_u64(t, clo, &v) ? v : 0;
}

/* "active" threads: normal when what they resume is active too (or the main thread,
 * which runs all along), else running. */
static void resolve_active(struct target *t, const struct lua *l, struct census *c,
			   size_t first)
{
	struct census_coro *co;
	uint64_t r;
	size_t i, k;

	for (i = first; i < c->ncoros; i++) {
		co = &c->coros[i];
		if (strcmp(co->state, "active"))
			continue;
		r = resumed_thread(t, l, co->id);
		for (k = first; r && k < c->ncoros && c->coros[k].id != r; k++)
			;
		snprintf(co->state, sizeof(co->state), "%s", r && k < c->ncoros &&
			 (!strcmp(c->coros[k].state, "active") || !strcmp(c->coros[k].state, "normal") ||
			  !strcmp(c->coros[k].state, "running")) ? "normal" : "running");
	}
}

/* Code ranges of the Protos seen on allgc, to tell which function a stale saved pc was
 * in: a finished coroutine's body is gone from its stack, not from its first CallInfo. */
struct code_range {
	uint64_t lo, hi, proto;
};

static int cmp_range(const void *a, const void *b)
{
	return cmp_u64(&((const struct code_range *)a)->lo, &((const struct code_range *)b)->lo);
}

struct proto_set {
	uint64_t *protos;
	size_t n, cap;
	struct code_range *r;	/* built at the first lookup */
	size_t nr;
};

static uint64_t proto_of_pc(struct target *t, const struct lua *l, struct proto_set *ps,
			    uint64_t pc)
{
	size_t i, lo, hi;
	int32_t ncode;
	uint64_t code;

	if (!ps->r && ps->n) {
		if (!(ps->r = malloc(ps->n * sizeof(*ps->r))))
			return 0;
		for (i = 0; i < ps->n; i++)
			if (!proto_code(t, l, ps->protos[i], &code, &ncode))
				ps->r[ps->nr++] = (struct code_range){ code, code + 4 * (uint64_t)ncode,
								       ps->protos[i] };
		qsort(ps->r, ps->nr, sizeof(*ps->r), cmp_range);
	}
	for (lo = 0, hi = ps->nr; lo < hi;) {
		i = lo + (hi - lo) / 2;
		if (ps->r[i].lo <= pc)
			lo = i + 1;
		else
			hi = i;
	}
	return lo && pc <= ps->r[lo - 1].hi ? ps->r[lo - 1].proto : 0;
}

/* Is the frame at ci a Lua function's that a fresh luaV_execute ran wanting every result
 * (5.3, 5.4: resume's call of a body; a __close handler that coroutine.close runs there
 * wants none)? CallInfo.nresults is the short before callstatus. */
static int body_like_frame(struct target *t, const struct lua *l, uint64_t ci)
{
	uint16_t st;
	int16_t nresults;

	if (l->fl == L51 || target_read(t, ci + l->o[O_CI_CALLSTATUS], &st, 2) ||
	    target_read(t, ci + l->o[O_CI_CALLSTATUS] - 2, &nresults, 2) || nresults != -1)
		return 0;
	return l->fl == L54 ? (st & (CIST_C_54 | CIST_FRESH_54)) == CIST_FRESH_54 :
			      (st & (CIST_LUA_53 | CIST_FRESH_53)) == (CIST_LUA_53 | CIST_FRESH_53);
}

/* The body function of coroutine L: in the slot above its base while it has not ended,
 * else the function whose code the first frame above its base last saved a pc in (the
 * frame stays allocated; its function slot, overwritten by the results, does not). That
 * pc is saved when the body calls or fails, and in 5.3 at every instruction; a tail call
 * there names the function called. 0 when unknown. */
static uint64_t body_proto(struct target *t, const struct lua *l, uint64_t L, int dead,
			   struct proto_set *ps)
{
	uint64_t stack, ci, fn, pc, proto;

	if (target_read_u64(t, L + l->o[O_L_STACK], &stack))
		return 0;
	if (!dead)
		return !slot_proto(t, l, stack + 16, &proto) ? proto : 0;
	if (base_ci(t, l, L, &ci))
		return 0;
	if (l->fl == L51)
		ci += l->ci_size;
	else if (target_read_u64(t, ci + l->o[O_CI_NEXT], &ci) || !ci)
		return 0;
	/* A frame freed and replaced by a deeper one when the GC shrank the list is not it:
	 * the body's has its function at stack + 16, or (the stack moved since: only live
	 * frames are corrected) looks like resume's call of it, which no Lua-to-Lua call
	 * does. */
	if (target_read_u64(t, ci + l->o[O_CI_FUNC], &fn) ||
	    (fn != stack + 16 && !body_like_frame(t, l, ci)) ||
	    target_read_u64(t, ci + l->o[O_CI_SAVEDPC], &pc))
		return 0;
	return proto_of_pc(t, l, ps, pc);
}

/* The global_State: the one the last census found while it still checks out, else
 * searched for. 0, or -1. */
static int find_g(struct target *t, struct lua *l, uint64_t *g)
{
	const struct anchor a = { l->o[O_L_G], l->o[O_G_MAINTHREAD], l->state_size };
	uint64_t main;

	if (l->g && !target_read_u64(t, l->g + a.g_main, &main) && is_state(t, &a, main, g) &&
	    *g == l->g)
		return 0;
	if (find_global(t, &a, g))
		return -1;
	l->g = *g;
	return 0;
}

/* A set of words, sorted for bsearch once filled. */
struct u64_set {
	uint64_t *v;
	size_t n, cap;
};

static int set_add(struct u64_set *s, uint64_t v)
{
	uint64_t *tmp;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		if (!(tmp = realloc(s->v, s->cap * sizeof(*tmp))))
			return -1;
		s->v = tmp;
	}
	s->v[s->n++] = v;
	return 0;
}

static int set_has(const struct u64_set *s, uint64_t v)
{
	return s->n && bsearch(&v, s->v, s->n, sizeof(v), cmp_u64);
}

/* Is a chunk a library's: a module installed outside the program, where package.path
 * looks for them (Debian's /usr/share/lua/5.x, /usr/local's, luarocks trees, OpenResty's
 * lualib)? */
static int library_chunk(const char *src)
{
	static const char *const dirs[] = { "/share/lua/", "/lib/lua/", "/lualib/", "/luarocks/",
					    "/lua_modules/" };
	size_t i;

	for (i = 0; src[0] == '@' && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strstr(src, dirs[i]))
			return 1;
	return 0;
}

/* The Protos of a library's chunks among ps', into libs (sorted). Their source strings
 * are read in one go (a walk at each --no-probes refresh does this too), each distinct
 * one's text once: every Proto of a chunk shares it. */
static void library_protos(struct target *t, const struct lua *l, const struct proto_set *ps,
			   struct u64_set *libs)
{
	struct { uint64_t ts; int library; } seen[256] = { { 0 } };
	uint64_t *addrs = malloc((ps->n + 1) * sizeof(*addrs));
	uint64_t *srcs = malloc((ps->n + 1) * sizeof(*srcs));
	uint8_t *ok = malloc(ps->n + 1);
	char src[512];
	size_t i, h;

	for (i = 0; addrs && i < ps->n; i++)
		addrs[i] = ps->protos[i] + l->o[O_P_SOURCE];
	if (addrs && srcs && ok)
		target_read_many(t, addrs, ps->n, 8, srcs, ok);
	for (i = 0; addrs && srcs && ok && i < ps->n; i++) {
		if (!ok[i] || !srcs[i])
			continue;
		h = (srcs[i] >> 4) & (sizeof(seen) / sizeof(seen[0]) - 1);
		if (seen[h].ts != srcs[i]) {
			seen[h].ts = srcs[i];
			seen[h].library = target_read_str(t, srcs[i] + l->o[O_TS_CONTENTS], src,
							  sizeof(src)) > 0 && library_chunk(src);
		}
		if (seen[h].library && set_add(libs, ps->protos[i]))
			break;
	}
	qsort(libs->v, libs->n, sizeof(*libs->v), cmp_u64);
	free(addrs);
	free(srcs);
	free(ok);
}

/* Where thread L waits: the line it yielded at, resumed another, or runs; past a
 * library's functions (copas.sleep's yield), the program's line that called them. */
static void wait_site(struct target *t, const struct lua *l, uint64_t L,
		      const struct u64_set *libs, struct census_coro *co)
{
	uint64_t from = 0, func, base;
	struct site s;
	int i;

	if (base_ci(t, l, L, &base))
		return;
	for (i = 0; i <= MAX_SKIP_FRAMES && !frame_site(t, l, L, 0, &from, &func, &s); i++) {
		if (!i || !set_has(libs, s.addr))
			co->wait_site = s;
		if (!set_has(libs, s.addr) || !from || from == base)
			return;
		if (l->fl == L51)
			from -= l->ci_size;
		else if (target_read_u64(t, from + l->o[O_CI_PREVIOUS], &from) || !from)
			return;
	}
}

static int lua_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct target *t = rc->t;
	struct lua *l = rc->priv;
	struct proto_set ps = { 0 };
	uint64_t g, obj, main, next, n, proto, *tmp;
	struct u64_set libs = { 0 };
	struct census_coro *co;
	size_t i, first = c->ncoros;
	uint8_t tt;

	snprintf(c->version, sizeof(c->version), "%s", l->version);
	if (find_g(t, l, &g) || target_read_u64(t, g + l->o[O_G_MAINTHREAD], &main) ||
	    target_read_u64(t, g + l->o[O_G_ALLGC], &obj)) {
		snprintf(err, errlen, "no lua_State found in the main thread's stack or the "
			 "executable's data");
		return census_unreadable(t);
	}
	/* 5.4 and 5.1 list the main thread with the other objects, 5.3 does not. */
	if (!census_add_coro(c, main))
		return 0;
	/* allgc (5.1: rootgc) holds every collectable object but those with finalizers
	 * (never threads or Protos); all generations are on the one chain. */
	for (n = 0; obj; obj = next, n++) {
		if (n == ALLGC_MAX_OBJECTS) {
			snprintf(c->warning, sizeof(c->warning), "allgc walk stopped after %llu "
				 "objects (a cycle?)", (unsigned long long)n);
			break;
		}
		if (target_read_u64(t, obj, &next) || target_read(t, obj + 8, &tt, 1)) {
			snprintf(c->warning, sizeof(c->warning), "allgc: unreadable object at "
				 "0x%llx", (unsigned long long)obj);
			break;
		}
		if (tt == flavours[l->fl].proto_tt && ps.n < PROTOS_MAX) {
			if (ps.n == ps.cap) {
				ps.cap = ps.cap ? 2 * ps.cap : 256;
				if (!(tmp = realloc(ps.protos, ps.cap * sizeof(*tmp))))
					break;
				ps.protos = tmp;
			}
			ps.protos[ps.n++] = obj;
		}
		if (tt != LUA_TTHREAD || obj == main)
			continue;
		if (!census_add_coro(c, obj))
			break;
	}
	library_protos(t, l, &ps, &libs);
	for (i = first; i < c->ncoros; i++) {
		/* Each costs reads (state, sites, <close> list): the budget holds here too. */
		if (i > first && !(i & 63) && census_past_deadline(c, i)) {
			c->ncoros = i;
			break;
		}
		co = &c->coros[i];
		thread_state(t, l, co->id, main, co->state, sizeof(co->state));
		if (strcmp(co->state, "dead") && strcmp(co->state, "not started"))
			wait_site(t, l, co->id, &libs, co);
		/* Where it comes from: its body function's definition. */
		if (co->id != main &&
		    (proto = body_proto(t, l, co->id, !strcmp(co->state, "dead"), &ps)))
			co->create_site = (struct site){ .addr = proto, .kind = SITE_LUA_DEF };
		if (l->fl == L54 && walk_tbc(t, l, co->id, co))
			snprintf(c->warning, sizeof(c->warning), "thread 0x%llx: tbclist walk cut "
				 "short", (unsigned long long)co->id);
	}
	resolve_active(t, l, c, first);
	/* For the create probe's climb (site_skips). */
	if (c->scope == CENSUS_PROBED && libs.n &&
	    (c->site_skips = calloc(libs.n, sizeof(*c->site_skips))))
		for (i = 0; i < libs.n && i < MAX_SITE_SKIPS; i++)
			c->site_skips[c->nsite_skips++] = (struct site_skip){ .addr = libs.v[i],
									      .kinds = SKIP_LIBRARY };
	free(libs.v);
	free(ps.protos);
	free(ps.r);
	return 0;
}

static int lua_open(struct rt_ctx *c, char *err, size_t errlen)
{
	if (!(c->priv = calloc(1, sizeof(struct lua)))) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	return lua_resolve(c->t, c->priv, err, errlen);
}

static void lua_close(struct rt_ctx *c)
{
	free(c->priv);
}

const struct runtime runtime_lua = {
	.name = "lua",
	.id_is_number = 0,
	.looks_for = "Lua 5.1, 5.3 or 5.4 (lua_newthread and lua_ident)",
	.detect = lua_detect,
	.open = lua_open,
	.close = lua_close,
	.plan = lua_plan,
	.census = lua_census,
	.walks_links = 1,
	.describe_site = lua_describe_site,
};

/* --- LuaJIT 2.1 -------------------------------------------------------------------- */

/* The `luajit` profile: coroutines only (LuaJIT has no <close>), created in lua_newthread
 * (coroutine.create and wrap call it). Resume and yield are assembler fast paths that
 * call no C function, and the GC frees threads through a function table (lj_state_free
 * has no symbol in the packaged builds): neither can be probed. The census of the
 * living (gc.root) is walked again at each snapshot instead (exits_unprobed): a thread
 * two walks in a row no longer find has been collected. */

/* LuaJIT 2.1 x86-64 GC64 layouts, measured on Debian's luajit 2.1.0-beta3 (it ships no
 * DWARF): lua_State, global_State (right after the main lua_State in GG_State).
 * OpenResty's luajit2 appends exdata and exdata2 to lua_State, and nothing else moves:
 * its size is read from the target (lua_getexdata2). */
#define LJ_L_GCT 9
#define LJ_L_STATUS 11
#define LJ_L_GLREF 16
#define LJ_L_BASE 32
#define LJ_L_TOP 40
#define LJ_L_STACK 56
#define LJ_L_CFRAME 80
#define LJ_STATE_SIZE 96		/* upstream: no exdata */
#define LJ_G_ROOT 40
#define LJ_G_MAINTHREAD 192
#define LJ_G_CUR_L 368
/* Upstream's "Run VM events and finalizers in separate state" (committed at this time,
 * which rolling releases name themselves by: "LuaJIT 2.1.<commit time>") put
 * global_State.vmthref before cur_L. */
#define LJ_VMTHREF_SINCE 1762794686ull
#define LJ_G_VMTHREF 280	/* from then: the VM's own thread, on gc.root, no coroutine */
#define LJ_GCT_THREAD 6		/* ~LJ_TTHREAD */
#define LJ_GCT_PROTO 7
#define LJ_GCT_FUNC 8
#define LJ_TFUNC_IT 0x1fff7	/* a function TValue's top 17 bits (~LJ_TFUNC) */
#define LJ_GCPTR_MASK ((1ull << 47) - 1)
#define LJ_FN_FFID 10		/* GCfunc: 0 for a Lua function */
#define LJ_FN_PC 32		/* GCfuncL: its proto's first instruction */
#define LJ_FN_F 40		/* GCfuncC: its C function */
#define LJ_FF_C 1		/* the ffid of a C function (not a fast function) */
#define LJ_PT_SIZE 104		/* sizeof(GCproto): its bytecode follows it */
#define LJ_PT_SIZEBC 12
#define LJ_PT_CHUNKNAME 64
#define LJ_PT_FIRSTLINE 72
#define LJ_PT_NUMLINE 76
#define LJ_PT_LINEINFO 80
#define LJ_STR_DATA 24
#define LJ_FRAME_TYPE 3		/* a frame link's low bits: */
#define LJ_FRAME_TYPEP 7
#define LJ_FRAME_LUA 0		/* the link is the return pc into a Lua caller */
#define LJ_FRAME_CONT 2		/* a continuation (a JIT-compiled caller) */
#define LJ_G_SCAN 256		/* global_State.registrytv is within this after mainthref */
#define LJ_IT_TAB 0x1fff4ull	/* TValue top 17 bits: ~LJ_TTAB */
#define LJ_IT_STR 0x1fffbull
#define LJ_IT_UDATA 0x1fff3ull
#define LJ_IT_LIGHTUD 0x1fffcull
#define LJ_LIGHTUD_LO ((1ull << 39) - 1)	/* a light userdata keeps these bits as they are */
#define LJ_TAB_NODE 40		/* GCtab: node, hmask */
#define LJ_TAB_HMASK 52
#define LJ_NODE_SIZE 24		/* Node: val 0, key 8, next 16 */
#define LJ_UDATA_SIZE 48	/* sizeof(GCudata): its payload follows it */
#define LJ_HMASK_MAX (1u << 26)
#define LJ_FRAME_SLOTS 2	/* 1 + LJ_FR2: a started coroutine's base is above them */

enum {
	SITE_LJ = SITE_RUNTIME,	/* addr: GCproto *, aux: a return pc into its bytecode */
	SITE_LJ_DEF,		/* addr: GCproto *: where its function is defined */
	SITE_LJ_CALL,		/* addr: the frame link of a C function a Lua function called
				   (its return pc, whose GCproto user space finds); aux:
				   the thread's cframe, 0 when it was in no call from Lua */
};

static struct module *luajit_module(struct target *t)
{
	struct module *m;

	return target_sym(t, NULL, "luaJIT_setmode", &m) && target_sym(t, m, "lua_newthread", NULL) ?
	       m : NULL;
}

static int luajit_detect(struct target *t)
{
	return luajit_module(t) ? 20 : 0;
}

/* "LuaJIT 2.1.0-beta3": the start of LUAJIT_VERSION in .rodata (banner, jit.version). */
static void luajit_version(struct module *m, char *buf, size_t len)
{
	const char *ro, *v;
	uint64_t vaddr;
	size_t size;

	snprintf(buf, len, "LuaJIT");
	if (module_elf(m) && (ro = elf_section(m->elf, ".rodata", &size, &vaddr)) &&
	    (v = memmem(ro, size, "LuaJIT 2.", 9)))
		snprintf(buf, len, "LuaJIT %.*s", (int)strcspn(v + 7, " \n"), v + 7);
}

struct luajit {
	struct module *mod;
	char version[64];
	long state_size;	/* sizeof(lua_State) */
	long cur_l;		/* global_State.cur_L */
	uint64_t g;		/* the global_State the last census found */
	/* nginx with lua-nginx-module: where its VM is anchored (ngx_vm_state), the
	 * registry key of its cosocket pools */
	uint64_t ngx_cycle, ngx_http_module, ngx_http_lua_module, ngx_pool_key;
};

/* lua-nginx-module 0.10.x's ngx_http_lua_socket_pool_t (a userdata payload): */
#define NGX_POOL_VM 0		/* lua_vm: the main thread, which checks the layout */
#define NGX_POOL_SIZE 8		/* pool_size */
#define NGX_POOL_WAIT 32	/* wait_connect_op: connects queued past pool_size */
#define NGX_POOL_CONNS 48	/* connections: out, idle, connecting and queued */
#define NGX_POOL_CACHE 56	/* idle connections */
#define NGX_QUEUE_MAX 1000000
/* ... and its ngx_http_lua_socket_tcp_upstream_t (a cosocket's userdata, at index 1 of
 * the socket's table): */
#define NGX_U_POOL 40		/* socket_pool */
#define NGX_U_CONN 72		/* peer.connection: set while connected, not in the pool */
#define LJ_GCT_TAB 11
#define LJ_TAB_ARRAY 16
#define LJ_TAB_ASIZE 48
#define LJ_STACK_SLOTS_MAX 65536

#define NGX_MAX_MODULES 1024

/* An nginx worker keeps its VM in lua-nginx-module's main conf, reached from exported
 * symbols: ngx_cycle->conf_ctx[ngx_http_module.index]->main_conf
 * [ngx_http_lua_module.ctx_index]->lua (the first field of each; an ngx_module_t starts
 * with ctx_index, index). The lua_State, or 0. */
static uint64_t ngx_vm_state(struct target *t, const struct luajit *j)
{
	uint64_t cycle, ctx, idx, ctx_idx, conf, L;

	if (!j->ngx_cycle || target_read_u64(t, j->ngx_cycle, &cycle) ||
	    target_read_u64(t, cycle, &ctx) || target_read_u64(t, j->ngx_http_module + 8, &idx) ||
	    target_read_u64(t, j->ngx_http_lua_module, &ctx_idx) || idx >= NGX_MAX_MODULES ||
	    ctx_idx >= NGX_MAX_MODULES || target_read_u64(t, ctx + 8 * idx, &conf) ||
	    target_read_u64(t, conf, &conf) || target_read_u64(t, conf + 8 * ctx_idx, &conf) ||
	    target_read_u64(t, conf, &L))
		return 0;
	return L;
}

/* The field lua_getexdata2 (luajit2 only) returns: its first instruction must be
 * `mov rax, [rdi + disp]`. The offset, or -1. */
static long exdata2_offset(struct elf_file *e, uint64_t fn)
{
	const uint8_t *p;
	uint8_t code[16];
	size_t left = sizeof(code);
	uint64_t addr = fn;
	cs_insn *insn;
	long off = -1;
	cs_x86 *x;
	csh cs;

	if (elf_read_vaddr(e, fn, code, sizeof(code)) || cs_open(CS_ARCH_X86, CS_MODE_64, &cs))
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	p = code;
	if (cs_disasm_iter(cs, &p, &left, &addr, insn) && insn->id == X86_INS_MOV) {
		x = &insn->detail->x86;
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RAX && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RDI &&
		    x->operands[1].mem.index == X86_REG_INVALID && x->operands[1].mem.disp > 0)
			off = x->operands[1].mem.disp;
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return off;
}

/* The VM's global_State in *g: the one found last while it still checks out, else the one
 * lua-nginx-module's main conf, the main thread's stack or the executable's data holds.
 * 0, or -1. */
static int luajit_global(struct target *t, struct luajit *j, uint64_t *g)
{
	const struct anchor a = { LJ_L_GLREF, LJ_G_MAINTHREAD, j->state_size };
	uint64_t main;

	if (j->g && !target_read_u64(t, j->g + LJ_G_MAINTHREAD, &main) &&
	    is_state(t, &a, main, g) && *g == j->g)
		return 0;
	if (!is_state(t, &a, ngx_vm_state(t, j), g) && find_global(t, &a, g))
		return -1;
	j->g = *g;
	return 0;
}

/* global_State.cur_L: where the version says (LJ_VMTHREF_SINCE), unless the target's own
 * global_State says otherwise (a luajit2 newer than that change but without it): a thread
 * of that state at one of the two places and not at the other. */
static void luajit_cur_l(struct target *t, struct luajit *j)
{
	const long at[2] = { LJ_G_CUR_L, LJ_G_CUR_L + 8 };
	uint64_t g, L, L_g;
	int thread[2], i;

	j->cur_l = at[!strncmp(j->version, "LuaJIT 2.1.", 11) &&
		      strtoull(j->version + 11, NULL, 10) >= LJ_VMTHREF_SINCE];
	if (luajit_global(t, j, &g))
		return;
	for (i = 0; i < 2; i++)
		thread[i] = !target_read_u64(t, g + at[i], &L) && L &&
			    !target_read_u64(t, L + LJ_L_GLREF, &L_g) && L_g == g;
	if (thread[0] != thread[1])
		j->cur_l = at[thread[1]];
}

static int luajit_open(struct rt_ctx *c, char *err, size_t errlen)
{
	const struct elf_sym *s;
	struct luajit *j;
	long off;

	if (!(c->priv = j = calloc(1, sizeof(*j)))) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	if (!(j->mod = luajit_module(c->t)) || !module_elf(j->mod)) {
		snprintf(err, errlen, "no LuaJIT (luaJIT_setmode) in the target");
		return EXIT_NO_RUNTIME;
	}
	luajit_version(j->mod, j->version, sizeof(j->version));
	j->state_size = LJ_STATE_SIZE;
	if ((j->ngx_http_lua_module = target_sym(c->t, NULL, "ngx_http_lua_module", NULL))) {
		j->ngx_cycle = target_sym(c->t, NULL, "ngx_cycle", NULL);
		j->ngx_pool_key = target_sym(c->t, NULL, "ngx_http_lua_socket_pool_key", NULL);
		j->ngx_http_module = target_sym(c->t, NULL, "ngx_http_module", NULL);
		if (!j->ngx_http_module)
			j->ngx_cycle = 0;
	}
	if ((s = elf_sym_by_name(j->mod->elf, "lua_getexdata2"))) {
		/* exdata2 is lua_State's last field. */
		if ((off = exdata2_offset(j->mod->elf, s->value)) < LJ_STATE_SIZE) {
			snprintf(err, errlen, "%s: lua_getexdata2 does not read lua_State.exdata2 "
				 "as codefer expects", j->version);
			return EXIT_SYMBOL;
		}
		j->state_size = off + 8;
		snprintf(j->version + strlen(j->version), sizeof(j->version) - strlen(j->version),
			 " (OpenResty luajit2)");
	}
	luajit_cur_l(c->t, j);
	return 0;
}

static void luajit_close(struct rt_ctx *c)
{
	free(c->priv);
}

static int plan_cosockets(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen);

/* The site a probe reads for the line that called the C function thread L (a loc)
 * runs: its frame link and the thread's cframe (see SITE_LJ_CALL). */
static void lj_call_site(struct probe_cfg *cfg, struct loc L)
{
	struct loc frame = { .base = LOC_FRAME };	/* L, read once for both halves */

	cfg->site_frame = L;
	cfg->site = loc_deref(loc_deref(frame, LJ_L_BASE, 8), -8, 8);
	/* Called from JIT-compiled code (a trace stitched around the C function), the link
	 * is a continuation's: the return pc is the continuation frame's (frame_contpc). */
	cfg->site.flags |= LOCF_ALT;
	cfg->site.alt_mask = LJ_FRAME_TYPEP;
	cfg->site.alt_val = LJ_FRAME_CONT;
	cfg->site.alt_off = -16;
	cfg->site_aux = loc_deref(frame, LJ_L_CFRAME, 8);
	cfg->site_kind = SITE_LJ_CALL;
}

/* The thread that runs (g->cur_L), from a register holding any thread of the VM. */
static struct loc lj_cur_thread(const struct luajit *j, enum loc_reg any)
{
	return loc_deref(loc_deref(loc_reg(any), LJ_L_GLREF, 8), j->cur_l, 8);
}

static int luajit_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	const struct luajit *j = rc->priv;
	struct probe_cfg create = { .kind = EV_CREATE, .co = loc_reg(CFREG_RAX) };
	struct module *m = j->mod;
	int r;

	snprintf(p->version, sizeof(p->version), "%s", j->version);
	/* lua_newthread is called by a C function (coroutine.create or wrap, ngx.timer.at,
	 * ngx.thread.spawn, an embedder's own) that the running thread (g->cur_L) called
	 * from Lua: that C function's frame link is the return pc into the line that
	 * called it (lua-resty-core's coroutine.create tail-calls the C one: its caller's
	 * line). Called from C outside any call from Lua (nginx making a request's entry
	 * thread), cur_L is the thread that ran last, with no C frame (cframe 0): no site
	 * then. */
	lj_call_site(&create, lj_cur_thread(j, CFREG_RAX));
	/* lua_newthread returns the new thread: read it at each RET, no uretprobe. */
	if ((r = plan_add_returns(p, m, "lua_newthread", &create, "create", err, errlen)))
		return r;
	/* luajit2's lua_resetthread(L, th) readies a thread that ended for reuse (nginx
	 * keeps them for its timers and requests): a new coroutine with the old id, whose
	 * site the walks read once it runs (its body's definition). */
	if (target_sym(rc->t, m, "lua_resetthread", NULL) &&
	    (r = plan_add_sym(p, rc->t, m, "lua_resetthread", 0,
			      &(struct probe_cfg){ .kind = EV_CREATE, .co = loc_reg(CFREG_RSI) },
			      err, errlen)))
		return r;
	if (j->ngx_pool_key && (r = plan_cosockets(rc, p, err, errlen)))
		return r;
	plan_note(p, "module %s; offsets: the LuaJIT 2.1 GC64 table (lua_State.glref %d, "
		  "global_State.gc.root %d mainthref %d cur_L %ld), sizeof(lua_State) %ld (%s)",
		  m->path, LJ_L_GLREF, LJ_G_ROOT, LJ_G_MAINTHREAD, j->cur_l, j->state_size,
		  j->state_size == LJ_STATE_SIZE ? "upstream" : "luajit2: from lua_getexdata2");
	plan_note(p, "coroutines: creations probed; the GC frees threads through a function "
		  "table, with no probe: gc.root is walked again at each snapshot (at most a "
		  "tenth of the time), and a thread missing from two walks in a row was "
		  "collected");
	plan_note(p, "create sites: the line that called coroutine.create/wrap (or the C "
		  "function that made the thread: ngx.timer.at, ngx.thread.spawn), resolved in "
		  "user space from the return pc (? when the caller left no Lua frame link; - "
		  "for a thread made from C outside any call from Lua)");
	plan_note(p, "not seen: resume and yield (assembler fast paths)");
	return 0;
}

/* coroutine.status() as lj_ffh_coroutine_status computes it, seen from outside. */
/* coroutine.status() seen from outside, named as for PUC Lua ("not started" for what
 * Lua calls "suspended" before its first resume). */
static void luajit_state(struct target *t, uint64_t L, uint64_t main, uint64_t cur,
			 char *buf, size_t len)
{
	uint64_t base, top, stack;
	uint8_t head[LJ_L_STACK + 8], status;

	/* One read: these fields are at the head of lua_State. */
	if (target_read(t, L, head, sizeof(head))) {
		snprintf(buf, len, "?");
		return;
	}
	status = head[LJ_L_STATUS];
	base = u64_at(head, LJ_L_BASE);
	top = u64_at(head, LJ_L_TOP);
	stack = u64_at(head, LJ_L_STACK);
	if (head[LJ_L_GCT] != LJ_GCT_THREAD)
		snprintf(buf, len, "?");
	else if (L == main)
		snprintf(buf, len, "main");
	else if (status == LUA_YIELD)
		snprintf(buf, len, "suspended");
	else if (status)
		snprintf(buf, len, "dead");
	else if (base > stack + 8 * LJ_FRAME_SLOTS)
		/* cur_L is the thread that last entered the VM: with frames, it runs; the
		 * others resumed another */
		snprintf(buf, len, L == cur ? "running" : "normal");
	else
		snprintf(buf, len, top == base ? "dead" : "not started");
}

/* The GCproto of the Lua function in the TValue at slot. 0 when it holds none. */
static uint64_t lj_slot_proto(struct target *t, uint64_t slot)
{
	uint64_t v, fn, pc, pt;
	uint8_t gct, ffid;

	if (target_read_u64(t, slot, &v) || v >> 47 != LJ_TFUNC_IT)
		return 0;
	fn = v & LJ_GCPTR_MASK;
	if (target_read(t, fn + LJ_L_GCT, &gct, 1) || gct != LJ_GCT_FUNC ||
	    target_read(t, fn + LJ_FN_FFID, &ffid, 1) || ffid ||
	    target_read_u64(t, fn + LJ_FN_PC, &pc))
		return 0;
	pt = pc - LJ_PT_SIZE;
	return !target_read(t, pt + LJ_L_GCT, &gct, 1) && gct == LJ_GCT_PROTO ? pt : 0;
}

/* Where coroutine L waits: the Lua frame its innermost frame (coroutine.yield, a C
 * function that yielded, or the coroutine.resume of the one it runs) returns to. A Lua
 * caller's frame link is the return pc itself; a JIT-compiled caller's is a
 * continuation frame, which keeps the pc two slots below its link and the distance to
 * the caller's link in the link. 0, or -1 when that is no Lua frame. */
static int lj_wait_site(struct target *t, uint64_t L, struct site *s)
{
	uint64_t base, link, pc, pt;
	uint32_t ins, sizebc;

	if (target_read_u64(t, L + LJ_L_BASE, &base) || target_read_u64(t, base - 8, &link))
		return -1;
	switch (link & LJ_FRAME_TYPE) {
	case LJ_FRAME_LUA:
		/* The caller's base: below the call's register A, function and link. */
		pc = link;
		if (target_read(t, pc - 4, &ins, 4))
			return -1;
		base -= 8 * (((ins >> 8) & 0xff) + LJ_FRAME_SLOTS);
		break;
	case LJ_FRAME_CONT:
		if (target_read_u64(t, base - 24, &pc))
			return -1;
		base -= link & ~(uint64_t)LJ_FRAME_TYPEP;
		break;
	default:
		return -1;
	}
	if (!(pt = lj_slot_proto(t, base - 16)) ||
	    target_read(t, pt + LJ_PT_SIZEBC, &sizebc, 4) || pc <= pt + LJ_PT_SIZE ||
	    pc > pt + LJ_PT_SIZE + 4 * (uint64_t)sizebc)
		return -1;
	*s = (struct site){ .addr = pt, .aux = pc, .kind = SITE_LJ };
	return 0;
}

/* The GCproto whose bytecode a return pc points into, found on gc.root (a site is named
 * once, so this walk is done once per distinct site); 0 when none. */
static uint64_t lj_proto_of_pc(struct target *t, uint64_t g, uint64_t pc)
{
	uint64_t obj, n, head[2];
	uint32_t sizebc;

	if (!g || target_read_u64(t, g + LJ_G_ROOT, &obj))
		return 0;
	for (n = 0; obj && n < ALLGC_MAX_OBJECTS; n++, obj = head[0]) {
		/* nextgc and, in the second word, gct */
		if (target_read(t, obj, head, sizeof(head)))
			return 0;
		if ((uint8_t)(head[1] >> 8) == LJ_GCT_PROTO && pc > obj + LJ_PT_SIZE &&
		    !target_read(t, obj + LJ_PT_SIZEBC, &sizebc, 4) &&
		    pc <= obj + LJ_PT_SIZE + 4 * (uint64_t)sizebc)
			return obj;
	}
	return 0;
}

static void luajit_describe_site(struct rt_ctx *rc, const struct site *s, char *buf, size_t len)
{
	const struct luajit *j = rc->priv;
	struct target *t = rc->t;
	uint32_t sizebc, numline, pos, off;
	uint64_t name, lineinfo, pt;
	int32_t line;
	char src[256];

	if (s->kind == SITE_LJ_CALL) {
		/* No C frame: the thread was not in a call from Lua (its link is stale). */
		if (!s->aux) {
			snprintf(buf, len, "-");
			return;
		}
		/* A Lua caller's frame link is the return pc itself. */
		if ((s->addr & LJ_FRAME_TYPE) != LJ_FRAME_LUA ||
		    !(pt = lj_proto_of_pc(t, j->g, s->addr))) {
			snprintf(buf, len, "?");
			return;
		}
		luajit_describe_site(rc, &(struct site){ .addr = pt, .aux = s->addr,
							 .kind = SITE_LJ }, buf, len);
		return;
	}
	if (target_read_u64(t, s->addr + LJ_PT_CHUNKNAME, &name) ||
	    target_read_str(t, (name & LJ_GCPTR_MASK) + LJ_STR_DATA, src, sizeof(src)) < 0 ||
	    target_read(t, s->addr + LJ_PT_FIRSTLINE, &line, 4)) {
		snprintf(buf, len, "?");
		return;
	}
	/* As lj_debug_line: the instruction before the return pc, lines relative to the
	 * first in 1, 2 or 4 bytes each. */
	if (s->kind == SITE_LJ) {
		pos = (s->aux - (s->addr + LJ_PT_SIZE)) / 4 - 1;
		off = 0;
		if (target_read(t, s->addr + LJ_PT_SIZEBC, &sizebc, 4) ||
		    target_read(t, s->addr + LJ_PT_NUMLINE, &numline, 4) ||
		    target_read_u64(t, s->addr + LJ_PT_LINEINFO, &lineinfo) || !pos ||
		    pos > sizebc ||
		    target_read(t, lineinfo + (uint64_t)(pos - 1) * (numline < 256 ? 1 : numline <
								 65536 ? 2 : 4),
				&off, numline < 256 ? 1 : numline < 65536 ? 2 : 4))
			line = -1;
		else
			line += off;
	}
	if (src[0] == '@' || src[0] == '=')
		snprintf(buf, len, "%s:%d", src + 1, line);
	else
		snprintf(buf, len, "[string \"%.*s\"]:%d", (int)strcspn(src, "\n"), src, line);
}

/* What an nginx worker's coroutine runs for: lua-nginx-module sets luajit2's
 * L->exdata (lua_State's last field but one) to its request, a fake one for a timer
 * (its connection's fd is -1: ngx_http_request_t.connection and ngx_connection_t.fd
 * are at the head of both structures). A request's light threads share it. */
static void ngx_owner(struct target *t, const struct luajit *j, uint64_t L,
		      struct census_coro *co)
{
	uint64_t r, conn;
	int32_t fd;

	if (!j->ngx_cycle || j->state_size == LJ_STATE_SIZE ||
	    target_read_u64(t, L + j->state_size - 16, &r) || !r ||
	    target_read_u64(t, r + 8, &conn) || target_read(t, conn + 24, &fd, 4))
		return;
	if (fd == -1)
		snprintf(co->owner, sizeof(co->owner), "timer");
	else
		snprintf(co->owner, sizeof(co->owner), "request 0x%llx (fd %d)",
			 (unsigned long long)r, fd);
}

/* Its body function's definition and where it waits, for a coroutine not ended. */
static void lj_sites(struct target *t, uint64_t L, struct census_coro *co)
{
	uint64_t stack, pt;

	if (!strcmp(co->state, "dead"))
		return;
	/* stack_init leaves the thread and a nil below the body (LJ_FR2). */
	if (strcmp(co->state, "main") && !target_read_u64(t, L + LJ_L_STACK, &stack) &&
	    (pt = lj_slot_proto(t, stack + 16)))
		co->create_site = (struct site){ .addr = pt, .kind = SITE_LJ_DEF };
	if (strcmp(co->state, "not started"))
		lj_wait_site(t, L, &co->wait_site);
}

/* Is the raw TValue k the string `name`? Its length moves between LuaJIT builds
 * (luajit2 adds a string id before it), its text does not, and ends in a NUL. */
static int lj_is_str(struct target *t, uint64_t k, const char *name)
{
	size_t n = strlen(name) + 1;
	char buf[64];

	return k >> 47 == LJ_IT_STR && n <= sizeof(buf) &&
	       !target_read(t, (k & LJ_GCPTR_MASK) + LJ_STR_DATA, buf, n) && !memcmp(buf, name, n);
}

/* The value in the hash part of table tv under the string `name`, or (name NULL) under
 * `key` (a raw TValue, compared under key_mask). 0 when none. */
static uint64_t lj_tab_get(struct target *t, uint64_t tv, uint64_t key, uint64_t key_mask,
			   const char *name)
{
	uint64_t tab, node, k, v;
	uint32_t hmask, i;

	if (tv >> 47 != LJ_IT_TAB)
		return 0;
	tab = tv & LJ_GCPTR_MASK;
	if (target_read_u64(t, tab + LJ_TAB_NODE, &node) ||
	    target_read(t, tab + LJ_TAB_HMASK, &hmask, 4) || hmask >= LJ_HMASK_MAX)
		return 0;
	for (i = 0; i <= hmask; i++)
		if (!target_read_u64(t, node + (uint64_t)i * LJ_NODE_SIZE + 8, &k) &&
		    (name ? lj_is_str(t, k, name) : (k & key_mask) == (key & key_mask)) &&
		    !target_read_u64(t, node + (uint64_t)i * LJ_NODE_SIZE, &v))
			return v;
	return 0;
}

/* The value the registry of global_State g holds under a key (as lj_tab_get), or 0.
 * The registry's place in global_State moves between LuaJIT builds (luajit2 adds
 * fields before it): it is the table after mainthref that holds the key. */
static uint64_t lj_registry_get(struct target *t, uint64_t g, uint64_t key, uint64_t key_mask,
				const char *name)
{
	uint64_t reg, v = 0, off;

	for (off = LJ_G_MAINTHREAD + 8; !v && off < LJ_G_MAINTHREAD + LJ_G_SCAN; off += 8)
		if (!target_read_u64(t, g + off, &reg))
			v = lj_tab_get(t, reg, key, key_mask, name);
	return v;
}

/* Entries of a doubly linked ngx_queue_t, or -1 when it does not close. */
static int64_t ngx_queue_len(struct target *t, uint64_t head)
{
	uint64_t q;
	int64_t n;

	if (target_read_u64(t, head + 8, &q))
		return -1;
	for (n = 0; q != head; n++)
		if (n == NGX_QUEUE_MAX || target_read_u64(t, q + 8, &q))
			return -1;
	return n;
}

/* lua-nginx-module's cosocket keepalive pools, as they describe themselves: the table
 * registry[&ngx_http_lua_socket_pool_key] maps each pool's name to a userdata holding
 * its ngx_http_lua_socket_pool_t. 0, or -1 when cut short (c->warning). */
static int ngx_pools(struct target *t, const struct luajit *j, uint64_t g, uint64_t main,
		     struct census *c)
{
	uint64_t pools, node, k, v, ud, vm, sz, conns;
	uint32_t hmask, i;
	struct census_pool *p;
	char name[sizeof(p->name)];

	pools = lj_registry_get(t, g, (LJ_IT_LIGHTUD << 47) | (j->ngx_pool_key & LJ_LIGHTUD_LO),
				~(LJ_GCPTR_MASK & ~LJ_LIGHTUD_LO), NULL);
	if (!pools)
		return 0;	/* no pool made yet */
	if (pools >> 47 != LJ_IT_TAB ||
	    target_read_u64(t, (pools & LJ_GCPTR_MASK) + LJ_TAB_NODE, &node) ||
	    target_read(t, (pools & LJ_GCPTR_MASK) + LJ_TAB_HMASK, &hmask, 4) ||
	    hmask >= LJ_HMASK_MAX)
		return -1;
	for (i = 0; i <= hmask; i++) {
		if (target_read_u64(t, node + (uint64_t)i * LJ_NODE_SIZE, &v) ||
		    target_read_u64(t, node + (uint64_t)i * LJ_NODE_SIZE + 8, &k))
			return -1;
		if (k >> 47 != LJ_IT_STR || v >> 47 != LJ_IT_UDATA)
			continue;
		ud = (v & LJ_GCPTR_MASK) + LJ_UDATA_SIZE;
		k &= LJ_GCPTR_MASK;
		/* A pool names its VM's main thread: the layout holds. */
		if (target_read_u64(t, ud + NGX_POOL_VM, &vm) || vm != main ||
		    target_read_u64(t, ud + NGX_POOL_SIZE, &sz) ||
		    target_read_u64(t, ud + NGX_POOL_CONNS, &conns) ||
		    /* NUL-terminated; its length moves between builds (see lj_is_str) */
		    target_read_str(t, k + LJ_STR_DATA, name, sizeof(name)) < 0)
			return -1;
		if (!(p = census_add_pool(c, ud)))
			return -1;
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->max = (int64_t)sz;
		p->idle = ngx_queue_len(t, ud + NGX_POOL_CACHE);
		p->waiters = ngx_queue_len(t, ud + NGX_POOL_WAIT);
		if (p->idle < 0 || p->waiters < 0)
			return -1;
		/* `connections` counts the queued connects too. */
		p->open = (int64_t)conns - p->waiters;
	}
	return 0;
}

/* The cosocket whose table is the raw TValue v: the payload of the userdata at index 1
 * of that table, or 0. */
static uint64_t lj_cosocket(struct target *t, uint64_t v)
{
	uint8_t tab[LJ_TAB_ASIZE + 4];
	uint64_t u;

	if (v >> 47 != LJ_IT_TAB || target_read(t, v & LJ_GCPTR_MASK, tab, sizeof(tab)) ||
	    u32_at(tab, LJ_TAB_ASIZE) < 2 ||
	    target_read_u64(t, u64_at(tab, LJ_TAB_ARRAY) + 8, &u) || u >> 47 != LJ_IT_UDATA)
		return 0;
	return (u & LJ_GCPTR_MASK) + LJ_UDATA_SIZE;
}

/* Is cosocket u connected through one of `pools`? Its pool in *pool. */
static int cosocket_out(struct target *t, uint64_t u, const struct u64_set *pools, uint64_t *pool)
{
	uint8_t b[NGX_U_CONN + 8 - NGX_U_POOL];

	if (!u || target_read(t, u + NGX_U_POOL, b, sizeof(b)))
		return 0;
	*pool = u64_at(b, 0);
	return (!pools || set_has(pools, *pool)) && u64_at(b, NGX_U_CONN - NGX_U_POOL);
}

/* If v is one of the connections out (outs, by their sockets' TValues) and has no holder
 * yet, co holds it. */
static void hold_if_out(uint64_t v, const struct u64_set *outs, uint64_t *holder,
			struct census_coro *co)
{
	uint64_t *at = bsearch(&v, outs->v, outs->n, sizeof(v), cmp_u64);

	if (at && !holder[at - outs->v]) {
		holder[at - outs->v] = co->id;
		co->conns_held++;
	}
}

/* The values of n slots of `stride` words at `at` (a table's array or hash part), read in
 * one go, checked as connections co holds. */
#define LJ_HOLD_SCAN 4096

static void hold_in_part(struct target *t, uint64_t at, size_t n, size_t stride,
			 const struct u64_set *outs, uint64_t *holder, struct census_coro *co)
{
	uint64_t *words;
	size_t i;

	if (!n || n > LJ_HOLD_SCAN || !(words = malloc(n * stride * 8)))
		return;
	if (!target_read(t, at, words, n * stride * 8))
		for (i = 0; i < n; i++)
			if (words[i * stride] >> 47 == LJ_IT_TAB)
				hold_if_out(words[i * stride], outs, holder, co);
	free(words);
}

/* Connections out that coroutine co holds through the table v on its stack: v itself, or
 * one level down, a value of v's (a list of connections), at most LJ_HOLD_SCAN slots of
 * its array part and of its hash part (a node's value is its first word). */
static void held_in(struct target *t, uint64_t v, const struct u64_set *outs, uint64_t *holder,
		    struct census_coro *co)
{
	uint64_t tab = v & LJ_GCPTR_MASK, part;
	uint32_t n;

	hold_if_out(v, outs, holder, co);
	if (!target_read_u64(t, tab + LJ_TAB_ARRAY, &part) &&
	    !target_read(t, tab + LJ_TAB_ASIZE, &n, 4))
		hold_in_part(t, part, n, 1, outs, holder, co);
	if (!target_read_u64(t, tab + LJ_TAB_NODE, &part) &&
	    !target_read(t, tab + LJ_TAB_HMASK, &n, 4) && n < LJ_HOLD_SCAN)
		hold_in_part(t, part, (size_t)n + 1, LJ_NODE_SIZE / 8, outs, holder, co);
}

/* Connections out of the pools (c->pools from `first` on): cosockets (`sockets`: their
 * tables, as raw TValues, the id the probes know a connection by too) connected through a
 * pool and not back in it; the holder is the coroutine with the socket on its stack, or
 * in a table there (each stack is read once), 0 (an orphan) when none has. */
static int ngx_conns_out(struct target *t, struct census *c, size_t first_pool,
			 size_t first_coro, const struct u64_set *sockets)
{
	struct u64_set pools = { 0 }, outs = { 0 };
	uint64_t sp, stack, top, slot, v, *holder = NULL;
	size_t i, k;
	int ret = -1;

	for (i = first_pool; i < c->npools; i++)
		if (set_add(&pools, c->pools[i].pool))
			goto out;
	qsort(pools.v, pools.n, sizeof(*pools.v), cmp_u64);
	for (i = 0; i < sockets->n; i++)
		if (cosocket_out(t, lj_cosocket(t, sockets->v[i]), &pools, &sp) &&
		    set_add(&outs, sockets->v[i]))
			goto out;
	if (!outs.n) {
		ret = 0;
		goto out;
	}
	/* sockets is sorted, so outs is. */
	if (!(holder = calloc(outs.n, sizeof(*holder))))
		goto out;
	for (k = first_coro; k < c->ncoros; k++) {
		if (target_read_u64(t, c->coros[k].id + LJ_L_STACK, &stack) ||
		    target_read_u64(t, c->coros[k].id + LJ_L_TOP, &top) || top < stack ||
		    top - stack > 8 * LJ_STACK_SLOTS_MAX)
			continue;
		for (slot = stack; slot < top; slot += 8)
			if (!target_read_u64(t, slot, &v) && v >> 47 == LJ_IT_TAB)
				held_in(t, v, &outs, holder, &c->coros[k]);
	}
	/* One given back meanwhile (live) is not out. */
	for (i = 0; i < outs.n; i++)
		if (cosocket_out(t, lj_cosocket(t, outs.v[i]), NULL, &sp) &&
		    census_add_conn(c, outs.v[i], sp, holder[i], &(struct site){ 0 }))
			goto out;
	ret = 0;
out:
	free(holder);
	free(pools.v);
	free(outs.v);
	return ret;
}

/* The tcp socket metatable lua-nginx-module keeps in the registry (lua-resty-core reads
 * it there too): its methods are C functions, static in a stripped module. */
#define NGX_TCP_MT "__tcp_cosocket_mt"

/* Probes on cosocket methods, at their entry (they yield: no return probe), found in the
 * worker's own VM at attach, never at offsets of one build: the C functions of the tcp
 * socket metatable's connect (takes a connection out), setkeepalive and close (give it
 * back). A connection is known by its socket (the table its methods get as self, at
 * L->base): which pool it is in, and whether it is still out, its socket's upstream
 * userdata says at each snapshot (luajit_conn_now), since connect only learns its pool
 * inside. Where they cannot be found, the pools are walked only. */
static int plan_cosockets(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	static const struct {
		const char *method;
		uint32_t kind;
	} methods[] = { { "connect", EV_POOL_GET }, { "setkeepalive", EV_POOL_PUT },
			{ "close", EV_POOL_PUT } };
	enum { NMETHODS = sizeof(methods) / sizeof(methods[0]) };
	const struct luajit *j = rc->priv;
	const struct anchor a = { LJ_L_GLREF, LJ_G_MAINTHREAD, j->state_size };
	struct loc base = loc_deref(loc_reg(CFREG_RDI), LJ_L_BASE, 8);
	uint64_t g, mt, fv, fn, f[NMETHODS];
	struct module *m[NMETHODS];
	struct target *t = rc->t;
	uint8_t gct, ffid;
	char desc[160];
	size_t i;
	int r;

	if (!is_state(t, &a, ngx_vm_state(t, j), &g) ||
	    !(mt = lj_registry_get(t, g, 0, 0, NGX_TCP_MT))) {
		plan_note(p, "cosockets: no registry.%s in the worker's VM: pools are walked only",
			  NGX_TCP_MT);
		return 0;
	}
	for (i = 0; i < NMETHODS; i++) {
		fv = lj_tab_get(t, mt, 0, 0, methods[i].method);
		fn = fv & LJ_GCPTR_MASK;
		if (fv >> 47 != LJ_TFUNC_IT || target_read(t, fn + LJ_L_GCT, &gct, 1) ||
		    gct != LJ_GCT_FUNC || target_read(t, fn + LJ_FN_FFID, &ffid, 1) ||
		    ffid != LJ_FF_C || target_read_u64(t, fn + LJ_FN_F, &f[i]) ||
		    !(m[i] = target_module_at(t, f[i])) || !module_elf(m[i])) {
			plan_note(p, "cosockets: registry.%s.%s is no C function in a module: "
				  "pools are walked only", NGX_TCP_MT, methods[i].method);
			return 0;
		}
	}
	for (i = 0; i < NMETHODS; i++) {
		struct probe_cfg cfg = { .kind = methods[i].kind, .co = loc_reg(CFREG_RDI),
					 .conn = loc_deref(base, 0, 8) };

		if (methods[i].kind == EV_POOL_GET) {
			/* Every connection in one BPF pool: user space sorts them out. */
			cfg.pool = (struct loc){ .base = LOC_CONST, .base_off = j->ngx_pool_key };
			lj_call_site(&cfg, loc_reg(CFREG_RDI));
		}
		snprintf(desc, sizeof(desc), "0x%llx (tcp socket %s: registry.%s.%s)",
			 (unsigned long long)(f[i] - m[i]->bias), methods[i].method, NGX_TCP_MT,
			 methods[i].method);
		if ((r = plan_add(p, m[i], f[i] - m[i]->bias, desc, &cfg, err, errlen)))
			return r;
	}
	p->pools_walked = 1;
	plan_note(p, "cosockets: connect, setkeepalive and close probed (C functions read from "
		  "registry.%s at attach): who connected each connection out, and from which "
		  "Lua line (the caller's return pc, its line found in user space; a JIT-compiled "
		  "caller leaves none); the pools' figures (out, idle, connects waiting) are read "
		  "from the pools themselves at each walk", NGX_TCP_MT);
	return 0;
}

/* A connection the connect probe saw taken, as its socket says now: see runtime.h. */
static int luajit_conn_now(struct rt_ctx *rc, uint64_t conn, uint64_t co, uint64_t *pool,
			   int *orphan)
{
	struct target *t = rc->t;
	uint64_t u = lj_cosocket(t, conn);
	char state[16];

	if (!u)
		return -1;
	if (!cosocket_out(t, u, NULL, pool) || !*pool)
		return 1;
	/* A holder that ended, or that the GC took (no thread there: "?"), holds nothing. */
	luajit_state(t, co, 0, 0, state, sizeof(state));
	*orphan = !strcmp(state, "dead") || !strcmp(state, "?");
	return 0;
}

static int luajit_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct target *t = rc->t;
	struct luajit *j = rc->priv;
	uint64_t g, main, cur, obj, next, n, vm = 0;
	size_t first_coro = c->ncoros, first_pool = c->npools;
	struct u64_set sockets = { 0 };
	/* At each snapshot the probes know the connections out: the pools' figures will do. */
	int conns = j->ngx_pool_key && c->scope != CENSUS_UNPROBED;
	struct census_coro *co;
	uint8_t gct;

	snprintf(c->version, sizeof(c->version), "%s", j->version);
	if (luajit_global(t, j, &g)) {
		snprintf(err, errlen, "no lua_State found in the main thread's stack, the "
			 "executable's data or lua-nginx-module's main conf");
		return census_unreadable(t);
	}
	if (target_read_u64(t, g + LJ_G_MAINTHREAD, &main) ||
	    target_read_u64(t, g + j->cur_l, &cur) || target_read_u64(t, g + LJ_G_ROOT, &obj) ||
	    (j->cur_l != LJ_G_CUR_L && target_read_u64(t, g + LJ_G_VMTHREF, &vm))) {
		snprintf(err, errlen, "global_State at 0x%llx unreadable", (unsigned long long)g);
		return census_unreadable(t);
	}
	/* The main thread lives in GG_State, on no list. */
	if (!(co = census_add_coro(c, main)))
		return 0;
	luajit_state(t, main, main, cur, co->state, sizeof(co->state));
	for (n = 0; obj; obj = next, n++) {
		if (n == ALLGC_MAX_OBJECTS) {
			snprintf(c->warning, sizeof(c->warning), "gc.root walk stopped after %llu "
				 "objects (a cycle?)", (unsigned long long)n);
			break;
		}
		if (target_read_u64(t, obj, &next) || target_read(t, obj + LJ_L_GCT, &gct, 1)) {
			snprintf(c->warning, sizeof(c->warning), "gc.root: unreadable object at "
				 "0x%llx", (unsigned long long)obj);
			break;
		}
		if (gct == LJ_GCT_TAB && conns && lj_cosocket(t, (LJ_IT_TAB << 47) | obj) &&
		    set_add(&sockets, (LJ_IT_TAB << 47) | obj))
			break;
		if (gct != LJ_GCT_THREAD || obj == main || obj == vm)
			continue;
		if (!(co = census_add_coro(c, obj)))
			break;
		luajit_state(t, obj, main, cur, co->state, sizeof(co->state));
		lj_sites(t, obj, co);
		ngx_owner(t, j, obj, co);
	}
	qsort(sockets.v, sockets.n, sizeof(*sockets.v), cmp_u64);
	if (j->ngx_pool_key && (ngx_pools(t, j, g, main, c) ||
				(conns && ngx_conns_out(t, c, first_pool, first_coro, &sockets))))
		snprintf(c->warning, sizeof(c->warning), "cosocket pools: unreadable, or not "
			 "laid out as in lua-nginx-module 0.10");
	free(sockets.v);
	return 0;
}

const struct runtime runtime_luajit = {
	.name = "luajit",
	.id_is_number = 0,
	.looks_for = "LuaJIT (luaJIT_setmode and lua_newthread)",
	.detect = luajit_detect,
	.open = luajit_open,
	.close = luajit_close,
	.plan = luajit_plan,
	.census = luajit_census,
	.walks_links = 1,
	.describe_site = luajit_describe_site,
	.conn_now = luajit_conn_now,
	.exits_unprobed = 1,
};
