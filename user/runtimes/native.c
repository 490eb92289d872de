// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `native` profile: probe points given on the command line, for C/C++ coroutine
 * libraries codefer has no profile for. One --probe per event:
 *
 *   EVENT=[MODULE:]SYMBOL[+OFF][%return],KEY=VALUE,...
 *
 * EVENT   create | defer | defer-run | exit | get | put | touch
 * %return probe every return instruction of SYMBOL (decoded; never a uretprobe)
 * KEY     co (coroutine id; required), pool, conn, site, if
 * LOC     BASE[+N|-N][OFF]...[:SIZE]  e.g. arg0[8]:4 = 4 bytes at *(arg0 + 8)... see README
 *         BASE: arg0..arg5, ret, %REG, sym:NAME (a global's address), tls:N (fs_base + N),
 *               entry:LOC (read at the function's entry, for %return probes), or a number
 * site    caller | func:LOC | pc:LOC | LOC, optionally behind entry:
 * if      LOC==0 | LOC!=0
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "native.h"


static const char *const reg_names[CFREG__COUNT] = {
	"rdi", "rsi", "rdx", "rcx", "r8", "r9", "rax", "rbx", "rbp", "rsp",
	"r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

struct parse {
	struct target *t;
	struct probe_plan *plan;
	const char *spec;
	char *err;
	size_t errlen;
	int is_return;
	int nsaves;
	struct {
		struct loc what;
		int slot;
	} saves[8];
};

static int bad(struct parse *ps, const char *why, const char *at)
{
	snprintf(ps->err, ps->errlen, "bad probe spec '%s': %s%s%.40s%s", ps->spec, why,
		 at ? " at '" : "", at ? at : "", at ? "'" : "");
	return EXIT_USAGE;
}

static int parse_num(const char **p, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(*p, &end, 0);
	if (end == *p || errno == ERANGE)	/* no number, or past 64 bits */
		return -1;
	*p = end;
	return 0;
}

static int parse_loc(struct parse *ps, const char **p, struct loc *l);

/* entry:LOC in a %return probe: an EV_SAVE at the function's entry keeps the value per
 * coroutine, and the return-site probe reads it back. */
static int to_saved(struct parse *ps, struct loc *l, const char *at)
{
	if (!ps->is_return)
		return bad(ps, "entry: needs a %return probe", at);
	if (ps->nsaves == (int)(sizeof(ps->saves) / sizeof(ps->saves[0])))
		return bad(ps, "too many entry: values", at);
	/* The save probes take plan slots n.. in order, so their indexes are unique slots. */
	ps->saves[ps->nsaves].what = *l;
	ps->saves[ps->nsaves].slot = ps->plan->n + ps->nsaves;
	*l = (struct loc){ .base = LOC_SAVED, .reg = ps->saves[ps->nsaves].slot };
	ps->nsaves++;
	return 0;
}

static int parse_base(struct parse *ps, const char **p, struct loc *l)
{
	char name[256];
	long long v;
	size_t n;
	int i;

	if (!strncmp(*p, "entry:", 6)) {
		const char *at = *p;
		int r;

		*p += 6;
		return (r = parse_loc(ps, p, l)) ? r : to_saved(ps, l, at);
	}
	if (!strncmp(*p, "sym:", 4)) {
		*p += 4;
		n = strcspn(*p, "[+-:,=!");
		if (!n || n >= sizeof(name))
			return bad(ps, "sym: needs a symbol name", *p);
		snprintf(name, sizeof(name), "%.*s", (int)n, *p);
		*p += n;
		l->base = LOC_ADDR;
		l->base_off = target_sym(ps->t, NULL, name, NULL);
		if (!l->base_off) {
			snprintf(ps->err, ps->errlen, "symbol %s not found in the target", name);
			return EXIT_SYMBOL;
		}
		return 0;
	}
	if (!strncmp(*p, "tls:", 4)) {
		*p += 4;
		l->base = LOC_TLS;
		return parse_num(p, &v) ? bad(ps, "tls: needs an offset", *p) : (l->base_off = v, 0);
	}
	if (!strncmp(*p, "arg", 3) && (*p)[3] >= '0' && (*p)[3] <= '5') {
		*l = loc_reg((enum loc_reg)((*p)[3] - '0'));
		*p += 4;
		return 0;
	}
	if (!strncmp(*p, "ret", 3) && !isalnum((unsigned char)(*p)[3])) {
		if (!ps->is_return)
			return bad(ps, "ret needs a %return probe", *p);
		*l = loc_reg(CFREG_RAX);
		*p += 3;
		return 0;
	}
	if (**p == '%') {
		for (i = 0; i < CFREG__COUNT; i++) {
			n = strlen(reg_names[i]);
			if (!strncmp(*p + 1, reg_names[i], n) && !isalnum((unsigned char)(*p)[1 + n])) {
				*l = loc_reg((enum loc_reg)i);
				*p += 1 + n;
				return 0;
			}
		}
		return bad(ps, "unknown register", *p);
	}
	if (parse_num(p, &v))
		return bad(ps, "expected a location", *p);
	l->base = LOC_CONST;
	l->base_off = v;
	return 0;
}

static int parse_loc(struct parse *ps, const char **p, struct loc *l)
{
	long long v;
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = parse_base(ps, p, l)))
		return r;
	if ((**p == '+' || **p == '-') && l->base != LOC_SAVED) {
		if (parse_num(p, &v))
			return bad(ps, "expected a number", *p);
		l->base_off += v;
	}
	while (**p == '[') {
		(*p)++;
		if (parse_num(p, &v) || **p != ']')
			return bad(ps, "expected [OFFSET]", *p);
		(*p)++;
		if (l->base == LOC_SAVED || l->nderef == LOC_MAX_DEREF)
			return bad(ps, l->base == LOC_SAVED ? "dereference inside entry:, not after it"
							    : "too many dereferences", *p);
		l->off[l->nderef++] = (int32_t)v;
		l->size = 8;
	}
	if (**p == ':') {
		(*p)++;
		if (parse_num(p, &v) || (v != 1 && v != 2 && v != 4 && v != 8) || !l->nderef)
			return bad(ps, "size is :1, :2, :4 or :8 after a dereference", *p);
		l->size = (uint8_t)v;
	}
	return 0;
}

static int parse_site(struct parse *ps, const char **p, struct probe_cfg *cfg)
{
	int entry = !strncmp(*p, "entry:", 6);
	struct loc caller = loc_deref(loc_reg(CFREG_RSP), 0, 8);
	const char *q = *p + (entry ? 6 : 0);
	int r = 0;

	cfg->site_kind = SITE_PC;
	if (!strncmp(q, "caller", 6)) {
		*p = q + 6;
		cfg->site = caller;
	} else if (!strncmp(q, "func:", 5) || !strncmp(q, "pc:", 3)) {
		cfg->site_kind = q[0] == 'f' ? SITE_FUNC : SITE_PC;
		*p = q + (q[0] == 'f' ? 5 : 3);
		r = parse_loc(ps, p, &cfg->site);
	} else {
		*p = q;
		r = parse_loc(ps, p, &cfg->site);
	}
	return r || !entry ? r : to_saved(ps, &cfg->site, q);
}

static int parse_key(struct parse *ps, const char **p, struct probe_cfg *cfg)
{
	size_t n = strcspn(*p, "=");
	struct loc *dst = NULL;
	int r;

	if ((*p)[n] != '=')
		return bad(ps, "expected KEY=VALUE", *p);
	if (n == 2 && !strncmp(*p, "co", 2))
		dst = &cfg->co;
	else if (n == 4 && !strncmp(*p, "pool", 4))
		dst = &cfg->pool;
	else if (n == 4 && !strncmp(*p, "conn", 4))
		dst = &cfg->conn;
	else if (n == 4 && !strncmp(*p, "site", 4))
		return cfg->site.base || cfg->site_kind ? bad(ps, "site given twice", *p) :
		       (*p += 5, parse_site(ps, p, cfg));
	else if (n == 2 && !strncmp(*p, "if", 2)) {
		if (cfg->cond.base)
			return bad(ps, "if given twice", *p);
		*p += 3;
		if ((r = parse_loc(ps, p, &cfg->cond)))
			return r;
		if (!strncmp(*p, "==0", 3))
			cfg->flags |= PF_COND_ZERO;
		else if (!strncmp(*p, "!=0", 3))
			cfg->flags |= PF_COND_NONZERO;
		else
			return bad(ps, "if takes LOC==0 or LOC!=0", *p);
		*p += 3;
		return 0;
	} else
		return bad(ps, "unknown key (co, pool, conn, site, if)", *p);
	if (dst->base)
		return bad(ps, "a key given twice", *p);
	*p += n + 1;
	if ((r = parse_loc(ps, p, dst)))
		return r;
	/* Saved values are found by coroutine: the coroutine cannot be one of them. */
	return dst == &cfg->co && dst->base == LOC_SAVED ?
	       bad(ps, "co cannot be entry: (saved values are kept per coroutine)", NULL) : 0;
}

/* Probe points for one spec: the symbol's entry, or each of its return instructions. */
static int add_points(struct parse *ps, struct module *m, const char *sym, long long off,
		      struct probe_cfg *cfg)
{
	const struct elf_sym *s = NULL;
	struct probe_cfg save = { .kind = EV_SAVE, .co = cfg->co };
	char desc[160];
	int i, r;

	for (i = m ? -1 : 0; !s && i < ps->t->nmods; i++) {
		struct module *cand = i < 0 ? m : &ps->t->mods[i];

		if (module_elf(cand) && (s = elf_sym_by_name(cand->elf, sym)) && s->is_func)
			m = cand;
		else
			s = NULL;
		if (i < 0)
			break;
	}
	if (!s) {
		snprintf(ps->err, ps->errlen, "symbol %s not found in %s", sym,
			 m ? m->path : "the target's modules");
		return EXIT_SYMBOL;
	}
	for (i = 0; i < ps->nsaves; i++) {
		save.slot = ps->saves[i].slot;
		save.save = ps->saves[i].what;
		snprintf(desc, sizeof(desc), "%.120s (entry: save %d)", sym, i);
		if ((r = plan_add(ps->plan, m, s->value, desc, &save, ps->err, ps->errlen)))
			return r;
	}
	if (!ps->is_return)
		return plan_add_sym(ps->plan, ps->t, m, sym, off, cfg, ps->err, ps->errlen);
	return plan_add_returns(ps->plan, m, sym, cfg, NULL, ps->err, ps->errlen);
}

int native_add_spec(struct target *t, const char *spec, struct probe_plan *plan, char *err,
		    size_t errlen)
{
	struct parse ps = { .t = t, .plan = plan, .spec = spec, .err = err, .errlen = errlen };
	struct probe_cfg cfg = {};
	char point[512], *sym, *colon, *plus, *ret;
	struct module *m = NULL;
	const char *p = strchr(spec, '=');
	long long off = 0;
	size_t i, n;
	int r;

	/* Every event but the internal save (entry:LOC makes those) and the timers, which
	 * only a runtime's own walker can complete (their captures, their census). */
	for (i = EV_CREATE; p && i < EV__COUNT; i++)
		if (i != EV_SAVE && i != EV_TIMER_ADD && i != EV_TIMER_DONE &&
		    strlen(event_name(i)) == (size_t)(p - spec) &&
		    !strncmp(spec, event_name(i), p - spec))
			cfg.kind = i;
	if (!cfg.kind)
		return bad(&ps, "expected EVENT=SYMBOL with EVENT one of create, defer, defer-run, "
				"exit, get, put, touch", spec);
	p++;
	n = strcspn(p, ",");
	if (!n || n >= sizeof(point))
		return bad(&ps, "expected a symbol", p);
	snprintf(point, sizeof(point), "%.*s", (int)n, p);
	p += n;
	if ((ret = strstr(point, "%return")) && !ret[7]) {
		*ret = 0;
		ps.is_return = 1;
	}
	if (strchr(point, '%'))
		return bad(&ps, "only %return may follow the symbol, once", strchr(p - n, '%'));
	sym = point;
	if ((colon = strrchr(point, ':'))) {
		if (colon == point)
			return bad(&ps, "MODULE:SYMBOL needs a module before the colon", p - n);
		*colon = 0;
		sym = colon + 1;
		if (!(m = target_module(t, point))) {
			char names[1024];

			target_module_names(t, names, sizeof(names));
			snprintf(err, errlen, "module %s is not mapped in the target; mapped: %s", point,
				 names);
			return EXIT_SYMBOL;
		}
	}
	if ((plus = strchr(sym, '+'))) {
		const char *q = plus + 1;

		*plus = 0;
		if (ps.is_return || parse_num(&q, &off) || *q)
			return bad(&ps, "SYMBOL+OFFSET takes a number (and no %return)", plus);
	}
	while (*p == ',') {
		p++;
		if ((r = parse_key(&ps, &p, &cfg)))
			return r;
	}
	if (*p)
		return bad(&ps, "unexpected text", p);
	if (!cfg.co.base && cfg.kind != EV_POOL_PUT)
		return bad(&ps, "co=LOC (the coroutine id) is required", spec);
	if ((cfg.kind == EV_POOL_GET || cfg.kind == EV_POOL_PUT) && !cfg.conn.base)
		return bad(&ps, "get and put need conn=LOC", spec);
	if (cfg.kind == EV_POOL_GET && !cfg.pool.base)
		return bad(&ps, "get needs pool=LOC", spec);
	return add_points(&ps, m, sym, off, &cfg);
}

void loc_format(const struct loc *l, char *buf, size_t len)
{
	size_t n = 0;
	int i;

#define OUT(...) (n += snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	switch (l->base) {
	case LOC_NONE:
		OUT("-");
		return;
	case LOC_REG:
		OUT("%%%s", l->reg < CFREG__COUNT ? reg_names[l->reg] : "?");
		if (l->base_off)
			OUT("%+lld", (long long)l->base_off);
		break;
	case LOC_ADDR:
		OUT("0x%llx", (unsigned long long)l->base_off);
		break;
	case LOC_TLS:
		OUT("tls:%lld", (long long)l->base_off);
		break;
	case LOC_SAVED:
		OUT("saved:%d", l->reg);
		break;
	case LOC_CONST:
		OUT("%lld", (long long)l->base_off);
		break;
	case LOC_FRAME:
		OUT("frame");
		if (l->base_off)
			OUT("%+lld", (long long)l->base_off);
		break;
	}
	for (i = 0; i < l->nderef && i < LOC_MAX_DEREF; i++)
		OUT("[%d]", l->off[i]);
	if (l->nderef && l->size && l->size != 8)
		OUT(":%d", l->size);
	if (l->flags & LOCF_ALT)
		OUT(" (if &%#x == %#x: [%+d] of it)", l->alt_mask, l->alt_val, l->alt_off);
	if (l->flags & LOCF_THREAD)
		OUT(" (with the thread's id)");
#undef OUT
}

