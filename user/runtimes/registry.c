// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The runtimes codefer knows, and the helpers their profiles and walkers share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "disasm.h"
#include "elfsym.h"
#include "runtime.h"

extern const struct runtime runtime_go, runtime_lua, runtime_luajit, runtime_swoole,
	runtime_php_fiber, runtime_ucoro, runtime_native;

/* Detection order matters only on ties: the first best score wins. Swoole outscores
 * plain PHP fibers in a php that loads swoole.so. */
const struct runtime *const runtimes[] = {
	&runtime_go,
	&runtime_swoole,
	&runtime_php_fiber,
	&runtime_lua,
	&runtime_luajit,
	&runtime_ucoro,
	&runtime_native,
	NULL,
};

const char *event_name(enum event_kind k)
{
	static const char *const names[EV__COUNT] = {
		[EV_CREATE] = "create", [EV_DEFER] = "defer", [EV_DEFER_RUN] = "defer-run",
		[EV_EXIT] = "exit", [EV_POOL_GET] = "get", [EV_POOL_PUT] = "put",
		[EV_SAVE] = "save", [EV_TOUCH] = "touch", [EV_TIMER_ADD] = "timer-add",
		[EV_TIMER_DONE] = "timer-done", [EV_POOL_OPEN] = "open",
	};

	return k < EV__COUNT && names[k] ? names[k] : "?";
}

const char *runtime_names(void)
{
	static char buf[256];
	size_t n = 0;
	int i;

	if (!buf[0])
		for (i = 0; runtimes[i]; i++)
			n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s",
				      i ? ", " : "", runtimes[i]->name);
	return buf;
}

const struct runtime *runtime_by_name(const char *name)
{
	int i;

	for (i = 0; runtimes[i]; i++)
		if (!strcmp(runtimes[i]->name, name))
			return runtimes[i];
	return NULL;
}

const struct runtime *runtime_detect(struct target *t, char *looked_for, size_t len)
{
	const struct runtime *best = NULL;
	int i, score, best_score = 0, n = 0;

	if (looked_for && len)
		looked_for[0] = 0;
	for (i = 0; runtimes[i]; i++) {
		if (!runtimes[i]->detect)
			continue;
		if (looked_for)
			n += snprintf(looked_for + n, n < (int)len ? len - n : 0, "%s%s", n ? "; " : "",
				      runtimes[i]->looks_for);
		score = runtimes[i]->detect(t);
		if (score > best_score) {
			best = runtimes[i];
			best_score = score;
		}
	}
	return best;
}

int rt_open(struct rt_ctx *c, const struct runtime *rt, struct target *t,
	    const struct runtime_opts *o, char *err, size_t errlen)
{
	static const struct runtime_opts none;

	memset(c, 0, sizeof(*c));
	c->rt = rt;
	c->t = t;
	c->opts = o ? o : &none;
	return rt->open ? rt->open(c, err, errlen) : 0;
}

void rt_close(struct rt_ctx *c)
{
	if (c->rt && c->rt->close)
		c->rt->close(c);
	memset(c, 0, sizeof(*c));
}

void describe_site(struct target *t, struct rt_ctx *c, const struct site *s, char *buf, size_t len)
{
	switch (s->kind) {
	case SITE_NONE:
		if (s->addr)
			snprintf(buf, len, "0x%llx", (unsigned long long)s->addr);
		else
			snprintf(buf, len, "-");
		break;
	case SITE_PC:
	case SITE_FUNC:
		target_describe_pc(t, s->addr, s->kind == SITE_PC, NULL, buf, len);
		break;
	default:
		if (c && c->rt && c->rt->describe_site)
			c->rt->describe_site(c, s, buf, len);
		else
			snprintf(buf, len, "0x%llx:%llu", (unsigned long long)s->addr,
				 (unsigned long long)s->aux);
	}
}

