/* State a PHP server keeps per coroutine and never drops when the coroutine ends: arrays
 * in class static properties and globals keyed by ids of ended coroutines. */
#ifndef CODEFER_PHP_STALE_H
#define CODEFER_PHP_STALE_H

#include "php_heap.h"

/* Fewest keys of ended coroutines an array must have to be reported. */
#define STALE_MIN_ENTRIES 10

/* Adds a census_stale for each array of a static property or a global (or an array one
 * level inside one) whose keys are all integers from 1 to last_id, at least
 * STALE_MIN_ENTRIES of them ids of no live coroutine (live: sorted). Each `where` starts
 * with prefix. 0, or -1 out of memory; what cannot be read leaves a warning. */
int php_stale_census(struct php_heap *h, struct census *c, int64_t last_id,
		     const uint64_t *live, size_t nlive, const char *prefix);

#endif
