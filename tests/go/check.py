#!/usr/bin/env python3
"""Compares one codefer-top JSON snapshot with the truth gotarget printed about itself.

check.py live|census|dump TRUTH SNAPSHOT
  live    codefer-top attached before the target ran: every number must match
  census  attached after: pending defers come from the attach-time walk; pools are
          not compared (the census cannot know who holds a connection)
  dump    codefer-dump --json of a core taken after the target ran: the same walk
Open-coded defers pending in a parked frame (open_coded_pending) are on no runtime list:
codefer reads them from the stack (live: at each snapshot).
Prints one line per comparison; exits 1 when any differs. Binaries without DWARF have
their lines from the pclntab: they are compared too.
"""
import json
import re
import sys

GONE = {"exiter", "goexiter", "db_orphaner"}


def main():
    mode, truth_path, snap_path = sys.argv[1:4]
    facts = [json.loads(line) for line in open(truth_path) if line.strip()]
    snap = json.loads(open(snap_path).read())
    rows = {int(c["id"]): c for c in snap.get("coroutines", [])}
    totals = snap.get("totals", {})
    bad = 0

    def expect(what, got, want):
        nonlocal bad
        if got == want:
            print(f"ok: {what} = {got}")
        else:
            print(f"MISMATCH: {what}: codefer {got!r}, truth {want!r}")
            bad = 1

    expect("runtime", snap.get("runtime"), "go")
    tot = next(f for f in facts if f.get("totals"))
    # Pending as codefer counts it: open-coded defers too, read from the stack.
    # runtime_main_defers: runtime.main's own open-coded defer, pending under main.main.
    def pending(f):
        return (f.get("defers_pending", 0) + f.get("open_coded_pending", 0) +
                f.get("runtime_main_defers", 0))
    tot_pending = tot["defers_pending"] + sum(f.get("open_coded_pending", 0) +
                                              f.get("runtime_main_defers", 0) for f in facts)
    # Goroutines the target did not start (the runtime's, its stdin reader) have no defer
    # pending: the target's truth counts every one.
    known = {f["goid"] for f in facts if f.get("role")}
    others = {g: c for g, c in rows.items() if g not in known}
    expect("defers pending in goroutines the target did not start",
           {g: c.get("defers_pending") for g, c in others.items() if c.get("defers_pending")}, {})
    looper = next(f for f in facts if f.get("role") == "looper")
    site_re = re.compile(r"gotarget\.go:%d\b" % looper["line"])

    for f in facts:
        role = f.get("role")
        if not role:
            continue
        g = f["goid"]
        if role in GONE:
            expect(f"{role} {g} has no row (it ended)", g in rows, False)
            continue
        row = rows.get(g)
        if row is None:
            expect(f"{role} {g} row", "missing", "present")
            continue
        if "defers_pending" in f:
            expect(f"{role} {g} defers_pending", row.get("defers_pending"), pending(f))
        if f.get("open_coded_pending"):
            # Each registered at its own defer statement (in parkOpenCoded's closures).
            want = sorted(f"gotarget.go:{n}" for n in f["open_coded_lines"])
            if mode == "dump":
                where = [str(d.get("site")) for d in row.get("defers", [])]
            else:
                # The sites table names no goroutine: take its entries at the lines the
                # target gives (without DWARF, in the function), one per pending defer.
                def ours(site):
                    return any(re.search(r"gotarget\.go:%d$" % n, site) for n in f["open_coded_lines"])
                where = [str(s.get("site")) for s in snap.get("sites", [])
                         if s.get("kind") == "defer" and ours(str(s.get("site")))
                         for _ in range(s.get("pending", 0))]
            expect(f"{role} {g} open-coded defers at its sites", len(where), f["open_coded_pending"])
            func = f.get("open_coded_in", "main.parkOpenCoded")
            expect(f"{role} {g} open-coded defers in {func}",
                   [w for w in where if func not in w], [])
            expect(f"{role} {g} open-coded defer lines",
                   sorted(re.sub(r".* ", "", w) for w in where), want)
        # Every goroutine still alive is parked on a channel by now, and the walk at
        # each snapshot reads that state (g.atomicstatus) after its last event.
        expect(f"{role} {g} state", row.get("state"), "waiting")
        if mode == "live":
            if "defers_registered" in f:
                expect(f"{role} {g} defers_registered", row.get("defers_registered"),
                       f["defers_registered"])
            if "defers_run" in f:
                expect(f"{role} {g} defers_run", row.get("defers_run"), f["defers_run"])
            expect(f"{role} {g} conns_held", row.get("conns_held"), f["conns_held"])
    if mode == "dump":
        defers = rows.get(looper["goid"], {}).get("defers", [])
        expect("looper defers listed", len(defers), looper["defers_pending"])
        expect("looper defers at its defer line",
               sum(1 for d in defers if site_re.search(str(d.get("site")))),
               looper["defers_pending"])
        expect("defers_pending", sum(c.get("defers_pending", 0) for c in rows.values()),
               tot_pending)
        expect("summary defers_pending", snap.get("summary", {}).get("defers_pending"),
               tot_pending)
        return bad
    looper_site = rows.get(looper["goid"], {}).get("site")
    expect("looper site is its defer line", bool(site_re.search(str(looper_site))), True)
    site = [s for s in snap.get("sites", [])
            if s.get("site") == looper_site and s.get("kind") == "defer"]
    expect("sites entry of the looper's site: pending",
           site[0].get("pending") if len(site) == 1 else f"{len(site)} entries",
           looper["defers_pending"])
    expect("totals defers_pending", totals.get("defers_pending"), tot_pending)

    if mode == "live":
        for k in ("defers_registered", "defers_run"):
            expect(f"totals {k}", totals.get(k), tot[k])
        expect("totals coroutines_created", totals.get("coroutines_created"), tot["created"])
        expect("totals coroutines_exited", totals.get("coroutines_exited"), tot["exited"])
        pool = next(f for f in facts if f.get("pool"))
        used = [p for p in snap.get("pools", []) if p.get("gets", 0) > 0]
        expect("pools with gets", len(used), 1)
        for k in ("gets", "puts", "outstanding", "peak", "orphans"):
            expect(f"pool {k}", used[0].get(k) if used else None, pool[k])
        # Every connection still out was taken by the db.Query line in query(): the
        # site must be that user line, not a database/sql function under it.
        conn_sites = [s for s in snap.get("sites", [])
                      if s.get("kind") == "conn" and s.get("pending")]
        expect("conn sites with connections out",
               [s.get("pending") for s in conn_sites], [pool["outstanding"]])
        query_site = str(conn_sites[0].get("site")) if conn_sites else ""
        expect("conn site is in main.query", "main.query" in query_site, True)
        expect("conn site is query's db.Query line",
               bool(re.search(r"gotarget\.go:%d\b" % pool["site_line"], query_site)), True)
        expect("totals conns_outstanding", totals.get("conns_outstanding"), pool["outstanding"])
        expect("totals conns_orphaned", totals.get("conns_orphaned"), pool["orphans"])
        # A held connection names its holder as the rows do: by goid, a number.
        holders = sorted(c.get("coroutine") for c in used[0].get("conns", []) if not c.get("orphan")) if used else []
        expect("pool conns' holders are rows holding connections", holders,
               sorted(g for g, r in rows.items() for _ in range(r.get("conns_held", 0))))
        expect("totals lost", totals.get("lost"), 0)
    return bad


if __name__ == "__main__":
    sys.exit(main())