/* The printer: a plan's point back in the spec language, so that parsing what it prints
 * gives the same point (the unit tests' round trip). sym: and entry: values are named
 * again from the symbols and the plan's save points. */
struct printer {
	struct target *t;
	const struct probe_plan *plan;
	char *buf;
	size_t len, n;
	int bad;
};

#define PR(pr, ...) ((pr)->n += snprintf((pr)->buf + (pr)->n, \
	(pr)->n < (pr)->len ? (pr)->len - (pr)->n : 0, __VA_ARGS__))

struct sym_find {
	uint64_t vaddr;
	const struct elf_sym *s;
};

static int sym_holding(const struct elf_sym *s, void *arg)
{
	struct sym_find *f = arg;

	if (s->is_tls || s->value > f->vaddr || f->vaddr >= s->value + (s->size ? s->size : 1))
		return 0;
	f->s = s;
	return 1;
}

static void print_loc(struct printer *pr, const struct loc *l)
{
	struct module *m;
	struct sym_find f = { 0 };
	int i;

	switch (l->base) {
	case LOC_REG:
		PR(pr, "%%%s", l->reg < CFREG__COUNT ? reg_names[l->reg] : "?");
		if (l->base_off)
			PR(pr, "%+lld", (long long)l->base_off);
		break;
	case LOC_ADDR:
		/* A global in .bss can sit past the module's file mappings: ask every module. */
		m = target_module_at(pr->t, l->base_off);
		for (i = -1; !f.s && i < pr->t->nmods; i++) {
			if (i >= 0)
				m = &pr->t->mods[i];
			if (m && module_elf(m) && (uint64_t)l->base_off >= m->bias) {
				f.vaddr = l->base_off - m->bias;
				elf_sym_each(m->elf, sym_holding, &f);
			}
		}
		if (!f.s) {
			pr->bad = 1;
			PR(pr, "0x%llx", (unsigned long long)l->base_off);
			break;
		}
		PR(pr, "sym:%s", f.s->name);
		if (f.vaddr != f.s->value)
			PR(pr, "+%llu", (unsigned long long)(f.vaddr - f.s->value));
		break;
	case LOC_TLS:
		PR(pr, "tls:%lld", (long long)l->base_off);
		break;
	case LOC_SAVED:
		for (i = 0; i < pr->plan->n; i++)
			if (pr->plan->pts[i].cfg.kind == EV_SAVE && pr->plan->pts[i].cfg.slot == l->reg)
				break;
		if (i == pr->plan->n) {
			pr->bad = 1;
			PR(pr, "saved:%d", l->reg);
			return;
		}
		PR(pr, "entry:");
		print_loc(pr, &pr->plan->pts[i].cfg.save);
		return;
	case LOC_CONST:
		PR(pr, "%lld", (long long)l->base_off);
		break;
	default:
		pr->bad = 1;
		return;
	}
	for (i = 0; i < l->nderef && i < LOC_MAX_DEREF; i++)
		PR(pr, "[%d]", l->off[i]);
	if (l->nderef && l->size && l->size != 8)
		PR(pr, ":%d", l->size);
}

