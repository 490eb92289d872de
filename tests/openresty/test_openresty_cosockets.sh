#!/usr/bin/env bash
# Cosocket probes, live: codefer-top attached to an nginx worker (lua-nginx-module on
# luajit2) before it takes its connections finds connect, setkeepalive and close in the
# worker's tcp socket metatable and probes them. Then timers and requests lend from
# pools (`keep` back idle, `leaky` full with connects waiting, `burst` lending 12
# against pool_size 5 as in lua-resty-redis#265, `req` held by parked requests), light
# threads of a request and of a timer connect and end without setkeepalive or close
# (orphans), a timer connects and ends (its end closes the connection), another
# connects through pcall (no Lua line calls connect), one gets a connection after its
# connect waited behind a full pool. Each pool's figures, and each
# connection out with its holder, what the holder runs for, the Lua line of its
# connect and whether its holder ended, against the worker's own counts; then attached
# after, as the census sees them, and the text view's OVER LIMIT line for `burst`. The
# create sites of a coroutine.create, an ngx.thread.spawn and an ngx.timer.at after
# attach: their lines, or for a timer given the thread of one that ended, its function.
. "$(dirname "$0")/openresty_lib.sh"
need_openresty
KEEP=4 LEAK=7 BURST=12 HOLDS=3 ORPHANS=3
nginx_start "require('leak')"
top_start
park_requests 1 "/pools?keep=$KEEP&leak=$LEAK&burst=$BURST&orphans=$ORPHANS"
# One line per leaky and bursting timer, three for the pools, one when `req` is made,
# one per orphan and one for its pool, one for the ending timer, two for the pcall one,
# three for the queued ones.
wait_truth $((LEAK + BURST + 4 + ORPHANS + 1 + 3 + 3))
park_requests "$HOLDS" /hold
wait_truth $((LEAK + BURST + 4 + ORPHANS + 1 + 3 + 3 + 2 * HOLDS))
# /orphans first makes a coroutine, a light thread and a timer (`made`), alone: which
# thread nginx hands on is then known.
park_requests 1 "/orphans?n=$ORPHANS"
wait_truth $((LEAK + BURST + 4 + 2 * (ORPHANS + 1) + 3 + 3 + 3 + 2 * HOLDS))
grep -q "tcp socket connect" <("$CODEFER_TOP" -p "$WORKER" --explain 2>&1) ||
	fail "no cosocket probes planned: $("$CODEFER_TOP" -p "$WORKER" --explain 2>&1 | tail -n 5)"
top_walks 1
python3 "$OR_TESTS/check_openresty.py" live "$WORK/error.log" "$WORK/snap.json" ||
	fail "codefer-top's cosocket probes disagree with the worker's truth"
# Attached after: the census's connections, seeded into the probes' map.
top_start
top_settle 1
python3 "$OR_TESTS/check_openresty.py" after "$WORK/error.log" "$WORK/snap.json" ||
	fail "codefer-top attached after disagrees with the worker's truth"
# lua-resty-redis#265 in the text view, attached after the connections were taken.
"$CODEFER_TOP" -p "$WORKER" -b -n 2 -d 0.5 >"$WORK/text.out" 2>&1 || fail "codefer-top -b failed"
want="OVER LIMIT: $BURST out, limit 5: it does not bound the connections lent"
awk '/^codefer/ { n++ } n == 2' "$WORK/text.out" | grep -A 2 '^ *burst ' | grep -qF "$want" ||
	fail "the text view does not say '$want' under pool burst: $(grep -A 2 '^ *burst ' "$WORK/text.out")"
echo PASS
