#!/usr/bin/env bash
# Strings read from the target are untrusted: a Lua chunk named with terminal escapes,
# control bytes, quotes and invalid UTF-8 must come out escaped in the text view (no raw
# control byte reaches the terminal) and as strict UTF-8 JSON that keeps the name
# recognisable: live (codefer-top), and from a core (codefer-dump text and JSON, gdb).
. "$(dirname "$0")/lua_lib.sh"
need_root
command -v lua5.4 >/dev/null || skip "no lua5.4"

target_start lua5.4 "$LUA_TESTS/hostile.lua"
"$CODEFER_TOP" -p "$TARGET_PID" --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err"
expect "json: exit code" "$?" 0
expect "json: strict UTF-8, no raw control byte" "$(safe_output "$WORK/top.json" json)" safe
expect "json: the site keeps the name, escaped" \
	"$(jq -r '[.sites[].site | select(test("pwned"))] | length > 0' "$WORK/top.json")" true
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
expect "text: exit code" "$?" 0
expect "text: the chunk, every byte escaped unambiguously" \
	"$(grep -cF '\x1b[2J\x1b]0;pwned\x07evil"\\x0a\xffchunk:' "$WORK/top.txt" | awk '{ print ($1 > 0) }')" 1
expect "text: strict UTF-8, no control byte" "$(safe_output "$WORK/top.txt" text)" safe

# The same name in a core: codefer-dump's text and JSON, and gdb.
command -v gcore >/dev/null || skip "no gcore (gdb) for the core half"
gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
core=$WORK/core.$TARGET_PID
timeout 60 "$CODEFER_DUMP" "$core" >"$WORK/dump.txt" 2>"$WORK/dump.err"
expect "dump text: exit code" "$?" 0
expect "dump text: strict UTF-8, no control byte" "$(safe_output "$WORK/dump.txt" text)" safe
expect "dump text: the chunk escaped" "$(grep -cF '\x1b[2J\x1b]0;pwned\x07evil"\\x0a\xffchunk:' "$WORK/dump.txt" | awk '{ print ($1 > 0) }')" 1
timeout 60 "$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err"
expect "dump JSON: exit code" "$?" 0
expect "dump JSON: strict UTF-8, no raw control byte" "$(safe_output "$WORK/dump.json" json)" safe
expect "dump JSON: the site keeps the name" "$(jq -r '[.. | strings | select(test("pwned"))] | length > 0' "$WORK/dump.json")" true
timeout 300 gdb -batch -nx "$(readlink -f /proc/"$TARGET_PID"/exe)" "$core" -x "$CODEFER_PY" \
	-ex 'codefer list' -ex 'codefer defers' -ex 'codefer summary' 2>&1 |
	sed -n '/^runtime /,$p' >"$WORK/gdb.out"
expect "gdb: the chunk escaped" "$(grep -cF '\x1b[2J\x1b]0;pwned\x07evil"\\x0a\xffchunk:' "$WORK/gdb.out" | awk '{ print ($1 > 0) }')" 1
expect "gdb: strict UTF-8, no control byte" "$(safe_output "$WORK/gdb.out" text)" safe
expect "gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0
finish
