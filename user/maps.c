// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Reading the probes' BPF maps into user space (see maps.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps.h"
#include "runtime.h"

#define BATCH 8192
/* More changed ids than this share of the entries (plus a few thousand): reading the map
 * whole, in batches, costs less than a lookup each. */
#define WHOLE_READ_SHARE 4

/* Room for n entries in the buffer pair *keys, *vals (*cap of them now), at least
 * doubling. 0 or -1. */
static int reserve_pair(void **keys, void **vals, size_t *cap, size_t n, size_t ksz, size_t vsz)
{
	void *k, *v;

	if (n <= *cap)
		return 0;
	n = n > 2 * *cap ? n : 2 * *cap;
	if (!(k = realloc(*keys, n * ksz)))
		return -1;
	*keys = k;
	if (!(v = realloc(*vals, n * vsz)))
		return -1;
	*vals = v;
	*cap = n;
	return 0;
}

int raw_reserve(struct raw_map *r, size_t n, size_t ksz, size_t vsz)
{
	return reserve_pair(&r->keys, &r->vals, &r->cap, n, ksz, vsz);
}

/* Room for n entries in sorted_keys/sorted_vals. */
static int sorted_reserve(struct raw_map *r, size_t n, size_t ksz, size_t vsz)
{
	return reserve_pair(&r->sorted_keys, &r->sorted_vals, &r->sorted_cap, n, ksz, vsz);
}

/* The sorted buffers become the entries (and the entries' buffers the scratch ones). */
static void sorted_swap(struct raw_map *r, size_t n)
{
	void *t;
	size_t c;

	t = r->keys, r->keys = r->sorted_keys, r->sorted_keys = t;
	t = r->vals, r->vals = r->sorted_vals, r->sorted_vals = t;
	c = r->cap, r->cap = r->sorted_cap, r->sorted_cap = c;
	r->n = n;
}

int read_map(struct bpf_map *map, struct raw_map *r)
{
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(map), err;
	__u64 in = 0, out = 0;
	void *inp = NULL;

	r->n = 0;
	for (;;) {
		__u32 count = BATCH;

		if (raw_reserve(r, r->n + BATCH, ksz, vsz))
			return -1;
		err = bpf_map_lookup_batch(fd, inp, &out, (char *)r->keys + r->n * ksz,
					   (char *)r->vals + r->n * vsz, &count, &opts);
		r->n += count;
		if (err)
			return errno == ENOENT ? 0 : -1;
		in = out;
		inp = &in;
	}
}

struct sort_ent {
	uint64_t k;
	size_t i;
};

static int cmp_sort_ent(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	return x->k < y->k ? -1 : x->k > y->k;
}

/* Through an index: the entries, a few hundred bytes each, move once. */
int sort_raw(struct raw_map *r, size_t ksz, size_t vsz, size_t key_off)
{
	struct sort_ent *e = malloc((r->n + 1) * sizeof(*e));
	size_t i;

	if (!e || sorted_reserve(r, r->cap, ksz, vsz)) {
		free(e);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		memcpy(&e[i].k, (char *)r->keys + i * ksz + key_off, sizeof(e[i].k));
		e[i].i = i;
	}
	qsort(e, r->n, sizeof(*e), cmp_sort_ent);
	for (i = 0; i < r->n; i++) {
		memcpy((char *)r->sorted_keys + i * ksz, (char *)r->keys + e[i].i * ksz, ksz);
		memcpy((char *)r->sorted_vals + i * vsz, (char *)r->vals + e[i].i * vsz, vsz);
	}
	free(e);
	sorted_swap(r, r->n);
	return 0;
}

void raw_map_free(struct raw_map *r)
{
	free(r->keys);
	free(r->vals);
	free(r->sorted_keys);
	free(r->sorted_vals);
	memset(r, 0, sizeof(*r));
}

/* ---- the coroutine map, kept up to date ---- */

static int on_changed(void *ctx, void *data, size_t size)
{
	struct coro_sync *cs = ctx;
	uint64_t *id;

	if (size < sizeof(uint64_t))
		return 0;
	if (!(id = array_push(&cs->ids, &cs->nids, &cs->cap_ids, sizeof(*id))))
		return -1;
	memcpy(id, data, sizeof(*id));
	return 0;
}

