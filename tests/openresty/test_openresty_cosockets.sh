#!/usr/bin/env bash
# Cosocket probes, live: codefer-top attached to an nginx worker (lua-nginx-module on
# luajit2) before it takes its connections finds connect, setkeepalive and close in the
# worker's tcp socket metatable and probes them. Then timers and requests lend from
# pools (`keep` back idle, `leaky` full with connects waiting, `burst` lending 12
# against pool_size 5 as in lua-resty-redis#265, `req` held by parked requests) and
# light threads of a request and of a timer connect and end without setkeepalive or
# close (orphans). Each pool's figures, and each connection out with its holder, the
# Lua line of its connect and whether its holder ended, against the worker's own counts.
. "$(dirname "$0")/openresty_lib.sh"
need_openresty
KEEP=4 LEAK=7 BURST=12 HOLDS=3 ORPHANS=3
nginx_start "require('leak')"
top_start
park_requests 1 "/pools?keep=$KEEP&leak=$LEAK&burst=$BURST&orphans=$ORPHANS"
# One line per leaky and bursting timer, three for the pools, one when `req` is made,
# one per orphan and one for its pool.
wait_truth $((LEAK + BURST + 4 + ORPHANS + 1))
park_requests "$HOLDS" /hold
park_requests 1 "/orphans?n=$ORPHANS"
wait_truth $((LEAK + BURST + 4 + 2 * (ORPHANS + 1) + 2 * HOLDS))
grep -q "tcp socket connect" <("$CODEFER_TOP" -p "$WORKER" --explain 2>&1) ||
	fail "no cosocket probes planned: $("$CODEFER_TOP" -p "$WORKER" --explain 2>&1 | tail -n 5)"
top_walks 1
python3 "$OR_TESTS/check_openresty.py" live "$WORK/error.log" "$WORK/snap.json" ||
	fail "codefer-top's cosocket probes disagree with the worker's truth"
echo PASS
