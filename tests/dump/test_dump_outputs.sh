#!/usr/bin/env bash
# Every output of the post-mortem side, against the ucoro fixture's own truth: codefer-dump's
# text (each coroutine row, each connection out, the orphans), its JSON keys and pools,
# `-r` with a valid runtime (the same report), with a runtime the core lacks (exit 6), and
# bad command lines (exit 2, one line);
# gdb's `codefer list`, `pools`, `defers` with no ids, `help codefer`, the codefer-runtime
# setting, and the codefer-gdb launcher. No gdb output may be a Python exception.
. "$(dirname "$0")/dump_lib.sh"
need_basics

leaky_worked
echo "exit 2" >&3
wait_for '^DONE' 2
core=$(take_core core)
awk '/^DONE/ { n++ } n == 1 && /^TRUTH / { sub(/^TRUTH /, ""); print }' "$WORK/target.out" >"$WORK/truth"
jq -s '[.[] | select(.coro)]' "$WORK/truth" >"$WORK/coros.json"
tot() { jq -r "select(.created) | .$1" "$WORK/truth"; }
# rows: "ID PENDING CONNS" per live coroutine, sorted, from the truth.
rows=$(jq -r '.[] | "\(.coro) \(.pending) \(.conns_held)"' "$WORK/coros.json" | sort -n | paste -sd,)
pending=$(jq '[.[].pending] | add' "$WORK/coros.json")
[ -n "$rows" ] || fail "target printed no coroutine truth"

echo "-- codefer-dump: bad command lines"
for args in "" "--frobnicate $core" "-r cobol $core" "$core $WORK/a $WORK/b"; do
	# shellcheck disable=SC2086
	"$CODEFER_DUMP" $args >"$WORK/out" 2>"$WORK/err"
	expect "codefer-dump $args: exit code" "$?" 2
	expect "codefer-dump $args: one line" "$(wc -l <"$WORK/err")" 1
done

# -r naming a runtime the core does not have: 5 (no such runtime in it).
"$CODEFER_DUMP" -r lua "$core" >"$WORK/out" 2>"$WORK/err"
expect "codefer-dump -r lua: exit code" "$?" 5
expect "codefer-dump -r lua: one line" "$(wc -l <"$WORK/err")" 1

echo "-- codefer-dump text"
"$CODEFER_DUMP" "$core" >"$WORK/dump.txt" 2>"$WORK/dump.err"
expect "exit code" "$?" 0
expect "coroutine rows (id defers conns)" \
	"$(awk '/ID  STATE/ { f = 1; next } f && NF == 0 { exit } f { print $1, $3, $4 }' "$WORK/dump.txt" | sort -n | paste -sd,)" \
	"$rows"
expect "connections out" "$(grep -c '^ *0x[0-9a-f]* *0x[0-9a-f]* *[0-9]* ' "$WORK/dump.txt")" "$(tot outstanding)"
expect "orphans" "$(grep -c '(orphan: holder ended)$' "$WORK/dump.txt")" "$(tot orphans)"

echo "-- codefer-dump --json"
"$CODEFER_DUMP" --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err"
expect "exit code" "$?" 0
J=$WORK/dump.json
expect "documented keys present" "$(jq -c '[keys[] | select(IN("runtime", "coroutines", "pools", "summary", "warnings"))]' "$J")" \
	'["coroutines","pools","runtime","summary","warnings"]'
expect "coroutine keys" "$(jq -c '[.coroutines[] | keys] | unique' "$J")" \
	'[["conns_held","defers","defers_pending","id","origin","state","top_site","wait_site"]]'
expect "defer keys" "$(jq -c '[.coroutines[].defers[] | keys] | unique' "$J")" '[["function","site"]]'
expect "coroutines (id defers conns)" \
	"$(jq -r '.coroutines[] | "\(.id) \(.defers | length) \(.conns_held)"' "$J" | sort -n | paste -sd,)" "$rows"
