#!/usr/bin/env bash
# /metrics over several processes, scraped by Debian's real Prometheus on the loopback:
# two ucoro fixtures and a Go target in one codefer-top. Read back through Prometheus's
# query API: the sums against the sums of the targets' truths, each process's
# codefer_process_*{pid} series against its own truth, the same line in two processes one
# site series, one codefer_info per distinct runtime, version and comm.
. "$(dirname "$0")/fleet_lib.sh"
need_basics
need_leaky
. "$TESTS/metrics/prom_lib.sh"

go=$(go_toolchains | head -n 1)
bin=$(go_build "$go" plain) || fail "cannot build the Go target with $go"
proc_start a '^PID ' "$LEAKY"
proc_start b '^PID ' "$LEAKY"
proc_start g '^READY' "$bin" 200
fleet_start -p "${PID_OF[a]},${PID_OF[b]},${PID_OF[g]}" --listen "127.0.0.1:$MPORT"
prom_start
proc_do a work 1
proc_do a "exit 2" 2
proc_do b work 1
proc_do b "more 11" 2
go_run g
prom_fresh

echo "-- the sums, through Prometheus's query API, against the targets' truths"
expect "scrape healthy (up)" "$(q 'up{job="codefer"}')" 1
expect "codefer_processes" "$(q codefer_processes)" 3
# The sums as a snapshot's totals, for the same comparison as the JSON's.
for k in coroutines_created:codefer_coroutines_created_total defers_pending:codefer_defers_pending \
	defers_registered:codefer_defers_registered_total defers_run:codefer_defers_run_total \
	conns_outstanding:codefer_connections_out conns_orphaned:codefer_connections_orphaned; do
	echo "\"${k%%:*}\": $(q "${k#*:}")"
done | paste -sd, | sed 's/^/{"totals": {/; s/$/}}/' >"$WORK/prom_totals.json"
python3 "$FLEET_TESTS/sums.py" "$WORK/prom_totals.json" "$WORK" a b --go g || FAILED=1

echo "-- each process"
for p in a b; do
	sel="pid=\"${PID_OF[$p]}\""
	expect "$p: process_defers_pending" "$(q "codefer_process_defers_pending{$sel}")" \
		"$(truth_of $p '[.[] | select(.coro) | .pending] | add')"
	expect "$p: process_coroutines_live" "$(q "codefer_process_coroutines_live{$sel}")" \
		"$(truth_of $p '[.[] | select(.coro)] | length')"
	expect "$p: process_coroutines_created_total" \
		"$(q "codefer_process_coroutines_created_total{$sel}")" "$(truth_of $p '.[] | select(.created) | .created')"
	expect "$p: process_connections_orphaned" "$(q "codefer_process_connections_orphaned{$sel}")" \
		"$(truth_of $p '.[] | select(.created) | .orphans')"
	expect "$p: its labels" "$(q "count(codefer_process_defers_pending{$sel,comm=\"leaky\",runtime=\"ucoro\"})")" 1
done
expect "g: process_defers_registered_total" \
	"$(q "codefer_process_defers_registered_total{pid=\"${PID_OF[g]}\",runtime=\"go\"}")" \
	"$(grep '^TRUTH ' "$WORK/g.out" | cut -d' ' -f2- | jq -r 'select(.totals) | .defers_registered')"
expect "sum by pid: three" "$(q 'count(codefer_process_defers_pending)')" 3

echo "-- shared series"
line=$(awk '/^static void worker_body/ { f = 1 } f && /uco_defer\(/ { print NR; exit }' "$TESTS/native/leaky.c")
expect "the workers' line in both processes: one site series, summed" \
	"$(q 'codefer_site_defers_pending{site=~"worker_body.*leaky.c:'"$line"'"}')" \
	"$(($(truth_of a '.[] | select(.coro == 1) | .pending') + $(truth_of b '.[] | select(.coro == 1) | .pending')))"
expect "codefer_info: one per runtime, version and comm" \
	"$(q 'count(codefer_info)') $(q 'count(codefer_info{runtime="ucoro",comm="leaky"})') $(q 'count(codefer_info{runtime="go"})')" \
	"2 1 1"
curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/page.txt"
expect "a pid label only in codefer_process_*" \
	"$(grep -v '^#' "$WORK/page.txt" | grep 'pid=' | grep -vc '^codefer_process_')" 0
expect "no label holds an address" "$(grep -v '^#' "$WORK/page.txt" | grep -cE '="0x[0-9a-f]+"')" 0
top_settle 0
finish
