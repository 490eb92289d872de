/* Everything read from a target (file, function and chunk names) is untrusted text:
 * these make it safe for a terminal and for JSON. */
#ifndef CODEFER_ESCAPE_H
#define CODEFER_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* A JSON string literal; bytes that are not UTF-8 become the text \xNN. */
void json_str(FILE *f, const char *s);
/* The same literal, malloc'd (NULL out of memory). */
char *json_quote(const char *s);
/* Text read from a target as a JSON string literal, malloc'd: exact where it is UTF-8
 * (control characters as JSON's \u escapes), and as in tty_str, bytes that are not UTF-8
 * and a backslash before an x become the text \xNN: two texts never give one string. */
char *json_quote_untrusted(const char *s);
void json_untrusted(FILE *f, const char *s);
/* src made safe for a terminal: control bytes, C1 controls, invalid UTF-8 and a
 * backslash before an x as \xNN. */
void tty_str(char *dst, size_t len, const char *src);
/* A text longer than max bytes keeps its end (a site's file and line) after "...": where
 * that end starts in s, a character's start at most max - 3 bytes from the end; 0 when s
 * fits. */
size_t utf8_tail(const char *s, size_t max);

#endif
