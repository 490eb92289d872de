# Shared by every test (see tests/README.md): paths of the built tools, a scratch
# directory removed at exit, a target driven through a FIFO, codefer-top in the
# background, and exact comparisons. Sourced, never run.

TESTS=${TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
BUILD=${BUILD:-$TESTS/../build}
CODEFER_TOP=${CODEFER_TOP:-$BUILD/codefer-top}
CODEFER_DUMP=${CODEFER_DUMP:-$BUILD/codefer-dump}
CODEFER_PY="$TESTS/../gdb/codefer.py"
export CODEFER_LIB=${CODEFER_LIB:-$BUILD/libcodefer.so}

# Walk at every snapshot (Go's open-coded defers, LuaJIT's collections), whatever the
# machine's load: the walk throttle would make tests depend on it.
export CODEFER_WALK_EVERY=1

WORK=$(mktemp -d)
TARGET_PID=
TOP_PID=
# At exit: codefer-top gets SIGINT and 5 s to detach, then whatever this test started and
# is still running (targets, a gcore's `sleep`) is killed, so nothing is waited on forever.
cleanup() {
	local i
	exec 3>&- 2>/dev/null
	[ -n "$TARGET_PID" ] && kill -9 "$TARGET_PID" 2>/dev/null
	if [ -n "$TOP_PID" ]; then
		kill -INT "$TOP_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$TOP_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	for i in $(jobs -p); do
		pkill -9 -P "$i" 2>/dev/null	# what it forked: a process pool's workers
		kill -9 "$i" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$WORK"/*.out "$WORK"/*.err; do
		[ -s "$f" ] && { echo "--- $(basename "$f")"; tail -n 20 "$f"; }
	done
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

FAILED=0
# expect WHAT GOT WANT: one comparison; `finish` fails the test if any differed.
expect() {
	if [ "$2" = "$3" ]; then
		echo "ok   $1: $2"
	else
		echo "FAIL $1: got '$2', want '$3'"
		FAILED=1
	fi
}

finish() {
	[ "$FAILED" = 0 ] || fail "codefer disagrees with the target's truth"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (BPF, ptrace)"
}

# try WHAT CODE PATTERN CMD...: runs CMD, expects exit CODE and one stderr line matching
# (bad input: one clear line and its documented exit code).
try() {
	local what=$1 code=$2 pattern=$3 rc
	shift 3
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	expect "$what: exit code" "$rc" "$code"
	expect "$what: one line" "$(wc -l <"$WORK/err")" 1
	expect "$what: message" "$(grep -c -- "$pattern" "$WORK/err")" 1
	[ "$rc" -lt 128 ] || echo "     (killed by signal $((rc - 128)))"
}

# jq_get JSON-FILE EXPR: a value from a JSON file.
jq_get() {
	jq -r "$2" "$1"
}

# target_start CMD...: runs a target reading commands from fd 3; output in target.out.
# Returns once the target prints a line matching $TARGET_READY (when set), else once it
# has replaced the shell that started it: codefer must never attach to that shell.
target_start() {
	local i
	# The child truncates target.out only after the FIFO opens (redirections in order):
	# a previous target's lines must not be read as this one's meanwhile.
	rm -f "$WORK/in" "$WORK/target.out"
	mkfifo "$WORK/in"
	"$@" <"$WORK/in" >"$WORK/target.out" 2>&1 &
	TARGET_PID=$!
	exec 3>"$WORK/in"
	if [ -n "${TARGET_READY:-}" ]; then
		wait_for "$TARGET_READY" 1
		return
	fi
	for ((i = 0; i < 300; i++)); do
		[ "$(readlink "/proc/$TARGET_PID/exe")" != "$(readlink /proc/$$/exe)" ] && return 0
		sleep 0.02
	done
	fail "target did not start: $*"
}

# free_port: a TCP port nothing listens on.
free_port() {
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 20000))
		ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	fail "no free port"
}

# wait_for PATTERN COUNT [SECS]: until target.out has COUNT lines matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		[ "$(grep -c "$1" "$WORK/target.out" 2>/dev/null)" -ge "$2" ] 2>/dev/null && return 0
		kill -0 "$TARGET_PID" 2>/dev/null || fail "target died"
		sleep 0.1
	done
	fail "timed out waiting for '$1' from the target"
}

