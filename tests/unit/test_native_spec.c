// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The native probe-spec language (user/runtimes/native.c) on this very process, linked
 * with the ucoro fixture library for its symbols: every form the README lists parses,
 * prints back as a spec, and that spec parses to the same probe points; bad specs are
 * refused with exit code 2 (6 for a missing symbol or module), entry: for co among them
 * (saved values are found by coroutine). */
#include <stdlib.h>
#include <unistd.h>
#include "runtimes/native.h"
#include "ucoro.h"
#include "unit.h"

static struct target self;

/* co, pool... of a point, with entry: values replaced by what the save probe reads. */
static struct loc resolved(const struct probe_plan *p, struct loc l, int *saved)
{
	int i;

	*saved = l.base == LOC_SAVED;
	for (i = 0; *saved && i < p->n; i++)
		if (p->pts[i].cfg.kind == EV_SAVE && p->pts[i].cfg.slot == l.reg)
			return p->pts[i].cfg.save;
	return l;
}

static int loc_eq(const struct probe_plan *pa, struct loc a, const struct probe_plan *pb,
		  struct loc b)
{
	int sa, sb, i;

	a = resolved(pa, a, &sa);
	b = resolved(pb, b, &sb);
	if (sa != sb || a.base != b.base || a.nderef != b.nderef || a.base_off != b.base_off ||
	    (a.base == LOC_REG && a.reg != b.reg) || (a.nderef && a.size != b.size))
		return 0;
	for (i = 0; i < a.nderef; i++)
		if (a.off[i] != b.off[i])
			return 0;
	return 1;
}

/* The event points (not the entry: saves) of two plans are the same, in order. */
static int same_points(const struct probe_plan *a, const struct probe_plan *b)
{
	int i = 0, j = 0;

	for (;; i++, j++) {
		const struct probe_point *x, *y;

		while (i < a->n && a->pts[i].cfg.kind == EV_SAVE)
			i++;
		while (j < b->n && b->pts[j].cfg.kind == EV_SAVE)
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		x = &a->pts[i];
		y = &b->pts[j];
		if (x->mod != y->mod || x->file_off != y->file_off || x->cfg.kind != y->cfg.kind ||
		    x->cfg.flags != y->cfg.flags || x->cfg.site_kind != y->cfg.site_kind ||
		    !loc_eq(a, x->cfg.co, b, y->cfg.co) || !loc_eq(a, x->cfg.pool, b, y->cfg.pool) ||
		    !loc_eq(a, x->cfg.conn, b, y->cfg.conn) || !loc_eq(a, x->cfg.site, b, y->cfg.site) ||
		    !loc_eq(a, x->cfg.cond, b, y->cfg.cond))
			return 0;
	}
}

static int first_event(const struct probe_plan *p)
{
	int i;

	for (i = 0; i < p->n && p->pts[i].cfg.kind == EV_SAVE; i++)
		;
	return i;
}

static struct probe_plan a, b;
static const char *exe;

/* spec -> plan -> text -> plan: the same points; the text is `want` when given (%s
 * there is this program's name). */
static void round_trip(const char *spec, const char *want)
{
	char err[256], text[512], text2[512], what[600], want_text[512];
	int r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if ((r = native_add_spec(&self, spec, &a, err, sizeof(err)))) {
		printf("FAIL %s: refused (%d): %s\n", spec, r, err);
		unit_failed = 1;
		return;
	}
	if (native_spec_format(&self, &a, first_event(&a), text, sizeof(text))) {
		printf("FAIL %s: cannot be printed: '%s'\n", spec, text);
		unit_failed = 1;
		return;
	}
	snprintf(what, sizeof(what), "%s printed", spec);
	if (want) {
		snprintf(want_text, sizeof(want_text), want, exe);
		expect_str(what, text, want_text);
	}
	if ((r = native_add_spec(&self, text, &b, err, sizeof(err)))) {
		printf("FAIL %s: its print '%s' refused (%d): %s\n", spec, text, r, err);
		unit_failed = 1;
		return;
	}
	snprintf(what, sizeof(what), "%s -> %s: same points (%d)", spec, text, a.n);
	expect_int(what, same_points(&a, &b), 1);
	native_spec_format(&self, &b, first_event(&b), text2, sizeof(text2));
	snprintf(what, sizeof(what), "%s printed again", spec);
	expect_str(what, text2, text);
}

static void refused(const char *spec, int code)
{
	char err[256], what[300];
	struct probe_plan p = {};

	snprintf(what, sizeof(what), "refused %s", spec);
	expect_int(what, native_add_spec(&self, spec, &p, err, sizeof(err)), code);
}

static void body(void *arg)
{
	(void)arg;
}

