#!/usr/bin/env bash
# Cosocket keepalive pools of an nginx worker (lua-nginx-module on luajit2), read from
# registry[&ngx_http_lua_socket_pool_key] in a core of the worker: `keep` with its
# connections back idle, `leaky` (pool_size 3) lent out to timers that never give them
# back, with connects queued behind them; `burst` (pool_size 5 given to setkeepalive)
# lending 12, as in lua-resty-redis#265; `req` lending to requests parked in their
# handler. Each pool's open, idle, max and waiting
# connects, each connection out with the coroutine holding it, and each timer's and
# request's coroutine (created by its callback or chunk, waiting at its line), against
# what the worker's Lua code counted.
. "$(dirname "$0")/openresty_lib.sh"
need_openresty
command -v gcore >/dev/null || skip "no gcore (package gdb)"
KEEP=4 LEAK=7 BURST=12 HOLDS=3
nginx_start "require('leak').pools(@PORT@, $KEEP, $LEAK, $BURST)"
# One line per leaky and bursting timer, three for the pools, one when `req` is made.
wait_truth $((LEAK + BURST + 4))
park_requests "$HOLDS" /hold
wait_truth $((LEAK + BURST + 4 + 2 * HOLDS))
gcore -o "$WORK/core" "$WORKER" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
"$CODEFER_DUMP" --json "$WORK/core.$WORKER" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
	fail "codefer-dump failed: $(cat "$WORK/dump.err")"
timeout 120 gdb -batch -nx "$OR_ROOT/usr/sbin/nginx" "$WORK/core.$WORKER" -x "$CODEFER_PY" \
	-ex 'codefer pools' >"$WORK/gdb.out" 2>&1
rm -f "$WORK/core.$WORKER"
python3 "$OR_TESTS/check_openresty.py" gdb "$WORK/error.log" "$WORK/gdb.out" ||
	fail "gdb's codefer pools disagrees with the worker's truth"
python3 "$OR_TESTS/check_openresty.py" dump "$WORK/error.log" "$WORK/dump.json" "$ENTRY_SITE" "$HOLD_SITE" "$SPAWN_SITE" ||
	fail "codefer-dump disagrees with the worker's truth"
echo PASS
