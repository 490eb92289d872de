# shellcheck shell=bash
# Helpers for the PHP tests: run a PHP target that reports its own truth, attach
# codefer-top to it, and read numbers out of JSON. Sourced by tests/php/test_*.sh.

PHP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$PHP_TESTS/../lib.sh" ]; then
	# shellcheck source=/dev/null
	. "$PHP_TESTS/../lib.sh"
fi
CODEFER_TOP=${CODEFER_TOP:-$PHP_TESTS/../../build/codefer-top}
PHP=${PHP:-php}
PHP_ARGS=()	# options for the target's php (-n -d extension=...)

WORK=$(mktemp -d)
PHP_PID=
TOP_PID=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$TOP_PID" ] && kill "$TOP_PID" 2>/dev/null
	[ -n "$PHP_PID" ] && kill -9 "$PHP_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$WORK"/php.out "$WORK"/php.err "$WORK"/top.err; do
		[ -s "$f" ] && { echo "--- $(basename "$f")"; tail -n 20 "$f"; }
	done
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

need_basics() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v "$PHP" >/dev/null || skip "no php CLI"
}

need_swoole() {
	"$PHP" "${PHP_ARGS[@]}" -m 2>/dev/null | grep -qx swoole ||
		skip "swoole extension not loaded (php -m)"
}

# wait_line FILE REGEX SECONDS: waits until FILE has a line matching REGEX.
wait_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		[ -n "$PHP_PID" ] && ! kill -0 "$PHP_PID" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# php_start SCRIPT ARGS...: runs the target with its stdin on a FIFO (fd 3 here), waits
# for it to print READY. The target waits for a line on stdin before doing anything.
php_start() {
	rm -f "$WORK/in"
	mkfifo "$WORK/in"
	"$PHP" "${PHP_ARGS[@]}" "$@" <"$WORK/in" >"$WORK/php.out" 2>"$WORK/php.err" &
	PHP_PID=$!
	exec 3>"$WORK/in"
	wait_line "$WORK/php.out" '^READY' 30 || fail "target did not start"
}

# php_stop: ends the target started by php_start.
php_stop() {
	exec 3>&-
	kill -9 "$PHP_PID" 2>/dev/null
	wait "$PHP_PID" 2>/dev/null
	PHP_PID=
}

# top_start ARGS...: attaches codefer-top (JSON, one snapshot a second) and waits for its
# first snapshot, so that probes are in place.
top_start() {
	[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"
	"$CODEFER_TOP" -p "$PHP_PID" -b --json -n 600 -d 1 "$@" >"$WORK/top.json" 2>"$WORK/top.err" &
	TOP_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$WORK/top.json" ] && return 0
		kill -0 "$TOP_PID" 2>/dev/null || fail "codefer-top exited early"
		sleep 0.1
	done
	fail "no snapshot from codefer-top"
}

# top_settle N: waits for N more snapshots, then stops codefer-top; $SNAP is the last one.
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
	SNAP=$(grep '^{' "$WORK/top.json" | tail -n 1)
	[ -n "$SNAP" ] || fail "no JSON snapshot"
}

# go: tells the target to run, waits for its TRUTH line; $TRUTH is its JSON.
# shellcheck disable=SC2034  # TRUTH is read by the test scripts
go() {
	echo go >&3
	wait_line "$WORK/php.out" '^TRUTH ' "${1:-30}" || fail "target printed no TRUTH"
	TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
}

# jq_php JSON EXPR: evaluates a PHP expression over $j (the decoded JSON) and prints it.
jq_php() {
	printf '%s' "$1" | "$PHP" -n -r '$j = json_decode(stream_get_contents(STDIN), true);
		if ($j === null) { fwrite(STDERR, "bad JSON\n"); exit(1); }
		$v = '"$2"'; echo is_bool($v) ? ($v ? "true" : "false") : $v, "\n";'
}

# expect WHAT GOT WANT: records a comparison; `finish` fails if any did not match.
FAILED=0
expect() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1 = $2"
	else
		echo "MISMATCH: $1: codefer $2, truth $3"
		FAILED=1
	fi
}

finish() {
	if [ "$FAILED" != 0 ]; then
		echo "--- last snapshot"
		echo "$SNAP"
		fail "numbers differ from the target's truth"
	fi
	echo PASS
	exit 0
}
