#!/usr/bin/env bash
# --explain on lua5.4 and LuaJIT: the runtime and the version the interpreter reports, a
# probe point for each event the README lists, each in code, where the offsets came from
# (DWARF from the -dbg package; the version table once debug info is hidden), and what
# cannot be seen. Nothing is attached.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"

v=$(lua5.4 -v | awk '{ print $1 " " $2 }')
target_start lua5.4 "$LUA_TESTS/hostile.lua"
probe_points
"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
expect "exit code" "$?" 0
explain_check "$WORK/explain.out" lua "$v" create defer defer-run exit
expect "offsets from DWARF" "$(grep -c 'offsets from DWARF:' "$WORK/explain.out")" 1
expect "what cannot be seen" "$(grep -c '^  not seen: ' "$WORK/explain.out")" 1
# CallInfo's func and savedpc are 32 bytes apart: one read of the target for both halves
# of the create and the defer sites.
expect "site halves read at once" "$(grep -c ' (site halves: one read)$' "$WORK/explain.out")" 2
CODEFER_NO_DEBUGINFO=1 "$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
expect "no debug info: exit code" "$?" 0
explain_check "$WORK/explain.out" lua "$v" create defer defer-run exit
expect "no debug info: offsets from the version table" \
	"$(grep -c "offsets from the $v table:" "$WORK/explain.out")" 1
expect "nothing attached" "$(breakpoints "$TARGET_PID")" clean
exec 3>&-
kill -9 "$TARGET_PID" 2>/dev/null
wait "$TARGET_PID" 2>/dev/null
TARGET_PID=

if command -v luajit >/dev/null; then
	target_start luajit "$LUA_TESTS/coro_jit.lua" census
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
	expect "luajit: exit code" "$?" 0
	explain_check "$WORK/explain.out" luajit "$(luajit -v | awk '{ print $1 " " $2 }')" create
else
	echo "INFO: SKIP the LuaJIT case: no luajit"
fi
finish
