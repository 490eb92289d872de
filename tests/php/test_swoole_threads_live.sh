#!/usr/bin/env bash
# Swoole's thread mode, live (codefer-top's probes): every thread has its own coroutines,
# cids from 1, so the probes key them by (thread, cid). Attached after each thread has
# parked coroutines with pending defers (the census), then every thread ends one of those,
# runs short coroutines and parks new ones holding a connection of its own pool, clears a
# timer and arms new ones. Each
# coroutine's pending defers and connections, the totals, the pools and the pending
# timers must match what every thread counted, and the table and JSON must name the
# thread.
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole_threads

php_start "$PHP_TESTS/swoole_threads.php" 3 3 4 live 4
top_start
go
top_settle 2

# Per thread, what it counted since attach; the sum over the threads.
sum() { jq_php "$TRUTH" 'array_sum(array_column($j["threads"], "'"$1"'"))'; }
tot() { jq_php "$SNAP" '$j["totals"]["'"$1"'"]'; }
expect version "$(jq_php "$SNAP" 'str_ends_with($j["version"], ", threads")')" true
expect coroutines_created "$(tot coroutines_created)" "$(sum created)"
expect coroutines_exited "$(tot coroutines_exited)" "$(sum exited)"
expect coroutines_live "$(tot coroutines_live)" \
	"$(jq_php "$TRUTH" 'array_sum(array_map(fn($t) => count($t["coroutines"]), $j["threads"]))')"
expect defers_registered "$(tot defers_registered)" "$(sum registered)"
expect defers_run "$(tot defers_run)" "$(sum run)"
expect defers_pending "$(tot defers_pending)" \
	"$(jq_php "$TRUTH" 'array_sum(array_map(fn($t) => array_sum(array_column($t["coroutines"], 0)), $j["threads"]))')"
expect conns_outstanding "$(tot conns_outstanding)" "$(sum outstanding)"
expect lost "$(tot lost)" 0

# Every coroutine by (thread, cid), sorted: "THREAD SEP CID" then its first N figures of
# (pending defers, connections held), from the truth or from codefer-top's JSON.
truth_rows() {
	jq_php "$TRUTH" 'implode("\n", array_merge(...array_map(fn($tid, $t) => array_map(
		fn($cid, $v) => "$tid'"$1"'$cid " . implode(" ", array_slice($v, 0, '"$2"')),
		array_keys($t["coroutines"]), $t["coroutines"]), array_keys($j["threads"]), $j["threads"])))' | sort
}
json_rows() {
	jq_php "$1" 'implode("\n", array_map(fn($c) => "{$c["thread"]} {$c["id"]} " .
		implode(" ", array_slice([$c["defers_pending"], $c["conns_held"]], 0, '"$2"')), $j["coroutines"]))' | sort
}
expect "per coroutine: thread cid pending conns" "$(json_rows "$SNAP" 2)" "$(truth_rows ' ' 2)"
# The defers registered since attach, at the line that registered them (each thread's
# PHP frame, read through its own executor globals).
site=$(jq_php "$TRUTH" 'array_values($j["threads"])[0]["live_site"]')
expect "pending at $(basename "$site")" \
	"$(jq_php "$SNAP" '(array_values(array_filter($j["sites"], fn($s) => $s["site"] === '"'$site'"'))[0] ?? [])["pending"] ?? "missing"')" \
	"$(jq_php "$TRUTH" 'array_sum(array_map(fn($t) => array_sum(array_column(array_filter($t["coroutines"], fn($v) => $v[1] > 0), 0)), $j["threads"]))')"
# One pool per thread (a Channel of its own): "gets puts outstanding".
expect "pools: gets puts outstanding" \
	"$(jq_php "$SNAP" 'implode("\n", array_map(fn($p) => "{$p["gets"]} {$p["puts"]} {$p["outstanding"]}", array_filter($j["pools"], fn($p) => $p["gets"] > 0)))' | sort)" \
	"$(jq_php "$TRUTH" 'implode("\n", array_map(fn($t) => "{$t["gets"]} {$t["puts"]} {$t["outstanding"]}", $j["threads"]))' | sort)"

# Pending timers by site (each thread's ids start at 1): the census's by their closure's
# line, those armed since attach by the line arming them; each captures one Request.
expect "timer sites: site pending captures" \
	"$(jq_php "$SNAP" 'implode("\n", array_map(fn($s) => "{$s["site"]} {$s["pending"]} " . json_encode($s["captures"]), array_filter($j["sites"], fn($s) => $s["kind"] === "timer")))' | sort)" \
	"$(jq_php "$TRUTH" '(function ($n) { return implode("\n", array_map(fn($s, $v) => "$s $v {\"Request\":$v}", array_keys($n), $n)); })(array_reduce($j["threads"], function ($n, $t) { foreach ($t["timers"] as $s => $v) { $n[$s] = ($n[$s] ?? 0) + $v; } return $n; }, []))' | sort)"

# The text table names each coroutine THREAD:CID; walks alone (--no-probes) see the same.
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err" || fail "codefer-top -b failed"
expect "text rows THREAD:CID pending" "$(awk '$1 ~ /^[0-9]+:[0-9]+$/ { print $1, $4 }' "$WORK/top.txt" | sort)" \
	"$(truth_rows : 1)"
"$CODEFER_TOP" -p "$TARGET_PID" --no-probes --json -n 1 >"$WORK/walk.json" 2>"$WORK/top.err" ||
	fail "codefer-top --no-probes failed"
expect "--no-probes: thread cid pending" "$(json_rows "$(cat "$WORK/walk.json")" 1)" "$(truth_rows ' ' 1)"
finish
