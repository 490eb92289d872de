// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The `ucoro` profile: codefer's own ucontext coroutine library (tests/native/ucoro.h),
 * the fixture for the generic engine. Its probes are native probe specs, so the fixture
 * exercises the same path a user's --probe flags take; its census walks uco_all and the
 * pools' connection lists. The structure offsets below are ucoro.h's: change both together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

enum {
	CO_ID = 0, CO_BODY = 8, CO_STATE = 24, CO_NDEFERS = 28, CO_DEFERS = 32, CO_CAP = 40,
	CO_NCONNS = 44, CO_NEXT = 48, CO_PREV = 56, CO_SIZE = 64,	/* bytes read per coroutine */
	DEFER_FN = 0, DEFER_SITE = 16, DEFER_SIZE = 24,
	CONN_HOLDER = 16, CONN_SITE = 24, CONN_NEXT_ALL = 40, CONN_SIZE = 48,
	POOL_ALL = 8, POOL_NEXT = 16,
	MAX_POOLS_WALKED = 4096, MAX_CONNS_WALKED = 1000000,
};

static const char *const probe_specs[] = {
	"create=uco_register,co=arg0[0],site=func:arg0[8]",
	"defer=uco_defer,co=sym:uco_current[0][0],site=caller",
	"defer-run=uco_run_defer,co=arg0[0]",
	"exit=uco_unregister,co=arg0[0]",
	"get=uco_pool_get%return,co=sym:uco_current[0][0],pool=entry:arg0,conn=ret,"
	"site=entry:caller,if=ret!=0",
	"put=uco_pool_put,pool=arg0,conn=arg1",
};

static int ucoro_detect(struct target *t)
{
	return target_sym(t, NULL, "uco_all", NULL) && target_sym(t, NULL, "uco_register", NULL)
		? 10 : 0;
}

static int ucoro_plan(struct rt_ctx *rc, struct probe_plan *p, char *err, size_t errlen)
{
	struct target *t = rc->t;
	size_t i;
	int r;

	for (i = 0; i < sizeof(probe_specs) / sizeof(probe_specs[0]); i++) {
		if ((r = native_add_spec(t, probe_specs[i], p, err, errlen)))
			return r;
		plan_note(p, "spec: %s", probe_specs[i]);
	}
	snprintf(p->version, sizeof(p->version), "ucoro (test fixture)");
	return 0;
}

static void warn(struct census *c, const char *what, uint64_t addr)
{
	if (!c->warning[0])
		snprintf(c->warning, sizeof(c->warning), "%s at 0x%llx: walk cut short", what,
			 (unsigned long long)addr);
}

/* One coroutine's pending defers, read as one array, oldest first. */
static int walk_defers(struct target *t, struct census *c, struct census_coro *co,
		       const unsigned char *raw, uint64_t addr)
{
	int32_t n = (int32_t)u32_at(raw, CO_NDEFERS), cap = (int32_t)u32_at(raw, CO_CAP);
	unsigned char *buf;
	int32_t i;

	if (n < 0 || n > cap || n > WALK_MAX_DEFERS) {
		warn(c, "coroutine with an impossible defer count", addr);
		n = n < 0 ? 0 : (cap < n ? cap : n);
		if (n > WALK_MAX_DEFERS || n < 0)
			n = WALK_MAX_DEFERS;
	}
	if (!n)
		return 0;
	if (!(buf = malloc((size_t)n * DEFER_SIZE)))
		return -1;
	if (target_read(t, u64_at(raw, CO_DEFERS), buf, (size_t)n * DEFER_SIZE)) {
		warn(c, "unreadable defer array of the coroutine", addr);
		free(buf);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct site fn = { .addr = u64_at(buf + i * DEFER_SIZE, DEFER_FN), .kind = SITE_FUNC };
		struct site at = { .addr = u64_at(buf + i * DEFER_SIZE, DEFER_SITE), .kind = SITE_PC };

		if (census_add_defer(co, &fn, &at))
			break;
	}
	free(buf);
	return 0;
}

