#!/usr/bin/env bash
# The census of a target that keeps working while codefer-top attaches and walks it:
# nothing is stopped, and once the work stops every count is exact (the census is
# reconciled with what the probes saw while it read). With --freeze, the same counts.
. "$(dirname "$0")/native_lib.sh"
need_root

BUSY="$BUILD/tests/native/busy"

compare() {
	python3 - "$WORK/target.out" "$WORK/snap.json" <<'PY' || FAILED=1
import json, sys
truth = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("TRUTH ")]
coros = {t["coro"]: t for t in truth if "coro" in t}
tot = next(t for t in truth if "created" in t)
snap = json.load(open(sys.argv[2]))
rows = {c["id"]: c for c in snap["coroutines"]}
bad = 0
def expect(what, got, want):
    global bad
    print(("ok   %s: %r" % (what, got)) if got == want else
          ("FAIL %s: codefer %r, truth %r" % (what, got, want)))
    bad |= got != want
expect("live ids", sorted(rows), sorted(coros))
wrong = [c for c, t in coros.items()
         if (rows.get(c, {}).get("defers_pending"), rows.get(c, {}).get("conns_held"))
         != (t["pending"], t["conns_held"])]
expect("coroutines whose pending defers or connections differ", wrong[:5], [])
expect("defers_pending", snap["totals"]["defers_pending"], sum(t["pending"] for t in coros.values()))
expect("conns_outstanding", snap["totals"]["conns_outstanding"], tot["outstanding"])
expect("lost events", snap["totals"]["lost"], 0)
sys.exit(bad)
PY
}

for mode in running --freeze; do
	echo "-- attach to a busy target ($mode)"
	target_start "$BUSY"
	wait_for '^PID ' 1
	if [ "$mode" = running ]; then top_start; else top_start --freeze; fi
	expect "census taken" "$(grep -m1 '^{' "$WORK/top.json" | jq -r .census.done)" true
	echo stop >&3
	wait_for '^DONE' 1
	top_settle 2
	compare
	grep '^TRUTH.*stall_ms' "$WORK/target.out" | sed 's/.*"stall_ms": \([0-9.]*\).*/   target: longest stall \1 ms/'
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
done
finish