void plan_note(struct probe_plan *p, const char *fmt, ...)
{
	size_t n = strlen(p->notes);
	va_list ap;

	if (n + 2 >= sizeof(p->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes + n, sizeof(p->notes) - n - 1, fmt, ap);
	va_end(ap);
	strcat(p->notes, "\n");
}

/* Bytes the first load of site half l reads. */
static int first_load_size(const struct loc *l)
{
	return l->nderef == 1 && l->size ? l->size : 8;
}

/* Whether a site half's first load can share one read with the other's (PF_SITE_FUSED). */
static bool fusable_half(const struct loc *l)
{
	return l->nderef && !(l->flags & LOCF_ALT) && (l->base == LOC_FRAME || l->base == LOC_REG);
}

/* When the site's two halves start from the same base and their first loads are close,
 * one read serves both: a read of the target costs about the same whatever its size. */
static void fuse_site(struct probe_cfg *c)
{
	const struct loc *a = &c->site, *b = &c->site_aux;
	int64_t at_a = a->base_off + a->off[0], at_b = b->base_off + b->off[0];
	int64_t lo = at_a < at_b ? at_a : at_b;
	int64_t end_a = at_a + first_load_size(a), end_b = at_b + first_load_size(b);
	int64_t hi = end_a > end_b ? end_a : end_b;

	if ((c->flags & PF_SITE_SKIP) || !fusable_half(a) || !fusable_half(b) ||
	    a->base != b->base || (a->base == LOC_REG && a->reg != b->reg) ||
	    hi - lo > SITE_FUSE_BYTES || (at_a - lo) % 8 || (at_b - lo) % 8)
		return;
	c->flags |= PF_SITE_FUSED;
	c->fuse_off = lo;
	c->fuse_len = hi - lo;
	c->fuse_site = (at_a - lo) / 8;
	c->fuse_aux = (at_b - lo) / 8;
}

int plan_add(struct probe_plan *p, struct module *m, uint64_t vaddr, const char *desc,
	     const struct probe_cfg *cfg, char *err, size_t errlen)
{
	struct elf_file *e = module_elf(m);
	int64_t off = e ? elf_vaddr_to_offset(e, vaddr) : -1;
	const struct elf_sym *fn = e ? elf_sym_by_addr(e, vaddr) : NULL;
	/* At a function's entry: past its endbr64 when that is safe (disasm_entry). */
	uint64_t at = fn && fn->value == vaddr ? disasm_entry(e, vaddr, fn->size) : vaddr;

	if (p->n >= MAX_PROBES) {
		snprintf(err, errlen, "too many probe points (at most %d)", MAX_PROBES);
		return EXIT_USAGE;
	}
	if (off < 0) {
		snprintf(err, errlen, "%s: address 0x%llx is not in a loaded segment of %s", desc,
			 (unsigned long long)vaddr, m->path);
		return EXIT_SYMBOL;
	}
	p->pts[p->n].mod = m;
	p->pts[p->n].file_off = off + (at - vaddr);
	p->pts[p->n].emulated = disasm_at(e, at, p->pts[p->n].insn, sizeof(p->pts[p->n].insn));
	p->pts[p->n].cfg = *cfg;
	fuse_site(&p->pts[p->n].cfg);
	snprintf(p->pts[p->n].desc, sizeof(p->pts[p->n].desc), at == vaddr ? "%s" : "%s, past endbr64",
		 desc);
	p->n++;
	return 0;
}

int plan_add_sym(struct probe_plan *p, struct target *t, struct module *m, const char *sym,
		 uint64_t sym_off, const struct probe_cfg *cfg, char *err, size_t errlen)
{
	struct module *where = m;
	const struct elf_sym *s = NULL;
	char desc[160];
	int i;

	for (i = m ? -1 : 0; !s && i < t->nmods; i++) {
		where = i < 0 ? m : &t->mods[i];
		if (module_elf(where))
			s = elf_sym_by_name(where->elf, sym);
		if (m)
			break;
	}
	if (!s || !s->is_func) {
		snprintf(err, errlen, "symbol %s not found in %s", sym, m ? m->path : "any module");
		return EXIT_SYMBOL;
	}
	/* Inside the function, at an instruction's start: a probe in the middle of one
	 * corrupts the code it traps (the target dies). */
	if (sym_off && (sym_off >= s->size ||
			disasm_boundary(where->elf, s->value, s->size, s->value + sym_off) != 1)) {
		snprintf(err, errlen, "%s+%lld: %s", sym, (long long)sym_off,
			 sym_off >= s->size ? "outside the function" :
			 "not the start of an instruction (as decoded from the function's entry)");
		return EXIT_USAGE;
	}
	snprintf(desc, sizeof(desc), sym_off ? "%s+0x%llx" : "%s", sym, (unsigned long long)sym_off);
	return plan_add(p, where, s->value + sym_off, desc, cfg, err, errlen);
}

int plan_add_returns(struct probe_plan *p, struct module *m, const char *sym,
		     const struct probe_cfg *cfg, const char *what, char *err, size_t errlen)
{
	struct elf_file *e = module_elf(m);
	const struct elf_sym *s = e ? elf_sym_by_name(e, sym) : NULL;
	uint64_t rets[MAX_RETURN_PROBES + 1];
	char desc[160];
	int i, n, r;

	n = s ? disasm_returns(e, s->value, s->size, rets, MAX_RETURN_PROBES + 1) : -1;
	if (n <= 0 || n > MAX_RETURN_PROBES) {
		snprintf(err, errlen, "%.100s: %s", sym, !s ? "symbol not found" : n <= 0 ?
			 "no return instruction found" : "too many return instructions: "
			 "probe its caller instead");
		return EXIT_SYMBOL;
	}
	for (i = 0; i < n; i++) {
		snprintf(desc, sizeof(desc), "%.100s+0x%llx (return%s%s)", sym,
			 (unsigned long long)(rets[i] - s->value), what ? ": " : "", what ? what : "");
		if ((r = plan_add(p, m, rets[i], desc, cfg, err, errlen)))
			return r;
	}
	if ((n = disasm_tail_jumps(e, s->value, s->size)) > 0)
		plan_note(p, "%.100s also returns through %d tail call%s (a jump to another "
			  "function, which returns for it): those returns are not seen", sym, n,
			  n == 1 ? "" : "s");
	return 0;
}

void *array_push(void *v, size_t *n, size_t *cap, size_t size)
{
	void **arr = v;
	char *slot;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, ncap * size);

		if (!p)
			return NULL;
		*arr = p;
		*cap = ncap;
	}
	slot = (char *)*arr + (*n)++ * size;
	memset(slot, 0, size);
	return slot;
}

