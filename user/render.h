/* codefer-top's outputs over one snapshot: text (batch, and the TTY screen) and JSON. */
#ifndef CODEFER_RENDER_H
#define CODEFER_RENDER_H

#include <stdio.h>
#include "model.h"

/* One JSON object on one line, with every number the screen shows. */
void render_json(FILE *f, struct model *m, const struct snapshot *snap);
/* Header, then at most max_rows coroutines, pools and sites; width cuts long lines
 * (0: no limit). */
void render_text(FILE *f, struct model *m, const struct snapshot *snap, int max_rows, int width,
		 enum sort_key sorted_by);
/* "42s", "3m", "1.5h", "2.0d"; "-" for a negative (unknown) time. */
void age_text(char *buf, size_t len, double s);
/* --explain: runtime, modules, probe points with their locations, notes. */
void render_explain(FILE *f, const struct session *s);

#endif
