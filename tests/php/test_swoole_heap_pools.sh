#!/usr/bin/env bash
# Hyperf- and Swoft-shaped pools read from the PHP heap, on a core (codefer-dump, gdb) and
# on the live process (gdb attached): per pool, what its objects say (open, idle, max,
# waiters), the connections out, the live coroutines holding them (context or locals) and
# the orphans (hyperf#7351: pipeline() never releasing), each exactly as the target counts.
# With swoole.so's DWARF, with a stripped copy (codefer's offset tables), and in thread
# mode when CODEFER_PHP_ZTS names a thread-safe PHP with it.
. "$(dirname "$0")/php_lib.sh"
need_swoole_cores
# check HOW: runs the target, takes a core, compares every pool with the target's truth.
check() {
	local how=$1 npools i k label line
	rm -f "$WORK/leak"
	php_start "$PHP_TESTS/swoole_pools.php" "$WORK/leak"
	# codefer-top, with probes (thread mode: census only) and without: the same figures.
	# With probes, attached while "sub" leaks more, one of them made without its channel:
	# the walks at snapshots see it (the probes do not), and the state after is checked.
	local modes=(--no-probes) mode
	if [ "$how" != "thread mode" ]; then
		modes+=(probes)
		top_start
		touch "$WORK/leak"
		for ((k = 0; k < 300; k++)); do
			[ "$(grep -c '^TRUTH ' "$WORK/php.out")" -ge 2 ] && break
			sleep 0.1
		done
		top_settle 2
		cp "$WORK/snap.json" "$WORK/topprobes.json"
	fi
	"$CODEFER_TOP" -p "$TARGET_PID" --no-probes --json -n 1 >"$WORK/top--no-probes.json" \
		2>"$WORK/top.err" || fail "codefer-top --no-probes failed: $(cat "$WORK/top.err")"
	php_reports 'codefer pools'

	npools=$(jq_php "$TRUTH" 'count($j["pools"])')
	expect "$how: pools found" "$(jq_php "$SNAP" 'count(array_filter($j["pools"], fn($p) => isset($p["name"])))')" "$npools"
	for ((i = 0; i < npools; i++)); do
		t() { jq_php "$TRUTH" "\$j[\"pools\"][$i][\"$1\"]"; }
		label=$(t label)
		# p EXPR: EXPR over this pool's entry ($p) in the dump.
		p() { jq_php "$SNAP" '(function ($p) { return '"$1"'; })(array_values(array_filter($j["pools"], fn($p) => ($p["name"] ?? "") === '"$(jq_php "$TRUTH" "var_export(\$j['pools'][$i]['label'], true)")"'))[0] ?? [])'; }
		for k in open idle max waiters; do
			expect "$how: $label $k" "$(p '$p["'$k'"] ?? "missing"')" "$(t $k)"
		done
		expect "$how: $label out" "$(p '$p["out"] ?? "missing"')" "$(t outstanding)"
		expect "$how: $label held" "$(p '$p["held"] ?? "missing"')" "$(t held)"
		expect "$how: $label orphaned" "$(p '$p["orphans"] ?? "missing"')" "$(t orphaned)"
		expect "$how: $label holders" \
			"$(p 'implode(",", (function ($v) { sort($v); return $v; })(array_map(fn($k) => $k["coroutine"], $p["conns"] ?? [])))')" \
			"$(jq_php "$TRUTH" 'implode(",", (function ($v) { sort($v); return $v; })($j["pools"]['"$i"']["holders"]))')"
		for mode in "${modes[@]}"; do
			expect "$how: codefer-top $mode: $label out, orphaned" \
				"$(jq -r --arg n "$label" '.pools[] | select(.name == $n) | "\(.outstanding) \(.orphans)"' "$WORK/top$mode.json")" \
				"$(t outstanding) $(t orphaned)"
		done
		line="$(t open) open, $(t idle) idle, max $(t max), $(t waiters) waiting; $(t outstanding) out: $(t held) held, $(t orphaned) orphaned"
		expect "$how: gdb core $label" "$(grep -F " $label: " "$WORK/gdb.out" | sed 's/^pool [^ ]* [^ ]*: //')" "$line"
		expect "$how: gdb live $label" "$(grep -F " $label: " "$WORK/gdb-live.out" | sed 's/^pool [^ ]* [^ ]*: //')" "$line"
	done
	for mode in "${modes[@]}"; do
		expect "$how: codefer-top $mode: totals out, orphaned" \
			"$(jq -r '.totals | "\(.conns_outstanding) \(.conns_orphaned)"' "$WORK/top$mode.json")" \
			"$(jq_php "$TRUTH" 'array_sum(array_column($j["pools"], "outstanding")) . " " . array_sum(array_column($j["pools"], "orphaned"))')"
	done
	grep -q Traceback "$WORK/gdb.out" "$WORK/gdb-live.out" && fail "python traceback in gdb"
}

check dwarf
swoole_copy "$WORK/swoole.so"
check stripped
# Swoole's thread mode, when a thread-safe PHP with it is named (see test_swoole_threads.sh).
if zts_php; then
	check "thread mode"
fi
finish
