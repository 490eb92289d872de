#!/usr/bin/env bash
# --explain on PHP fibers and on Swoole (when the extension is there): the runtime and the
# versions PHP reports, a probe point for each event the README lists, each in code,
# where the offsets came from (Swoole: DWARF; its table once swoole.so is stripped), and
# what cannot be seen. Nothing is attached.
. "$(dirname "$0")/php_lib.sh"
need_basics
api=$("$PHP" -n -i | sed -n 's/^PHP API => //p')

PHP_ARGS=(-n)
php_start "$PHP_TESTS/fibers.php" 2 2 census
probe_points
"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
expect "fibers: exit code" "$?" 0
explain_check "$WORK/explain.out" php-fiber "PHP API $api" create exit
expect "fibers: what cannot be seen" "$(grep -c 'fibers have no defers or pools' "$WORK/explain.out")" 1
expect "fibers: nothing attached" "$(breakpoints "$TARGET_PID")" clean
php_stop

if ! "$PHP" -m 2>/dev/null | grep -qx swoole; then
	echo "INFO: SKIP the Swoole cases: swoole extension not loaded (php -m)"
	finish
fi
PHP_ARGS=()
echo "INFO: $("$PHP" -r 'echo "PHP ", PHP_VERSION, ", Swoole ", phpversion("swoole");')"
sv=$("$PHP" -r 'echo SWOOLE_VERSION;')
php_start "$PHP_TESTS/swoole_leak.php" 5 2 census
probe_points
"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
expect "swoole: exit code" "$?" 0
explain_check "$WORK/explain.out" swoole "Swoole $sv, PHP API $api" create defer exit get put
expect "swoole: offsets from DWARF" "$(grep -cE '^  offsets: DWARF of .*/swoole.so(, then table for Swoole [0-9.]+ on PHP [0-9./+]+)?: ' "$WORK/explain.out")" 1
expect "swoole: what cannot be seen" "$(grep -c 'defers are retired at coroutine exit' "$WORK/explain.out")" 1
# The caller's func and opline are 24 bytes apart: one read of the target for both.
expect "swoole: defer site halves read at once" \
	"$(awk '/^  defer / { d = 1 } d && /co=/ { print; exit }' "$WORK/explain.out" | grep -c ' (site halves: one read)$')" 1
expect "swoole: Event::add callbacks followed live" \
	"$(grep -c '^  Event::add callbacks: by the line calling Event::add or Event::set since attach$' "$WORK/explain.out")" 1
expect "swoole: Callables armed and retired" \
	"$(grep -cE '^  timer-(add|done) +_ZN4zend8Callable(C1EP12_zval_struct|D1Ev)$' "$WORK/explain.out")" 2
expect "swoole: nothing attached" "$(breakpoints "$TARGET_PID")" clean
php_stop
so=$("$PHP" -r 'echo ini_get("extension_dir");')/swoole.so
if command -v strip >/dev/null && [ -f "$so" ]; then
	strip -s -o "$WORK/swoole.so" "$so" || fail "strip failed"
	swoole_copy "$WORK/swoole.so"
	php_start "$PHP_TESTS/swoole_leak.php" 5 2 census
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
	expect "stripped swoole: exit code" "$?" 0
	explain_check "$WORK/explain.out" swoole "Swoole $sv, PHP API $api" create defer exit get put
	expect "stripped swoole: offsets from the version table" \
		"$(grep -ci "^  offsets.*table" "$WORK/explain.out")" 1
	expect "stripped swoole: Event::add callbacks not read, and said so" \
		"$(grep -c "Event::defer tasks and Event::add callbacks need swoole.so's .symtab: not read" "$WORK/explain.out")" 1
	expect "stripped swoole: no Callable probes" "$(grep -c '_ZN4zend8Callable' "$WORK/explain.out")" 0
	php_stop
else
	echo "INFO: SKIP the stripped Swoole case: no strip or no swoole.so in extension_dir"
fi
finish
