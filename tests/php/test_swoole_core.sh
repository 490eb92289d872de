#!/usr/bin/env bash
# Swoole post-mortem: codefer-dump on a core of a leaking process must find its live
# coroutines, each one's pending defers with the line that registered them, and the
# body each coroutine runs.
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole
CODEFER_DUMP=${CODEFER_DUMP:-$PHP_TESTS/../../build/codefer-dump}
export CODEFER_LIB=${CODEFER_LIB:-$(dirname "$CODEFER_DUMP")/libcodefer.so}
CODEFER_PY=$PHP_TESTS/../../gdb/codefer.py
[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
[ -f "$CODEFER_LIB" ] || fail "libcodefer.so not built ($CODEFER_LIB)"
command -v gcore >/dev/null || skip "no gcore (gdb)"

php_start "$PHP_TESTS/swoole_leak.php" 45 12 census
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
[ -n "$TRUTH" ] || fail "target printed no TRUTH"
core="$WORK/core.$TARGET_PID"
gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
php_stop
"$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/top.err" || fail "codefer-dump failed"
SNAP=$(cat "$WORK/dump.json")

t() { jq_php "$TRUTH" "\$j[\"$1\"]"; }
worker=$(t worker_cid)
# row EXPR: EXPR over the worker's entry ($w) in the dump.
row() { jq_php "$SNAP" '(function ($w) { return '"$1"'; })(array_values(array_filter($j["coroutines"], fn($c) => $c["id"] == '"$worker"'))[0] ?? ["defers" => []])'; }

expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" swoole
expect coroutines "$(jq_php "$SNAP" '$j["summary"]["coroutines"]')" "$(t live)"
expect defers_pending "$(jq_php "$SNAP" '$j["summary"]["defers_pending"]')" "$(t defers_pending)"
expect "worker $worker defers_pending" "$(row '$w["defers_pending"] ?? "missing"')" "$(t worker_pending)"
expect "worker $worker defers at $(basename "$(t defer_site)")" \
	"$(row 'count(array_filter($w["defers"], fn($d) => $d["site"] === "'"$(t defer_site)"'"))')" \
	"$(t worker_pending)"
expect "worker $worker body" "$(row '$w["origin"] ?? "missing"')" "$(t worker_body)"

# gdb's codefer commands run the same walker on the same core.
gdb -batch -nx "$(readlink -f "$(command -v "$PHP")")" "$core" -x "$CODEFER_PY" \
	-ex 'codefer summary' >"$WORK/gdb.out" 2>&1
expect "gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
	"$(t live) coroutines, $(t defers_pending) pending defers, 0 connections held"
expect "gdb top site" "$(grep -A1 'PENDING' "$WORK/gdb.out" | tail -n 1 | sed 's/^ *//')" \
	"$(t worker_pending)  $(t defer_site)"
expect "gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0
finish
