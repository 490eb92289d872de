#!/usr/bin/env python3
"""Compares codefer's view of an nginx worker with the TRUTH lines its Lua code logged.

Usage: check_openresty.py top|dump ERROR_LOG SNAPSHOT_JSON PARK_SITE HOLD_SITE SPAWN_SITE
       check_openresty.py gdb ERROR_LOG GDB_OUTPUT
       check_openresty.py live|after ERROR_LOG SNAPSHOT_JSON
top: a codefer-top JSON snapshot (the census at attach); dump: codefer-dump --json of a
core of the worker (with wait sites); gdb: gdb's `codefer pools` on that core; live:
codefer-top's cosocket probes, attached before the worker took its connections; after:
attached after.
PARK_SITE, HOLD_SITE and SPAWN_SITE are the create sites of a /park, /hold and /spawn
request's coroutine: their content_by_lua chunks, defined at line 0.
Prints one line per comparison; exits 1 on any mismatch.
"""
import json
import re
import sys
from collections import Counter


BAD = []


def expect(what, got, want):
    """Prints one comparison; a mismatch goes in BAD."""
    if got == want:
        print("ok: %s = %s" % (what, got))
    else:
        print("MISMATCH: %s: codefer %s, truth %s" % (what, got, want))
        BAD.append(what)


def live(facts, snap, after):
    """codefer-top attached before the worker took its connections: each pool's figures
    and each connection out with its holder, the Lua line that connected it and whether
    its holder has ended. `after`: attached after, the census's view: no lines, and an
    ended holder is not known (0x0)."""

    pools = {p["name"]: p for p in snap.get("pools", []) if "name" in p}
    want = {f["name"]: f for f in facts if f["kind"] == "pool"}
    expect("cosocket pools: open, idle, max, waiting",
           {n: (p["open"], p["idle"], p["max_open"], p["waiters"]) for n, p in pools.items()},
           {n: (f["open"], f["idle"], f["max"], f["waiters"]) for n, f in want.items()})
    # lua-resty-redis#265: pool_size bounds the idle connections only.
    expect("connections out past pool_size",
           {n: (p["outstanding"], p["over_max"]) for n, p in pools.items()},
           {n: (f["open"] - f["idle"], max(0, f["open"] - f["idle"] - f["max"]))
            for n, f in want.items()})
    got = sorted((n, k["coroutine"], k["orphan"], k["site"])
                 for n, p in pools.items() for k in p["conns"])
    expect("connections out: pool, holder, orphan, connected at", got,
           sorted((f["holds"], "0x0" if after and f.get("orphan") else f["id"],
                   f.get("orphan", False), "-" if after else f["at"])
                  for f in facts if f.get("holds")))
    # What each holder runs for: a timer, or a request (a light thread: its parent's);
    # "-" for a holder the GC took.
    got = Counter((n, "request" if k.get("owner", "").startswith("request 0x") else
                   k.get("owner", "-")) for n, p in pools.items() for k in p["conns"])
    expect("connections out: pool, what their holder runs for", got,
           Counter((f["holds"], "-" if after and f.get("orphan") else
                    f.get("runs_for", f["kind"])) for f in facts if f.get("holds")))
    expect("orphans per pool", {n: p["orphans"] for n, p in pools.items()},
           {n: sum(1 for f in facts if f.get("holds") == n and f.get("orphan"))
            for n in want})
    if not after:
        # Where the coroutines made after attach come from: the line that called
        # ngx.thread.spawn, ngx.timer.at or coroutine.create (lua-resty-core's, which
        # tail-calls the C one); for a thread nginx reset and handed on, its function.
        rows = {int(c["id"], 16): c for c in snap.get("coroutines", [])}
        made = [f for f in facts if f.get("made")]
        expect("create sites of coroutines made after attach",
               Counter(rows.get(int(f["id"], 16), {}).get("create_site") for f in made),
               Counter(f["made"] for f in made))
        expect("threads reset for reuse (a light thread, a timer)",
               sum(1 for f in made if f.get("reused")), 2)
    expect("probes: reads lost, connections the census found",
           (snap["counters"]["lost_read"], snap["census"]["conns"]),
           (0, sum(1 for f in facts if f.get("holds")) if after else 0))
    return 1 if BAD else 0


