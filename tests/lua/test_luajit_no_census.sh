#!/usr/bin/env bash
# LuaJIT with --no-census: no census at attach and no walk at any snapshot (walks.runs
# stays 0), so no exit is ever found; the creations are still probed, exactly.
. "$(dirname "$0")/lua_lib.sh"
need_root
command -v luajit >/dev/null || skip "no luajit"

target_start luajit "$LUA_TESTS/coro_jit.lua" live
top_start --no-census
target_go
top_settle 3
one() { grep '^TRUTH ' "$WORK/target.out" | sed 's/^TRUTH //' | jq -r "select(.kind == \"$1\") | .n"; }
expect runtime "$(jq_get "$WORK/snap.json" .runtime)" luajit
expect "census done" "$(jq_get "$WORK/snap.json" .census.done)" false
expect "walks" "$(jq_get "$WORK/snap.json" .walks.runs)" 0
expect "coroutines_created" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" "$(one created)"
expect "coroutines_exited (found by walks only)" "$(jq_get "$WORK/snap.json" .totals.coroutines_exited)" 0
finish
