// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* State kept for ended coroutines (see php_stale.h).
 *
 * The rule, to stay clear of ordinary integer-keyed arrays: every key must be an integer
 * from 1 to the last coroutine id handed out (a list starting at 0, a string key, an id
 * beyond the last one: not per-coroutine state), and at least STALE_MIN_ENTRIES keys must
 * be ids of coroutines that are not alive. An array keyed by something else that happens
 * to fit (user ids below the last coroutine id) would still match: the report says where
 * it is, so a reader can tell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "php_stale.h"

#define MAX_ELEMENTS (1u << 22)	/* keys read from one array */

struct stale {
	struct php_heap *h;
	struct census *c;
	int64_t last_id;
	const uint64_t *live;
	size_t nlive;
	const char *prefix;
	char where[160];	/* owner of the array being read */
	int oom;
};

struct scan {
	const struct stale *st;
	uint64_t ended;
	int64_t oldest, newest;
	int other;		/* a key that no coroutine id can be */
};

static int scan_key(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct scan *sc = arg;
	int64_t id = (int64_t)key;

	(void)zv;
	if (!int_key || id < 1 || id > sc->st->last_id) {
		sc->other = 1;
		return 1;	/* one such key settles it */
	}
	if (bsearch(&key, sc->st->live, sc->st->nlive, sizeof(key), cmp_u64))
		return 0;
	if (!sc->ended++ || id < sc->oldest)
		sc->oldest = id;
	if (id > sc->newest)
		sc->newest = id;
	return 0;
}

/* Reports the array ht if it is per-coroutine state; 1 if it was. */
static int check_array(struct stale *st, uint64_t ht, const char *where)
{
	struct scan sc = { .st = st };
	struct census_stale *cs;

	if (php_array_each(st->h, ht, MAX_ELEMENTS, scan_key, &sc) < 0 || sc.other ||
	    sc.ended < STALE_MIN_ENTRIES)
		return 0;
	if (!(cs = census_add_stale(st->c))) {
		st->oom = 1;
		return 1;
	}
	snprintf(cs->where, sizeof(cs->where), "%s", where);
	cs->entries = sc.ended;
	cs->oldest_id = sc.oldest;
	cs->newest_id = sc.newest;
	return 1;
}

static int nested(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct stale *st = arg;
	struct php_zval z;
	char where[sizeof(st->where)], name[64];

	if (php_zval(st->h, zv, &z) || z.type != PHP_ARRAY)
		return 0;
	if (int_key)
		snprintf(where, sizeof(where), "%.120s[%lld]", st->where, (long long)key);
	else if (php_string(st->h, key, name, sizeof(name)) >= 0)
		snprintf(where, sizeof(where), "%.120s['%.30s']", st->where, name);
	else
		return 0;
	check_array(st, z.value, where);
	return st->oom ? -2 : 0;
}

/* An array, or the arrays one level inside it. */
static int check_value(struct stale *st, uint64_t zv)
{
	struct php_zval z;

	if (php_zval(st->h, zv, &z) || z.type != PHP_ARRAY)
		return 0;
	if (!check_array(st, z.value, st->where))
		php_array_each(st->h, z.value, MAX_ELEMENTS, nested, st);
	return st->oom ? -2 : 0;
}

static int static_prop(void *arg, const char *cls, const char *prop, uint64_t zv)
{
	struct stale *st = arg;

	snprintf(st->where, sizeof(st->where), "%.20s%.100s::$%.30s", st->prefix, cls, prop);
	return check_value(st, zv);
}

static int global(void *arg, uint64_t zv, uint64_t key, int int_key)
{
	struct stale *st = arg;
	char name[100];

	if (int_key || php_string(st->h, key, name, sizeof(name)) < 0)
		return 0;
	snprintf(st->where, sizeof(st->where), "%.20s$GLOBALS['%s']", st->prefix, name);
	return check_value(st, zv);
}

int php_stale_census(struct php_heap *h, struct census *c, int64_t last_id,
		     const uint64_t *live, size_t nlive, const char *prefix)
{
	struct stale st = { .h = h, .c = c, .last_id = last_id, .live = live, .nlive = nlive,
			    .prefix = prefix };

	if (php_statics_each(h, static_prop, &st) == -1)
		snprintf(c->warning, sizeof(c->warning), "class table unreadable: statics not read");
	if (!st.oom &&
	    php_array_each(h, h->eg + h->o[PO_EG_SYMBOL_TABLE], MAX_ELEMENTS, global, &st) == -1)
		snprintf(c->warning, sizeof(c->warning), "global symbol table unreadable");
	return st.oom ? -1 : 0;
}
