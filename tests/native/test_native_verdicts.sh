#!/usr/bin/env bash
# The verdicts, on the leaky fixture with thresholds set around its own truth: piling at
# exactly --pile (and not one below), holding once a connection is --hold seconds old
# (and not before), growing once PENDING rose and has not fallen for --grow seconds, and
# the first match wins (growing over piling over holding).
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
wp=$(grep '^TRUTH {"coro": 1,' "$WORK/target.out" | tail -n 1 | sed 's/.*"pending": \([0-9]*\).*/\1/')
parked=$(grep -c '"pending": 2, "conns_held": 1}' "$WORK/target.out")
[ "$wp" -gt 2 ] && [ "$parked" = 3 ] || fail "unexpected truth: worker $wp pending, $parked parked"

# verdicts SNAPSHOT: "ID:VERDICT" for every coroutine, by id.
verdicts() {
	jq -r '.coroutines[] | "\(.id):\(.verdict)"' <<<"$1" | sort -n | paste -sd' '
}
# one ARGS...: the verdicts in a single snapshot.
one() {
	timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 "$@" 2>"$WORK/top.err" >"$WORK/one.json" ||
		fail "codefer-top $*: exit $?"
	verdicts "$(cat "$WORK/one.json")"
}

echo "-- piling: at least --pile"
expect "--pile $wp" "$(one --pile "$wp" --grow 3600 --hold 3600)" "1:piling 57:ok 58:ok 59:ok"
expect "--pile $((wp + 1))" "$(one --pile $((wp + 1)) --grow 3600 --hold 3600)" "1:ok 57:ok 58:ok 59:ok"
expect "--pile 2" "$(one --pile 2 --grow 3600 --hold 3600)" "1:piling 57:piling 58:piling 59:piling"

echo "-- holding: a connection held --hold seconds or more; piling first"
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 3 -d 0.6 --hold 1 --pile 3 --grow 3600 \
	>"$WORK/hold.json" 2>"$WORK/top.err" || fail "codefer-top: exit $?"
# In every snapshot a coroutine holding a connection is `holding` exactly when it has
# held it for 1 s or more (how long is codefer's clock: attach may be slow under load).
expect "holding iff held >= --hold, in every snapshot" \
	"$(jq -r '.coroutines[] | select(.conns_held > 0) | select((.verdict == "holding") != (.oldest_hold_s >= 1)) | .id' "$WORK/hold.json" | wc -l)" 0
expect "last snapshot (held >= 1.2 s)" "$(verdicts "$(tail -n 1 "$WORK/hold.json")")" \
	"1:piling 57:holding 58:holding 59:holding"
expect "--pile 2 wins over holding" "$(one --hold 0 --pile 2 --grow 3600)" \
	"1:piling 57:piling 58:piling 59:piling"

echo "-- growing: rose and not fallen for --grow seconds; first of all"
top_start --grow 1 --pile 1 --hold 0
# Let more than --grow pass since codefer first saw the worker, then make it rise.
sleep 1.2
leaky_do 2 "more 5"
top_settle 1
expect "rose, seen for more than 1 s: growing over piling" "$(verdicts "$SNAP")" \
	"1:growing 57:piling 58:piling 59:piling"
expect "worker pending" "$(jq '.coroutines[] | select(.id == 1) | .defers_pending' "$WORK/snap.json")" \
	"$(grep '^TRUTH {"coro": 1,' "$WORK/target.out" | tail -n 1 | sed 's/.*"pending": \([0-9]*\).*/\1/')"
top_start --grow 3600 --pile 1 --hold 0
leaky_do 3 "more 5"
top_settle 1
expect "rose, but --grow 3600" "$(verdicts "$SNAP")" "1:piling 57:piling 58:piling 59:piling"
finish
