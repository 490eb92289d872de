#!/usr/bin/env bash
# Pending defers that only the walks at snapshots see change (open-coded: no probe fires
# when they run): goroutines parked with two, some released at each step (their defers
# run, they park again with none), one codefer-top across the steps. A refresh after a
# walk rebuilds only the rows whose walked state changed: every snapshot must still give
# each goroutine and the defer site the target's own counts.
. "$(dirname "$0")/go_lib.sh"
need_basics

go=$(go_toolchains | tail -n 1)
bin=$(go_build "$go" plain "$GO_TESTS/walked.go") || fail "cannot build walked.go with $go"
target_start "$bin"
echo "park 30" >&3
wait_for '^DONE' 1
top_start
# walks N: until codefer-top's snapshots show N more walks; $WORK/snap.json is the last.
walks() {
	local runs i
	runs=$(grep '^{' "$WORK/top.json" | tail -n 1 | jq '.walks.runs')
	for ((i = 0; i < 600; i++)); do
		grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap.json"
		[ "$(jq '.walks.runs' "$WORK/snap.json")" -ge $((runs + $1)) ] && return
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	fail "no $1 more walks in 60 s"
}
n=1
for cmd in "release 5" "park 10" "release 12" "release 0" "release 20"; do
	n=$((n + 1))
	echo "$cmd" >&3
	wait_for '^DONE' "$n"
	walks 2
	echo "-- after '$cmd'"
	awk -v n="$n" '/^DONE/ { d++ } d == n - 1 && /^TRUTH / { sub(/^TRUTH /, ""); print }' \
		"$WORK/target.out" | jq -s -c 'map({key: (.goid | tostring), value: .pending}) | from_entries' \
		>"$WORK/want.json"
	jq -c '[.coroutines[] | {key: (.id | tostring), value: .defers_pending}] | from_entries' \
		"$WORK/snap.json" >"$WORK/got_all.json"
	expect "pending per parked goroutine" \
		"$(jq -c --slurpfile w "$WORK/want.json" 'with_entries(select(.key as $k | $w[0] | has($k)))' \
			"$WORK/got_all.json" | jq -S -c .)" "$(jq -S -c . "$WORK/want.json")"
	expect "pending at hold's defer sites" \
		"$(jq '[.sites[] | select(.kind == "defer" and (.site | test("walked.go"))) | .pending] | add // 0' \
			"$WORK/snap.json")" "$(jq '[.[]] | add // 0' "$WORK/want.json")"
done
finish
