#!/usr/bin/env python3
"""Compares a codefer-top JSON snapshot with the TRUTH lines a Lua target printed.

Usage: check.py live|census TARGET_OUTPUT SNAPSHOT_JSON RUNTIME
live: codefer attached before the work (probes saw it all); census: after (the attach-time
walk alone), or a codefer-dump --json report of a core taken after the work. Prints one line per comparison; exits 1 on any mismatch.
"""
import json
import os
import sys
from collections import Counter


def as_id(v):
    """Lua ids are lua_State addresses: hex strings (or numbers)."""
    return int(v, 16) if isinstance(v, str) else int(v)


def main():
    mode, out_path, snap_path, runtime = sys.argv[1:5]
    facts = [json.loads(line.split(" ", 1)[1]) for line in open(out_path)
             if line.startswith("TRUTH ")]
    snap = json.loads(open(snap_path).read())
    if "summary" in snap:
        # codefer-dump's report: the census alone, with the same facts under other names.
        snap["totals"] = {"coroutines_live": snap["summary"]["coroutines"],
                          "defers_pending": snap["summary"]["defers_pending"]}
        snap["sites"] = snap["summary"]["sites"]
        for c in snap["coroutines"]:
            c["site"] = c["origin"] if not c["defers_pending"] else c["top_site"]
    one = {f["kind"]: f for f in facts}
    bad = []

    def expect(what, got, want):
        print(("ok: %s = %s" if got == want else "MISMATCH: %s: codefer %s, truth %s")
              % ((what, got) if got == want else (what, got, want)))
        if got != want:
            bad.append(what)

    totals = snap.get("totals", {})
    rows = {as_id(c["id"]): c for c in snap.get("coroutines", [])}
    expect("runtime", snap.get("runtime"), runtime)
    if os.environ.get("WANT_VERSION"):
        expect("version", snap.get("version"), os.environ["WANT_VERSION"])

    if runtime == "lua":
        coros = {as_id(f["id"]): f for f in facts if f["kind"] == "coroutine"}
        main_id = as_id(one["main"]["id"])
        want_ids = set(coros) | {main_id}
        expect("coroutines_live", totals.get("coroutines_live"), len(want_ids))
        expect("coroutines_live: the truth's live and the main thread",
               totals.get("coroutines_live"), one["live"]["n"] + 1)
        expect("coroutine ids missing", sorted(hex(i) for i in want_ids - set(rows)), [])
        expect("coroutine ids extra", sorted(hex(i) for i in set(rows) - want_ids), [])
        expect("main thread defers_pending",
               rows.get(main_id, {}).get("defers_pending"), one["main"]["pending"])
        got = Counter(rows[i].get("defers_pending") for i in coros if i in rows)
        want = Counter(f["pending"] for f in coros.values())
        expect("coroutines by defers_pending", dict(got), dict(want))
        wrong = [hex(i) for i, f in coros.items()
                 if i in rows and rows[i].get("defers_pending") != f["pending"]]
        expect("coroutines with a wrong defers_pending", wrong, [])
        # Coroutines with nothing pending are shown at their creation site (live) or
        # where they wait (census): the same one-line body here.
        parked = Counter(rows[i].get("site") for i, f in coros.items()
                         if i in rows and f["pending"] == 0)
        want = Counter(f["site"] for f in coros.values() if f["pending"] == 0)
        expect("sites of coroutines without defers", dict(parked), dict(want))
        expect("defers_pending", totals.get("defers_pending"), one["pending_total"]["n"])

        sites = Counter()
        for s in snap.get("sites", []):
            if s.get("pending") and s.get("kind", "defer") == "defer":
                sites[s["site"]] += s["pending"]
        want = {f["site"]: f["n"] for f in facts if f["kind"] == "defer_site"}
        expect("pending defers per site", dict(sites), want)

        if mode == "live":
            expect("coroutines_created", totals.get("coroutines_created"),
                   one["created"]["n"])
            expect("coroutines_exited", totals.get("coroutines_exited"),
                   one["finished"]["n"])
            expect("defers_registered", totals.get("defers_registered"),
                   one["registered"]["n"])
            expect("defers_run", totals.get("defers_run"), one["closes_run"]["n"])
            expect("defers_lost", totals.get("defers_lost"), one["lost"]["n"])
            expect("lost events", totals.get("lost"), 0)
    if runtime == "luajit":
        coros = {as_id(f["id"]): f for f in facts if f["kind"] == "coroutine"}
        expect("coroutine ids missing", sorted(hex(i) for i in set(coros) - set(rows)), [])
        # The census also lists the main thread (LuaJIT gives Lua code no id for it).
        expect("coroutines_live", totals.get("coroutines_live"), len(coros) + 1)
        if mode == "census":
            got = Counter(rows[i].get("state") for i in coros if i in rows)
            want = Counter(f["state"] for f in coros.values())
            expect("coroutine states", dict(got), dict(want))
        else:
            # Creations are probed; collections are found by walking gc.root again.
            expect("coroutines_created", totals.get("coroutines_created"),
                   one["created"]["n"])
            expect("coroutines_exited", totals.get("coroutines_exited"),
                   one["finished"]["n"])
            expect("exits found by the walks", snap.get("walks", {}).get("exits"),
                   one["finished"]["n"])
            expect("lost events", totals.get("lost"), 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
