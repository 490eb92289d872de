#!/usr/bin/env bash
# Go as others ship it: lefthook's release binaries (stripped, -s -w), built by its makers
# with go1.24 to go1.27, none of which Debian packages. They print no truth of their own,
# so the Go runtime's is taken: run with GOTRACEBACK=system, a Go program that gets
# SIGQUIT prints every goroutine (id, state, frames, creator) and exits. codefer-top
# attaches while lefthook's first command waits; the next ones start and end goroutines
# (os/exec's), which the probes see come and go. While lefthook waits for its last
# command, codefer-top's last snapshot and codefer-dump on a core (gcore) must list the
# same goroutines (and gdb's `codefer summary` on the core count them) in the same states, created by the same go statements; the
# dump's wait site of each is a frame of its stack there, and every pending defer it lists
# was registered by a function on that stack.
. "$(dirname "$0")/go_lib.sh"
need_root
[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
command -v gcore >/dev/null || skip "no gcore (gdb)"
command -v git >/dev/null || skip "no git (lefthook runs in a repository)"
released=$BUILD/go-released
"$TESTS/../scripts/install-deps.sh" --go-released "$released" ||
	skip "lefthook's release binaries cannot be had from the npm registry"

git init -q "$WORK/repo" || fail "git init failed"
mkfifo "$WORK/repo/gate"
# One command after another: the first waits for the gate, the last for ever.
cat >"$WORK/repo/lefthook.yml" <<'YML'
manual:
  piped: true
  commands:
    1_gate: { run: cat gate }
    2_short: { run: sleep 0.1 }
    3_echo: { run: echo done }
    4_wait: { run: sleep 1000 }
YML

# running CMD: waits until the target runs CMD (as its child, or its shell's: lefthook 1.x
# runs commands through sh -c); prints that child's pid.
running() {
	local i c
	for ((i = 0; i < 100; i++)); do
		for c in $(pgrep -P "$TARGET_PID"); do
			pgrep -f -x "$1" -P "$c" >/dev/null || [ "$(ps -o args= -p "$c")" = "$1" ] ||
				continue
			echo "$c"
			return
		done
		sleep 0.1
	done
	fail "$v: lefthook did not run $1"
}

compare() {
	python3 - "$TESTS" "$WORK/traceback.err" "$WORK/snap.json" "$WORK/dump.json" "$1" <<'PY' || FAILED=1
import json, os, re, sys
sys.path.insert(0, sys.argv[1])
from truth import Checks

# The traceback: "goroutine N gp=... m=... [state, ...]:", frames ("func(args)" then
# "\tfile:line +0x.."), and "created by F in goroutine M" then its "\tfile:line".
gs = {}
g = None
lines = open(sys.argv[2], errors="replace").read().split("\n")
for i, ln in enumerate(lines):
    m = re.match(r"goroutine (\d+) .*\[([^\]]+)\]:$", ln)
    if m:
        g = gs.setdefault(int(m.group(1)), {"state": m.group(2), "frames": [], "created": None})
        continue
    if g is None or ln.startswith("\t") or not ln:
        continue
    at = re.match(r"\t(\S+):(\d+)", lines[i + 1]) if i + 1 < len(lines) else None
    where = "%s:%s" % (os.path.basename(at.group(1)), at.group(2)) if at else "?"
    m = re.match(r"created by (\S+) in goroutine \d+$", ln)
    if m:
        g["created"] = "created by %s at %s" % (m.group(1), where)
        continue
    m = re.match(r"(\S+)\([^()]*\)$", ln)
    if m:
        g["frames"].append((m.group(1), where))
gs.pop(0, None)  # the signal's thread's g0: no goroutine
if not gs:
    sys.exit("no goroutine in the traceback")

def state(s):
    s = s.split(",")[0]
    return s if s in ("running", "runnable", "syscall") else "waiting"

def on_stack(g, site):
    """site ("F file:line") names a function on g's stack, or the closure one defers."""
    fn = site.split(" ")[0]
    names = {f for f, _ in g["frames"]}
    return fn in names or re.sub(r"\.(deferwrap|func)\d+$", "", fn) in names

v = sys.argv[5]
top = json.load(open(sys.argv[3]))
dump = json.load(open(sys.argv[4]))
check = Checks()
expect = check.expect
for tool, rows, created in (("live", top["coroutines"], "create_site"),
                            ("dump", dump["coroutines"], "origin")):
    got = {int(c["id"]): c for c in rows}
    expect("%s %s: goroutines" % (v, tool), sorted(got), sorted(gs))
    expect("%s %s: states that differ (id: codefer, traceback)" % (v, tool),
           {i: (c["state"], state(gs[i]["state"])) for i, c in got.items()
            if i in gs and c["state"] != state(gs[i]["state"])}, {})
    expect("%s %s: creators that differ (id: codefer, traceback)" % (v, tool),
           {i: (c[created], gs[i]["created"]) for i, c in got.items()
            if i in gs and gs[i]["created"] and c[created] != gs[i]["created"]}, {})
got = {int(c["id"]): c for c in dump["coroutines"]}
expect("%s dump: wait sites not a frame of their stack" % v,
       {i: c["wait_site"] for i, c in got.items() if i in gs and c["wait_site"] != "-" and
        tuple(c["wait_site"].split(" ")) not in gs[i]["frames"]}, {})
expect("%s dump: pending defers registered off their goroutine's stack" % v,
       {i: [d["site"] for d in c["defers"] if not on_stack(gs[i], d["site"])]
        for i, c in got.items() if i in gs and
        any(not on_stack(gs[i], d["site"]) for d in c["defers"])}, {})
expect("%s dump: defers listed = defers_pending" % v,
       sum(len(c["defers"]) for c in dump["coroutines"]),
       sum(c["defers_pending"] for c in dump["coroutines"]))
print("     %s: %d goroutines, %d pending defers; %d created and %d ended while attached"
      % (v, len(gs), dump["summary"]["defers_pending"], top["totals"]["coroutines_created"],
         top["totals"]["coroutines_exited"]))
check.done()
PY
}

for bin in "$released"/lefthook-*; do
	v=$(basename "$bin")
	echo "-- $v"
	(cd "$WORK/repo" && GOTRACEBACK=system exec "$bin" run manual) \
		</dev/null >"$WORK/lefthook.out" 2>"$WORK/traceback.err" &
	TARGET_PID=$!
	running "cat gate" >/dev/null
	top_start
	echo >"$WORK/repo/gate"
	child=$(running "sleep 1000")
	top_settle 2
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 ||
		fail "gcore failed: $(tail -n 1 "$WORK/gcore.out")"
	"$CODEFER_DUMP" --json "$WORK/core.$TARGET_PID" "$bin" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
		fail "$v: codefer-dump failed: $(cat "$WORK/dump.err")"
	timeout 300 gdb -batch -nx "$bin" "$WORK/core.$TARGET_PID" -x "$CODEFER_PY" \
		-ex 'codefer summary' >"$WORK/gdb.out" 2>&1
	expect "$v core: gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
		"$(jq -r '.summary | "\(.coroutines) coroutines, \(.defers_pending) pending defers, \(.conns_held) connections held"' "$WORK/dump.json")"
	rm -f "$WORK/core.$TARGET_PID"
	kill -QUIT "$TARGET_PID"
	wait "$TARGET_PID"
	pkill -P "$child" 2>/dev/null
	kill "$child" 2>/dev/null
	TARGET_PID=
	compare "$v"
done
finish
