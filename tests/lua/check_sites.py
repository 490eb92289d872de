#!/usr/bin/env python3
"""Compares where codefer says coroutines come from and wait with coro_sites.lua's truth.

Usage: check_sites.py live|census|core|gdb TARGET_OUTPUT SNAPSHOT_JSON VERSION
VERSION: 5.1, 5.3, 5.4, jit (Debian's LuaJIT) or jit2 (OpenResty's luajit2).
live: codefer-top attached before the work (the probes saw every creation: a create site
is the line that called coroutine.create/wrap); census: codefer-top attached after it (the
walk alone: a create site is the body function's definition); core: codefer-dump --json
of a core taken after it (the same walk, and each coroutine's wait site).
Prints one line per comparison; exits 1 on any mismatch.
"""
import json
import re
import sys
from collections import Counter


def as_id(v):
    return int(v, 16) if isinstance(v, str) else int(v)


def census_site(f, version):
    """The create site a walk can know: a finished coroutine's body is read from its
    first frame, which Lua 5.3's GC frees once the body has called deeper, and which
    LuaJIT does not keep (README): then none."""
    return "-" if f["state"] == "dead" and version in ("5.3", "jit", "jit2") else f["def"]


def check_gdb(facts, text, version):
    """gdb's `codefer list`: each coroutine's `created at` and `waits at`."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\s*(0x[0-9a-f]+)\s+(.*)", line)
        if m:
            c = re.search(r"created at (\S+)", m.group(2))
            w = re.search(r"waits at (\S+)", m.group(2))
            rows[int(m.group(1), 16)] = (c.group(1) if c else "-", w.group(1) if w else "-")
    want = {int(f["id"], 16): (census_site(f, version), f["wait"] or "-")
            for f in facts if f["kind"] == "coroutine"}
    wrong = sorted(hex(i) for i in want if rows.get(i) != want[i])
    print(("ok: %d coroutines' sites in gdb" % len(want)) if not wrong else
          "MISMATCH: gdb codefer list: wrong sites for %s" % wrong)
    bad = "Traceback" in text or wrong
    if "Traceback" in text:
        print("MISMATCH: a Python traceback in gdb")
    return 1 if bad else 0


def main():
    mode, out_path, snap_path, version = sys.argv[1:5]
    facts = [json.loads(line.split(" ", 1)[1]) for line in open(out_path)
             if line.startswith("TRUTH ")]
    if mode == "gdb":
        return check_gdb(facts, open(snap_path).read(), version)
    snap = json.loads(open(snap_path).read())
    one = {f["kind"]: f for f in facts}
    coros = {as_id(f["id"]): f for f in facts if f["kind"] == "coroutine"}
    rows = {as_id(c["id"]): c for c in snap.get("coroutines", [])}
    bad = []

    def expect(what, got, want):
        ok = got == want
        print(("ok: %s = %s" % (what, got)) if ok else
              ("MISMATCH: %s: codefer %s, truth %s" % (what, got, want)))
        if not ok:
            bad.append(what)

    def site(row):
        # codefer-top: `site` (the create site when nothing is pending); codefer-dump:
        # `origin`. Both print "-" for a site not known.
        s = row.get("origin", row.get("site"))
        return s if s else "-"

    jit = version.startswith("jit")
    expect("runtime", snap.get("runtime"), "luajit" if jit else "lua")
    want = ("LuaJIT 2.1" if jit else "Lua " + version)
    expect("version", snap.get("version", "")[:len(want)], want)
    expect("luajit2 told", snap.get("version", "").endswith("(OpenResty luajit2)"),
           version == "jit2")
    extra = set(rows) - set(coros)
    # The main thread is listed too (coroutine.running() gives Lua 5.1 code no id for it).
    expect("coroutines codefer lists that the target does not (main aside)", len(extra), 1)
    main_id = next(iter(extra)) if len(extra) == 1 else None
    expect("coroutine ids missing", sorted(hex(i) for i in set(coros) - set(rows)), [])

    if mode == "live":
        totals = snap["totals"]
        expect("coroutines_created", totals.get("coroutines_created"), one["created"]["n"])
        expect("coroutines_exited", totals.get("coroutines_exited"), one["finished"]["n"])
        expect("lost events", totals.get("lost"), 0)
        # LuaJIT's creation probe (lua_newthread's returns) reads the return pc into
        # the Lua function that called coroutine.create/wrap.
        want_site = {i: f["call"] for i, f in coros.items()}
    else:
        # A finished coroutine's body is read from its first frame, which Lua 5.3's GC
        # frees once the body has called deeper (README): then no site is known.
        want_site = {i: census_site(f, version) for i, f in coros.items()}
        got = Counter(rows[i].get("state") for i in coros if i in rows)
        expect("coroutine states", dict(got), dict(Counter(f["state"] for f in coros.values())))
        wrong = [hex(i) for i, f in coros.items()
                 if i in rows and rows[i].get("state") != f["state"]]
        expect("coroutines in a wrong state", wrong, [])
        expect("main thread state", rows.get(main_id, {}).get("state"), "main")

    got = Counter(site(rows[i]) for i in coros if i in rows)
    expect("create sites", dict(got), dict(Counter(want_site.values())))
    wrong = [hex(i) for i in coros if i in rows and site(rows[i]) != want_site[i]]
    expect("coroutines with a wrong create site", wrong, [])

    if mode == "core":
        want = {i: f["wait"] or "-" for i, f in coros.items()}
        got = Counter(rows[i].get("wait_site") for i in coros if i in rows)
        expect("wait sites", dict(got), dict(Counter(want.values())))
        wrong = [hex(i) for i in coros if i in rows and rows[i].get("wait_site") != want[i]]
        expect("coroutines with a wrong wait site", wrong, [])
        expect("defers pending (coro_sites.lua has no <close>)",
               snap["summary"]["defers_pending"], 0)
    else:
        sites = Counter()
        for s in snap.get("sites", []):
            if s.get("kind") == "create":
                sites[s["site"]] += s["pending"]
        want = Counter(s for s in want_site.values() if s != "-")
        expect("live coroutines per create site", dict(sites), dict(want))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
