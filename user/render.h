/* codefer-top's outputs over one snapshot: text (batch, and the TTY screen) and JSON. */
#ifndef CODEFER_RENDER_H
#define CODEFER_RENDER_H

#include <stdio.h>
#include "model.h"

struct fleet;

/* One JSON object on one line, with every number the screen shows. */
void render_json(FILE *f, struct model *m, const struct snapshot *snap);
/* Header, then at most max_rows coroutines, pools and sites; width cuts long lines
 * (0: no limit). */
void render_text(FILE *f, struct model *m, const struct snapshot *snap, int max_rows, int width,
		 enum sort_key sorted_by);
/* Several processes (fleet.h): one JSON object on one line, its `processes` each an object
 * as render_json writes, with the sums. */
void render_fleet_json(FILE *f, struct fleet *fl);
/* The sums, a line per process, then each process as render_text shows it. */
void render_fleet_text(FILE *f, struct fleet *fl, int max_rows, int width, enum sort_key sorted_by);
/* "coroutines: N live, ... | defers: ... | conns: ..." */
void totals_text(char *buf, size_t len, const struct totals *t);
/* One process in a line, under PROC_HEAD. */
#define PROC_HEAD "     PID COMM            RUNTIME      LIVE  PENDING    OUT ORPHANS VERSION"
#define PROC_FMT "%8d %-15s %-8s %8llu %8llu %6llu %7llu %s"
void proc_text(char *buf, size_t len, const struct model *m);
/* "42s", "3m", "1.5h", "2.0d"; "-" for a negative (unknown) time. */
void age_text(char *buf, size_t len, double s);
/* --explain: runtime, modules, probe points with their locations, notes. */
void render_explain(FILE *f, const struct session *s);

#endif
