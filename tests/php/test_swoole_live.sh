#!/usr/bin/env bash
# Swoole, attached before the target runs: the Hyperf bug (one defer per loop iteration in
# a coroutine that never ends), short-lived coroutines whose defers run, and a Channel
# pool with returned, held and orphaned connections. Every number must match the truth
# the PHP script counted itself.
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole

ITER=60
SHORT=25
php_start "$PHP_TESTS/swoole_leak.php" $ITER $SHORT live
top_start
go
top_settle 2

t() { jq_php "$TRUTH" "\$j[\"$1\"]"; }
tot() { jq_php "$SNAP" "\$j[\"totals\"][\"$1\"]"; }
worker=$(t worker_cid)
row() { jq_php "$SNAP" '(array_values(array_filter($j["coroutines"], fn($c) => $c["id"] == '"$worker"'))[0] ?? [])["'"$1"'"] ?? "missing"'; }
pool() { jq_php "$SNAP" '(array_values(array_filter($j["pools"], fn($p) => $p["gets"] > 0))[0] ?? [])["'"$1"'"] ?? "missing"'; }

expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" swoole
expect coroutines_created "$(tot coroutines_created)" "$(t created)"
expect coroutines_exited "$(tot coroutines_exited)" "$(t exited)"
expect coroutines_live "$(tot coroutines_live)" "$(t live)"
expect defers_registered "$(tot defers_registered)" "$(t defers_registered)"
expect defers_pending "$(tot defers_pending)" "$(t defers_pending)"
expect defers_run "$(tot defers_run)" "$(t defers_run)"
expect "worker $worker defers_pending" "$(row defers_pending)" "$(t worker_pending)"
expect "worker $worker conns_held" "$(row conns_held)" "$(t worker_conns)"
expect "worker $worker site" "$(row site)" "$(t defer_site)"
expect "top site pending" \
	"$(jq_php "$SNAP" '(array_values(array_filter($j["sites"], fn($s) => $s["site"] === "'"$(t defer_site)"'"))[0] ?? [])["pending"] ?? "missing"')" \
	"$(t worker_pending)"
expect "pools with traffic" "$(jq_php "$SNAP" 'count(array_filter($j["pools"], fn($p) => $p["gets"] > 0))')" 1
expect "pool gets" "$(pool gets)" "$(t gets)"
expect "pool puts" "$(pool puts)" "$(t puts)"
expect "pool outstanding" "$(pool outstanding)" "$(t outstanding)"
expect "pool orphans" "$(pool orphans)" "$(t orphans)"
expect conns_outstanding "$(tot conns_outstanding)" "$(t outstanding)"
expect conns_orphaned "$(tot conns_orphaned)" "$(t orphans)"
finish
