// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Escaping of untrusted text read from targets (see escape.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"

/* Length of the valid UTF-8 sequence at s (not overlong, no surrogates), or 0. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A JSON string literal; bytes that are not UTF-8 become the text \xNN, and with
 * `untrusted` a backslash before an x too (\x5c), so that the text \xNN always means
 * an escaped byte. */
static char *quote(const char *s, int untrusted)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(strlen(s) * 6 + 3), *o = out;
	int n;

	if (!out)
		return NULL;
	*o++ = '"';
	while (*p) {
		if (*p == '"' || (*p == '\\' && !(untrusted && p[1] == 'x'))) {
			*o++ = '\\';
			*o++ = *p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[*p >> 4];
			o[5] = hex[*p++ & 15];
			o += 6;
		} else if (*p != '\\' && (n = utf8_len(p))) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			memcpy(o, "\\\\x", 3);
			o[3] = hex[*p >> 4];
			o[4] = hex[*p++ & 15];
			o += 5;
		}
	}
	*o++ = '"';
	*o = 0;
	return out;
}

char *json_quote(const char *s)
{
	return quote(s, 0);
}

char *json_quote_untrusted(const char *s)
{
	return quote(s, 1);
}

static void put_quoted(FILE *f, const char *s, int untrusted)
{
	char *q = quote(s, untrusted);

	fputs(q ? q : "\"\"", f);
	free(q);
}

void json_str(FILE *f, const char *s)
{
	put_quoted(f, s, 0);
}

void json_untrusted(FILE *f, const char *s)
{
	put_quoted(f, s, 1);
}

/* Text safe for a terminal: control bytes, C1 controls, invalid UTF-8 and a backslash
 * before an x as \xNN. */
void tty_str(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0;
	int n;

	if (!len)
		return;
	while (*p) {
		n = utf8_len(p);
		/* U+0080..U+009F (C1 controls, 0xc2 0x80..0x9f) can start escape sequences. A
		 * backslash before an x is escaped too, so that "\x1b" in the output always
		 * means ESC; others stay (PHP's namespaces read as written). */
		if (n == 1 && *p >= 0x20 && *p != 0x7f && !(*p == '\\' && p[1] == 'x')) {
			if (o + 1 >= len)
				break;
			dst[o++] = *p++;
		} else if (n > 1 && !(p[0] == 0xc2 && p[1] < 0xa0)) {
			if (o + n >= len)
				break;
			memcpy(dst + o, p, n);
			o += n;
			p += n;
		} else {
			if (o + 4 >= len)
				break;
			snprintf(dst + o, 5, "\\x%02x", *p++);
			o += 4;
		}
	}
	dst[o] = 0;
}


size_t utf8_tail(const char *s, size_t max)
{
	size_t n = strlen(s), at;

	if (n <= max)
		return 0;
	for (at = n - max + 3; ((unsigned char)s[at] & 0xc0) == 0x80; at++)
		;
	return at;
}
