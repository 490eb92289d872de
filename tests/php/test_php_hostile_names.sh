#!/usr/bin/env bash
# PHP file names are untrusted text: fibers.php run from a file named with terminal
# escapes, a bell, a newline, a quote, a backslash and an invalid byte. The fibers' sites
# name that file: codefer-top text and JSON, and from a core codefer-dump text and JSON
# and gdb, must be strict UTF-8 with no raw control byte and show the name escaped.
# The same for swoole_leak.php when the Swoole extension is there.
. "$(dirname "$0")/php_lib.sh"
need_basics
command -v gcore >/dev/null || skip "no gcore (gdb)"
dir=$WORK/$'\e[2J\e]0;pwned\aevil"\\\n\xff'
mkdir "$dir" || fail "cannot make the hostile directory"
shown='\x1b[2J\x1b]0;pwned\x07evil"\\x0a\xff'

# outputs WHAT: every output on the running target and on a core of it. The text of
# codefer-dump and gdb names a file only for pending defers (fibers have none).
outputs() {
	timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
	expect "$1 top text: exit code" "$?" 0
	expect "$1 top text: safe" "$(safe_output "$WORK/top.txt" text)" safe
	expect "$1 top text: the file escaped" "$(grep -cF "$shown" "$WORK/top.txt" | awk '{ print ($1 > 0) }')" 1
	timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err"
	expect "$1 top JSON: exit code" "$?" 0
	expect "$1 top JSON: safe" "$(safe_output "$WORK/top.json" json)" safe
	expect "$1 top JSON: the file" "$(jq -r '[.. | strings | select(test("pwned"))] | length > 0' "$WORK/top.json")" true
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
	core=$WORK/core.$TARGET_PID
	timeout 60 "$CODEFER_DUMP" "$core" >"$WORK/dump.txt" 2>"$WORK/dump.err"
	expect "$1 dump text: exit code" "$?" 0
	expect "$1 dump text: safe" "$(safe_output "$WORK/dump.txt" text)" safe
	[ "$1" = fibers ] || expect "$1 dump text: the file escaped" "$(grep -cF "$shown" "$WORK/dump.txt" | awk '{ print ($1 > 0) }')" 1
	timeout 60 "$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err"
	expect "$1 dump JSON: exit code" "$?" 0
	expect "$1 dump JSON: safe" "$(safe_output "$WORK/dump.json" json)" safe
	expect "$1 dump JSON: the file" "$(jq -r '[.. | strings | select(test("pwned"))] | length > 0' "$WORK/dump.json")" true
	timeout 300 gdb -batch -nx "$(readlink -f "/proc/$TARGET_PID/exe")" "$core" -x "$CODEFER_PY" \
		-ex 'codefer list' -ex 'codefer defers' -ex 'codefer summary' 2>&1 |
		sed -n '/^runtime /,$p' >"$WORK/gdb.out"
	expect "$1 gdb: safe" "$(safe_output "$WORK/gdb.out" text)" safe
	[ "$1" = fibers ] || expect "$1 gdb: the file escaped" "$(grep -cF "$shown" "$WORK/gdb.out" | awk '{ print ($1 > 0) }')" 1
	expect "$1 gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0
	rm -f "$core"
	php_stop
}

cp -r "$PHP_TESTS/fibers.php" "$PHP_TESTS/vendor" "$dir/"
PHP_ARGS=(-n)
php_start "$dir/fibers.php" 2 3 census
outputs fibers

if "$PHP" -m 2>/dev/null | grep -qx swoole; then
	cp "$PHP_TESTS/swoole_leak.php" "$dir/swoole_leak.php"
	PHP_ARGS=()
	echo "INFO: $("$PHP" -r 'echo "PHP ", PHP_VERSION, ", Swoole ", phpversion("swoole");')"
	php_start "$dir/swoole_leak.php" 10 3 census
	outputs swoole
else
	echo "INFO: SKIP the Swoole case: swoole extension not loaded (php -m)"
fi
finish