expect "pools" "$(jq '.pools | length' "$J")" 1
expect "pool out" "$(jq '.pools[0].out' "$J")" "$(tot outstanding)"
expect "pool orphans" "$(jq '.pools[0].orphans' "$J")" "$(tot orphans)"
expect "pool conns listed" "$(jq '.pools[0].conns | length' "$J")" "$(tot outstanding)"
# Not orphaned: held by a live coroutine, as many as the truth's conns_held say.
expect "holders of the connections not orphaned" \
	"$(jq -r '.pools[0].conns[] | select(.orphan | not) | .coroutine' "$J" | sort -n | paste -sd,)" \
	"$(jq -r '.[] | select(.conns_held > 0) | range(.conns_held) as $i | .coro' "$WORK/coros.json" | sort -n | paste -sd,)"
expect "orphans' holders are not alive" \
	"$(jq -r --slurpfile c "$WORK/coros.json" '[.pools[0].conns[] | select(.orphan) | .coroutine | select(IN($c[0][].coro))] | length' "$J")" 0

echo "-- codefer-dump -r ucoro: the same report"
"$CODEFER_DUMP" --json -r ucoro "$core" >"$WORK/dump-r.json" 2>"$WORK/dump.err"
expect "exit code" "$?" 0
expect "same JSON as detected" "$(cmp -s "$J" "$WORK/dump-r.json" && echo same)" same

echo "-- gdb"
gdb_codefer "$LEAKY" "$core" 'codefer list' >"$WORK/gdb-list.out"
expect "codefer list rows" \
	"$(awk '/ID  STATE/ { f = 1; next } f && $1 ~ /^[0-9]+$/ { print $1, $3, $4 }' "$WORK/gdb-list.out" | sort -n | paste -sd,)" "$rows"
gdb_codefer "$LEAKY" "$core" 'codefer pools' >"$WORK/gdb-pools.out"
expect "codefer pools" "$(grep -c '^pool 0x[0-9a-f]* uco_pool: .* '"$(tot outstanding)"' out: [0-9]* held, '"$(tot orphans)"' orphaned$' "$WORK/gdb-pools.out")" 1
expect "codefer pools: conns" "$(grep -c '^  conn ' "$WORK/gdb-pools.out")" "$(tot outstanding)"
gdb_codefer "$LEAKY" "$core" 'codefer defers' >"$WORK/gdb-defers.out"
expect "codefer defers (no ids): coroutines" "$(grep -c '^coroutine ' "$WORK/gdb-defers.out")" \
	"$(jq '[.[] | select(.pending > 0)] | length' "$WORK/coros.json")"
expect "codefer defers (no ids): defers" "$(grep -c 'registered at' "$WORK/gdb-defers.out")" "$pending"
gdb_codefer "$LEAKY" "$core" 'help codefer' >"$WORK/gdb-help.out"
for sub in list defers pools summary; do
	expect "help codefer: $sub" "$(grep -c "^codefer $sub -- " "$WORK/gdb-help.out")" 1
done
gdb_codefer "$LEAKY" "$core" 'show codefer-runtime' 'set codefer-runtime cobol' 'codefer summary' \
	'set codefer-runtime ucoro' 'show codefer-runtime' 'codefer summary' >"$WORK/gdb-rt.out"
expect "runtime setting: default" "$(grep -c '^codefer runtime: detected$' "$WORK/gdb-rt.out")" 1
expect "runtime setting: unknown" "$(grep -c "^codefer: unknown runtime 'cobol'$" "$WORK/gdb-rt.out")" 1
expect "runtime setting: set" "$(grep -c '^codefer runtime: ucoro$' "$WORK/gdb-rt.out")" 1
expect "runtime setting: summary" "$(grep -c "^$(jq length "$WORK/coros.json") coroutines, $pending pending defers" "$WORK/gdb-rt.out")" 1
timeout 300 "$TESTS/../scripts/codefer-gdb" -batch -nx "$LEAKY" "$core" -ex 'codefer summary' \
	>"$WORK/gdb-launcher.out" 2>&1
expect "codefer-gdb launcher: exit code" "$?" 0
expect "codefer-gdb launcher: summary" \
	"$(grep -c "^$(jq length "$WORK/coros.json") coroutines, $pending pending defers" "$WORK/gdb-launcher.out")" 1
for f in "$WORK"/gdb-*.out; do
	expect "$(basename "$f"): no Python exception" "$(python_errors "$f")" 0
done
finish
