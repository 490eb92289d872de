// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Framework connection pools from the PHP heap (see php_pools.h).
 *
 * A pool is an object whose class is or descends from a framework's pool class; its
 * properties give the connections it made and its limit, and lead to the Swoole channel
 * holding the idle ones. A connection is an object of the framework's connection class,
 * whose `pool` property is its pool: it is held by a coroutine when that coroutine's
 * context (Coroutine::getContext(), where Hyperf's Context::set puts it), the local
 * variables or $this of one of its frames, or an array one level inside either, refer to
 * it, and it is not idle in the channel. Connections out that no live coroutine holds
 * are orphaned: created - idle - held.
 *
 * Probes key a Channel pool by the swoole::coroutine::Channel* its pop/push see, so a
 * framework pool takes that address as its id: the census's held connections and the
 * probes' pops and pushes of the same connection object meet in one entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "php_pools.h"

#define MAX_HEAP_POOLS 256
#define MAX_IDLE 65536		/* idle connections read per pool */
#define MAX_ARRAY 4096		/* elements read from one array (context, local) */
#define DEQUE_NODE_BYTES 512	/* libstdc++: 64 pointers per node */
#define LIST_SIZE 16		/* std::list: {next, prev} then _M_size */

/* What each framework keeps where. Paths are property chains from the pool object. */
static const struct framework {
	const char *pool_class, *conn_class;
	const char *channel[3];		/* to the Swoole\Coroutine\Channel object */
	const char *created;		/* connections made and not closed */
	const char *max[3];		/* the limit */
} frameworks[] = {
	{ "Hyperf\\Pool\\Pool", "Hyperf\\Pool\\Connection",
	  { "channel", "channel" }, "currentConnections", { "option", "maxConnections" } },
	{ "Swoft\\Connection\\Pool\\AbstractPool", "Swoft\\Connection\\Pool\\AbstractConnection",
	  { "channel" }, "count", { "maxActive" } },
};
#define NFW (sizeof(frameworks) / sizeof(frameworks[0]))

/* Class roles for php_ce_role: the pool classes, the connection classes, the channel. */
enum { ROLE_POOL = 0, ROLE_CONN = NFW, ROLE_CHANNEL = 2 * NFW, NROLES };
static const char *const role_names[NROLES] = {
	"Hyperf\\Pool\\Pool", "Swoft\\Connection\\Pool\\AbstractPool",
	"Hyperf\\Pool\\Connection", "Swoft\\Connection\\Pool\\AbstractConnection",
	"Swoole\\Coroutine\\Channel",
};

struct deque_iter {
	uint64_t cur, first, last, node;
};
struct std_deque {
	uint64_t map, map_size;
	struct deque_iter start, finish;
};

int std_deque_each(struct target *t, uint64_t addr, size_t max,
		   int (*fn)(void *arg, uint64_t item), void *arg)
{
	uint64_t node, buf, lo, hi, items[DEQUE_NODE_BYTES / 8];
	struct std_deque dq;
	size_t i, n, total = 0;

	if (target_read(t, addr, &dq, sizeof(dq)) || dq.finish.node < dq.start.node ||
	    (dq.finish.node - dq.start.node) / 8 > max / (DEQUE_NODE_BYTES / 8) + 1)
		return -1;
	for (node = dq.start.node; node <= dq.finish.node; node += 8) {
		if (target_read_u64(t, node, &buf))
			return -1;
		lo = node == dq.start.node ? dq.start.cur : buf;
		hi = node == dq.finish.node ? dq.finish.cur : buf + DEQUE_NODE_BYTES;
		if (lo < buf || hi < lo || hi > buf + DEQUE_NODE_BYTES || (hi - lo) % 8)
			return -1;
		n = (hi - lo) / 8;
		if (n && target_read(t, lo, items, n * 8))
			return -1;
		for (i = 0; i < n; i++, total++) {
			if (total == max)
				return 1;
			if (fn(arg, items[i]))
				return -2;
		}
	}
	return 0;
}

struct pool {
	uint64_t obj, chan, id;
	const struct framework *fw;
	uint64_t *idle;		/* idle connection objects, sorted */
	size_t nidle, capidle;
	size_t nitems;		/* items in its channel */
	const struct php_heap *h;
};

struct walk {
	struct php_heap *h;
	const struct swoole_layout *l;
	struct census *c;
	struct pool pools[MAX_HEAP_POOLS];
	size_t npools;
	uint64_t *seen;		/* connections already counted, in order found */
	size_t nseen, capseen;
	const struct php_co *co;	/* the coroutine being read */
	struct site site;		/* the frame being read */
};

static int add_pool_obj(void *arg, uint64_t obj, uint64_t ce)
{
	struct walk *w = arg;
	int role = php_ce_role(w->h, ce, role_names, NROLES);

	if (role < ROLE_POOL || role >= ROLE_CONN)
		return 0;
	if (w->npools == MAX_HEAP_POOLS) {
		snprintf(w->c->warning, sizeof(w->c->warning),
			 "more than %d framework pools: the rest not read", MAX_HEAP_POOLS);
		return 1;
	}
	w->pools[w->npools].obj = obj;
	w->pools[w->npools].h = w->h;
	w->pools[w->npools++].fw = &frameworks[role - ROLE_POOL];
	return 0;
}

/* The zval at the end of a property path from obj. */
static int prop_path(const struct php_heap *h, uint64_t obj, const char *const *path,
		     struct php_zval *z)
{
	int i;

	for (i = 0; i < 3 && path[i]; i++) {
		if (i && z->type != PHP_OBJECT)
			return -1;
		if (php_prop(h, i ? z->value : obj, path[i], z))
			return -1;
	}
	return i ? 0 : -1;
}

/* One item of the channel: a heap copy of the pushed zval (an emalloc'd zval *). */
static int add_idle(void *arg, uint64_t item)
{
	struct pool *p = arg;
	struct php_zval z;
	uint64_t *idle;

	p->nitems++;
	if (php_zval(p->h, item, &z) || z.type != PHP_OBJECT)
		return 0;
	if (!(idle = array_push(&p->idle, &p->nidle, &p->capidle, sizeof(*idle))))
		return -1;
	*idle = z.value;
	return 0;
}

static int read_pool(struct walk *w, struct pool *p)
{
	const struct php_heap *h = w->h;
	struct census_pool *cp;
	struct php_zval z, chan;
	char cls[160], name[96];
	uint64_t ce, waiters;
	int r;

	p->id = p->obj;
	if (!prop_path(h, p->obj, p->fw->channel, &chan) && chan.type == PHP_OBJECT &&
	    !target_read_u64(h->t, chan.value + h->o[PO_OBJ_CE], &ce) &&
	    php_ce_role(w->h, ce, role_names, NROLES) == ROLE_CHANNEL &&
	    !target_read_u64(h->t, chan.value - w->l->chanobj_std, &p->chan) && p->chan)
		p->id = p->chan;
	if (!(cp = census_add_pool(w->c, p->id)))
		return -1;
	if (!php_prop(h, p->obj, p->fw->created, &z) && z.type == PHP_LONG)
		cp->open = (int64_t)z.value;
	if (!prop_path(h, p->obj, p->fw->max, &z) && z.type == PHP_LONG)
		cp->max = (int64_t)z.value;
	if (p->chan) {
		r = std_deque_each(h->t, p->chan + w->l->chan_data, MAX_IDLE, add_idle, p);
		if (r == -2)
			return -1;
		if (r)
			snprintf(w->c->warning, sizeof(w->c->warning), "pool 0x%llx: channel %s",
				 (unsigned long long)p->obj, r > 0 ? "too long, cut short"
								  : "unreadable");
		if (p->nidle)
			qsort(p->idle, p->nidle, sizeof(*p->idle), cmp_u64);
		cp->idle = (int64_t)p->nitems;
		if (!target_read_u64(h->t, p->chan + w->l->chan_consumers + LIST_SIZE, &waiters) &&
		    waiters < WALK_MAX_COROS)
			cp->waiters = (int64_t)waiters;
	}
	if (target_read_u64(h->t, p->obj + h->o[PO_OBJ_CE], &ce) ||
	    php_class_name(h, ce, cls, sizeof(cls)))
		snprintf(cls, sizeof(cls), "?");
	/* Hyperf's pools (RedisPool, DbPool) carry the name they were configured under. */
	if (!php_prop(h, p->obj, "name", &z) && z.type == PHP_STRING &&
	    php_string(h, z.value, name, sizeof(name)) > 0)
		snprintf(cp->name, sizeof(cp->name), "%.62s[%.31s]", cls, name);
	else
		snprintf(cp->name, sizeof(cp->name), "%.95s", cls);
	return 0;
}

/* An object a coroutine refers to: counted when it is a connection out of a known pool. */
static int consider(struct walk *w, uint64_t obj)
{
	const struct php_heap *h = w->h;
	struct php_zval z;
	uint64_t ce, *seen;
	size_t i, k;
	int role;

	if (target_read_u64(h->t, obj + h->o[PO_OBJ_CE], &ce))
		return 0;
	role = php_ce_role(w->h, ce, role_names, NROLES);
	if (role < ROLE_CONN || role >= ROLE_CHANNEL ||
	    php_prop(h, obj, "pool", &z) || z.type != PHP_OBJECT)
		return 0;
	for (i = 0; i < w->npools && w->pools[i].obj != z.value; i++)
		;
	if (i == w->npools || w->pools[i].fw != &frameworks[role - ROLE_CONN] ||
	    (w->pools[i].nidle &&
	     bsearch(&obj, w->pools[i].idle, w->pools[i].nidle, sizeof(obj), cmp_u64)))
		return 0;
	/* The first holder found keeps it (a connection passed along is one connection). */
	for (k = 0; k < w->nseen; k++)
		if (w->seen[k] == obj)
			return 0;
	if (!(seen = array_push(&w->seen, &w->nseen, &w->capseen, sizeof(*seen))))
		return -1;
	*seen = obj;
	w->c->coros[w->co->coro].conns_held++;
	return census_add_conn(w->c, obj, w->pools[i].id, w->c->coros[w->co->coro].id, &w->site);
}

static int consider_value(void *arg, uint64_t zv, uint64_t key, int int_key);

/* A zval: an object, or an array whose elements are looked at (depth 0: one level). */
static int consider_zval(struct walk *w, uint64_t zv, int depth)
{
	struct php_zval z;

	if (php_zval(w->h, zv, &z))
		return 0;
	if (z.type == PHP_OBJECT)
		return consider(w, z.value);
	if (z.type == PHP_ARRAY && depth == 0)
		return php_array_each(w->h, z.value, MAX_ARRAY, consider_value, w) == -2 ? -1 : 0;
	return 0;
}

static int consider_value(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	(void)key;
	(void)int_key;
	/* -2: out of memory, which stops every walk above it. */
	return consider_zval(arg, zv, 1) ? -2 : 0;
}

static int top_value(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	(void)key;
	(void)int_key;
	return consider_zval(arg, zv, 0) ? -2 : 0;
}

static int frame_refs(void *arg, uint64_t ex, uint64_t func, uint64_t cvs, uint32_t ncv)
{
	struct walk *w = arg;
	uint32_t i;

	(void)func;
	php_frame_site(w->h, ex, &w->site);
	if (consider_zval(w, ex + w->h->o[PO_EX_THIS], 1))
		return -2;
	for (i = 0; i < ncv; i++)
		if (consider_zval(w, cvs + (uint64_t)i * 16, 0))
			return -2;
	return 0;
}

/* What one coroutine holds: its context first, then its frames top down. */
static int read_coroutine(struct walk *w, const struct php_co *co)
{
	struct php_zval z;

	w->co = co;
	/* What its context holds is held where the coroutine is parked. */
	w->site = w->c->coros[co->coro].wait_site;
	/* Swoole\Coroutine\Context is an ArrayObject: its storage zval leads the struct. */
	if (co->context && co->context != (uint64_t)-1 &&
	    !php_zval(w->h, co->context - w->l->ao_std, &z) && z.type == PHP_ARRAY &&
	    php_array_each(w->h, z.value, MAX_ARRAY, top_value, w) == -2)
		return -1;
	return co->ex && php_frames_each(w->h, co->ex, frame_refs, w) == -2 ? -1 : 0;
}

int php_pools_census(struct php_heap *h, const struct swoole_layout *l, struct census *c,
		     const struct php_co *cos, size_t nco)
{
	struct walk *w = calloc(1, sizeof(*w));
	size_t i;
	int r = -1;

	if (!w)
		return -1;
	w->h = h;
	w->l = l;
	w->c = c;
	php_ce_forget(h);
	/* An unreadable store leaves a warning and no pools. */
	if (php_objects_each(h, add_pool_obj, w, c->warning, sizeof(c->warning)) < 0) {
		r = 0;
		goto out;
	}
	for (i = 0; i < w->npools; i++)
		if (read_pool(w, &w->pools[i]))
			goto out;
	for (i = 0; w->npools && i < nco; i++)
		if (read_coroutine(w, &cos[i]))
			goto out;
	r = 0;
out:
	for (i = 0; i < w->npools; i++)
		free(w->pools[i].idle);
	free(w->seen);
	free(w);
	return r;
}
