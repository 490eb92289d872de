#!/usr/bin/env bash
# Pending Swoole timers (Timer::after, Timer::tick), Event::add callbacks and Event::defer
# tasks, by the line their closure starts at, with the classes of the objects those
# closures capture: on a core (codefer-dump, gdb) and the live process (gdb attached,
# codefer-top --no-probes),
# exactly as the target counts them. Fired and cleared timers and coroutine sleeps are not pending timers.
# Twice: with swoole.so's DWARF and .symtab, and stripped (tables; Event::defer tasks and
# Event::add callbacks are found through local symbols: then not listed).
. "$(dirname "$0")/php_lib.sh"
need_swoole_cores

# check HOW KINDS: KINDS is a regex of the site kinds codefer must list.
check() {
	local how=$1 kinds=$2 want site n
	php_start "$PHP_TESTS/swoole_timers.php" 9 4 5 3
	"$CODEFER_TOP" -p "$TARGET_PID" --no-probes --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err" ||
		fail "codefer-top --no-probes failed: $(cat "$WORK/top.err")"
	php_reports 'codefer timers'

	# The truth's sites of the kinds listed, as "site pending Class=n,..." lines.
	want=$(jq_php "$TRUTH" 'implode("\n", array_map(fn($s, $v) => "$s {$v["pending"]} " . implode(",", array_map(fn($c, $n) => "$c=$n", array_keys($v["captures"]), $v["captures"])), array_keys(array_filter($j["sites"], fn($v) => preg_match("/'"$kinds"'/", $v["kind"]))), array_filter($j["sites"], fn($v) => preg_match("/'"$kinds"'/", $v["kind"]))))')
	n=$(jq_php "$TRUTH" 'array_sum(array_map(fn($v) => $v["pending"], array_filter($j["sites"], fn($v) => preg_match("/'"$kinds"'/", $v["kind"]))))')
	expect "$how: timers pending" "$(jq_php "$SNAP" '$j["timers"]["pending"]')" "$n"
	expect "$how: timer sites" "$(jq_php "$SNAP" 'implode("\n", (function ($v) { sort($v); return $v; })(array_map(fn($s) => "{$s["site"]} {$s["pending"]} " . implode(",", array_map(fn($c, $n) => "$c=$n", array_keys($s["captures"]), $s["captures"])), $j["timers"]["sites"])))')" \
		"$(sort <<<"$want")"
	# codefer-top: the same figures in totals and in the sites of kind timer (captures in
	# any order).
	expect "$how: codefer-top timers pending" "$(jq '.totals.timers_pending' "$WORK/top.json")" "$n"
	expect "$how: codefer-top timer sites" \
		"$(jq -r '.sites[] | select(.kind == "timer") | "\(.site) \(.pending) " + ([.captures | to_entries[] | "\(.key)=\(.value)"] | sort | join(","))' "$WORK/top.json" | sort)" \
		"$(while read -r site pending caps; do echo "$site $pending $(tr , '\n' <<<"$caps" | sort | paste -sd,)"; done <<<"$want" | sort)"
	# gdb prints "PENDING SITE  captures A=1, B=2": the same lines, reordered.
	for out in gdb gdb-live; do
		expect "$how: $out pending" "$(grep -o 'PENDING TIMERS ([0-9]*)' "$WORK/$out.out")" "PENDING TIMERS ($n)"
		expect "$how: $out sites" "$(grep -E '^ +[0-9]+  ' "$WORK/$out.out" | sed -E 's/^ +([0-9]+)  ([^ ]+)(  captures )?/\2 \1 /; s/, /,/g; s/ $//' | sort)" \
			"$(sort <<<"$want" | sed 's/ $//')"
	done
	grep -q Traceback "$WORK/gdb.out" "$WORK/gdb-live.out" && fail "python traceback in gdb"
}

check dwarf 'after|tick|defer|event'
swoole_copy "$WORK/swoole.so"
check stripped 'after|tick'
finish
