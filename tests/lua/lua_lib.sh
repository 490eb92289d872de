# Helpers for the Lua tests: run a Lua target that prints its own truth, attach
# codefer-top to it before or after its work, compare. Sourced by tests/lua/test_*.sh.

LUA_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$LUA_TESTS/../lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$LUA_TESTS/../lib.sh"
fi
CODEFER_TOP=${CODEFER_TOP:-$LUA_TESTS/../../build/codefer-top}

WORK=$(mktemp -d)
TARGET_PID=
TOP_PID=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$TOP_PID" ] && kill "$TOP_PID" 2>/dev/null
	[ -n "$TARGET_PID" ] && kill -9 "$TARGET_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$WORK"/target.out "$WORK"/target.err "$WORK"/top.err; do
		[ -s "$f" ] && { echo "--- $(basename "$f")"; tail -n 20 "$f"; }
	done
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v python3 >/dev/null || skip "no python3"
}

# need_host: builds the liblua5.4.so embedder (tests/lua/host.c) into $HOST.
need_host() {
	pkg-config --exists lua5.4 2>/dev/null || skip "no liblua5.4-dev (pkg-config lua5.4)"
	HOST=$WORK/host
	# shellcheck disable=SC2046  # pkg-config prints several words
	cc -g -O2 -Wall -Wextra $(pkg-config --cflags lua5.4) "$LUA_TESTS/host.c" -o "$HOST" \
		$(pkg-config --libs lua5.4) 2>"$WORK/cc.err" || fail "cannot build host.c: $(cat "$WORK/cc.err")"
}

# wait_line FILE REGEX SECONDS: waits until FILE has a line matching REGEX.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		[ -n "$TARGET_PID" ] && ! kill -0 "$TARGET_PID" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# target_start CMD ARGS...: runs a target with its stdin on a FIFO (fd 3 here) and
# waits for READY. In `live` mode the target then waits for a line before its work.
target_start() {
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	"$@" <"$WORK/in" >"$WORK/target.out" 2>"$WORK/target.err" &
	TARGET_PID=$!
	exec 3>"$WORK/in"
	wait_line "$WORK/target.out" '^READY' 30 || fail "target did not start"
}

# target_go: lets a live-mode target work; waits until it printed its truth.
target_go() {
	echo go >&3
	target_done
}

target_done() {
	wait_line "$WORK/target.out" '^DONE' 60 || fail "target did not finish its work"
}

# top_start ARGS...: attaches codefer-top (JSON, one snapshot a second) and waits for its
# first snapshot, so that probes are in place.
top_start() {
	[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
	"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 600 -d 1 "$@" >"$WORK/top.json" 2>"$WORK/top.err" &
	TOP_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$WORK/top.json" ] && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	fail "no snapshot from codefer-top"
}

# top_settle N: waits for N more snapshots, then stops codefer-top; $WORK/snap.json is
# the last one.
top_settle() {
	local have want i
	have=$(wc -l <"$WORK/top.json")
	want=$((have + $1))
	for ((i = 0; i < 300; i++)); do
		[ "$(wc -l <"$WORK/top.json")" -ge "$want" ] && break
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	kill -INT "$TOP_PID" 2>/dev/null
	wait "$TOP_PID" 2>/dev/null
	TOP_PID=
	grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap.json"
	[ -s "$WORK/snap.json" ] || fail "no JSON snapshot"
}

# check MODE [RUNTIME]: compares the last snapshot with the target's TRUTH lines.
check() {
	python3 "$LUA_TESTS/check.py" "$1" "$WORK/target.out" "$WORK/snap.json" "${2:-lua}" ||
		fail "numbers differ from the target's truth"
	echo PASS
	exit 0
}

# run_lua_test live|census CMD ARGS...: the whole flow for one target; $RUNTIME is the
# runtime codefer must detect (default lua).
run_lua_test() {
	local mode=$1
	shift
	target_start "$@" "$mode"
	if [ "$mode" = live ]; then
		top_start
		target_go
	else
		target_done
		top_start
	fi
	top_settle 2
	check "$mode" "${RUNTIME:-lua}"
}