static int walk_coros(struct target *t, struct census *c, char *err, size_t errlen)
{
	static const char *const states[] = { "new", "running", "suspended", "dead" };
	uint64_t head = target_sym(t, NULL, "uco_all", NULL), addr, prev = 0;
	unsigned char raw[CO_SIZE];
	size_t n = 0;

	if (!head || target_read_u64(t, head, &addr)) {
		snprintf(err, errlen, "cannot read uco_all");
		return -1;
	}
	for (; addr; prev = addr, addr = u64_at(raw, CO_NEXT)) {
		struct census_coro *co;
		int32_t st, nconns;

		if (target_read(t, addr, raw, sizeof(raw))) {
			warn(c, "unreadable coroutine", addr);
			break;
		}
		/* The list is doubly linked: a back link that disagrees means a cycle or a
		 * wild pointer. */
		if (u64_at(raw, CO_PREV) != prev || ++n > WALK_MAX_COROS) {
			warn(c, "coroutine list broken (cycle or wild pointer)", addr);
			break;
		}
		if (!(co = census_add_coro(c, u64_at(raw, CO_ID))))
			return -1;
		st = (int32_t)u32_at(raw, CO_STATE);
		snprintf(co->state, sizeof(co->state), "%s",
			 st >= 0 && st < 4 ? states[st] : "?");
		co->create_site.addr = u64_at(raw, CO_BODY);
		co->create_site.kind = SITE_FUNC;
		nconns = (int32_t)u32_at(raw, CO_NCONNS);
		co->conns_held = nconns > 0 ? nconns : 0;
		if (walk_defers(t, c, co, raw, addr))
			return -1;
	}
	return 0;
}

/* Connections out of their pools: every pool's `all` list, those with a holder. */
static int walk_pools(struct target *t, struct census *c)
{
	uint64_t head = target_sym(t, NULL, "uco_pools", NULL), pool, k;
	unsigned char raw[CONN_SIZE];
	size_t npools = 0, nconns = 0;

	if (!head || target_read_u64(t, head, &pool))
		return 0;
	for (; pool; ) {
		struct census_pool *cp;

		if (++npools > MAX_POOLS_WALKED || target_read_u64(t, pool + POOL_ALL, &k)) {
			warn(c, "pool list broken", pool);
			return 0;
		}
		if (!(cp = census_add_pool(c, pool)))
			return -1;
		snprintf(cp->name, sizeof(cp->name), "uco_pool");
		for (; k; k = u64_at(raw, CONN_NEXT_ALL)) {
			if (++nconns > MAX_CONNS_WALKED || target_read(t, k, raw, sizeof(raw))) {
				warn(c, "connection list broken", k);
				return 0;
			}
			cp->open++;
			cp->idle += !u64_at(raw, CONN_HOLDER);
			if (u64_at(raw, CONN_HOLDER)) {
				struct site at = { .addr = u64_at(raw, CONN_SITE), .kind = SITE_PC };

				if (census_add_conn(c, k, pool, u64_at(raw, CONN_HOLDER), &at))
					return -1;
			}
		}
		if (target_read_u64(t, pool + POOL_NEXT, &pool)) {
			warn(c, "pool list broken", pool);
			return 0;
		}
	}
	return 0;
}

static int ucoro_census(struct rt_ctx *rc, struct census *c, char *err, size_t errlen)
{
	struct target *t = rc->t;
	snprintf(c->version, sizeof(c->version), "ucoro (test fixture)");
	if (walk_coros(t, c, err, errlen))
		return census_unreadable(t);
	if (walk_pools(t, c)) {
		snprintf(err, errlen, "out of memory");
		return EXIT_FAILURE_;
	}
	return 0;
}

const struct runtime runtime_ucoro = {
	.name = "ucoro",
	.id_is_number = 1,
	.looks_for = "ucoro (uco_all, uco_register)",
	.detect = ucoro_detect,
	.plan = ucoro_plan,
	.census = ucoro_census,
	.walks_links = 1,
};
