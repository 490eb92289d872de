# shellcheck shell=bash
# Helpers for the PHP tests: run a PHP target that reports its own truth, attach
# codefer-top to it, and read numbers out of JSON. Sourced by tests/php/test_*.sh.

PHP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$PHP_TESTS/../lib.sh"
PHP=${PHP:-php}
PHP_ARGS=()	# options for the target's php (-n -d extension=...)

need_basics() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v "$PHP" >/dev/null || skip "no php CLI"
}

need_swoole() {
	"$PHP" "${PHP_ARGS[@]}" -m 2>/dev/null | grep -qx swoole ||
		skip "swoole extension not loaded (php -m): Debian has none, see tests/README.md"
	echo "INFO: $("$PHP" "${PHP_ARGS[@]}" -r 'echo "PHP ", PHP_VERSION, ", Swoole ", phpversion("swoole");')"
}

# zts_php: PHP becomes $CODEFER_PHP_ZTS, a thread-safe PHP (Debian has none: built by
# hand, see README), loading Swoole if its php.ini does not; 1 when it is not set.
zts_php() {
	[ -n "${CODEFER_PHP_ZTS:-}" ] || return 1
	PHP=$CODEFER_PHP_ZTS
	PHP_ARGS=()
	"$PHP" -m 2>/dev/null | grep -qx swoole || PHP_ARGS=(-d extension=swoole)
}

# need_swoole_threads: zts_php with Swoole built with --enable-swoole-thread, or a skip.
need_swoole_threads() {
	zts_php || skip "CODEFER_PHP_ZTS is not set (a thread-safe PHP with Swoole's thread mode)"
	"$PHP" "${PHP_ARGS[@]}" -r 'exit(class_exists("Swoole\\Thread") ? 0 : 1);' 2>/dev/null ||
		skip "$PHP has no Swoole built with --enable-swoole-thread"
}

# php_start SCRIPT ARGS...: runs the target with its stdin on a FIFO (fd 3 here), waits
# for it to print READY. The target waits for a line on stdin before doing anything.
php_start() {
	# php.out is truncated only once the FIFO opens: no earlier target's READY is read.
	rm -f "$WORK/in" "$WORK/php.out" "$WORK/php.err"
	mkfifo "$WORK/in"
	"$PHP" "${PHP_ARGS[@]}" "$@" <"$WORK/in" >"$WORK/php.out" 2>"$WORK/php.err" &
	TARGET_PID=$!
	exec 3>"$WORK/in"
	wait_line "$WORK/php.out" '^READY' 30 || fail "target did not start"
}

# php_stop: ends the target started by php_start.
php_stop() {
	exec 3>&-
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
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

# swoole_copy SO: PHP_ARGS that load SO in place of the installed Swoole and no php.ini,
# after the other extensions the system's .ini files load (a Swoole built with sockets or
# curl needs theirs first).
swoole_copy() {
	local ini ext
	PHP_ARGS=(-n)
	for ini in $("$PHP" -r 'echo str_replace(",", " ", (string)php_ini_scanned_files());'); do
		while read -r ext; do
			case $ext in *swoole*) ;; *) PHP_ARGS+=(-d "extension=$ext") ;; esac
		done < <(sed -n 's/^[[:space:]]*extension[[:space:]]*=[[:space:]]*"\{0,1\}\([^";[:space:]]*\).*/\1/p' "$ini")
	done
	PHP_ARGS+=(-d "extension=$1")
}

# need_swoole_cores: what the tests of Swoole cores need (the tools, gcore, strip), and
# $WORK/swoole.so: the extension stripped (codefer then reads it by its tables).
need_swoole_cores() {
	local so
	need_basics
	need_swoole
	[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
	[ -f "$CODEFER_LIB" ] || fail "libcodefer.so not built ($CODEFER_LIB)"
	command -v gcore >/dev/null || skip "no gcore (gdb)"
	command -v strip >/dev/null || skip "no strip (binutils)"
	so=$("$PHP" -r 'echo ini_get("extension_dir");')/swoole.so
	[ -f "$so" ] || skip "swoole.so is not in PHP's extension_dir"
	strip -s -o "$WORK/swoole.so" "$so" || fail "strip failed"
}

# php_reports GDB_COMMAND: after php_start, $TRUTH is the target's last TRUTH line; then
# gdb's GDB_COMMAND on the live process ($WORK/gdb-live.out: the same walker on process
# memory), the target stopped, and on a core of it codefer-dump --json ($WORK/dump.json,
# $SNAP) and GDB_COMMAND again ($WORK/gdb.out).
php_reports() {
	local core php
	TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
	[ -n "$TRUTH" ] || fail "target printed no TRUTH"
	php=$(readlink -f "$(command -v "$PHP")")
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
	core="$WORK/core.$TARGET_PID"
	gdb -batch -nx -p "$TARGET_PID" -x "$CODEFER_PY" -ex "$1" >"$WORK/gdb-live.out" 2>&1
	php_stop
	"$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err" || fail "codefer-dump failed"
	SNAP=$(cat "$WORK/dump.json")
	gdb -batch -nx "$php" "$core" -x "$CODEFER_PY" -ex "$1" >"$WORK/gdb.out" 2>&1
	rm -f "$core"
}
