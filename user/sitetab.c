// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Distinct sites, each named once (see sitetab.h). */
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "sitetab.h"

static uint64_t mix(uint64_t h)
{
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t site_hash(const struct site *s)
{
	return mix(s->addr ^ mix(s->aux + s->kind));
}

static uint64_t text_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return mix(h);
}

static int site_eq(const struct site *a, const struct site *b)
{
	return a->addr == b->addr && a->aux == b->aux && a->kind == b->kind;
}

static size_t *key_slot(size_t *slots, size_t nslots, const struct site_alias *keys,
			const struct site *s)
{
	size_t j;

	for (j = site_hash(s) & (nslots - 1); slots[j]; j = (j + 1) & (nslots - 1))
		if (site_eq(&keys[slots[j] - 1].key, s))
			break;
	return &slots[j];
}

static size_t *text_slot(size_t *slots, size_t nslots, const struct site_name *names,
			 const char *text)
{
	size_t j;

	for (j = text_hash(text) & (nslots - 1); slots[j]; j = (j + 1) & (nslots - 1))
		if (!strcmp(names[slots[j] - 1].text, text))
			break;
	return &slots[j];
}

/* Room for one more key and one more name; both tables stay at most half full. */
static int grow(struct site_tab *st)
{
	size_t i;

	if (st->nkeys == st->capkeys) {
		size_t nslots = st->nslots ? st->nslots * 2 : 1024, cap = nslots / 2;
		size_t *slots = calloc(nslots, sizeof(*slots));
		struct site_alias *keys = realloc(st->keys, cap * sizeof(*keys));

		if (keys)
			st->keys = keys;
		if (!slots || !keys) {
			free(slots);
			return -1;
		}
		for (i = 0; i < st->nkeys; i++)
			*key_slot(slots, nslots, keys, &keys[i].key) = i + 1;
		free(st->slots);
		st->slots = slots;
		st->nslots = nslots;
		st->capkeys = cap;
	}
	if (st->n == st->cap) {
		size_t nslots = st->ntslots ? st->ntslots * 2 : 1024, cap = nslots / 2;
		size_t *slots = calloc(nslots, sizeof(*slots));
		struct site_name *names = realloc(st->names, cap * sizeof(*names));

		if (names)
			st->names = names;
		if (!slots || !names) {
			free(slots);
			return -1;
		}
		for (i = 0; i < st->n; i++)
			*text_slot(slots, nslots, names, names[i].text) = i + 1;
		free(st->tslots);
		st->tslots = slots;
		st->ntslots = nslots;
		st->cap = cap;
	}
	return 0;
}

/* Longest site text kept, in bytes of the target's text: a longer one keeps its end (the
 * file name and line) after "...", not its start. */
#define SITE_TEXT_MAX 1024

/* raw, or its end after "..." (written over raw) when it is longer than SITE_TEXT_MAX. */
static const char *site_text_tail(char *raw)
{
	size_t at = utf8_tail(raw, SITE_TEXT_MAX);

	if (!at)
		return raw;
	memcpy(raw + at - 3, "...", 3);
	return raw + at - 3;
}

size_t site_tab_index(struct site_tab *st, const struct site *s)
{
	char raw[8192], safe[4 * SITE_TEXT_MAX + 1];
	size_t *slot, *tslot;

	if (st->nslots) {
		slot = key_slot(st->slots, st->nslots, st->keys, s);
		if (*slot)
			return st->keys[*slot - 1].name;
	}
	if (grow(st))
		return SITE_TAB_OOM;
	slot = key_slot(st->slots, st->nslots, st->keys, s);
	describe_site(st->t, st->rc, s, raw, sizeof(raw));
	tty_str(safe, sizeof(safe), site_text_tail(raw));
	tslot = text_slot(st->tslots, st->ntslots, st->names, safe);
	if (!*tslot) {
		struct site_name *e = &st->names[st->n];

		if (!(e->text = strdup(safe)))
			return SITE_TAB_OOM;
		e->key = *s;
		e->count = 0;
		*tslot = ++st->n;
	}
	st->keys[st->nkeys] = (struct site_alias){ .key = *s, .name = *tslot - 1 };
	*slot = ++st->nkeys;
	return *tslot - 1;
}

int site_tab_better(const struct site_tab *st, uint64_t n, size_t idx, uint64_t best_n,
		    size_t best_idx)
{
	if (best_idx == SITE_TAB_OOM || n != best_n)
		return best_idx == SITE_TAB_OOM || n > best_n;
	return strcmp(st->names[idx].text, st->names[best_idx].text) < 0;
}

void site_tab_free(struct site_tab *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->names[i].text);
	free(st->names);
	free(st->keys);
	free(st->slots);
	free(st->tslots);
	st->names = NULL;
	st->keys = NULL;
	st->slots = st->tslots = NULL;
	st->n = st->cap = st->nkeys = st->capkeys = st->nslots = st->ntslots = 0;
}
