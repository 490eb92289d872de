#!/usr/bin/env python3
"""The sums of a codefer-top snapshot over several processes against the sums of what each
target printed about itself.

sums.py SNAPSHOT DIR NAME... [--go NAME...] [--ended NAME...]
  NAME    a leaky fixture whose output is DIR/NAME.out (its last TRUTH block counts)
  --go    gotargets (output DIR/NAME.out)
  --ended leaky fixtures that ended while watched: only their counters (created, exited,
          registered, run) are in the sums, which never go down
Each sum that every target's truth gives is compared; exits 1 on any difference.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "native"))
from check import last_truth  # noqa: E402  (the leaky fixture's last TRUTH block)


def native_truth(path):
    facts = last_truth(path)
    tot = next(f for f in facts if "created" in f)
    return {
        "defers_pending": sum(f["pending"] for f in facts if "coro" in f),
        "defers_registered": tot["defers_registered"],
        "defers_run": tot["defers_run"],
        "coroutines_created": tot["created"],
        "coroutines_exited": tot["finished"],
        "conns_outstanding": tot["outstanding"],
        "conns_orphaned": tot["orphans"],
    }


COUNTERS = ("defers_registered", "defers_run", "coroutines_created", "coroutines_exited")


def ended_truth(path):
    return {k: v if k in COUNTERS else 0 for k, v in native_truth(path).items()}


def go_truth(path):
    facts = [json.loads(l[6:]) for l in open(path) if l.startswith("TRUTH ")]
    tot = next(f for f in facts if f.get("totals"))
    pool = next(f for f in facts if "orphans" in f)
    # Open-coded defers parked on a stack count as pending (see tests/go/check.py).
    extra = sum(f.get("open_coded_pending", 0) + f.get("runtime_main_defers", 0) for f in facts)
    return {
        "defers_pending": tot["defers_pending"] + extra,
        "defers_registered": tot["defers_registered"],
        "defers_run": tot["defers_run"],
        "coroutines_created": tot["created"],
        "conns_outstanding": pool["outstanding"],
        "conns_orphaned": pool["orphans"],
    }


def main():
    snap = json.load(open(sys.argv[1]))
    where, read = sys.argv[2], native_truth
    truths = []
    for arg in sys.argv[3:]:
        if arg in ("--go", "--ended"):
            read = go_truth if arg == "--go" else ended_truth
        else:
            truths.append(read(f"{where}/{arg}.out"))
    bad = 0
    for key in sorted(set.intersection(*(set(t) for t in truths))):
        got, want = snap["totals"][key], sum(t[key] for t in truths)
        print(("ok   sum %s: %d" % (key, got)) if got == want else
              "FAIL sum %s: codefer %r, truths %r" % (key, got, want))
        bad |= got != want
    return bad


if __name__ == "__main__":
    sys.exit(main())