# wait_line FILE REGEX SECONDS: until FILE has a line matching REGEX; 1 when the target
# died or time ran out.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		[ -n "$TARGET_PID" ] && ! kill -0 "$TARGET_PID" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# top_start ARGS...: codefer-top -b --json on the target, one snapshot every 0.5 s, in
# the background; returns once the first snapshot is out (the probes are in place).
top_start() {
	[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
	rm -f "$WORK/top.json"
	"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 100000 -d 0.5 "$@" >"$WORK/top.json" 2>"$WORK/top.err" &
	TOP_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$WORK/top.json" ] && grep -q '^{' "$WORK/top.json" && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	fail "no snapshot from codefer-top"
}

# top_next N: waits for N more snapshots (30 s at most); the last one in
# $WORK/snap.json, codefer-top still running.
top_next() {
	local want i
	want=$(($(grep -c '^{' "$WORK/top.json") + $1))
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c '^{' "$WORK/top.json")" -ge "$want" ] && break
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early: $(cat "$WORK/top.err")"
		sleep 0.1
	done
	[ "$i" -lt 300 ] || fail "no $1 more snapshots in 30 s"
	grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap.json"
}

# busy_round MODE: codefer-top attaches to the started target while it works (MODE:
# running, or --freeze); the target is told to stop and prints its truth, and two
# snapshots later the test's own `compare` judges the last one. The census's figures
# and the target's longest stall (its TRUTH stall_ms) are printed.
busy_round() {
	if [ "$1" = running ]; then top_start; else top_start "$1"; fi
	expect "census taken" "$(grep -m1 '^{' "$WORK/top.json" | jq -r .census.done)" true
	echo stop >&3
	wait_for '^DONE' 1
	top_settle 2
	compare
	echo "   census: $(jq -c .census "$WORK/snap.json")"
	grep '^TRUTH.*stall_ms' "$WORK/target.out" |
		sed 's/.*"stall_ms": \([0-9.]*\).*/   target: longest stall \1 ms/'
}

# top_wait SECS: waits for codefer-top to end by itself, at most SECS (then it is killed
# and the test fails); returns its exit status.
top_wait() {
	local i rc
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 "$TOP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TOP_PID" 2>/dev/null && { kill -9 "$TOP_PID"; fail "codefer-top still running after $1 s"; }
	wait "$TOP_PID"
	rc=$?
	TOP_PID=
	return "$rc"
}

# top_walks N: waits until codefer-top's snapshots show N more walks (`walks.runs`) than
# its last one did when called (failing after 60 s); then top_settle 0.
top_walks() {
	local runs i
	runs=$(grep '^{' "$WORK/top.json" | tail -n 1 | jq '.walks.runs')
	for ((i = 0; ; i++)); do
		[ "$(grep '^{' "$WORK/top.json" | tail -n 1 | jq '.walks.runs')" -ge $((runs + $1)) ] && break
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		[ "$i" -lt 600 ] || fail "no $1 more walks in 60 s (walks.runs was $runs)"
		sleep 0.1
	done
	top_settle 0
}

# top_settle N: waits for N more snapshots (failing after 30 s), stops codefer-top with
# SIGINT (it must exit 0 within 60 s: detaching takes seconds); $WORK/snap.json is the
# last snapshot, $SNAP its text.
top_settle() {
	local have want i rc
	have=$(wc -l <"$WORK/top.json")
	want=$((have + $1))
	for ((i = 0; ; i++)); do
		[ "$(wc -l <"$WORK/top.json")" -ge "$want" ] && break
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		[ "$i" -lt 300 ] || fail "codefer-top gave $(($(wc -l <"$WORK/top.json") - have)) of $1 snapshots in 30 s"
		sleep 0.1
	done
	kill -INT "$TOP_PID" 2>/dev/null
	top_wait 60
	rc=$?
	[ "$rc" = 0 ] || fail "codefer-top exited with $rc on SIGINT"
	grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap.json"
	[ -s "$WORK/snap.json" ] || fail "no JSON snapshot"
	SNAP=$(cat "$WORK/snap.json")
}

# safe_output FILE json|text: `safe` when FILE is strict UTF-8 with no raw control byte
# but newlines (in text no C1 control either) and, for json, is JSON or JSON lines; else the
# first problem. jq 1.6 would let a raw 0xff through: this decodes strictly.
safe_output() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
raw = open(sys.argv[1], "rb").read()
def problem():
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return "invalid UTF-8 at byte %d: %r" % (e.start, raw[max(0, e.start - 20):e.start + 4])
    bad = re.compile(r"[\x00-\x09\x0b-\x1f\x7f" + (r"\x80-\x9f" if sys.argv[2] == "text" else "") + "]")
    m = bad.search(text)
    if m:
        return "control character %r at %d: %r" % (m.group(), m.start(), text[max(0, m.start() - 20):m.start() + 4])
    if sys.argv[2] == "json":
        try:
            json.loads(text)  # one document (codefer-dump)
        except ValueError:
            for n, line in enumerate(text.splitlines(), 1):  # one per line (codefer-top)
                try:
                    json.loads(line)
                except ValueError as e:
                    return "line %d is not JSON: %s" % (n, e)
    return "safe"
