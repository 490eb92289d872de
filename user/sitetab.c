// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Distinct sites, each named once (see sitetab.h). */
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "sitetab.h"

static uint64_t site_hash(const struct site *s)
{
	uint64_t h = s->addr * 0x9e3779b97f4a7c15ull;

	h ^= (s->aux + s->kind) * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 29);
}

static int site_eq(const struct site *a, const struct site *b)
{
	return a->addr == b->addr && a->aux == b->aux && a->kind == b->kind;
}

static size_t *slot_of(size_t *slots, size_t nslots, const struct site_name *names,
		       const struct site *s)
{
	size_t j;

	for (j = site_hash(s) & (nslots - 1); slots[j]; j = (j + 1) & (nslots - 1))
		if (site_eq(&names[slots[j] - 1].key, s))
			break;
	return &slots[j];
}

static int grow(struct site_tab *st)
{
	size_t nslots = st->nslots ? st->nslots * 2 : 1024, cap = nslots / 2, i;
	size_t *slots = calloc(nslots, sizeof(*slots));
	struct site_name *names = realloc(st->names, cap * sizeof(*names));

	if (!slots || !names) {
		free(slots);
		if (names)
			st->names = names;
		return -1;
	}
	for (i = 0; i < st->n; i++)
		*slot_of(slots, nslots, names, &names[i].key) = i + 1;
	free(st->slots);
	st->slots = slots;
	st->nslots = nslots;
	st->names = names;
	st->cap = cap;
	return 0;
}

size_t site_tab_index(struct site_tab *st, const struct site *s)
{
	char raw[512], safe[1024];
	struct site_name *e;
	size_t *slot;

	if (st->n == st->cap && grow(st))
		return SITE_TAB_OOM;
	slot = slot_of(st->slots, st->nslots, st->names, s);
	if (*slot)
		return *slot - 1;
	describe_site(st->t, st->rc, s, raw, sizeof(raw));
	tty_str(safe, sizeof(safe), raw);
	e = &st->names[st->n];
	if (!(e->text = strdup(safe)))
		return SITE_TAB_OOM;
	e->key = *s;
	e->count = 0;
	*slot = ++st->n;
	return st->n - 1;
}

void site_tab_free(struct site_tab *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->names[i].text);
	free(st->names);
	free(st->slots);
	st->names = NULL;
	st->slots = NULL;
	st->n = st->cap = st->nslots = 0;
}
