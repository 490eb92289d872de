/* The native profile's probe-spec language, also used by profiles written in it. */
#ifndef CODEFER_NATIVE_H
#define CODEFER_NATIVE_H

#include "runtime.h"

/* Adds the probe points of one spec ("defer=lib_defer,co=arg0[0],site=caller"). */
int native_add_spec(struct target *t, const char *spec, struct probe_plan *plan, char *err,
		    size_t errlen);

/* A loc in the spec language's notation, for --explain ("%rdi[8]:4", "0x4c1e20[0][0]"). */
void loc_format(const struct loc *l, char *buf, size_t len);

/* Point i of a plan (not an entry: save) as a spec that parses back to it; 0, or -1 when
 * it cannot be said in the language (or buf is too short). */
int native_spec_format(struct target *t, const struct probe_plan *plan, int i, char *buf,
		       size_t len);

#endif
