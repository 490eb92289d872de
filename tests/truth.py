"""What the tests' inline comparisons share (python3 - <<'PY' in a test script, with
sys.path holding tests/): a target's TRUTH lines and exact comparisons."""
import json
import sys


def truth_block(path):
    """The TRUTH lines of a target's output (JSON each) printed before its last DONE, or
    all of them when it printed no DONE."""
    block, last = [], None
    for line in open(path):
        if line.startswith("TRUTH "):
            block.append(json.loads(line[6:]))
        elif line.startswith("DONE"):
            last, block = block, []
    return block if last is None else last


class Checks:
    """expect() prints one line per comparison; done() exits 1 when any differed."""

    def __init__(self):
        self.bad = False

    def expect(self, what, got, want):
        print(("ok   %s: %r" % (what, got)) if got == want else
              ("FAIL %s: codefer %r, truth %r" % (what, got, want)))
        self.bad |= got != want

    def done(self):
        sys.exit(1 if self.bad else 0)