def main():
    mode, log_path, snap_path = sys.argv[1:4]
    facts = [json.loads(m.group(1)) for m in
             (re.search(r"TRUTH (\{[^}]*\})", line) for line in open(log_path)) if m]
    if mode in ("live", "after"):
        return live(facts, json.loads(open(snap_path).read()), mode == "after")
    if mode == "gdb":
        # gdb's `codefer pools`: one line per pool with its figures.
        text = open(snap_path).read()
        got = {m.group(1): {"open": int(m.group(2)), "idle": int(m.group(3)),
                            "max": -1 if m.group(4) == "none" else int(m.group(4)),
                            "waiters": int(m.group(5))}
               for m in re.finditer(r"pool 0x[0-9a-f]+ (\S+): (\d+) open, (\d+) idle, "
                                    r"max (\d+|none), (\d+) waiting", text)}
        want = {f["name"]: {k: f[k] for k in ("open", "idle", "max", "waiters")}
                for f in facts if f["kind"] == "pool"}
        ok = got == want and "Traceback" not in text
        print(("ok: gdb codefer pools = %s" % got) if ok else
              "MISMATCH: gdb codefer pools: %s, truth %s" % (got, want))
        return 0 if ok else 1
    snap = json.loads(open(snap_path).read())
    entry = {"park": sys.argv[4], "hold": sys.argv[5], "spawn": sys.argv[6]}
    rows = {int(c["id"], 16): c for c in snap.get("coroutines", [])}

    want = {int(f["id"], 16): f for f in facts if f["kind"] in ("timer", "request", "light")}
    expect("runtime", snap.get("runtime"), "luajit")
    expect("version", snap.get("version", "").endswith("(OpenResty luajit2)"), True)
    expect("coroutine ids missing", sorted(hex(i) for i in set(want) - set(rows)), [])
    expect("their states", Counter(rows[i]["state"] for i in want if i in rows),
           Counter({"suspended": len(want)}))

    def create(f):
        return entry[f["entry"]] if f["kind"] == "request" else f["def"]

    site = "origin" if mode == "dump" else "site"
    expect("create sites", Counter(rows[i].get(site) for i in want if i in rows),
           Counter(create(f) for f in want.values()))
    # Every other coroutine of the worker (the main thread, entry threads kept for
    # reuse) is parked nowhere in these sites.
    others = Counter(c.get(site) for i, c in rows.items() if i not in want)
    expect("other coroutines at these create sites",
           sum(n for s, n in others.items() if s in {create(f) for f in want.values()}), 0)
    # Timers not fired yet: not started, created by their callback.
    for f in facts:
        if f["kind"] == "pending":
            expect("pending timers at %s" % f["def"],
                   sum(1 for c in rows.values()
                       if c.get(site) == f["def"] and c["state"] == "not started"), f["n"])
    if mode == "dump":
        # What each runs for: its timer, or its request (one per parked request).
        got = Counter("request" if rows[i].get("owner", "").startswith("request 0x") else
                      rows[i].get("owner") for i in want if i in rows)
        expect("owners", got, Counter("request" if f["kind"] == "light" else f["kind"]
                                      for f in want.values()))
        # A light thread runs for the request that spawned it.
        spawners = [rows[i].get("owner") for i, f in want.items()
                    if i in rows and f.get("lights")]
        lights = Counter(rows[i].get("owner") for i, f in want.items()
                         if i in rows and f["kind"] == "light")
        expect("light threads per spawning request", dict(lights),
               {o: f["lights"] for o, f in zip(spawners, (f for f in want.values()
                                                         if f.get("lights")))})
        expect("distinct requests",
               len({rows[i].get("owner") for i, f in want.items()
                    if i in rows and f["kind"] == "request"}),
               sum(1 for f in want.values() if f["kind"] == "request"))
    pools = {f["name"]: {k: f[k] for k in ("open", "idle", "max", "waiters")}
             for f in facts if f["kind"] == "pool"}
    if mode == "dump":
        got = {p["name"]: {k: p[k] for k in ("open", "idle", "max", "waiters")}
               for p in snap.get("pools", []) if "name" in p}
        expect("cosocket pools", got, pools)
        expect("warnings", snap.get("warnings"), [])
        # Connections out, each with the coroutine holding it.
        names = {p["pool"]: p["name"] for p in snap.get("pools", []) if "name" in p}
        got = sorted((names.get(p["pool"], p["pool"]), k["coroutine"], k["orphan"])
                     for p in snap.get("pools", []) for k in p["conns"])
        want_conns = sorted((f["holds"], f["id"], False) for f in facts if f.get("holds"))
        expect("connections out: pool, holder, orphan", got, want_conns)
        expect("wait sites", Counter(rows[i].get("wait_site") for i in want if i in rows),
               Counter(f["wait"] for f in want.values()))
        wrong = [hex(i) for i, f in want.items()
                 if i in rows and rows[i].get("wait_site") != f["wait"]]
        expect("coroutines with a wrong wait site", wrong, [])
    return 1 if BAD else 0


if __name__ == "__main__":
    sys.exit(main())
