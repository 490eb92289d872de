#!/usr/bin/env bash
# Go as others ship it: lefthook's, dbmate's, buf's and esbuild's release binaries
# (stripped, -s -w; esbuild's without build info), built by their makers with go1.24 to
# go1.27, none of which Debian packages. They print no truth of their own, so the Go
# runtime's is taken: run with GOTRACEBACK=system, a Go program that gets SIGQUIT prints
# every goroutine (id, state, frames, creator) and exits. With each program waiting,
# codefer-top's last snapshot and codefer-dump on a core (gcore) must list the same
# goroutines, in the same states, created by the same go statements (and gdb's `codefer
# summary` on the core count them); the dump's wait site of each is a frame of its stack
# there, and every pending defer it lists was registered by a function on that stack.
# - lefthook: codefer-top attaches while its first command waits; the next ones start and
#   end goroutines (os/exec's), which the probes see come and go;
# - dbmate connects to a server that accepts and never answers: its database/sql pool
#   counts the connections that server holds as open, none idle, no waiter;
# - buf's HTTP server: a goroutine per connection a client still holds, after opening and
#   closing some while codefer-top is attached;
# - esbuild: its Go version comes from the binary itself; with that string gone too, one
#   line and exit 6.
. "$(dirname "$0")/go_lib.sh"
need_root
[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
command -v gcore >/dev/null || skip "no gcore (gdb)"
command -v git >/dev/null || skip "no git (lefthook runs in a repository)"
released=$BUILD/go-released
"$TESTS/../scripts/install-deps.sh" --go-released "$released" ||
	skip "the release binaries cannot be had from the npm registry"

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
	python3 - "$TESTS" "$WORK/traceback.err" "$WORK/snap.json" "$WORK/dump.json" "$1" "$2" <<'PY' || FAILED=1
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
    """site ("F file:line") names a function on g's stack, or the closure one defers
    (F.funcN, F.deferwrapN, or F.N: a closure in a closure)."""
    fn = site.split(" ")[0]
    names = {f for f, _ in g["frames"]}
    return fn in names or re.sub(r"\.(deferwrap|func)?\d+$", "", fn) in names

v = sys.argv[5]
top = json.load(open(sys.argv[3]))
dump = json.load(open(sys.argv[4]))
check = Checks()
expect = check.expect
for tool, rows, created, pools in (("live", top["coroutines"], "create_site", top["pools"]),
                                   ("dump", dump["coroutines"], "origin", dump["pools"])):
    got = {int(c["id"]): c for c in rows}
    expect("%s %s: goroutines" % (v, tool), sorted(got), sorted(gs))
    expect("%s %s: states that differ (id: codefer, traceback)" % (v, tool),
           {i: (c["state"], state(gs[i]["state"])) for i, c in got.items()
            if i in gs and c["state"] != state(gs[i]["state"])}, {})
    expect("%s %s: creators that differ (id: codefer, traceback)" % (v, tool),
           {i: (c[created], gs[i]["created"]) for i, c in got.items()
            if i in gs and gs[i]["created"] and c[created] != gs[i]["created"]}, {})
    expect("%s %s: pools (open, idle, waiters)" % (v, tool),
           [(p["open"], p["idle"], p["waiters"]) for p in pools],
           [(int(sys.argv[6]), 0, 0)] if sys.argv[6] else [])
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

# judge V BIN [CONNS]: the target stopped in what it waits for, codefer-top's last
# snapshot taken: a core, codefer-dump and gdb on it, then SIGQUIT for the traceback, and
# the comparisons (CONNS: the connections a pool must count as open).
judge() {
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 ||
		fail "gcore failed: $(tail -n 1 "$WORK/gcore.out")"
	"$CODEFER_DUMP" --json "$WORK/core.$TARGET_PID" "$2" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
		fail "$1: codefer-dump failed: $(cat "$WORK/dump.err")"
	timeout 300 gdb -batch -nx "$2" "$WORK/core.$TARGET_PID" -x "$CODEFER_PY" \
		-ex 'codefer summary' >"$WORK/gdb.out" 2>&1
	expect "$1 core: gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
		"$(summary_line "$WORK/dump.json")"
	rm -f "$WORK/core.$TARGET_PID"
	kill -QUIT "$TARGET_PID"
	wait "$TARGET_PID"
	TARGET_PID=
	compare "$1" "${3:-}"
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
	judge "$v" "$bin"
	pkill -P "$child" 2>/dev/null
	kill "$child" 2>/dev/null
done

for bin in "$released"/dbmate-*; do
	v=$(basename "$bin")
	echo "-- $v"
	port=$(free_port)
	rm -f "$WORK/held"
	python3 - "$port" "$WORK/held" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write("%d\n" % len(held))
    __import__("os").rename(sys.argv[2] + ".tmp", sys.argv[2])
PY
	server=$!
	for ((i = 0; i < 100; i++)); do
		ss -ltnH "sport = :$port" | grep -q . && break
		sleep 0.1
	done
	GOTRACEBACK=system "$bin" --url "postgres://codefer:x@127.0.0.1:$port/db?sslmode=disable" \
		--wait-timeout 0s status </dev/null >"$WORK/dbmate.out" 2>"$WORK/traceback.err" &
	TARGET_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/held" ] && break
		kill -0 "$TARGET_PID" 2>/dev/null || fail "$v exited: $(cat "$WORK/traceback.err")"
		sleep 0.1
	done
	[ -s "$WORK/held" ] || fail "$v did not connect"
	top_start
	top_settle 1
	judge "$v" "$bin" "$(cat "$WORK/held")"
	kill "$server"
done
# buf's HTTP server (beta studio-agent) serves each connection in a goroutine of its own:
# codefer-top attaches, a client opens CONNS connections and closes CLOSED of them, and
# the goroutines net/http started for them (created at attach or after) are exactly the
# ones still open, in the live view as in the traceback.
CONNS=9
CLOSED=4
for bin in "$released"/buf-*; do
	v=$(basename "$bin")
	echo "-- $v"
	port=$(free_port)
	GOTRACEBACK=system "$bin" beta studio-agent --port "$port" --origin http://codefer.test \
		</dev/null >"$WORK/buf.out" 2>"$WORK/traceback.err" &
	TARGET_PID=$!
	for ((i = 0; i < 100; i++)); do
		ss -ltnH "sport = :$port" | grep -q . && break
		kill -0 "$TARGET_PID" 2>/dev/null || fail "$v exited: $(cat "$WORK/traceback.err")"
		sleep 0.1
	done
	top_start
	rm -f "$WORK/held"
	python3 - "$port" "$WORK/held" $CONNS $CLOSED <<'PY' &
import os, socket, sys, time
port, out, n, closed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
for c in conns[:closed]:
    c.close()
with open(out + ".tmp", "w") as f:
    f.write("%d\n" % (n - closed))
os.rename(out + ".tmp", out)
time.sleep(600)
PY
	client=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/held" ] && break
		sleep 0.1
	done
	[ -s "$WORK/held" ] || fail "$v: the client did not connect"
	top_next 2
	top_settle 1
	expect "$v: goroutines serving a connection (live)" \
		"$(jq '[.coroutines[] | select(.create_site | test("^created by net/http.\\(\\*Server\\).Serve "))] | length' "$WORK/snap.json")" \
		"$(cat "$WORK/held")"
	judge "$v" "$bin"
	kill "$client"
done

# esbuild's makers remove the build info: its Go version is found in the binary itself.
for bin in "$released"/esbuild-*; do
	v=$(basename "$bin")
	echo "-- $v"
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	GOTRACEBACK=system "$bin" <"$WORK/in" >"$WORK/esbuild.out" 2>"$WORK/traceback.err" &
	TARGET_PID=$!
	exec 3>"$WORK/in"	# esbuild reads its input until EOF: it waits meanwhile
	top_start
	top_settle 1
	expect "$v: the Go release codefer found" "$(jq -r .version "$WORK/snap.json" | cut -d. -f1,2)" \
		"${v##*-}"
	judge "$v" "$bin"
	exec 3>&-

	# With that string gone too, nothing tells the Go version: one line, exit 6.
	python3 - "$bin" "$WORK/noversion" <<'PY'
import re, sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(re.sub(rb"go(1\.\d+\.\d+)", rb"xx\1", d))
PY
	chmod +x "$WORK/noversion"
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	"$WORK/noversion" <"$WORK/in" >/dev/null 2>&1 &
	TARGET_PID=$!
	exec 3>"$WORK/in"
	try "$v without its version string" 6 "its Go version.*is unknown" \
		"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1
	exec 3>&-
	wait "$TARGET_PID"
	TARGET_PID=
done
finish
