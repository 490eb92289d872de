#!/usr/bin/env bash
# LuaJIT, attached after: the census's coroutines are dropped and collected (no probe
# sees them end), and new ones take their addresses. A create at a census coroutine's
# address counts that one's end, so census + created - exited is what lives, and each
# figure is the target's.
. "$(dirname "$0")/lua_lib.sh"
need_root
LUAJIT=${LUAJIT:-luajit}
command -v "$LUAJIT" >/dev/null || skip "no $LUAJIT"
target_start "$LUAJIT" "$LUA_TESTS/jit_reuse.lua" 2000
top_start
for round in 1 2; do
	echo churn >&3
	wait_for '^TRUTH ' "$round" 60
done
top_walks 2
t() { sed -n 's/^TRUTH //p' "$WORK/target.out" | tail -n 1 | jq ".$1"; }
j() { jq "$1" "$WORK/snap.json"; }
expect "live" "$(j .totals.coroutines_live)" "$(t live)"
expect "created" "$(j .totals.coroutines_created)" "$(t created)"
expect "census + created - exited" \
	"$(j '.census.coroutines + .totals.coroutines_created - .totals.coroutines_exited')" "$(t live)"
target_stop
finish
