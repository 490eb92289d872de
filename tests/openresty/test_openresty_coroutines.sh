#!/usr/bin/env bash
# An nginx worker (lua-nginx-module on luajit2) with timers whose callbacks never end and
# requests parked in their handler or in light threads (ngx.thread.spawn), and timers
# set for later: codefer-top attached to
# the worker's pid, and codefer-dump on a core of it, must find each of those coroutines,
# suspended (not started for the timers to come), created by its timer callback or its
# content_by_lua chunk, and waiting at its line.
. "$(dirname "$0")/openresty_lib.sh"
need_openresty
TIMERS=7 PENDING=9 REQUESTS=5 SPAWNS=2
nginx_start "require('leak').init_worker($TIMERS, $PENDING)"
park_requests "$REQUESTS"
wait_truth $((TIMERS + 1 + REQUESTS))
park_requests "$SPAWNS" /spawn
wait_truth $((TIMERS + 1 + REQUESTS + 3 * SPAWNS))

top_start
top_settle 1
python3 "$OR_TESTS/check_openresty.py" top "$WORK/error.log" "$WORK/snap.json" "$ENTRY_SITE" "$HOLD_SITE" "$SPAWN_SITE" ||
	fail "codefer-top disagrees with the worker's truth"

command -v gcore >/dev/null || skip "no gcore (package gdb)"
gcore -o "$WORK/core" "$WORKER" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
"$CODEFER_DUMP" --json "$WORK/core.$WORKER" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
	fail "codefer-dump failed: $(cat "$WORK/dump.err")"
rm -f "$WORK/core.$WORKER"
python3 "$OR_TESTS/check_openresty.py" dump "$WORK/error.log" "$WORK/dump.json" "$ENTRY_SITE" "$HOLD_SITE" "$SPAWN_SITE" ||
	fail "codefer-dump disagrees with the worker's truth"
echo PASS
