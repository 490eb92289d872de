#!/usr/bin/env bash
# Swoole's thread mode (a thread-safe PHP, Swoole built with --enable-swoole-thread):
# every thread has its own coroutines, cids from 1. On a core (codefer-dump, gdb) and the
# live process (gdb attached), the coroutines of each thread and their pending defers,
# keyed by (thread, cid), exactly as each thread counts them.
# Debian has no thread-safe PHP: CODEFER_PHP_ZTS names one (built by hand; see README).
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole_threads
[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
command -v gcore >/dev/null || skip "no gcore (gdb)"
command -v strip >/dev/null || skip "no strip (binutils)"

# check HOW: the target on $PHP, then every figure against its truth.
check() {
	local how=$1 want out
	php_start "$PHP_TESTS/swoole_threads.php" 3 4 5
	php_reports 'codefer list'

	# "thread coroutines defers" per thread, sorted.
	want=$(jq_php "$TRUTH" 'implode("\n", array_map(fn($t, $v) => "$t {$v["coroutines"]} {$v["defers"]}", array_keys($j["threads"]), $j["threads"]))' | sort)
	expect "$how: per thread (dump)" "$(jq_php "$SNAP" '(function ($c) { $t = []; foreach ($c as $x) { $k = $x["thread"] ?? 0; $t[$k][0] = ($t[$k][0] ?? 0) + 1; $t[$k][1] = ($t[$k][1] ?? 0) + $x["defers_pending"]; } return implode("\n", array_map(fn($k, $v) => "$k $v[0] $v[1]", array_keys($t), $t)); })($j["coroutines"])' | sort)" "$want"
	expect "$how: cids start at 1 in every thread" \
		"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($x) => $x["id"] == 1))')" \
		"$(jq_php "$TRUTH" 'count($j["threads"])')"
	expect "$how: defers at $(basename "$(jq_php "$TRUTH" 'array_values($j["threads"])[0]["defer_site"]')")" \
		"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($x) => $x["defers_pending"] && $x["top_site"] === '"$(jq_php "$TRUTH" 'var_export(array_values($j["threads"])[0]["defer_site"], true)')"'))')" \
		"$(jq_php "$TRUTH" 'array_sum(array_map(fn($v) => $v["coroutines"] - 1, $j["threads"]))')"
	# Each thread's heap: its pending timers (one site, all threads) and its stale state.
	expect "$how: timers pending" "$(jq_php "$SNAP" '$j["timers"]["pending"]')" \
		"$(jq_php "$TRUTH" 'array_sum(array_column($j["threads"], "timers"))')"
	expect "$how: stale state per thread" \
		"$(jq_php "$SNAP" 'implode("\n", array_map(fn($s) => "{$s["where"]} {$s["entries"]} {$s["oldest_id"]} {$s["newest_id"]}", $j["stale_state"]))' | sort)" \
		"$(jq_php "$TRUTH" 'implode("\n", array_map(fn($t, $v) => "[thread $t] Registry::\$perCoroutine " . implode(" ", $v["stale"]), array_keys($j["threads"]), $j["threads"]))' | sort)"
	for out in gdb gdb-live; do
		expect "$how: per thread ($out)" "$(awk '$1 ~ /^[0-9]+:[0-9]+$/ { split($1, a, ":"); n[a[1]]++; d[a[1]] += $3 } END { for (k in n) print k, n[k], d[k] }' "$WORK/$out.out" | sort)" "$want"
	done
	grep -q Traceback "$WORK/gdb.out" "$WORK/gdb-live.out" && fail "python traceback in gdb"
}

check "ZTS PHP"
# Stripped (no .symtab): the TSRM cache is found through what PHP exports for its JIT.
strip -s -o "$WORK/php" "$PHP" || fail "strip failed"
PHP=$WORK/php
check "stripped ZTS PHP"
# And Swoole stripped too: its offsets and PHP's from their tables (those of the NTS
# builds: thread mode changes none of them).
strip -s -o "$WORK/swoole.so" "$("$PHP" -r 'echo ini_get("extension_dir");')/swoole.so" ||
	fail "strip failed"
PHP_ARGS=(-d "extension=$WORK/swoole.so")
check "stripped ZTS PHP and Swoole"
finish
