#!/usr/bin/env python3
"""The sums of a codefer-top snapshot over several processes against the sums of what each
target printed about itself.

sums.py SNAPSHOT DIR NATIVE... -- GO...
  NATIVE  a leaky fixture whose output is DIR/NAME.out (its last TRUTH block counts)
  GO      a gotarget whose output is DIR/NAME.out
Each sum that every target's truth gives is compared; exits 1 on any difference.
"""
import json
import sys


def native_truth(path):
    blocks, cur = [], []
    for line in open(path):
        if line.startswith("TRUTH "):
            cur.append(json.loads(line[6:]))
        elif line.startswith("DONE"):
            blocks.append(cur)
            cur = []
    facts = blocks[-1]
    tot = next(f for f in facts if "created" in f)
    return {
        "defers_pending": sum(f["pending"] for f in facts if "coro" in f),
        "defers_registered": tot["defers_registered"],
        "defers_run": tot["defers_run"],
        "coroutines_created": tot["created"],
        "conns_outstanding": tot["outstanding"],
        "conns_orphaned": tot["orphans"],
    }


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
    where, names = sys.argv[2], sys.argv[3:]
    split = names.index("--") if "--" in names else len(names)
    truths = [native_truth(f"{where}/{n}.out") for n in names[:split]]
    truths += [go_truth(f"{where}/{n}.out") for n in names[split + 1:]]
    bad = 0
    for key in truths[0]:
        got, want = snap["totals"][key], sum(t[key] for t in truths)
        print(("ok   sum %s: %d" % (key, got)) if got == want else
              "FAIL sum %s: codefer %r, truths %r" % (key, got, want))
        bad |= got != want
    return bad


if __name__ == "__main__":
    sys.exit(main())
