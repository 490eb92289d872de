#!/usr/bin/env bash
# Go, attached after the leak built up: the attach-time census walks runtime.allgs and
# each goroutine's _defer chain (heap records of a loop, stack records of a nine-defer
# function), and each snapshot reads parked frames' open-coded defers; pending defers and
# their site must match the target's truth. With --no-census neither walk happens.
. "$(dirname "$0")/go_lib.sh"
need_basics

LOOPS=5000
for go in $(go_toolchains); do
	for variant in plain cgo; do
		bin=$(go_build "$go" "$variant") || fail "cannot build the $variant target with $go"
		target_start "$bin" $LOOPS
		target_go
		top_start
		top_walks 1
		check census "$(basename "$bin")"
		top_start --no-census
		top_settle 1
		expect "$(basename "$bin") --no-census: census" "$(jq_get "$WORK/snap.json" .census.done)" false
		expect "$(basename "$bin") --no-census: pending" \
			"$(jq_get "$WORK/snap.json" .totals.defers_pending)" 0
		expect "$(basename "$bin") --no-census: no walk" "$(jq_get "$WORK/snap.json" .walks.runs)" 0
		target_stop
	done
done
finish
