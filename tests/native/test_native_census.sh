#!/usr/bin/env bash
# Attached after the leak has built up: the first snapshot must already show it (the
# ucoro walker's census), and probes must carry on from there exactly.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
leaky_do 2 "more 25"
top_start
top_settle 0
echo "-- census alone (auto-detected ucoro profile)"
expect "census coroutines" "$(jq_get "$WORK/snap.json" .census.coroutines)" \
	"$(awk '/^DONE/ { n++ } n == 1 && /^TRUTH \{"coro"/' "$WORK/target.out" | wc -l)"
check census ucoro

echo "-- census, then probes (native profile, census by the detected walker)"
top_start "${NATIVE_PROBES[@]}"
leaky_do 3 "more 10"
leaky_do 4 "exit 2"
top_settle 2
check census
# Created since attach: the truth's count now less the count before "exit 2".
created() { grep '^TRUTH {"created"' "$WORK/target.out" | sed -n "${1}p" | sed 's/^TRUTH //' | jq .created; }
expect "events after attach: created" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" \
	$(($(created 4) - $(created 3)))
finish
