// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/escape.c: what a hostile string from a target becomes in JSON and on a terminal. */
#include <stdlib.h>
#include "escape.h"
#include "unit.h"

static const struct {
	const char *what, *in, *json, *tty;
} cases[] = {
	{ "plain", "main.go:12", "\"main.go:12\"", "main.go:12" },
	{ "empty", "", "\"\"", "" },
	{ "quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c" },
	{ "PHP namespace", "App\\Pool\\DbPool", "\"App\\\\Pool\\\\DbPool\"", "App\\Pool\\DbPool" },
	{ "backslash before x: not an escape", "a\\x1b", "\"a\\\\x1b\"", "a\\x5cx1b" },
	{ "newline, tab, ESC, DEL", "a\nb\tc\x1b[31md\x7f", "\"a\\u000ab\\u0009c\\u001b[31md\\u007f\"",
	  "a\\x0ab\\x09c\\x1b[31md\\x7f" },
	{ "UTF-8 kept", "f\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d", "\"f\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d\"",
	  "f\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d" },
	{ "lone 0xff", "a\xff" "b", "\"a\\\\xffb\"", "a\\xffb" },
	{ "overlong NUL", "\xc0\x80", "\"\\\\xc0\\\\x80\"", "\\xc0\\x80" },
	{ "overlong 3 bytes", "\xe0\x80\xaf", "\"\\\\xe0\\\\x80\\\\xaf\"", "\\xe0\\x80\\xaf" },
	{ "surrogate", "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"", "\\xed\\xa0\\x80" },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"",
	  "\\xf4\\x90\\x80\\x80" },
	{ "cut sequence at the end", "x\xe2\x82", "\"x\\\\xe2\\\\x82\"", "x\\xe2\\x82" },
	{ "C1 control (CSI)", "\xc2\x9b" "2J", "\"\xc2\x9b" "2J\"", "\\xc2\\x9b2J" },
	{ "no-break space kept", "a\xc2\xa0" "b", "\"a\xc2\xa0" "b\"", "a\xc2\xa0" "b" },
};

int main(void)
{
	char what[128], tty[256], *json;
	size_t i, n;
	FILE *f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!(f = open_memstream(&json, &n)))
			return 1;
		json_str(f, cases[i].in);
		fclose(f);
		snprintf(what, sizeof(what), "json %s", cases[i].what);
		expect_str(what, json, cases[i].json);
		free(json);
		tty_str(tty, sizeof(tty), cases[i].in);
		snprintf(what, sizeof(what), "tty %s", cases[i].what);
		expect_str(what, tty, cases[i].tty);
	}
	/* A short buffer cuts between characters, never inside a sequence or an escape. */
	tty_str(tty, 4, "ab\xe2\x82\xac");
	expect_str("tty cut before a 3-byte character", tty, "ab");
	tty_str(tty, 6, "ab\x01");
	expect_str("tty cut before an escape", tty, "ab");
	tty_str(tty, 7, "ab\x01");
	expect_str("tty escape that just fits", tty, "ab\\x01");
	tty[0] = 'z';
	tty_str(tty, 0, "ab");
	expect_int("tty with len 0 writes nothing", tty[0], 'z');
	/* Text read from a target, in JSON: "\x" in the text never reads as an escaped byte
	 * (two pool names, the text \xff and the byte 0xff, stay two). */
	json = json_quote_untrusted("P[lit\\xff]\x1b[2J\n\xff");
	expect_str("json of untrusted text", json, "\"P[lit\\\\x5cxff]\\u001b[2J\\u000a\\\\xff\"");
	free(json);
	/* The end kept of a long text: from a character's start, room left for "...". */
	expect_int("tail of a text that fits", (int)utf8_tail("abcdef", 6), 0);
	expect_int("tail of a longer text", (int)utf8_tail("abcdefgh:1", 8), 5);
	expect_int("tail past a cut character", (int)utf8_tail("x\xc3\xa9\xc3\xa9:2", 6), 5);
	return unit_failed;
}
