#!/usr/bin/env bash
# Swoole, attached after the leak happened: the attach-time census must find the live
# coroutines and the worker's pending defers (probes saw none of them).
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole

ITER=40
php_start "$PHP_TESTS/swoole_leak.php" $ITER 10 census
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
[ -n "$TRUTH" ] || fail "target printed no TRUTH"
top_start
top_settle 1

t() { jq_php "$TRUTH" "\$j[\"$1\"]"; }
worker=$(t worker_cid)
row() { jq_php "$SNAP" '(array_values(array_filter($j["coroutines"], fn($c) => $c["id"] == '"$worker"'))[0] ?? [])["'"$1"'"] ?? "missing"'; }

expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" swoole
expect coroutines_live "$(jq_php "$SNAP" '$j["totals"]["coroutines_live"]')" "$(t live)"
expect defers_pending "$(jq_php "$SNAP" '$j["totals"]["defers_pending"]')" "$(t defers_pending)"
expect "worker $worker defers_pending" "$(row defers_pending)" "$(t worker_pending)"
expect "worker $worker site" "$(row site)" "$(t defer_site)"
finish
