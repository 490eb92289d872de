#!/usr/bin/env bash
# The census of a Go target that keeps working while codefer-top attaches: goroutines
# that gain a heap defer every 50 µs and sleep between, others started and ended all
# the time, parked ones. Nothing is stopped (the census is reconciled with what the
# probes saw while it read); once the work stops, each goroutine's pending defers and
# the total are the target's own, and none was left unsettled. With --freeze, the same
# counts. Oldest and newest Go.
. "$(dirname "$0")/go_lib.sh"
need_basics

compare() {
	python3 - "$TESTS" "$WORK/target.out" "$WORK/snap.json" <<'PY' || FAILED=1
import json, sys
sys.path.insert(0, sys.argv[1])
from truth import Checks, truth_block
want = {t["goid"]: t["pending"] for t in truth_block(sys.argv[2]) if "goid" in t}
snap = json.load(open(sys.argv[3]))
rows = {int(c["id"]): c["defers_pending"] for c in snap["coroutines"]}
check = Checks()
expect = check.expect
expect("goroutines whose pending defers differ (goid: codefer, truth; of %d)" % len(want),
       {g: (rows.get(g), p) for g, p in want.items() if rows.get(g) != p}, {})
# runtime.main's own defer (its unlockOSThread) is pending in goroutine 1 from Go 1.x
# versions that do not open-code it: the runtime's, not the target's.
expect("goroutines with pending defers the target does not list (but runtime.main)",
       {g: p for g, p in rows.items() if p and g not in want and g != 1}, {})
expect("defers_pending (but runtime.main's)", snap["totals"]["defers_pending"] - rows.get(1, 0),
       sum(want.values()))
expect("lost events", snap["totals"]["lost"], 0)
# A grower's chain only grows while it is read: known as of its head's read, never left
# unsettled (kept as read while it changed).
expect("goroutines the census kept unsettled", snap["census"]["unsettled"], 0)
# A chain cut short while its goroutine changed was read again: no warning left.
expect("census warning", snap["census"]["warning"], "")
check.done()
PY
}

for go in $(go_toolchains | sed -n '1p;$p' | uniq); do
	bin=$(go_build "$go" plain "$GO_TESTS/busy.go") || fail "cannot build busy.go with $go"
	for mode in running --freeze; do
		echo "-- $(basename "$bin"): attach to a busy target ($mode)"
		target_start "$bin"
		busy_round "$mode"
		target_stop
	done
done
finish
