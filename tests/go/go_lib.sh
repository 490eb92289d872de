# shellcheck shell=bash
# Helpers for the Go tests: build tests/go/gotarget.go with every installed Go, run it with
# stdin on a FIFO, attach codefer-top, and compare with the truth it prints (check.py).
# Sourced by tests/go/test_*.sh.

GO_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$GO_TESTS/../lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$GO_TESTS/../lib.sh"
fi
CODEFER_TOP=${CODEFER_TOP:-$GO_TESTS/../../build/codefer-top}

WORK=$(mktemp -d)
GO_BIN_DIR=${BUILD:+$BUILD/tests/go}
GO_BIN_DIR=${GO_BIN_DIR:-$WORK/bin}
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

# The installed Go toolchains, one `go` binary a line.
go_toolchains() {
	local g
	for g in /usr/lib/go-1.*/bin/go; do
		[ -x "$g" ] && echo "$g"
	done
}

need_basics() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -n "$(go_toolchains)" ] || skip "no Go toolchain in /usr/lib/go-1.*"
	[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
}

# go_build GO VARIANT: builds the target, prints its path. Variants:
#   plain (static, internal linker), cgo (external linker), cgoint (cgo, internal linker),
#   nodwarf (-ldflags=-w: symbols, no DWARF), stripped (-ldflags='-s -w').
go_build() {
	local go=$1 variant=$2 v out
	v=$("$go" env GOVERSION) || return 1
	out=$GO_BIN_DIR/gotarget-$variant-$v
	mkdir -p "$GO_BIN_DIR"
	local -a files=("$GO_TESTS/gotarget.go") flags=()
	case $variant in
	plain) ;;
	cgo) files+=("$GO_TESTS/cgo.go") ;;
	cgoint) files+=("$GO_TESTS/cgo.go"); flags=(-ldflags=-linkmode=internal) ;;
	nodwarf) flags=(-ldflags=-w) ;;
	stripped) flags=(-ldflags=-s\ -w) ;;
	*) return 1 ;;
	esac
	if [ ! -x "$out" ] || [ "$out" -ot "$GO_TESTS/gotarget.go" ]; then
		case $variant in cgo*) export CGO_ENABLED=1 ;; *) export CGO_ENABLED=0 ;; esac
		# The user's build cache when there is a home for it: a fresh one rebuilds std.
		local cache=${GOCACHE:-${HOME:+$HOME/.cache/go-build}}
		GO111MODULE=off GOFLAGS='' GOCACHE=${cache:-$GO_BIN_DIR/gocache} \
			"$go" build "${flags[@]}" -o "$out" "${files[@]}" >"$WORK/build.err" 2>&1 ||
			{ cat "$WORK/build.err" >&2; return 1; }
	fi
	echo "$out"
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

# target_start BIN ARGS...: runs the target with its stdin on a FIFO (fd 3 here) and
# waits for READY. It does nothing until it reads a line (see target_go).
target_start() {
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	"$@" <"$WORK/in" >"$WORK/target.out" 2>"$WORK/target.err" &
	TARGET_PID=$!
	exec 3>"$WORK/in"
	wait_line "$WORK/target.out" '^READY' 30 || fail "target did not start"
}

target_stop() {
	exec 3>&-
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
}

# target_go: lets the target run its scenarios and waits until it printed its truth.
target_go() {
	echo go >&3
	wait_line "$WORK/target.out" '^DONE' 60 || fail "target printed no DONE"
	grep '^TRUTH ' "$WORK/target.out" | cut -d' ' -f2- >"$WORK/truth"
}

# top_start: attaches codefer-top (JSON, one snapshot a second) and waits for its
# first snapshot, so that the probes are in place.
top_start() {
	: >"$WORK/top.json"
	"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 600 -d 1 >"$WORK/top.json" 2>"$WORK/top.err" &
	TOP_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$WORK/top.json" ] && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	fail "no snapshot from codefer-top"
}

# top_settle N: waits for N more snapshots, stops codefer-top; $WORK/snap is the last one.
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
	grep '^{' "$WORK/top.json" | tail -n 1 >"$WORK/snap"
	[ -s "$WORK/snap" ] || fail "no JSON snapshot"
}

# check MODE LABEL: compares the last snapshot with the truth (see check.py).
FAILED=0
check() {
	echo "--- $2"
	python3 "$GO_TESTS/check.py" "$1" "$WORK/truth" "$WORK/snap" || {
		FAILED=1
		echo "--- last snapshot ($2)"
		cat "$WORK/snap"
	}
}

finish() {
	[ "$FAILED" = 0 ] || fail "numbers differ from the target's truth"
	echo PASS
	exit 0
}
