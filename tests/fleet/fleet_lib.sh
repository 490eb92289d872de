# shellcheck shell=bash
# Several targets at once for one codefer-top (-p PID,PID..., --comm NAME): each target
# reads commands from its own FIFO and prints its truth to its own file. Sourced by
# tests/fleet/test_*.sh.
FLEET_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../go/go_lib.sh
. "$FLEET_TESTS/../go/go_lib.sh"
# shellcheck disable=SC2034  # read by lib.sh's helpers
TARGET_READY=
# shellcheck disable=SC2034  # read by the tests
LEAKY="$BUILD/tests/native/leaky"

declare -A PID_OF FD_OF

# need_leaky: root, and the leaky fixture of tests/native built.
need_leaky() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$LEAKY" ] || fail "fixture not built ($LEAKY)"
}

# proc_start NAME READY CMD...: a target reading $WORK/NAME.in, printing to $WORK/NAME.out;
# returns once it printed a line matching READY.
proc_start() {
	local name=$1 ready=$2 fd
	shift 2
	mkfifo "$WORK/$name.in"
	"$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>&1 &
	PID_OF[$name]=$!
	exec {fd}>"$WORK/$name.in"
	FD_OF[$name]=$fd
	wait_line "$WORK/$name.out" "$ready" 30 || fail "target $name did not start: $*"
}

# proc_do NAME CMD N: sends CMD, waits for the target's Nth DONE.
proc_do() {
	echo "$2" >&"${FD_OF[$1]}"
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(grep -c '^DONE' "$WORK/$1.out")" -ge "$3" ] && return 0
		kill -0 "${PID_OF[$1]}" 2>/dev/null || fail "target $1 died"
		sleep 0.1
	done
	fail "no DONE $3 from target $1"
}

# proc_quit NAME: the target ends (stdin closed) and is reaped.
proc_quit() {
	local fd=${FD_OF[$1]}
	exec {fd}>&-
	kill -9 "${PID_OF[$1]}" 2>/dev/null
	wait "${PID_OF[$1]}" 2>/dev/null
}

# fleet_start ARGS...: codefer-top -b --json ARGS in the background, a snapshot every 0.5 s;
# returns once its first snapshot is out. Then lib.sh's top_settle and top_wait apply.
fleet_start() {
	rm -f "$WORK/top.json"
	"$CODEFER_TOP" -b --json -n 100000 -d 0.5 "$@" >"$WORK/top.json" 2>"$WORK/top.err" &
	TOP_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q '^{' "$WORK/top.json" 2>/dev/null && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early: $(cat "$WORK/top.err")"
		sleep 0.1
	done
	fail "no snapshot from codefer-top"
}

# fleet_wait JQ-FILTER [SECS]: until the last snapshot makes JQ-FILTER true.
fleet_wait() {
	local i
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		[ "$(grep '^{' "$WORK/top.json" | tail -n 1 | jq "$1" 2>/dev/null)" = true ] && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early: $(cat "$WORK/top.err")"
		sleep 0.1
	done
	fail "no snapshot with $1 in ${2:-30} s"
}

# go_run NAME: the Go target NAME runs its scenarios; returns once it printed its truth and
# codefer-top took two whole walks of it after that (Go's open-coded defers are read by
# the walks).
go_run() {
	local runs sel="[.processes[] | select(.pid == ${PID_OF[$1]})][0].walks.runs"
	echo go >&"${FD_OF[$1]}"
	wait_line "$WORK/$1.out" '^DONE' 60 || fail "the Go target $1 printed no DONE"
	runs=$(grep '^{' "$WORK/top.json" | tail -n 1 | jq "$sel")
	fleet_wait "$sel >= $((runs + 2))" 60
}

# proc_snap NAME: the object of target NAME in the last snapshot, as $WORK/NAME.json.
proc_snap() {
	jq -c --argjson p "${PID_OF[$1]}" '.processes[] | select(.pid == $p)' "$WORK/snap.json" \
		>"$WORK/$1.json"
	[ -s "$WORK/$1.json" ] || { expect "process $1 (pid ${PID_OF[$1]}) in the snapshot" no yes; return 1; }
}

# truth_of NAME JQ: JQ over the last TRUTH block of leaky fixture NAME (slurped).
truth_of() {
	awk '/^DONE/ { n++ } n == N - 1 && /^TRUTH / { sub(/^TRUTH /, ""); print }' \
		N="$(grep -c '^DONE' "$WORK/$1.out")" "$WORK/$1.out" | jq -s -r "$2"
}

# check_native NAME: its object against its last truth (tests/native/check.py).
check_native() {
	echo "--- $1 (ucoro, pid ${PID_OF[$1]})"
	proc_snap "$1" && python3 "$TESTS/native/check.py" live "$WORK/$1.out" "$WORK/$1.json" \
		"$TESTS/native/leaky.c" ucoro || FAILED=1
}

# check_go NAME: its object against its truth (tests/go/check.py).
check_go() {
	echo "--- $1 (go, pid ${PID_OF[$1]})"
	grep '^TRUTH ' "$WORK/$1.out" | cut -d' ' -f2- >"$WORK/$1.truth"
	proc_snap "$1" && python3 "$TESTS/go/check.py" live "$WORK/$1.truth" "$WORK/$1.json" ||
		FAILED=1
}

# check_sums NAME... [--go NAME...] [--ended NAME...]: the snapshot's sums against the sums
# of the targets' truths (tests/fleet/sums.py).
check_sums() {
	python3 "$FLEET_TESTS/sums.py" "$WORK/snap.json" "$WORK" "$@" || FAILED=1
}
