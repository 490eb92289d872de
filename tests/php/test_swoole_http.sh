#!/usr/bin/env bash
# A Swoole HTTP server (tests/php/swoole_http.php), as a service runs one: codefer-top
# attached while requests come in counts every coroutine its requests make and end, with
# nothing lost (a request's coroutine is made from the event loop, where no coroutine
# runs), and the parked ones' pending defers; codefer-dump on a core of it finds the
# timers, the lines the parked coroutines wait at and Swoole's version (the server maps
# shared memory from /dev/zero around swoole.so: no module). Exactly as the server counts.
. "$(dirname "$0")/php_lib.sh"
need_swoole_cores
command -v curl >/dev/null || skip "no curl"

port=$(free_port)
php_start "$PHP_TESTS/swoole_http.php" "$port"
get() { curl -s --max-time 10 "http://127.0.0.1:$port$1" || fail "GET $1 failed"; }

get /park >/dev/null
get /hang >/dev/null
before=$(get /truth)
top_start
for path in /ok /ok /ok /park /hang; do
	get "$path" >/dev/null
done
top_settle 2
TRUTH=$(get /truth)
t() { jq_php "$TRUTH" "$1"; }

expect "live: nothing lost" "$(jq '.totals.lost' "$WORK/snap.json")" 0
expect "live: coroutines created" "$(jq '.totals.coroutines_created' "$WORK/snap.json")" \
	"$(($(t '$j["created"]') - $(jq_php "$before" '$j["created"]')))"
expect "live: coroutines ended" "$(jq '.totals.coroutines_exited' "$WORK/snap.json")" \
	"$(($(t '$j["exited"]') - $(jq_php "$before" '$j["exited"]')))"
# "cid defers" of each parked coroutine, and "cid defers wait" for the core.
want=$(t 'implode("\n", array_map(fn($p) => "{$p["cid"]} {$p["defers"]}", $j["parked"]))' | sort)
expect "live: parked coroutines' pending defers" \
	"$(jq -r --argjson c "$(t 'json_encode(array_column($j["parked"], "cid"))')" \
		'.coroutines[] | select(.id | IN($c[])) | "\(.id) \(.defers_pending)"' "$WORK/snap.json" | sort)" "$want"

gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
php_stop
"$CODEFER_DUMP" --json "$WORK/core.$(sed -n 's/^READY //p' "$WORK/php.out")" >"$WORK/dump.json" \
	2>"$WORK/dump.err" || fail "codefer-dump failed: $(cat "$WORK/dump.err")"
expect "core: Swoole's version" "$(jq -r '.version' "$WORK/dump.json" | grep -c '^Swoole [0-9]')" 1
expect "core: timers pending" "$(jq '.timers.pending' "$WORK/dump.json")" "$(t '$j["timers"]')"
expect "core: parked coroutines, defers, wait lines" \
	"$(jq -r --argjson c "$(t 'json_encode(array_column($j["parked"], "cid"))')" \
		'.coroutines[] | select(.id | IN($c[])) | "\(.id) \(.defers_pending) \(.wait_site)"' "$WORK/dump.json" | sort)" \
	"$(t 'implode("\n", array_map(fn($p) => "{$p["cid"]} {$p["defers"]} {$p["wait"]}", $j["parked"]))' | sort)"
finish
