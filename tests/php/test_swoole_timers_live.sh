#!/usr/bin/env bash
# Pending Swoole timers, Event::add callbacks and Event::defer tasks followed by
# codefer-top's probes: those armed since attach by the line that armed them (Event::set's
# for a callback it replaced), those from before by their closure's first line (the
# census), with the classes their closures capture; timers that fire for the last time or
# are cleared, tasks that ran and callbacks of sockets deleted, from before or after
# attach, are gone; a socket closed with its callback in keeps it (Swoole's Event::isset
# says so); coroutine sleeps are not counted.
# Exactly as the target counts them. Then the same on a thread-safe PHP when
# CODEFER_PHP_ZTS names one (Swoole's thread mode: the timers of the main thread; see
# test_swoole_threads_live.sh for several).
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole

check() {
	local how=$1
	php_start "$PHP_TESTS/swoole_timers_live.php" 4 5 2 3
	top_start
	go
	top_settle 2
	expect "$how: timers pending" "$(jq_php "$SNAP" '$j["totals"]["timers_pending"]')" \
		"$(jq_php "$TRUTH" 'array_sum(array_column($j["sites"], "pending"))')"
	# "site pending Class=n,..." per site, classes sorted.
	expect "$how: timer sites" \
		"$(jq_php "$SNAP" 'implode("\n", array_map(function ($s) { ksort($s["captures"]); return "{$s["site"]} {$s["pending"]} " . implode(",", array_map(fn($c, $n) => "$c=$n", array_keys($s["captures"]), $s["captures"])); }, array_filter($j["sites"], fn($s) => $s["kind"] === "timer")))' | sort)" \
		"$(jq_php "$TRUTH" 'implode("\n", array_map(function ($s, $v) { ksort($v["captures"]); return "$s {$v["pending"]} " . implode(",", array_map(fn($c, $n) => "$c=$n", array_keys($v["captures"]), $v["captures"])); }, array_keys($j["sites"]), $j["sites"]))' | sort)"
	expect "$how: lost" "$(jq_php "$SNAP" '$j["totals"]["lost"]')" 0
	# Attached again, now that all are from before attach (the census), in text: the
	# section's count, with probes and with --no-probes (the walks).
	want=$(jq_php "$TRUTH" 'array_sum(array_column($j["sites"], "pending"))')
	for opt in "" --no-probes; do
		"$CODEFER_TOP" -p "$TARGET_PID" -b -n 2 -d 0.3 ${opt:+"$opt"} >"$WORK/top.txt" 2>"$WORK/top.err" ||
			fail "codefer-top $opt failed: $(cat "$WORK/top.err")"
		expect "$how, text ${opt:-with probes}: PENDING TIMERS" \
			"$(grep -oE 'PENDING TIMERS \([0-9]+,' "$WORK/top.txt" | tail -n 1)" "PENDING TIMERS ($want,"
	done
	# The probes' values saved per coroutine make no coroutine of their own.
	expect "$how: coroutines live" "$(jq_php "$SNAP" '$j["totals"]["coroutines_live"]')" \
		"$(jq_php "$TRUTH" '$j["coroutines"]')"
	php_stop
}

check nts
if zts_php; then
	check "thread mode"
fi
finish
