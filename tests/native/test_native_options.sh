#!/usr/bin/env bash
# codefer-top's options and outputs against the leaky fixture's truth: the batch text
# header, -m (rows per table), -s (sort key), -r with a valid runtime, --no-freeze, every
# documented JSON key (values from the truth where it has them), and "only the given PID
# is probed": a second instance of the same binary gets no breakpoint and is not counted.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
probe_points
truth() { grep '^TRUTH {"created"' "$WORK/target.out" | tail -n 1 | sed 's/^TRUTH //' | jq -r ".$1"; }
coros=$(grep '^TRUTH {"coro"' "$WORK/target.out" | sed 's/^TRUTH //' | jq -s .)
live=$(jq length <<<"$coros")
pending=$(jq '[.[].pending] | add' <<<"$coros")

echo "-- batch text: header, -m, -s"
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 -m 2 -s conns >"$WORK/text.out" 2>"$WORK/top.err"
expect "exit code" "$?" 0
expect "title" "$(sed -n 1p "$WORK/text.out" | sed 's/ - [0-9:]* - / - TIME - /')" \
	"codefer-top - pid $TARGET_PID (leaky) - ucoro (test fixture) - TIME - sorted by conns"
expect "totals line" "$(sed -n 2p "$WORK/text.out")" \
	"coroutines: $live live, 0 created, 0 exited | defers: $pending pending, 0 registered, 0 run | conns: $(truth outstanding) out, $(truth orphans) orphaned"
expect "events line" "$(sed -n 3p "$WORK/text.out")" \
	"events: 0  lost: 0 (unreadable 0, map full 0, truncated 0)  census: $live coroutines, $pending defers"
rows=$(awk '/ID STATE/ { f = 1; next } f && NF == 0 { exit } f { print }' "$WORK/text.out")
expect "-m 2: two rows and the rest counted" "$(grep -c '^ *[0-9]' <<<"$rows") $(grep -c "\.\.\. ($((live - 2)) more)" <<<"$rows")" "2 1"
expect "-s conns: rows holding a connection first" "$(awk '$1 ~ /^[0-9]+$/ { print $7 }' <<<"$rows" | paste -sd,)" "1,1"

echo "-- -r ucoro, --no-freeze"
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 -r ucoro --no-freeze >"$WORK/r.json" 2>"$WORK/top.err"
expect "exit code" "$?" 0
expect "runtime" "$(jq -r .runtime "$WORK/r.json")" ucoro
expect "census coroutines" "$(jq .census.coroutines "$WORK/r.json")" "$live"
expect "defers pending" "$(jq .totals.defers_pending "$WORK/r.json")" "$pending"

echo "-- every documented JSON key"
top_start -d 0.3
leaky_do 2 "exit 2"
top_settle 1
python3 - "$WORK/snap.json" "$TARGET_PID" <<'PY' || FAILED=1
import json, sys
snap, pid = json.load(open(sys.argv[1])), int(sys.argv[2])
bad = []
def keys(what, obj, want):
    got = sorted(obj) if isinstance(obj, dict) else None
    ok = got is not None and set(want) <= set(got)
    print(("ok   %s keys" if ok else "FAIL %s keys: %r lacks %r") % ((what,) if ok else (what, got, sorted(set(want) - set(got or [])))))
    ok or bad.append(what)
keys("snapshot", snap, ["time", "pid", "comm", "runtime", "version", "interval_s", "totals",
                        "counters", "census", "walks", "coroutines", "pools", "sites"])
keys("totals", snap["totals"], ["coroutines_live", "coroutines_created", "coroutines_exited",
     "defers_pending", "defers_registered", "defers_run", "defers_lost", "conns_outstanding",
     "conns_orphaned", "queues", "events", "lost"])
keys("counters", snap["counters"], ["events", "created", "exited", "defers_registered",
     "defers_run", "defers_retired_at_exit", "defers_run_unseen", "gets", "puts", "orphaned",
     "cond_skipped", "lost_read", "lost_map_full", "lost_no_cfg", "lost_truncated"])
keys("census", snap["census"], ["done", "coroutines", "defers", "conns", "warning"])
keys("walks", snap["walks"], ["runs", "last_s", "defers", "exits"])
for c in snap["coroutines"]:
    keys("coroutine %s" % c.get("id"), c, ["id", "state", "age_s", "defers_pending",
         "defers_registered", "defers_run", "defers_peak", "defers_delta", "conns_held",
         "oldest_hold_s", "census", "site", "verdict"])
for p in snap["pools"]:
    keys("pool", p, ["id", "gets", "puts", "puts_unknown", "outstanding", "peak", "orphans",
                     "oldest_hold_s", "site"])
for s in snap["sites"]:
    keys("site", s, ["kind", "site", "pending", "delta"])
kinds = sorted({s["kind"] for s in snap["sites"]})
print(("ok   site kinds: %s" if kinds == ["conn", "create", "defer"] else "FAIL site kinds: %s") % kinds)
kinds == ["conn", "create", "defer"] or bad.append("kinds")
# interval_s is the time since the previous snapshot: -d 0.3 at least.
for what, got, want in (("pid", snap["pid"], pid), ("comm", snap["comm"], "leaky"),
                        ("interval_s >= -d", snap["interval_s"] >= 0.3, True)):
    print(("ok   %s: %r" % (what, got)) if got == want else ("FAIL %s: %r, want %r" % (what, got, want)))
    got == want or bad.append(what)
sys.exit(1 if bad else 0)
PY
check census ucoro
expect "created since attach" "$(jq .totals.coroutines_created "$WORK/snap.json")" 2
expect "exited since attach" "$(jq .totals.coroutines_exited "$WORK/snap.json")" 2
expect "pool gets since attach" "$(jq '.pools[0].gets' "$WORK/snap.json")" 2
expect "sites: live coroutines per creation site" \
	"$(jq '[.sites[] | select(.kind == "create") | .pending] | add' "$WORK/snap.json")" \
	"$(grep -c '^TRUTH {"coro"' <(awk '/^DONE/ { n++ } n == 1' "$WORK/target.out"))"

echo "-- only the given PID is probed"
mkfifo "$WORK/in2"
"$LEAKY" <"$WORK/in2" >"$WORK/other.out" 2>&1 &
OTHER=$!
exec 5>"$WORK/in2"
echo work >&5
for ((i = 0; i < 100; i++)); do grep -q '^DONE' "$WORK/other.out" && break; sleep 0.1; done
top_start
expect "the probed one: breakpoints" "$(breakpoints "$TARGET_PID")" int3
expect "the other instance: no breakpoint" "$(breakpoints "$OTHER")" clean
echo "exit 4" >&5
echo "more 9" >&5
for ((i = 0; i < 100; i++)); do [ "$(grep -c '^DONE' "$WORK/other.out")" = 3 ] && break; sleep 0.1; done
expect "the other instance ran" "$(grep -c '^DONE' "$WORK/other.out")" 3
top_settle 2
expect "events from the other instance" "$(jq .totals.events "$WORK/snap.json")" 0
check census ucoro
exec 5>&-
finish
