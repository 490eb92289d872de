#!/usr/bin/env bash
# The census of a Go target that keeps working while codefer-top attaches: goroutines
# that gain a heap defer every 50 µs and sleep between, others started and ended all
# the time, parked ones. Nothing is stopped (the census is reconciled with what the
# probes saw while it read); once the work stops, each goroutine's pending defers and
# the total are the target's own. With --freeze, the same counts. Oldest and newest Go.
. "$(dirname "$0")/go_lib.sh"
need_basics

compare() {
	python3 - "$WORK/target.out" "$WORK/snap.json" <<'PY' || FAILED=1
import json, sys
truth = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("TRUTH ")]
want = {t["goid"]: t["pending"] for t in truth if "goid" in t}
snap = json.load(open(sys.argv[2]))
rows = {int(c["id"]): c["defers_pending"] for c in snap["coroutines"]}
bad = 0
def expect(what, got, want):
    global bad
    print(("ok   %s: %r" % (what, got)) if got == want else
          ("FAIL %s: codefer %r, truth %r" % (what, got, want)))
    bad |= got != want
expect("goroutines whose pending defers differ (goid: codefer, truth; of %d)" % len(want),
       {g: (rows.get(g), p) for g, p in want.items() if rows.get(g) != p}, {})
# runtime.main's own defer (its unlockOSThread) is pending in goroutine 1 from Go 1.x
# versions that do not open-code it: the runtime's, not the target's.
expect("goroutines with pending defers the target does not list (but runtime.main)",
       {g: p for g, p in rows.items() if p and g not in want and g != 1}, {})
expect("defers_pending (but runtime.main's)", snap["totals"]["defers_pending"] - rows.get(1, 0),
       sum(want.values()))
expect("lost events", snap["totals"]["lost"], 0)
sys.exit(bad)
PY
}

for go in $(go_toolchains | sed -n '1p;$p' | uniq); do
	bin=$(go_build "$go" plain "$GO_TESTS/busy.go") || fail "cannot build busy.go with $go"
	for mode in running --freeze; do
		echo "-- $(basename "$bin"): attach to a busy target ($mode)"
		target_start "$bin"
		if [ "$mode" = running ]; then top_start; else top_start --freeze; fi
		expect "census taken" "$(grep -m1 '^{' "$WORK/top.json" | jq -r .census.done)" true
		echo stop >&3
		wait_for '^DONE' 1
		top_settle 2
		compare
		jq -c .census "$WORK/snap.json"
		grep '^TRUTH.*stall_ms' "$WORK/target.out" | sed 's/.*"stall_ms": \([0-9.]*\).*/   target: longest stall \1 ms/'
		target_stop
	done
done
finish