print(problem())
PY
}

# explain_check FILE RUNTIME VERSION EVENT...: the --explain output in FILE names the
# runtime and the version the target reported, lists a probe point for each EVENT, and
# every point's file offset lies in an executable segment of its file (readelf).
explain_check() {
	local f=$1 rt=$2 v=$3 ev
	shift 3
	expect "explain: runtime and version" "$(grep -c "^runtime: $rt ($v)$" "$f")" 1
	for ev in "$@"; do
		expect "explain: a $ev probe" "$(grep -cE "^  $ev +[^ ]" "$f" | awk '{ print ($1 > 0) }')" 1
	done
	expect "explain: every point in code" "$(python3 - "$f" "$TARGET_PID" <<'PY'
import re, subprocess, sys
pts = re.findall(r"^ +in (.*) at file offset (0x[0-9a-f]+)$", open(sys.argv[1]).read(), re.M)
bad = []
for path, off in pts:
    segs = [l.split() for l in subprocess.run(["readelf", "-lW", f"/proc/{sys.argv[2]}/root{path}"],
            capture_output=True, text=True).stdout.splitlines() if l.split()[:1] == ["LOAD"]]
    if not any("E" in s[6:-1] and int(s[1], 16) <= int(off, 16) < int(s[1], 16) + int(s[4], 16)
               for s in segs):
        bad.append(f"{path}@{off}")
print(" ".join(bad) if bad else len(pts) and "yes")
PY
)" yes
}

# python_errors FILE: lines of gdb output that are a Python exception. gdb/codefer.py
# turns any exception into one line `codefer: SomeError: ...`, so a Traceback never shows.
python_errors() {
	grep -cE '^(codefer: [A-Z][A-Za-z]*: |Traceback|Python Exception)' "$1"
}

# probe_points ARGS...: the points `codefer-top --explain ARGS` lists for the target, one
# "PATH OFFSET" a line, in $WORK/points (what `breakpoints` reads).
probe_points() {
	"$CODEFER_TOP" -p "$TARGET_PID" --explain "$@" >"$WORK/points.explain" 2>&1 ||
		fail "codefer-top --explain: $(tail -n 1 "$WORK/points.explain")"
	sed -n 's/^ *in \(.*\) at file offset \(0x[0-9a-f]*\)$/\1 \2/p' "$WORK/points.explain" |
		sort -u >"$WORK/points"
	[ -s "$WORK/points" ] || fail "--explain listed no probe point"
}

# breakpoints PID: what PID's code holds at each of $WORK/points, read through
# /proc/PID/mem (what the target runs): `int3` when every point has a uprobe's breakpoint,
# `clean` when every one has the file's own byte, else the points that have neither.
breakpoints() {
	python3 - "$1" "$WORK/points" <<'PY'
import sys
pid, points = sys.argv[1], sys.argv[2]
maps = []
for l in open(f"/proc/{pid}/maps"):
    f = l.split(None, 5)
    if len(f) == 6:
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        maps.append((f[5].strip().removesuffix(" (deleted)"), int(f[2], 16), lo, hi,
                     f"{lo:x}-{hi:x}"))
seen = []
with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
    for l in open(points):
        path, off = l.rsplit(" ", 1)
        off = int(off, 16)
        m = next(((lo + off - pgoff, rng) for p, pgoff, lo, hi, rng in maps
                  if p == path and pgoff <= off < pgoff + hi - lo), None)
        if m is None:
            seen.append((off, "unmapped"))
            continue
        mem.seek(m[0])
        got = mem.read(1)[0]
        # The mapped file itself (a chroot's or a replaced file's path would mislead).
        with open(f"/proc/{pid}/map_files/{m[1]}", "rb") as f:
            f.seek(off)
            orig = f.read(1)[0]
        seen.append((off, "clean" if got == orig else "int3" if got == 0xcc else f"{got:#04x}"))
states = {s for _, s in seen}
print(states.pop() if len(states) == 1 else " ".join(f"{o:#x}:{s}" for o, s in seen))
PY
}
