#!/usr/bin/env bash
# codefer-top --listen scraped by Debian's real Prometheus on the loopback: every value
# Prometheus stored, read back through its query API, must equal the leaky fixture's own
# truth. Also: only the address given is bound, OpenMetrics is served when asked for,
# sites past --metrics-sites are summed as site="other".
. "$(dirname "$0")/../native/native_lib.sh"
need_root
. "$TESTS/metrics/prom_lib.sh"

leaky_start
top_start "${NATIVE_PROBES[@]}" --listen "127.0.0.1:$MPORT" --metrics-sites 1
expect "listens on 127.0.0.1 only" "$(ss -ltnH "sport = :$MPORT" | awk '{ print $4 }')" "127.0.0.1:$MPORT"

prom_start

leaky_do 1 work
leaky_do 2 "more 30"
leaky_do 3 "exit 2"
awk '/^DONE/ { n++ } n == 2 && /^TRUTH / { sub(/^TRUTH /, ""); print }' "$WORK/target.out" \
	>"$WORK/truth"
tot() { jq -r "select(.created) | .$1" "$WORK/truth"; }
coros() { jq -s -r "[.[] | select(.coro)] | $1" "$WORK/truth"; }

# Two refreshes after the truth was printed, then a scrape after those.
prom_fresh

echo "-- through Prometheus's query API, against the target's truth"
expect "scrape healthy (up)" "$(q 'up{job="codefer"}')" 1
expect "codefer_info" "$(q 'codefer_info{runtime="native",comm="leaky"}')" 1
expect "coroutines_live" "$(q codefer_coroutines_live)" "$(coros length)"
expect "coroutines_created_total" "$(q codefer_coroutines_created_total)" "$(tot created)"
expect "coroutines_exited_total" "$(q codefer_coroutines_exited_total)" "$(tot finished)"
expect "defers_pending" "$(q codefer_defers_pending)" "$(coros '[.[].pending] | add')"
expect "defers_registered_total" "$(q codefer_defers_registered_total)" "$(tot defers_registered)"
expect "defers_run_total" "$(q codefer_defers_run_total)" "$(tot defers_run)"
expect "connections_out" "$(q codefer_connections_out)" "$(tot outstanding)"
expect "connections_orphaned" "$(q codefer_connections_orphaned)" "$(tot orphans)"
expect "pool_connections_out{pool=1}" "$(q 'codefer_pool_connections_out{pool="1"}')" "$(tot outstanding)"
expect "pool_connections_orphaned{pool=1}" "$(q 'codefer_pool_connections_orphaned{pool="1"}')" "$(tot orphans)"
expect "coroutines_by_verdict: four verdicts, summing to the live" \
	"$(q 'count(codefer_coroutines_by_verdict)') $(q 'sum(codefer_coroutines_by_verdict)')" \
	"4 $(coros length)"
# The worker's site leads; with --metrics-sites 1 every other site is in "other".
worker=$(coros 'map(select(.coro == 1)) | .[0].pending')
line=$(awk '/^static void worker_body/ { f = 1 } f && /uco_defer\(/ { print NR; exit }' "$TESTS/native/leaky.c")
expect "site_defers_pending: the worker's line" \
	"$(q 'codefer_site_defers_pending{site=~"worker_body.*leaky.c:'"$line"'"}')" "$worker"
expect "site_defers_pending: other" "$(q 'codefer_site_defers_pending{site="other"}')" \
	"$(($(coros '[.[].pending] | add') - worker))"
expect "site_defers_pending: two series" "$(q 'count(codefer_site_defers_pending)')" 2
expect "site_connections_out: sum" "$(q 'sum(codefer_site_connections_out)')" "$(tot outstanding)"
expect "timers_pending" "$(q codefer_timers_pending)" 0
expect "lost_events_total by reason" "$(q 'count(codefer_lost_events_total)') $(q 'sum(codefer_lost_events_total)')" "4 0"
expect "refresh_seconds present" "$(q 'count(codefer_refresh_seconds >= 0)')" 1
expect "no label holds a pid or an address" \
	"$(curl -s "http://127.0.0.1:$MPORT/metrics" | grep -v '^#' | grep -cE "=\"(0x[0-9a-f]+|$TARGET_PID)\"")" 0

echo "-- the formats"
curl -s -D "$WORK/om.h" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$MPORT/metrics" >"$WORK/om.txt"
expect "OpenMetrics when asked: content type" \
	"$(grep -ci '^content-type: application/openmetrics-text; version=1.0.0' "$WORK/om.h")" 1
expect "OpenMetrics ends with # EOF" "$(tail -n 1 "$WORK/om.txt")" "# EOF"
expect "OpenMetrics counter family" "$(grep -c '^# TYPE codefer_defers_run counter$' "$WORK/om.txt")" 1
curl -s -D "$WORK/txt.h" "http://127.0.0.1:$MPORT/metrics" >"$WORK/txt.txt"
expect "text 0.0.4 by default" "$(grep -ci '^content-type: text/plain; version=0.0.4' "$WORK/txt.h")" 1
expect "text counter family" "$(grep -c '^# TYPE codefer_defers_run_total counter$' "$WORK/txt.txt")" 1
expect "no timestamps: name, labels, value" \
	"$(grep -v '^#' "$WORK/txt.txt" | grep -cvE '^[a-z_]+(\{.*\})? -?[0-9.]+$')" 0

top_settle 0
expect "port closed after SIGINT" "$(ss -ltnH "sport = :$MPORT" | wc -l)" 0

# An address already taken (Prometheus's): one line, exit 1.
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 --listen "127.0.0.1:$PPORT" >/dev/null 2>"$WORK/bad.err"
expect "--listen on a port in use: exit" "$?" 1
expect "--listen on a port in use: one line" "$(grep -c "cannot listen on 127.0.0.1:$PPORT" "$WORK/bad.err") $(wc -l <"$WORK/bad.err")" "1 1"
# Bad addresses: one line, exit 2.
"$CODEFER_TOP" -p "$TARGET_PID" --listen nonsense >/dev/null 2>"$WORK/bad.err"
expect "--listen without a port: exit" "$?" 2
expect "--listen without a port: one line" "$(wc -l <"$WORK/bad.err")" 1
finish
