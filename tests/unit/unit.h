/* The unit tests' harness: one line per comparison, as the shell tests print them, and
 * the exit status run.sh reads (0 all equal, 1 any differed). */
#ifndef CODEFER_UNIT_H
#define CODEFER_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

static inline void expect_str(const char *what, const char *got, const char *want)
{
	int ok = !strcmp(got, want);

	printf(ok ? "ok   %s: '%s'\n" : "FAIL %s: got '%s', want '%s'\n", what, got, want);
	unit_failed |= !ok;
}

static inline void expect_int(const char *what, long long got, long long want)
{
	int ok = got == want;

	printf(ok ? "ok   %s: %lld\n" : "FAIL %s: got %lld, want %lld\n", what, got, want);
	unit_failed |= !ok;
}

#endif