static void print_key(struct printer *pr, const char *key, const struct loc *l)
{
	if (!l->base)
		return;
	PR(pr, ",%s=", key);
	print_loc(pr, l);
}

int native_spec_format(struct target *t, const struct probe_plan *plan, int i, char *buf,
		       size_t len)
{
	const struct probe_point *pt = &plan->pts[i];
	const struct probe_cfg *c = &pt->cfg;
	struct loc caller = loc_deref(loc_reg(CFREG_RSP), 0, 8);
	struct printer pr = { .t = t, .plan = plan, .buf = buf, .len = len };
	const char *slash = strrchr(pt->mod->path, '/');
	const char *ret = strstr(pt->desc, " (return)");
	struct elf_file *e = module_elf(pt->mod);
	const struct elf_sym *s = NULL;
	int64_t delta;
	uint64_t vaddr;
	size_t k;

	if (len)
		buf[0] = 0;
	PR(&pr, "%s=", event_name(c->kind));
	if (!pr.n || !e || elf_offset_delta(e, pt->file_off, &delta) ||
	    !(s = elf_sym_by_addr(e, vaddr = pt->file_off + delta)))
		return -1;
	PR(&pr, "%s:%s", slash ? slash + 1 : pt->mod->path, s->name);
	if (ret)
		PR(&pr, "%%return");
	else if (vaddr != s->value)
		PR(&pr, "+0x%llx", (unsigned long long)(vaddr - s->value));
	print_key(&pr, "co", &c->co);
	print_key(&pr, "pool", &c->pool);
	print_key(&pr, "conn", &c->conn);
	if (c->site.base) {
		const struct loc *l = &c->site;

		PR(&pr, ",site=");
		if (l->base == LOC_SAVED) {
			PR(&pr, "entry:");
			for (k = 0; k < (size_t)plan->n; k++)
				if (plan->pts[k].cfg.kind == EV_SAVE && plan->pts[k].cfg.slot == l->reg)
					l = &plan->pts[k].cfg.save;
		}
		if (c->site_kind == SITE_FUNC)
			PR(&pr, "func:");
		if (c->site_kind == SITE_PC && !memcmp(l, &caller, sizeof(caller)))
			PR(&pr, "caller");
		else
			print_loc(&pr, l);
	}
	if (c->cond.base) {
		PR(&pr, ",if=");
		print_loc(&pr, &c->cond);
		PR(&pr, c->flags & PF_COND_ZERO ? "==0" : "!=0");
	}
	return pr.bad || pr.n >= len ? -1 : 0;
}

static int native_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	const struct runtime_opts *o = rc->opts;
	struct target *t = rc->t;
	int i, r;

	if (!o->nprobe_specs) {
		snprintf(err, errlen, "the native profile needs --probe specs (see --help)");
		return EXIT_USAGE;
	}
	for (i = 0; i < o->nprobe_specs; i++)
		if ((r = native_add_spec(t, o->probe_specs[i], p, err, errlen)))
			return r;
	snprintf(p->version, sizeof(p->version), "probes from the command line");
	return 0;
}

const struct runtime runtime_native = {
	.name = "native",
	.id_is_number = 1,
	.plan = native_plan,
};
