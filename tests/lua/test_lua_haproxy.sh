#!/usr/bin/env bash
# HAProxy, a real server embedding Lua 5.3 (Debian's package, unpacked): its Lua tasks
# and the coroutine it makes for each request that runs a Lua action, all created by its
# C code (lua_newthread on a state running no Lua function). The census at attach lists
# every task, named by its function's definition; each request made while attached is
# one coroutine created, with no create site (no Lua line made it) and no event lost.
. "$(dirname "$0")/lua_lib.sh"
need_root
root=$BUILD/haproxy
"$LUA_TESTS/../../scripts/install-deps.sh" --haproxy "$root" ||
	skip "haproxy cannot be unpacked from the Debian archive"
command -v curl >/dev/null || skip "no curl"
TASKS=12
REQUESTS=25
PORT=$(free_port)
cat >"$WORK/haproxy.cfg" <<CFG
global
  lua-load $LUA_TESTS/haproxy.lua
  nbthread 1
defaults
  mode http
  timeout client 10s
  timeout server 10s
  timeout connect 1s
frontend codefer
  bind 127.0.0.1:$PORT
  http-request lua.codefer
  http-request return status 200 content-type text/plain string ok
CFG

CODEFER_TASKS=$TASKS LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu \
	"$root/usr/sbin/haproxy" -f "$WORK/haproxy.cfg" -db >"$WORK/target.out" 2>&1 &
TARGET_PID=$!
wait_for '^TASK$' $TASKS
top_start
for ((i = 0; i < REQUESTS; i++)); do
	curl -sf "http://127.0.0.1:$PORT/" >/dev/null || fail "request $i failed"
done
wait_for '^REQ$' $REQUESTS
top_next 2
kill -INT "$TOP_PID"
top_wait 30 || fail "codefer-top failed on SIGINT"

taskfn=$(sed -n 's/^TASKFN \(.*\)/\1/p' "$WORK/target.out")
snap=$WORK/snap.json
expect "runtime" "$(jq -r .runtime "$snap")" lua
expect "census: tasks named by their function ($taskfn)" \
	"$(jq --arg s "$taskfn" '[.coroutines[] | select(.census and .create_site == $s)] | length' "$snap")" \
	"$(grep -c '^TASK$' "$WORK/target.out")"
expect "coroutines created while attached (a request each)" \
	"$(jq .totals.coroutines_created "$snap")" "$(grep -c '^REQ$' "$WORK/target.out")"
expect "of them with a create site" \
	"$(jq '[.coroutines[] | select((.census | not) and .create_site != null)] | length' "$snap")" 0
expect "lost events" "$(jq .totals.lost "$snap")" 0
finish
