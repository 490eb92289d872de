#!/usr/bin/env bash
# A core of lua5.4 and one of the liblua5.4.so host, taken after the work: codefer-dump
# must find the same coroutines and pending <close> variables as the live census.
. "$(dirname "$0")/lua_lib.sh"
need_root
command -v gcore >/dev/null || skip "no gcore (package gdb)"
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
CODEFER_DUMP=${CODEFER_DUMP:-${BUILD:-$LUA_TESTS/../../build}/codefer-dump}
[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"

# core_case CMD ARGS...: runs a target to its DONE, dumps its core, checks the report.
core_case() {
	target_start "$@" census
	target_done
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
	exec 3>&-
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	"$CODEFER_DUMP" --json "$WORK/core.$TARGET_PID" >"$WORK/snap.json" 2>"$WORK/top.err" ||
		fail "codefer-dump failed: $(cat "$WORK/top.err")"
	TARGET_PID=
	python3 "$LUA_TESTS/check.py" census "$WORK/target.out" "$WORK/snap.json" lua ||
		fail "numbers differ from the target's truth"
	# As codefer-top's: the main thread (created nowhere) is in no row of created at.
	[ "$(jq '[.summary.created[] | select(.site == "-")] | length' "$WORK/snap.json")" = 0 ] ||
		fail "codefer-dump ranks a creation site '-'"
	rm -f "$WORK"/core.*
}

echo "== lua5.4"
core_case /usr/bin/lua5.4 "$LUA_TESTS/coro_leak.lua"
if pkg-config --exists lua5.4 2>/dev/null; then
	echo "== host (liblua5.4.so)"
	need_host
	core_case "$HOST" "$LUA_TESTS/coro_leak.lua"
else
	echo "INFO: SKIP the liblua5.4.so host case: no liblua5.4-dev (pkg-config lua5.4)"
fi
echo PASS
