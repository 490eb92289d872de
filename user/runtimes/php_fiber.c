// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `php-fiber` profile: PHP 8.1+ Fibers.
 *
 * Every Fiber passes through two exported Zend functions: zend_fiber_init_context(context,
 * kind, coroutine, stack_size) when Fiber::start() gives it a stack, and
 * zend_fiber_destroy_context(context) when it has finished (or was unwound because its
 * object was freed while suspended). The zend_fiber_context* is the coroutine id. Fibers
 * have no defer mechanism; what leaks is fibers that never finish, so the profile counts
 * them and names the body function (file:line) each one runs.
 *
 * The census finds fibers that were started before attach (and in core files) in the
 * object store, EG(objects_store): every object whose class is zend_ce_fiber and whose
 * context is running or suspended.
 *
 * Debian's php8.2 is stripped (.dynsym only, no -dbgsym package in the main archive), so
 * the Zend offsets come from php_heap.c's table keyed by the PHP API number (8.1 to 8.4),
 * unless the PHP binary or a loaded extension carries DWARF with Zend's types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "php_heap.h"

/* zend_fiber_status: ZEND_FIBER_STATUS_RUNNING and _SUSPENDED are the live ones. */
#define FIBER_RUNNING 1
#define FIBER_SUSPENDED 2

/* What open() resolved; the heap first (php_describe_site reads it). */
struct php_fiber {
	struct php_heap h;
	int have_heap;		/* h is usable: sites and the census can read PHP */
	char no_heap[160];	/* else why not */
	struct module *mod;	/* the module with zend_fiber_init_context */
	uint64_t ce_sym;	/* &zend_ce_fiber */
	unsigned api;
	int zts;
	struct php_lib_files lib_files;	/* which PHP files are a library's (wait sites) */
};

static int php_fiber_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen);
extern const struct runtime runtime_php_fiber;

/* Does the target have live fibers (a census finds some)? */
static int has_fibers(struct target *t)
{
	struct census c = { .scope = CENSUS_ALL };
	struct rt_ctx rc;
	char err[256];
	int found;

	if (rt_open(&rc, &runtime_php_fiber, t, NULL, err, sizeof(err))) {
		rt_close(&rc);
		return 0;
	}
	found = !php_fiber_census(&rc, &c, err, sizeof(err)) && c.ncoros > 0;
	census_free(&c);
	rt_close(&rc);
	return found;
}

/* Swoole (20) outranks fibers, except in a PHP whose swoole.so (loaded everywhere by
 * Debian's ini) never ran a coroutine while fibers live: a Revolt or AMPHP program. */
static int php_fiber_detect(struct target *t)
{
	uint64_t last_cid_at, last_cid;

	if (!target_sym(t, NULL, "zend_fiber_init_context", NULL))
		return 0;
	if ((last_cid_at = target_sym(t, NULL, "_ZN6swoole9Coroutine8last_cidE", NULL)) &&
	    !target_read_u64(t, last_cid_at, &last_cid) && !last_cid && has_fibers(t))
		return 30;
	return 10;
}

static int php_fiber_open(struct rt_ctx *c, char *err, size_t errlen)
{
	struct php_fiber *f = calloc(1, sizeof(*f));

	if (!(c->priv = f)) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	if (!target_sym(c->t, NULL, "zend_fiber_init_context", &f->mod) || !f->mod) {
		snprintf(err, errlen, "zend_fiber_init_context not found: not PHP 8.1 or later");
		return EXIT_NO_RUNTIME;
	}
	f->api = php_api_version(c->t, &f->zts);
	f->ce_sym = target_sym(c->t, NULL, "zend_ce_fiber", NULL);
	f->have_heap = !php_heap_open(c->t, &f->h, f->no_heap, sizeof(f->no_heap)) &&
		       !f->zts && f->h.o[PO_FIBER_FUNCTION] >= 0;
	return 0;
}

static void php_fiber_close(struct rt_ctx *c)
{
	struct php_fiber *f = c->priv;

	if (f)
		php_heap_close(&f->h);
	free(f);
}

