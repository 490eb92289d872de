# Shared by every test (see tests/README.md): paths of the built tools, a scratch
# directory removed at exit, a target driven through a FIFO, codefer-top in the
# background, and exact comparisons. Sourced, never run.

TESTS=${TESTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
BUILD=${BUILD:-$TESTS/../build}
CODEFER_TOP=${CODEFER_TOP:-$BUILD/codefer-top}
CODEFER_DUMP=${CODEFER_DUMP:-$BUILD/codefer-dump}
CODEFER_PY="$TESTS/../gdb/codefer.py"
export CODEFER_LIB=${CODEFER_LIB:-$BUILD/libcodefer.so}

WORK=$(mktemp -d)
TARGET_PID=
TOP_PID=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$TOP_PID" ] && kill -INT "$TOP_PID" 2>/dev/null
	[ -n "$TARGET_PID" ] && kill -9 "$TARGET_PID" 2>/dev/null
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

# jq_get JSON-FILE EXPR: a value from a JSON file.
jq_get() {
	jq -r "$2" "$1"
}

# target_start CMD...: runs a target reading commands from fd 3; output in target.out.
# Returns once the target prints a line matching $TARGET_READY (when set), else once it
# has replaced the shell that started it: codefer must never attach to that shell.
target_start() {
	local i
	rm -f "$WORK/in"
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

# wait_for PATTERN COUNT [SECS]: until target.out has COUNT lines matching PATTERN.
wait_for() {
	local i
	for ((i = 0; i < ${3:-30} * 10; i++)); do
		[ "$(grep -c "$1" "$WORK/target.out")" -ge "$2" ] && return 0
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

# top_settle N: waits for N more snapshots, stops codefer-top with SIGINT (it must exit
# 0); $WORK/snap.json is the last snapshot, $SNAP its text.
top_settle() {
	local have want i rc
	have=$(wc -l <"$WORK/top.json")
	want=$((have + $1))
	for ((i = 0; i < 300; i++)); do
		[ "$(wc -l <"$WORK/top.json")" -ge "$want" ] && break
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	kill -INT "$TOP_PID" 2>/dev/null
	wait "$TOP_PID"
	rc=$?
	TOP_PID=
	[ "$rc" = 0 ] || fail "codefer-top exited with $rc on SIGINT"
	grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap.json"
	[ -s "$WORK/snap.json" ] || fail "no JSON snapshot"
	SNAP=$(cat "$WORK/snap.json")
}

# uprobes_on PID: how many BPF uprobes any process has on PID's files (codefer opens
# them through /proc/PID/root); 0 once codefer has detached.
uprobes_on() {
	bpftool perf 2>/dev/null | grep -c "uprobe .*filename /proc/$1/root/" || true
}
