#!/usr/bin/env bash
# Coroutines that come and go while codefer-top runs, at lua_State addresses the
# allocator reuses: a refresh puts the rows of new ones in and takes those of ended ones
# out where they are, in the middle of the id order (model.c, edit_rows). After every
# step, the last snapshot against the target's truth: every live coroutine and no other,
# each one's pending <close> variables, the totals, and the rows in their display order.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"

done=0
# step CMD: the target does CMD; two snapshots later, the last one against its truth.
step() {
	echo "$1" >&3
	done=$((done + 1))
	wait_for '^DONE' "$done"
	top_next 2
	echo "-- after '$1'"
	python3 - "$TESTS" "$WORK/target.out" "$WORK/snap.json" "$CREATED0" "$FINISHED0" <<'PY' || FAILED=1
import json, sys
sys.path.insert(0, sys.argv[1])
from truth import Checks, truth_block
out, snap_path, created0, finished0 = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
truth = truth_block(out)
snap = json.load(open(snap_path))
want = {int(t["id"], 16): t["pending"] for t in truth if t["kind"] in ("coroutine", "main")}
tot = next(t for t in truth if t["kind"] == "totals")
rows = snap["coroutines"]
got = {int(c["id"], 16) if isinstance(c["id"], str) else c["id"]: c["defers_pending"] for c in rows}
check = Checks()
expect = check.expect
expect("live coroutines: none missing (of %d)" % len(want), sorted(hex(i) for i in set(want) - set(got)), [])
expect("live coroutines: none extra", sorted(hex(i) for i in set(got) - set(want)), [])
expect("pending per coroutine: none wrong",
       {hex(i): (got[i], want[i]) for i in want if i in got and got[i] != want[i]}, {})
expect("coroutines_live", snap["totals"]["coroutines_live"], len(want))
expect("defers_pending", snap["totals"]["defers_pending"], tot["pending"])
expect("created since attach", snap["totals"]["coroutines_created"], tot["created"] - created0)
expect("exited since attach", snap["totals"]["coroutines_exited"], tot["finished"] - finished0)
key = lambda c: (-c["defers_pending"], int(c["id"], 16) if isinstance(c["id"], str) else c["id"])
expect("rows in order (most pending first, then by id): first out of place",
       next((i for i, (a, b) in enumerate(zip(rows, sorted(rows, key=key))) if a is not b), None), None)
check.done()
PY
}

target_start /usr/bin/lua5.4 "$LUA_TESTS/coro_churn.lua"
# Coroutines from before attach (census rows: one that ends drops its row, and the rows
# are built again), and addresses freed by some that ended.
echo "keep 20" >&3
echo "park 20" >&3
echo "finish 15" >&3
done=3
wait_for '^DONE' 3
CREATED0=40
FINISHED0=15
top_start
for s in "park 30" "finish 20" "park 25" "finish 10" "churn 12" "park 5" "finish 30" "churn 20" "park 40" "finish 40"; do
	step "$s"
done
finish
