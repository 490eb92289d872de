// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/sitetab.c: each distinct site is named once, its index stays put while the table
 * grows, its name is terminal-safe, and sites that print the same share one index. */
#include <inttypes.h>
#include <stdlib.h>
#include "sitetab.h"
#include "unit.h"

static int described;

/* A runtime whose site names are hostile: ESC, a raw 0xff, the site's own numbers. */
static void describe(struct rt_ctx *c, const struct site *s, char *buf, size_t len)
{
	(void)c;
	described++;
	snprintf(buf, len, "f\x1b[2J%" PRIu64 "\xff:%" PRIu64, (uint64_t)s->addr, (uint64_t)s->aux);
}

static const struct runtime fake = { .name = "fake", .describe_site = describe };

int main(void)
{
	struct rt_ctx rc = { .rt = &fake };
	struct site_tab st = { .rc = &rc };
	enum { N = 5000 };
	size_t idx[N], i, wrong = 0;
	char want[64];

	for (i = 0; i < N; i++) {
		struct site s = { .addr = 0x1000 + i / 2, .aux = i % 2, .kind = SITE_RUNTIME };

		idx[i] = site_tab_index(&st, &s);
	}
	expect_int("distinct sites", st.n, N);
	expect_int("each named once", described, N);
	for (i = 0; i < N; i++) {
		struct site s = { .addr = 0x1000 + i / 2, .aux = i % 2, .kind = SITE_RUNTIME };

		wrong += site_tab_index(&st, &s) != idx[i] || idx[i] != i;
		snprintf(want, sizeof(want), "f\\x1b[2J%zu\\xff:%zu", 0x1000 + i / 2, i % 2);
		wrong += strcmp(st.names[idx[i]].text, want) != 0;
	}
	expect_int("indexes stable across growth, names right", wrong, 0);
	expect_int("no new names on second sight", described, N);
	expect_str("a name", st.names[3].text, "f\\x1b[2J4097\\xff:1");
	{
		struct site same = { .addr = 0x1000, .aux = 0, .kind = SITE_RUNTIME + 1 };
		struct site other = { .addr = 0x9000, .aux = 0, .kind = SITE_RUNTIME + 1 };

		expect_int("another site that prints the same: the same index",
			   site_tab_index(&st, &same), 0);
		expect_int("one that prints otherwise: a new index", site_tab_index(&st, &other), N);
		expect_int("named once each", described, N + 2);
	}
	site_tab_free(&st);
	expect_int("freed", st.n + st.cap + st.nslots + st.nkeys, 0);
	return unit_failed;
}
