#!/usr/bin/env python3
"""Compares a codefer-top JSON snapshot with the TRUTH lines the leaky fixture printed
after its last command.

check.py live|census TARGET_OUTPUT SNAPSHOT_JSON LEAKY_C
  live    codefer attached before any work: every count must match
  census  attached after work had been done: what the attach-time walk can know (pending
          defers, connections held and out, orphans) must match
Prints one line per comparison; exits 1 on any mismatch.
"""
import json
import re
import sys


def last_truth(path):
    blocks, cur = [], []
    for line in open(path):
        if line.startswith("TRUTH "):
            cur.append(json.loads(line[6:]))
        elif line.startswith("DONE"):
            blocks.append(cur)
            cur = []
    return blocks[-1]


def main():
    mode, out_path, snap_path, source = sys.argv[1:5]
    truth = last_truth(out_path)
    coros = {t["coro"]: t for t in truth if "coro" in t}
    tot = next(t for t in truth if "created" in t)
    snap = json.load(open(snap_path))
    rows = {c["id"]: c for c in snap["coroutines"]}
    totals = snap["totals"]
    bad = []

    def expect(what, got, want):
        ok = got == want
        print(("ok   %s: %r" % (what, got)) if ok else
              ("FAIL %s: codefer %r, truth %r" % (what, got, want)))
        if not ok:
            bad.append(what)

    expect("runtime", snap["runtime"], sys.argv[5] if len(sys.argv) > 5 else "native")
    expect("live coroutine ids", sorted(rows), sorted(coros))
    expect("coroutines_live", totals["coroutines_live"], len(coros))
    order = [c["id"] for c in snap["coroutines"]]
    expect("rows in order (most pending first, then by id)", order,
           [c["id"] for c in sorted(snap["coroutines"], key=lambda c: (-c["defers_pending"], c["id"]))])
    for cid, t in sorted(coros.items()):
        row = rows.get(cid, {})
        expect(f"coroutine {cid} defers_pending", row.get("defers_pending"), t["pending"])
        expect(f"coroutine {cid} conns_held", row.get("conns_held"), t["conns_held"])
        if mode == "live":
            expect(f"coroutine {cid} defers_registered", row.get("defers_registered"),
                   t["defers_registered"])
            expect(f"coroutine {cid} defers_run", row.get("defers_run"), t["defers_run"])
    expect("defers_pending", totals["defers_pending"], sum(t["pending"] for t in coros.values()))
    expect("conns_outstanding", totals["conns_outstanding"], tot["outstanding"])
    expect("conns_orphaned", totals["conns_orphaned"], tot["orphans"])
    pools = snap["pools"]
    expect("pools", len(pools), 1)
    if pools:
        expect("pool outstanding", pools[0]["outstanding"], tot["outstanding"])
        expect("pool orphans", pools[0]["orphans"], tot["orphans"])
    if mode == "live":
        expect("coroutines_created", totals["coroutines_created"], tot["created"])
        expect("coroutines_exited", totals["coroutines_exited"], tot["finished"])
        expect("pool gets", pools[0]["gets"] if pools else None, tot["gets"])
        expect("pool puts", pools[0]["puts"] if pools else None, tot["puts"])
        expect("defers_registered", totals["defers_registered"], tot["defers_registered"])
        expect("defers_run", totals["defers_run"], tot["defers_run"])
        expect("lost", totals["lost"], 0)
    # The leak: the worker (most pending) is shown at worker_body's defer line.
    lines = open(source).read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("static void worker_body"))
    line = next(i + 1 for i in range(start, len(lines)) if "uco_defer(" in lines[i])
    worker = max(coros.values(), key=lambda t: t["pending"])
    site = rows.get(worker["coro"], {}).get("site", "")
    expect("worker site", re.sub(r"^(\w+)\+0x[0-9a-f]+ .*?([\w.]+:\d+)$", r"\1 \2", site),
           f"worker_body leaky.c:{line}")
    top = [s for s in snap["sites"] if s["kind"] == "defer"]
    expect("top defer site", top[0]["site"] if top else None, site)
    expect("top defer site pending", top[0]["pending"] if top else None, worker["pending"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
