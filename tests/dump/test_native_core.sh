#!/usr/bin/env bash
# Post mortem on the native fixture (ucoro): a core taken after a leaking workload must
# show every live coroutine with its pending defers and held connections, the pool's
# outstanding and orphaned connections, and the line that leaks; codefer-dump --json, its
# text and gdb's `codefer summary` must all agree with the target's own truth.
. "$(dirname "$0")/dump_lib.sh"
need_basics

leaky_worked
echo "more 25" >&3
wait_for '^DONE' 2
echo "exit 2" >&3
wait_for '^DONE' 3
core=$(take_core core)

# The truth printed after the last command (the core was taken after it).
awk '/^DONE/ { n++ } n == 2 && /^TRUTH / { sub(/^TRUTH /, ""); print }' "$WORK/target.out" \
	>"$WORK/truth"
jq -s '[.[] | select(.coro)]' "$WORK/truth" >"$WORK/coros.json"
tot() { jq -r "select(.created) | .$1" "$WORK/truth"; }
ncoros=$(jq length "$WORK/coros.json")
pending=$(jq '[.[].pending] | add' "$WORK/coros.json")
held=$(jq '[.[].conns_held] | add' "$WORK/coros.json")
[ "$ncoros" -gt 0 ] || fail "target printed no coroutine truth"

"$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err" || fail "codefer-dump --json failed ($?)"
J="$WORK/dump.json"
expect runtime "$(jq_get "$J" .runtime)" ucoro
expect coroutines "$(jq_get "$J" .summary.coroutines)" "$ncoros"
expect defers_pending "$(jq_get "$J" .summary.defers_pending)" "$pending"
expect conns_held "$(jq_get "$J" .summary.conns_held)" "$held"
expect conns_out "$(jq_get "$J" .summary.conns_out)" "$(tot outstanding)"
expect orphans "$(jq_get "$J" .summary.orphans)" "$(tot orphans)"
expect "per coroutine: id pending conns" \
	"$(jq -r '.coroutines[] | "\(.id) \(.defers_pending) \(.conns_held) \(.defers | length)"' "$J" | sort -n | tr '\n' ' ')" \
	"$(jq -r '.[] | "\(.coro) \(.pending) \(.conns_held) \(.pending)"' "$WORK/coros.json" | sort -n | tr '\n' ' ')"
expect warnings "$(jq_get "$J" '.warnings | length')" 0

# The leak: the worker's defer line, first in the site ranking with all its defers.
line=$(awk '/^static void worker_body/ { f = 1 } f && /uco_defer\(/ { print NR; exit }' "$TESTS/native/leaky.c")
worker=$(jq 'max_by(.pending).coro' "$WORK/coros.json")
worker_pending=$(jq 'max_by(.pending).pending' "$WORK/coros.json")
top=$(jq_get "$J" '.summary.sites[0].site')
expect "top site is worker_body, leaky.c:$line" \
	"$(echo "$top" | sed -n "s/^\(worker_body\)\(+0x[0-9a-f]*\)\{0,1\} .*\(leaky.c:[0-9]*\)$/\1 \3/p")" \
	"worker_body leaky.c:$line"
expect "top site pending" "$(jq_get "$J" '.summary.sites[0].pending')" "$worker_pending"
expect "worker's newest defer site" "$(jq -r '.coroutines[] | select(.id == '"$worker"') | .defers[0].site' "$J")" "$top"

want="$ncoros coroutines, $pending pending defers, $held connections held ($(tot outstanding) out of their pools, $(tot orphans) orphaned)"
"$CODEFER_DUMP" "$core" >"$WORK/dump.txt" 2>"$WORK/dump.err" || fail "codefer-dump (text) failed ($?)"
expect "codefer-dump text" "$(grep ' coroutines, ' "$WORK/dump.txt")" "$want"

gdb_codefer "$LEAKY" "$core" 'codefer summary' >"$WORK/gdb.out"
expect "gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" "$want"
expect "gdb top site" "$(grep -A1 'PENDING' "$WORK/gdb.out" | tail -n 1 | sed 's/^ *//')" \
	"$worker_pending  $top"
gdb_codefer "$LEAKY" "$core" "codefer defers $worker" >"$WORK/gdb.out"
expect "gdb codefer defers $worker" "$(grep -c 'registered at' "$WORK/gdb.out")" "$worker_pending"
expect "gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0
# One id mistyped: the others are listed all the same, then the error.
gdb_codefer "$LEAKY" "$core" "codefer defers $worker 999999" >"$WORK/gdb.out"
expect "gdb codefer defers $worker 999999: $worker's" "$(grep -c 'registered at' "$WORK/gdb.out")" "$worker_pending"
expect "gdb codefer defers $worker 999999: the error" "$(grep -c '^codefer: no coroutine 999999$' "$WORK/gdb.out")" 1

# The same commands on the live process (gdb -p) agree with the core.
gdb -batch -nx -p "$TARGET_PID" -x "$CODEFER_PY" -ex 'codefer summary' >"$WORK/gdb.out" 2>&1
expect "gdb -p codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" "$want"
finish
