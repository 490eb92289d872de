#!/usr/bin/env bash
# One codefer-top on three processes of two runtimes: two ucoro fixtures (tests/native)
# and a Go target, given as `-p A,B -p C`. Each process's object in the JSON must match
# that target's own truth exactly, and the sums the sums of their truths.
. "$(dirname "$0")/fleet_lib.sh"
need_basics
need_leaky

go=$(go_toolchains | head -n 1)
bin=$(go_build "$go" plain) || fail "cannot build the Go target with $go"
proc_start a '^PID ' "$LEAKY"
proc_start b '^PID ' "$LEAKY"
proc_start g '^READY' "$bin" 200
echo "INFO: $("$go" env GOVERSION)"

TARGET_PID=${PID_OF[a]} probe_points
fleet_start -p "${PID_OF[a]},${PID_OF[b]}" -p "${PID_OF[g]}"
expect "breakpoints in a and b while attached" \
	"$(breakpoints "${PID_OF[a]}") $(breakpoints "${PID_OF[b]}")" "int3 int3"
expect "processes watched" "$(grep '^{' "$WORK/top.json" | tail -n 1 | jq '[.processes[].runtime] | sort | join(",")')" '"go,ucoro,ucoro"'
proc_do a work 1
proc_do a "more 40" 2
proc_do a "exit 3" 3
proc_do b work 1
proc_do b "more 7" 2
go_run g
top_settle 2

check_native a
check_native b
check_go g
echo "--- sums"
check_sums a b --go g
expect "after ^C: no breakpoint left in a nor b" \
	"$(breakpoints "${PID_OF[a]}") $(breakpoints "${PID_OF[b]}")" "clean clean"
expect "nothing gone" "$(jq -c '[.gone, .gone_total]' "$WORK/snap.json")" '[[],0]'
expect "JSON safe" "$(safe_output "$WORK/top.json" json)" safe
finish
