# shellcheck shell=bash
# Helpers for the Go tests: build tests/go/gotarget.go with every installed Go, run it with
# stdin on a FIFO, attach codefer-top, and compare with the truth it prints (check.py).
# Sourced by tests/go/test_*.sh.

GO_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$GO_TESTS/../lib.sh"
TARGET_READY='^READY'	# targets print it once they run

GO_BIN_DIR=${BUILD:+$BUILD/tests/go}
GO_BIN_DIR=${GO_BIN_DIR:-$WORK/bin}

# shellcheck source=toolchains.sh
. "$GO_TESTS/toolchains.sh"

need_basics() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -n "$(go_toolchains)" ] || skip "no Go toolchain (golang-1.NN-go, go1.NN, \$CODEFER_GO_ROOTS)"
	[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
}

# go_build GO VARIANT [SOURCE]: builds the target (tests/go/gotarget.go unless SOURCE),
# prints its path. Variants:
#   plain (static, internal linker), cgo (external linker), cgoint (cgo, internal linker),
#   nodwarf (-ldflags=-w: symbols, no DWARF), stripped (-ldflags='-s -w'), and stripped
#   cgo (external linker), PIE and cgo PIE (external linker: the pclntab has no section
#   of its own) builds: cgostripped, piestripped, cgopiestripped.
go_build() {
	local go=$1 variant=$2 src=${3:-$GO_TESTS/gotarget.go} v out
	v=$("$go" env GOVERSION) || return 1
	out=$GO_BIN_DIR/$(basename "$src" .go)-$variant-$v
	mkdir -p "$GO_BIN_DIR"
	local -a files=("$src") flags=()
	case $variant in
	plain) ;;
	cgo) files+=("$GO_TESTS/cgo.go") ;;
	cgoint) files+=("$GO_TESTS/cgo.go"); flags=(-ldflags=-linkmode=internal) ;;
	nodwarf) flags=(-ldflags=-w) ;;
	pie) flags=(-buildmode=pie) ;;
	stripped) flags=(-ldflags=-s\ -w) ;;
	cgostripped) files+=("$GO_TESTS/cgo.go"); flags=(-ldflags=-s\ -w) ;;
	piestripped) flags=(-buildmode=pie -ldflags=-s\ -w) ;;
	cgopiestripped) files+=("$GO_TESTS/cgo.go"); flags=(-buildmode=pie -ldflags=-s\ -w) ;;
	*) return 1 ;;
	esac
	# Rebuilt when any of its sources is newer (find prints those).
	if [ ! -x "$out" ] || [ -n "$(find "${files[@]}" -newer "$out")" ]; then
		case $variant in cgo*) export CGO_ENABLED=1 ;; *) export CGO_ENABLED=0 ;; esac
		# The user's build cache when there is a home for it: a fresh one rebuilds std.
		local cache=${GOCACHE:-${HOME:+$HOME/.cache/go-build}}
		GO111MODULE=off GOFLAGS='' GOCACHE=${cache:-$GO_BIN_DIR/gocache} \
			"$go" build "${flags[@]}" -o "$out" "${files[@]}" >"$WORK/build.err" 2>&1 ||
			{ cat "$WORK/build.err" >&2; return 1; }
	fi
	echo "$out"
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

# check MODE LABEL: compares the last snapshot with the truth (see check.py).
check() {
	echo "--- $2"
	python3 "$GO_TESTS/check.py" "$1" "$WORK/truth" "$WORK/snap.json" || {
		FAILED=1
		echo "--- last snapshot ($2)"
		cat "$WORK/snap.json"
	}
}

# summary_line JSON: the line gdb's `codefer summary` prints for codefer-dump's JSON summary.
summary_line() {
	jq -r '.summary | "\(.coroutines) coroutines, \(.defers_pending) pending defers, \(.conns_held) connections held" +
		(if .conns_out > 0 then " (\(.conns_out) out of their pools, \(.orphans) orphaned" +
			(if .conns_holders_unknown > 0 then ", holders not known" else "" end) + ")" else "" end)' "$1"
}