int census_past_deadline(struct census *c, size_t kept)
{
	struct timespec ts;

	if (!c->deadline_ns)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec <= c->deadline_ns)
		return 0;
	c->partial = 1;
	snprintf(c->warning, sizeof(c->warning), "walk cut short by its time budget after %zu "
		 "coroutines", kept);
	return 1;
}

struct census_coro *census_add_coro(struct census *c, uint64_t id)
{
	struct census_coro *co;

	if (c->ncoros >= WALK_MAX_COROS)
		return NULL;
	/* The clock is read every 1024 coroutines: cheap next to the reads. */
	if (c->ncoros && !(c->ncoros & 1023) && census_past_deadline(c, c->ncoros))
		return NULL;
	if (!(co = array_push(&c->coros, &c->ncoros, &c->cap_coros, sizeof(*co))))
		return NULL;
	co->id = id;
	co->age_ns = -1;
	return co;
}

int census_wants(const struct census *c, uint64_t id)
{
	size_t lo = 0, hi = c->nonly;

	if (!c->only)
		return 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->only[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nonly && c->only[lo].id == id;
}

int64_t census_pool_unlisted(const struct census_pool *p, int64_t listed)
{
	return p->open - p->idle > listed ? p->open - p->idle - listed : 0;
}

int census_add_defer(struct census_coro *co, const struct site *fn, const struct site *site)
{
	struct census_defer *d;

	if (co->ndefers >= WALK_MAX_DEFERS)
		return -1;
	/* Grow by doubling: capacity is implied by the count's next power of two. */
	if (!(co->ndefers & (co->ndefers - 1)) || !co->ndefers) {
		size_t cap = co->ndefers ? co->ndefers * 2 : 4;
		void *p = realloc(co->defers, cap * sizeof(*co->defers));

		if (!p)
			return -1;
		co->defers = p;
	}
	d = &co->defers[co->ndefers++];
	memset(d, 0, sizeof(*d));
	if (fn)
		d->fn = *fn;
	if (site)
		d->site = *site;
	return 0;
}

int census_add_conn(struct census *c, uint64_t conn, uint64_t pool, uint64_t co,
		    const struct site *site)
{
	struct census_conn *k = array_push(&c->conns, &c->nconns, &c->cap_conns, sizeof(*k));

	if (!k)
		return -1;
	k->conn = conn;
	k->pool = pool;
	k->co = co;
	if (site)
		k->site = *site;
	return 0;
}

struct census_pool *census_add_pool(struct census *c, uint64_t pool)
{
	struct census_pool *p = array_push(&c->pools, &c->npools, &c->cap_pools, sizeof(*p));

	if (!p)
		return NULL;
	p->pool = pool;
	p->max = -1;
	return p;
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int census_unreadable(const struct target *t)
{
	return t->core ? EXIT_BAD_CORE : EXIT_SYMBOL;
}

struct census_timer *census_add_timer(struct census *c)
{
	return array_push(&c->timers, &c->ntimers, &c->cap_timers, sizeof(*c->timers));
}

struct census_stale *census_add_stale(struct census *c)
{
	return array_push(&c->stale, &c->nstale, &c->cap_stale, sizeof(*c->stale));
}

void census_free(struct census *c)
{
	size_t i;

	for (i = 0; i < c->ncoros; i++)
		free(c->coros[i].defers);
	free(c->coros);
	free(c->conns);
	free(c->pools);
	free(c->timers);
	free(c->stale);
	free(c->site_skips);
	memset(c, 0, sizeof(*c));
}
