#!/usr/bin/env bash
# The census of a target that keeps working while codefer-top attaches and walks it:
# nothing is stopped, and once the work stops every count is exact (the census is
# reconciled with what the probes saw while it read). With --freeze, the same counts.
. "$(dirname "$0")/native_lib.sh"
need_root

BUSY="$BUILD/tests/native/busy"

compare() {
	python3 - "$TESTS" "$WORK/target.out" "$WORK/snap.json" <<'PY' || FAILED=1
import json, sys
sys.path.insert(0, sys.argv[1])
from truth import Checks, truth_block
truth = truth_block(sys.argv[2])
coros = {t["coro"]: t for t in truth if "coro" in t}
tot = next(t for t in truth if "created" in t)
snap = json.load(open(sys.argv[3]))
rows = {c["id"]: c for c in snap["coroutines"]}
check = Checks()
expect = check.expect
expect("live ids", sorted(rows), sorted(coros))
wrong = [c for c, t in coros.items()
         if (rows.get(c, {}).get("defers_pending"), rows.get(c, {}).get("conns_held"))
         != (t["pending"], t["conns_held"])]
expect("coroutines whose pending defers or connections differ", wrong[:5], [])
expect("defers_pending", snap["totals"]["defers_pending"], sum(t["pending"] for t in coros.values()))
expect("conns_outstanding", snap["totals"]["conns_outstanding"], tot["outstanding"])
expect("lost events", snap["totals"]["lost"], 0)
check.done()
PY
}

for mode in running --freeze; do
	echo "-- attach to a busy target ($mode)"
	target_start "$BUSY"
	wait_for '^PID ' 1
	busy_round "$mode"
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
done
finish