int cmp_coro_key(const void *a, const void *b)
{
	const struct coro_key *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* One changed entry as a lookup found it (or found it gone). */
struct change {
	struct coro_key key;
	struct coro val;
	int found;
};

/* Applies ch[0..n) (sorted by id, each once) to the sorted entries: in place while no
 * entry comes or goes, else merged into the scratch buffers; *came_or_went: how many
 * did. 0 or -1. */
static int apply_changes(struct raw_map *r, const struct change *ch, size_t n, size_t *came_or_went)
{
	const struct coro_key *keys = r->keys;
	const struct coro *vals = r->vals;
	struct coro_key *nk;
	struct coro *nv;
	size_t i, j, k, grow = 0, moved = 0;

	for (k = 0; k < n; k++) {
		const struct coro_key *at = bsearch(&ch[k].key, keys, r->n, sizeof(*keys),
						    cmp_coro_key);

		if (at && ch[k].found)
			((struct coro *)r->vals)[at - keys] = ch[k].val;
		grow += !at && ch[k].found;
		moved += !at != !ch[k].found;
	}
	*came_or_went = moved;
	if (!moved)
		return 0;
	if (sorted_reserve(r, r->n + grow + 1, sizeof(*nk), sizeof(*nv)))
		return -1;
	nk = r->sorted_keys;
	nv = r->sorted_vals;
	for (i = j = k = 0; i < r->n || k < n;) {
		if (k == n || (i < r->n && keys[i].id < ch[k].key.id)) {
			nk[j] = keys[i];
			nv[j++] = vals[i++];
			continue;
		}
		i += i < r->n && keys[i].id == ch[k].key.id;	/* changed, or gone */
		if (ch[k].found) {
			nk[j] = ch[k].key;
			nv[j++] = ch[k].val;
		}
		k++;
	}
	sorted_swap(r, j);
	return 0;
}

int coro_sync(struct coro_sync *cs, struct codefer_bpf *skel)
{
	struct coro_key key = { .tgid = skel->rodata->targ_tgid };
	int fd = bpf_map__fd(skel->maps.coros), lost, r;
	size_t i, n, nch, last = cs->nids;
	struct change *ch;
	uint64_t *ids;

	if (!cs->rb && !(cs->rb = ring_buffer__new(bpf_map__fd(skel->maps.changed), on_changed,
						    cs, NULL)))
		return -1;
	/* From the bump on, a change sends its id again. One sent before it, read now, may
	 * change again before the next bump without a word: the ids read now are read again
	 * at the next sync (cs->ids keeps them). */
	lost = __atomic_exchange_n(&skel->bss->changes_lost, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&skel->bss->refresh_epoch, 1, __ATOMIC_SEQ_CST);
	if (ring_buffer__consume(cs->rb) < 0)
		lost = 1;
	n = cs->nids;
	cs->last_whole = !cs->synced || lost || n > cs->coros.n / WHOLE_READ_SHARE + 4096;
	if (cs->last_whole) {
		r = read_map(skel->maps.coros, &cs->coros) ||
		    sort_raw(&cs->coros, sizeof(struct coro_key), sizeof(struct coro),
			     offsetof(struct coro_key, id)) ? -1 : 0;
		cs->synced = !r;
		goto keep;
	}
	if (!(ids = malloc((n + 1) * sizeof(*ids))) || !(ch = malloc((n + 1) * sizeof(*ch)))) {
		free(ids);
		return -1;
	}
	memcpy(ids, cs->ids, n * sizeof(*ids));
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = nch = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;	/* from both syncs */
		key.id = ids[i];
		ch[nch].key = key;
		ch[nch].found = !bpf_map_lookup_elem(fd, &key, &ch[nch].val);
		nch++;
	}
	r = apply_changes(&cs->coros, ch, nch, &cs->last_moved);
	free(ids);
	free(ch);
keep:
	memmove(cs->ids, cs->ids + last, (cs->nids - last) * sizeof(*cs->ids));
	cs->nids -= last;
	return r;
}

void coro_sync_free(struct coro_sync *cs)
{
	ring_buffer__free(cs->rb);
	free(cs->ids);
	raw_map_free(&cs->coros);
	memset(cs, 0, sizeof(*cs));
}
