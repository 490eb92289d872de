/* Reading the probes' BPF maps into user space: whole, sorted, and the coroutine map
 * kept up to date from what changed. */
#ifndef CODEFER_MAPS_H
#define CODEFER_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "codefer.h"
#include "codefer.skel.h"

struct raw_map {	/* a map's contents, buffers reused across refreshes */
	void *keys, *vals;
	void *sorted_keys, *sorted_vals;	/* where sorting puts them (swapped) */
	size_t n, cap, sorted_cap;
};

/* Room for n entries of ksz + vsz bytes. 0 or -1. */
int raw_reserve(struct raw_map *r, size_t n, size_t ksz, size_t vsz);
/* Every entry of a hash map into r. 0 or -1. */
int read_map(struct bpf_map *map, struct raw_map *r);
/* Sorts r's entries by the u64 at key_off in their keys. 0 or -1. */
int sort_raw(struct raw_map *r, size_t ksz, size_t vsz, size_t key_off);
void raw_map_free(struct raw_map *r);
/* qsort/bsearch over struct coro_key, by id. */
int cmp_coro_key(const void *a, const void *b);

/* The coroutine map as the last refresh left it, and what brings it up to date: the
 * handlers send a coroutine's id on `changed` at its first change between two refreshes
 * (mark_changed in codefer.bpf.c), and only those entries are read again. */
struct coro_sync {
	struct raw_map coros;	/* struct coro_key -> struct coro, sorted by id */
	struct ring_buffer *rb;
	uint64_t *ids;		/* ids the last sync read: read again at the next */
	size_t nids, cap_ids;
	int synced;		/* coros was read whole once */
	int last_whole;		/* the last sync read the map whole */
	size_t last_moved;	/* entries that came or went at the last sync (not whole) */
};

/* Brings cs->coros up to date. 0 or -1. */
int coro_sync(struct coro_sync *cs, struct codefer_bpf *skel);
void coro_sync_free(struct coro_sync *cs);

#endif