int main(void)
{
	char err[256];

	/* Keep the fixture library linked in: its symbols are what the specs name. */
	struct uco_pool *pool = uco_pool_new(1);

	uco_pool_put(pool, uco_pool_get(pool));
	uco_resume(uco_create(body, NULL));
	if (target_open_pid(&self, getpid(), err, sizeof(err))) {
		printf("FAIL cannot open this process: %s\n", err);
		return 1;
	}
	exe = strrchr(self.exe, '/') + 1;

	/* The README's example, spec by spec, with the exact text printed. */
	{
		static const char *const readme[][2] = {
			{ "create=uco_register,co=arg0[0],site=func:arg0[8]",
			  "create=%s:uco_register,co=%%rdi[0],site=func:%%rdi[8]" },
			{ "defer=uco_defer,co=sym:uco_current[0][0],site=caller",
			  "defer=%s:uco_defer,co=sym:uco_current[0][0],site=caller" },
			{ "defer-run=uco_run_defer,co=arg0[0]", "defer-run=%s:uco_run_defer,co=%%rdi[0]" },
			{ "exit=uco_unregister,co=arg0[0]", "exit=%s:uco_unregister,co=%%rdi[0]" },
			{ "get=uco_pool_get%return,co=sym:uco_current[0][0],pool=entry:arg0,conn=ret,"
			  "site=entry:caller,if=ret!=0",
			  "get=%s:uco_pool_get%%return,co=sym:uco_current[0][0],pool=entry:%%rdi,"
			  "conn=%%rax,site=entry:caller,if=%%rax!=0" },
			{ "put=uco_pool_put,pool=arg0,conn=arg1", "put=%s:uco_pool_put,pool=%%rdi,conn=%%rsi" },
		};
		size_t i;

		for (i = 0; i < sizeof(readme) / sizeof(readme[0]); i++)
			round_trip(readme[i][0], readme[i][1]);
	}
	/* Every other form: events, MODULE:, +OFF, bases, offsets, sizes, sites, if, and
	 * entry: in each position it is allowed. */
	round_trip("touch=uco_yield,co=sym:uco_current[0][0]", NULL);
	round_trip("defer=uco_defer+4,co=arg1", NULL);
	round_trip("defer=libc.so.6:malloc,co=arg0", NULL);
	round_trip("create=uco_create%return,co=ret[0]", NULL);
	round_trip("touch=uco_yield,co=arg2[-8][16]:4,site=pc:arg3[0]", NULL);
	round_trip("touch=uco_yield,co=arg4[1]:1,site=arg5[2]:2", NULL);
	round_trip("touch=uco_yield,co=%r12[0][0][0][0][0][0],site=%rbp[8]", NULL);
	round_trip("touch=uco_yield,co=%rbx+16[0],if=%r15==0", NULL);
	round_trip("touch=uco_yield,co=%rsp-8[0]:4,if=arg0[0]!=0", NULL);
	round_trip("touch=uco_yield,co=tls:-8[0]", "touch=%s:uco_yield,co=tls:-8[0]");
	round_trip("touch=uco_yield,co=tls:16", NULL);
	round_trip("touch=uco_yield,co=42", NULL);
	round_trip("touch=uco_yield,co=-1,site=0x1234", NULL);
	round_trip("touch=uco_yield,co=sym:uco_created", NULL);
	round_trip("touch=uco_yield,co=sym:uco_current+8[0]", "touch=%s:uco_yield,co=sym:uco_all[0]");
	round_trip("get=uco_pool_get%return,co=arg0,pool=entry:arg0,conn=entry:arg1[8]", NULL);
	round_trip("get=uco_pool_get%return,co=%rbx,pool=arg1,conn=ret,site=entry:func:arg0[8]",
		   NULL);
	round_trip("get=uco_pool_get%return,co=arg0,pool=arg1,conn=ret,site=entry:pc:arg2",
		   NULL);
	round_trip("get=uco_pool_get%return,co=arg0,pool=arg1,conn=ret,site=entry:arg2[0]:4", NULL);
	round_trip("exit=uco_pool_get%return,co=arg0,if=entry:arg0[0]==0", NULL);
	round_trip("get=uco_pool_get%return,co=sym:uco_current[0][0],site=entry:caller,"
		   "pool=entry:arg0,conn=ret,if=ret==0", NULL);

	refused("frob=uco_defer,co=arg0", EXIT_USAGE);
	refused("defer=uco_defer,co=arg6", EXIT_USAGE);
	refused("defer=uco_defer,site=caller", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0,pool=entry:arg0", EXIT_USAGE);
	refused("defer=uco_defer,co=ret", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0:4", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0[0]:3", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0[0][0][0][0][0][0][0]", EXIT_USAGE);
	refused("defer=uco_defer,co=%xyz", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0,colour=red", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0,if=arg0>0", EXIT_USAGE);
	refused("defer=uco_defer,co=arg0 trailing", EXIT_USAGE);
	refused("defer=uco_defer+4%return,co=arg0", EXIT_USAGE);
	refused("get=uco_pool_get%return,co=arg0,pool=entry:arg0[0]...", EXIT_USAGE);
	refused("get=uco_pool_get%return,co=arg0,pool=entry:arg0[8],conn=ret[0]x", EXIT_USAGE);
	refused("get=uco_pool_get,co=arg0,conn=arg1", EXIT_USAGE);
	refused("put=uco_pool_put,pool=arg0", EXIT_USAGE);
	refused("exit=uco_pool_get%return,co=entry:arg0[0]", EXIT_USAGE);
	refused("defer=no_such_function,co=arg0", EXIT_SYMBOL);
	refused("defer=uco_defer,co=sym:no_such_global", EXIT_SYMBOL);
	refused("defer=libnope.so:uco_defer,co=arg0", EXIT_SYMBOL);
	target_close(&self);
	return unit_failed;
}
