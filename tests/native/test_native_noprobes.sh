#!/usr/bin/env bash
# --no-probes: nothing attached (the target's code keeps its own bytes), every refresh walks; the counts a walk can know are
# exact, and created/exited come from the ids that appear and disappear between walks
# (a coroutine born and ended between two walks is never seen: `exit 2` adds none).
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
leaky_do 2 "more 25"
probe_points
top_start --no-probes
expect "no breakpoint at any probe point while attached" "$(breakpoints "$TARGET_PID")" clean
leaky_do 3 "more 10"
leaky_do 4 "exit 2"
top_settle 2
check census ucoro
expect "mode" "$(jq_get "$WORK/snap.json" .census.mode)" no-probes
expect "walks partial" "$(jq_get "$WORK/snap.json" .walks.partial)" false
expect "exited between walks" "$(jq_get "$WORK/snap.json" .totals.coroutines_exited)" 0
expect "pool name" "$(jq_get "$WORK/snap.json" '.pools[0].name')" uco_pool
expect "events (none: no probes)" "$(jq_get "$WORK/snap.json" .totals.events)" 0

echo "-- coroutines that appear between walks"
top_start --no-probes
leaky_do 5 work
top_settle 2
expect "created between walks (a worker, 3 parked)" \
	"$(jq_get "$WORK/snap.json" .totals.coroutines_created)" 4
finish