static int php_fiber_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	const struct php_fiber *f = rc->priv;
	struct probe_cfg create = { .kind = EV_CREATE, .co = loc_reg(CFREG_RDI) };
	struct probe_cfg exit_ = { .kind = EV_EXIT, .co = loc_reg(CFREG_RDI) };
	int r;

	snprintf(p->version, sizeof(p->version), "PHP API %u%s", f->api, f->zts ? " ZTS" : "");
	/* The site is the fiber's body, context->(fiber)->fci_cache.function_handler. The
	 * line calling start() would need a second word, which a coroutine's creation site
	 * does not have. */
	if (!f->have_heap) {
		plan_note(p, "creation sites: unavailable (%s)", f->no_heap);
	} else {
		create.site_kind = SITE_PHP_FUNC;
		create.site = loc_deref(loc_reg(CFREG_RDI), f->h.o[PO_FIBER_FUNCTION] -
							    f->h.o[PO_FIBER_CONTEXT], 8);
		plan_note(p, "creation sites: the fiber's body function (offsets: %s)", f->h.from);
	}
	if ((r = plan_add_sym(p, rc->t, f->mod, "zend_fiber_init_context", 0, &create, err,
			      errlen)) ||
	    (r = plan_add_sym(p, rc->t, f->mod, "zend_fiber_destroy_context", 0, &exit_, err,
			      errlen)))
		return r;
	plan_note(p, "coroutine id: the zend_fiber_context*; fibers have no defers or pools");
	return 0;
}

struct fiber_walk {
	struct php_fiber *f;
	struct census *c;
	uint64_t fiber_ce;
};

/* One object of the store: a started, unfinished Fiber becomes a census coroutine. */
static int census_object(void *arg, uint64_t obj, uint64_t ce)
{
	struct fiber_walk *w = arg;
	const struct php_heap *h = &w->f->h;
	struct census_coro *co;
	uint64_t func, caller, ex;
	uint32_t status;

	if (ce != w->fiber_ce ||
	    target_read_u32(h->t, obj + h->o[PO_FIBER_CONTEXT] + h->o[PO_FIBER_CTX_STATUS],
			    &status) ||
	    (status != FIBER_RUNNING && status != FIBER_SUSPENDED))
		return 0;
	co = census_add_coro(w->c, obj + h->o[PO_FIBER_CONTEXT]);
	if (!co) {
		snprintf(w->c->warning, sizeof(w->c->warning),
			 "more than %d fibers: walk cut short", WALK_MAX_COROS);
		return 1;
	}
	/* A fiber that resumed another one is suspended in its context, but running for PHP
	 * (Fiber::isRunning): a fiber resumed it (caller), and it has not suspended since. */
	if (status == FIBER_SUSPENDED && h->o[PO_FIBER_CALLER] >= 0 &&
	    !target_read_u64(h->t, obj + h->o[PO_FIBER_CALLER], &caller) && caller)
		status = FIBER_RUNNING;
	snprintf(co->state, sizeof(co->state), "%s",
		 status == FIBER_RUNNING ? "running" : "suspended");
	if (!target_read_u64(h->t, obj + h->o[PO_FIBER_FUNCTION], &func)) {
		co->create_site.kind = SITE_PHP_FUNC;
		co->create_site.addr = func;
	}
	/* A suspended fiber keeps the frame it suspended in (Fiber::suspend's). */
	if (status == FIBER_SUSPENDED && h->o[PO_FIBER_EXECUTE_DATA] >= 0 &&
	    !target_read_u64(h->t, obj + h->o[PO_FIBER_EXECUTE_DATA], &ex) && ex)
		php_wait_site(h, &w->f->lib_files, ex, &co->wait_site);
	return 0;
}

static int php_fiber_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct php_fiber *f = rc->priv;
	struct fiber_walk w = { .f = f, .c = c };

	snprintf(c->version, sizeof(c->version), "PHP API %u", f->api);
	if (!f->have_heap || !f->ce_sym || f->h.o[PO_EG_STORE_BUCKETS] < 0 ||
	    f->h.o[PO_EG_STORE_TOP] < 0 || f->h.o[PO_OBJ_CE] < 0 ||
	    f->h.o[PO_FIBER_CTX_STATUS] < 0) {
		snprintf(err, errlen, "%s", !f->ce_sym ? "zend_ce_fiber not found" :
			 f->no_heap[0] ? f->no_heap : "no offsets for the fiber census");
		return EXIT_SYMBOL;
	}
	if (target_read_u64(rc->t, f->ce_sym, &w.fiber_ce) || !w.fiber_ce ||
	    php_objects_each(&f->h, census_object, &w, c->warning, sizeof(c->warning)) < 0) {
		snprintf(err, errlen, "cannot read the object store");
		return census_unreadable(rc->t);
	}
	return 0;
}

const struct runtime runtime_php_fiber = {
	.name = "php-fiber",
	.id_is_number = 0,
	.looks_for = "PHP fibers (zend_fiber_init_context)",
	.detect = php_fiber_detect,
	.open = php_fiber_open,
	.close = php_fiber_close,
	.plan = php_fiber_plan,
	.census = php_fiber_census,
	/* Walked at snapshots (a fiftieth of the time): the state and wait site of each. */
	.rewalks_heap = 1,
	.describe_site = php_describe_site,
};
