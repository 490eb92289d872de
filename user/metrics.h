/* codefer-top --listen: /metrics for Prometheus (text 0.0.4, or OpenMetrics 1.0 when the
 * Accept header asks for it), rendered from each snapshot, served by libmicrohttpd from
 * its own thread. No label carries a coroutine id or an address; a pid only in the
 * codefer_process_* families, given when several processes are watched. */
#ifndef CODEFER_METRICS_H
#define CODEFER_METRICS_H

#include <stddef.h>
#include "model.h"

/* Label values are cut to this many bytes (at a character boundary). */
#define METRICS_LABEL_MAX 128

struct metrics;

/* Listens on ADDR:PORT ("127.0.0.1:9464", "[::1]:9464"), that address only; sites: at most
 * that many per kind get their own series, the rest are summed as site="other" (pools
 * likewise, as pool="other"). NULL with a one-line message in err; *code is the exit code
 * (bad address: EXIT_USAGE; cannot listen: EXIT_FAILURE_). */
struct metrics *metrics_start(const char *addr, int sites, int *code, char *err, size_t errlen);
struct fleet;

/* Renders the processes' last snapshots for the next scrapes, summed (and, with several
 * processes, each as codefer_process_*{pid,comm,runtime}); refresh_s: what the refresh
 * took. */
void metrics_update(struct metrics *mx, const struct fleet *fl, double refresh_s);
void metrics_stop(struct metrics *mx);

#endif
