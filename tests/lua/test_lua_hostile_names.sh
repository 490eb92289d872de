#!/usr/bin/env bash
# Strings read from the target are untrusted: a Lua chunk named with terminal escapes,
# control bytes, quotes and invalid UTF-8 must come out escaped in the text view (no raw
# control byte reaches the terminal) and as valid JSON that keeps the name recognisable.
. "$(dirname "$0")/lua_lib.sh"
need_root
command -v lua5.4 >/dev/null || skip "no lua5.4"

target_start lua5.4 "$LUA_TESTS/hostile.lua"
"$CODEFER_TOP" -p "$TARGET_PID" --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err"
expect "json: exit code" "$?" 0
expect "json: valid" "$(jq -e . "$WORK/top.json" >/dev/null && echo yes)" yes
expect "json: the site keeps the name, escaped" \
	"$(jq -r '[.sites[].site | select(test("pwned"))] | length > 0' "$WORK/top.json")" true
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
expect "text: exit code" "$?" 0
expect "text: the chunk, every byte escaped unambiguously" \
	"$(grep -cF '\x1b[2J\x1b]0;pwned\x07evil"\x5c\x0a\xffchunk:' "$WORK/top.txt" | awk '{ print ($1 > 0) }')" 1
# No byte below 0x20 but newline, none of 0x7f and no invalid UTF-8 in what a terminal gets.
expect "text: control bytes" "$(tr -d '\n' <"$WORK/top.txt" | LC_ALL=C grep -c '[[:cntrl:]]')" 0
expect "text: valid UTF-8" "$(iconv -f UTF-8 -t UTF-8 "$WORK/top.txt" >/dev/null 2>&1 && echo yes)" yes
finish
