#!/usr/bin/env bash
# Go post mortem with every installed toolchain: goroutines parked with pending defers,
# a core taken with gcore; codefer-dump --json and gdb's `codefer summary` must give each
# goroutine's pending defers and the registering line exactly. Then one goroutine's
# _defer chain is made cyclic in the core: a warning, not a hang.
. "$(dirname "$0")/dump_lib.sh"
need_basics
[ -n "$(go_toolchains)" ] || skip "no Go toolchain (golang-1.NN-go)"

GS=5
DS=10
line=$(grep -n 'defer noop()' "$DUMP_TESTS/parked.go" | head -n 1 | cut -d: -f1)
noop_line=$(grep -n '^func noop()' "$DUMP_TESTS/parked.go" | cut -d: -f1)
for go in $(go_toolchains); do
	bin=$(go_parked "$go") || fail "cannot build parked.go with $go"
	target_start "$bin" $GS $DS
	wait_for '^DONE' 1
	truth=$(sed -n 's/^TRUTH //p' "$WORK/target.out")
	v=$(echo "$truth" | jq -r .version)
	core=$(take_core "core-$v")
	exec 3>&-
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=

	"$CODEFER_DUMP" --json "$core" "$bin" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
		fail "$v: codefer-dump failed ($?)"
	J="$WORK/dump.json"
	expect "$v runtime" "$(jq_get "$J" '"\(.runtime) \(.version)"')" "go $v"
	# The parked goroutines' defers, exactly. Others (main, blocked reading stdin) may
	# have the standard library's open-coded defers pending, never the target's.
	ours=$(echo "$truth" | jq -c '[.goids[]]')
	mine='[.coroutines[] | select(.id as $i | '"$ours"' | index($i))]'
	expect "$v per goroutine" \
		"$(jq -r "$mine"' | map("\(.id):\(.defers_pending)") | sort | join(" ")' "$J")" \
		"$(echo "$truth" | jq -r '[.goids[] | "\(.):'$DS'"] | sort | join(" ")')"
	expect "$v defers elsewhere at main.*" \
		"$(jq -r '[.coroutines[] | select(.id as $i | '"$ours"' | index($i) | not) | .defers[].function | select(startswith("main."))] | length' "$J")" 0
	expect "$v site" "$(jq_get "$J" '.summary.sites[0].site' | sed 's/+0x[0-9a-f]*//')" \
		"main.park parked.go:$line"
	expect "$v function" "$(jq -r "$mine"' | [.[].defers[].function] | unique | join(",")' "$J" | sed 's/+0x[0-9a-f]*//')" \
		"main.noop parked.go:$noop_line"
	ncoros=$(jq_get "$J" .summary.coroutines)
	pending=$(jq_get "$J" .summary.defers_pending)
	gdb_codefer "$bin" "$core" 'codefer summary' >"$WORK/gdb.out"
	expect "$v gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
		"$ncoros coroutines, $pending pending defers, 0 connections held"

	goid=$(echo "$truth" | jq -r '.goids[0]')
	read -r d link < <(g_defer "$bin" "$core" "$goid")
	[ -n "$link" ] || fail "$v: cannot find goroutine $goid's _defer in the core"
	patch_u64 "$core" "$link" "$d"
	start=$SECONDS
	timeout 120 "$CODEFER_DUMP" --json "$core" "$bin" >"$J" 2>"$WORK/dump.err"
	expect "$v cyclic _defer chain: exit code" "$?" 0
	expect "$v cyclic _defer chain: warned" "$(jq -r '.warnings | length > 0' "$J")" true
	echo "     $(jq -r '.warnings[0]' "$J") ($((SECONDS - start)) s)"
	rm -f "$core"
done
finish
