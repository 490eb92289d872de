#!/usr/bin/env bash
# State kept for ended coroutines: static arrays and globals keyed by coroutine ids that
# a cleanup path never dropped (Swoft's pipeMessage), directly or one level down, next to
# integer-keyed arrays that must not be reported (live ids only, user ids, a list, too few
# entries). On a core (codefer-dump, gdb) and live (gdb attached), with swoole.so's DWARF
# and stripped; each array exactly as the target counts it.
. "$(dirname "$0")/php_lib.sh"
need_swoole_cores

check() {
	local how=$1 want
	php_start "$PHP_TESTS/swoole_stale.php" 30 25
	"$CODEFER_TOP" -p "$TARGET_PID" --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err" ||
		fail "codefer-top failed: $(cat "$WORK/top.err")"
	php_reports 'codefer stale'

	# "entries oldest newest where" per array, sorted.
	want=$(jq_php "$TRUTH" 'implode("\n", array_map(fn($s) => "{$s["entries"]} {$s["oldest_id"]} {$s["newest_id"]} {$s["where"]}", $j["stale"]))' | sort)
	expect "$how: stale_state" "$(jq_php "$SNAP" 'implode("\n", array_map(fn($s) => "{$s["entries"]} {$s["oldest_id"]} {$s["newest_id"]} {$s["where"]}", $j["stale_state"]))' | sort)" "$want"
	expect "$how: codefer-top stale_state" \
		"$(jq -r '.stale_state[] | "\(.entries) \(.oldest_id) \(.newest_id) \(.where)"' "$WORK/top.json" | sort)" "$want"
	for out in gdb gdb-live; do
		expect "$how: $out stale" "$(sed -n '/^ ENTRIES/,$p' "$WORK/$out.out" | grep -E '^ +[0-9]' | sed -E 's/^ +//; s/ +/ /g' | sort)" "$want"
	done
	grep -q Traceback "$WORK/gdb.out" "$WORK/gdb-live.out" && fail "python traceback in gdb"
}

check dwarf
swoole_copy "$WORK/swoole.so"
check stripped
finish
