#!/usr/bin/env bash
# Swoole without DWARF or .symtab (as PECL and container builds ship it): offsets come
# from codefer's per-version table, keyed by the version string in swoole_module_entry.
# A version the table does not know must fail clearly (EXIT_SYMBOL), not guess.
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole
command -v strip >/dev/null || skip "no strip (binutils)"
so=$("$PHP" -r 'echo ini_get("extension_dir");')/swoole.so
[ -f "$so" ] || skip "swoole.so is not in PHP's extension_dir"
version=$("$PHP" -r 'echo SWOOLE_VERSION;')
strip -s -o "$WORK/swoole.so" "$so" || fail "strip failed"
swoole_copy "$WORK/swoole.so"

ITER=30
php_start "$PHP_TESTS/swoole_leak.php" $ITER 10 census
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
[ -n "$TRUTH" ] || fail "target printed no TRUTH"
top_start
top_settle 1
t() { jq_php "$TRUTH" "\$j[\"$1\"]"; }
expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" swoole
expect coroutines_live "$(jq_php "$SNAP" '$j["totals"]["coroutines_live"]')" "$(t live)"
expect defers_pending "$(jq_php "$SNAP" '$j["totals"]["defers_pending"]')" "$(t defers_pending)"
# The body comes from the table's PHPContext.fci_cache (post-6.2.1 snapshots have none).
site() { jq_php "$SNAP" '(array_values(array_filter($j["sites"], fn($s) => $s["kind"] === "'"$1"'" && $s["site"] === "'"$2"'"))[0] ?? [])["pending"] ?? 0'; }
expect "defers at $(basename "$(t defer_site)")" "$(site defer "$(t defer_site)")" "$(t defers_pending)"
nm -D "$so" 2>/dev/null | grep -q ChannelBase15notify_producer ||
	expect "worker body $(basename "$(t worker_body)")" "$(site create "$(t worker_body)")" 1
php_stop

# Same module, its version string changed to one no table row has.
unknown=$(echo "$version" | tr '0-8' '9')
perl -0777 -pe "s/\\x00\\Q$version\\E\\x00/\\x00$unknown\\x00/g" "$WORK/swoole.so" >"$WORK/unknown.so"
swoole_copy "$WORK/unknown.so"
php_start "$PHP_TESTS/swoole_leak.php" 1 1 census
"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 -d 1 >"$WORK/top.json" 2>"$WORK/top.err"
rc=$?
expect "exit code for Swoole $unknown without DWARF" "$rc" 6
grep -q "$unknown" "$WORK/top.err" || { echo "error does not name the version:"; cat "$WORK/top.err"; FAILED=1; }
finish
