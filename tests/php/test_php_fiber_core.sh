#!/usr/bin/env bash
# PHP Fibers post mortem: codefer-dump (and gdb's codefer commands) on a core must find
# every started, unfinished fiber in the object store, with its body function's line and
# the line of its own it waits at.
. "$(dirname "$0")/php_lib.sh"
need_basics
CODEFER_DUMP=${CODEFER_DUMP:-$PHP_TESTS/../../build/codefer-dump}
export CODEFER_LIB=${CODEFER_LIB:-$(dirname "$CODEFER_DUMP")/libcodefer.so}
CODEFER_PY=$PHP_TESTS/../../gdb/codefer.py
[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
[ -f "$CODEFER_LIB" ] || fail "libcodefer.so not built ($CODEFER_LIB)"
command -v gcore >/dev/null || skip "no gcore (gdb)"
PHP_ARGS=(-n)

php_start "$PHP_TESTS/fibers.php" 9 5 census
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
[ -n "$TRUTH" ] || fail "target printed no TRUTH"
core="$WORK/core.$TARGET_PID"
gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
php_stop
"$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/top.err" || fail "codefer-dump failed"
SNAP=$(cat "$WORK/dump.json")

t() { jq_php "$TRUTH" "\$j[\"$1\"]"; }
expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" php-fiber
expect coroutines "$(jq_php "$SNAP" '$j["summary"]["coroutines"]')" "$(t live)"
expect "suspended fibers running $(basename "$(t stuck_body)")" \
	"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($c) => $c["state"] === "suspended" && $c["origin"] === "'"$(t stuck_body)"'"))')" \
	"$(t live)"
expect "suspended fibers waiting at $(basename "$(t stuck_wait)")" \
	"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($c) => ($c["wait_site"] ?? "") === "'"$(t stuck_wait)"'"))')" \
	"$(t live)"

gdb -batch -nx "$(readlink -f "$(command -v "$PHP")")" "$core" -x "$CODEFER_PY" \
	-ex 'codefer summary' >"$WORK/gdb.out" 2>&1
expect "gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
	"$(t live) coroutines, 0 pending defers, 0 connections held"
expect "gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0

# Fibers that resumed the running one are running too, as PHP's Fiber::isRunning says.
php_start "$PHP_TESTS/fibers_nested.php"
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
"$CODEFER_DUMP" --json "$WORK/core.$TARGET_PID" >"$WORK/dump.json" 2>"$WORK/top.err" ||
	fail "codefer-dump failed"
php_stop
expect "nested fibers: states by body" \
	"$(jq -r '.coroutines[] | "\(.origin) \(.state)"' "$WORK/dump.json" | sort)" \
	"$(jq_php "$TRUTH" 'implode("\n", array_map(fn($k, $v) => "$k $v", array_keys($j["states"]), $j["states"]))' | sort)"
finish
