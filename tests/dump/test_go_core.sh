#!/usr/bin/env bash
# Go post mortem with every installed toolchain: goroutines parked with pending defers,
# a core taken with gcore; codefer-dump --json and gdb's `codefer summary` and `list` must
# give each goroutine's pending defers (the target's truth) and the registering line
# exactly, with no warning. Then one goroutine's _defer chain is made cyclic in the core:
# a warning, not a hang, and every other goroutine still exact.
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
	expect "$v warnings" "$(jq_get "$J" '.warnings | length')" 0
	# Every goroutine with a defer pending, exactly: the parked ones, and main with the
	# runtime's own (runtime.main's deferred unlock).
	want_pending=$(echo "$truth" | jq -r '[(.goids[] | "\(.):'$DS'"), "\(.main_goid):1"] | sort | join(" ")')
	expect "$v per goroutine" \
		"$(jq -r '[.coroutines[] | select(.defers_pending > 0) | "\(.id):\(.defers_pending)"] | sort | join(" ")' "$J")" \
		"$want_pending"
	expect "$v defers_pending" "$(jq_get "$J" .summary.defers_pending)" "$(echo "$truth" | jq .defers_pending)"
	ours=$(echo "$truth" | jq -c '[.goids[]]')
	mine='[.coroutines[] | select(.id as $i | '"$ours"' | index($i))]'
	expect "$v site" "$(jq_get "$J" '.summary.sites[0].site' | sed 's/+0x[0-9a-f]*//')" \
		"main.park parked.go:$line"
	expect "$v function" "$(jq -r "$mine"' | [.[].defers[].function] | unique | join(",")' "$J" | sed 's/+0x[0-9a-f]*//')" \
		"main.noop parked.go:$noop_line"
	gdb_codefer "$bin" "$core" 'codefer summary' 'codefer list' >"$WORK/gdb.out"
	expect "$v gdb codefer summary: pending" \
		"$(grep ' coroutines, ' "$WORK/gdb.out" | sed 's/^[0-9]* coroutines, //')" \
		"$(echo "$truth" | jq .defers_pending) pending defers, 0 connections held"
	expect "$v gdb codefer list: per goroutine" \
		"$(awk '/ID  STATE/ { f = 1; next } f && $1 ~ /^[0-9]+$/ && $3 > 0 { print $1 ":" $3 }' "$WORK/gdb.out" | sort | paste -sd' ')" \
		"$want_pending"
	expect "$v gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0

	goid=$(echo "$truth" | jq -r '.goids[0]')
	read -r d link < <(g_defer "$bin" "$core" "$goid")
	[ -n "$link" ] || fail "$v: cannot find goroutine $goid's _defer in the core"
	patch_u64 "$core" "$link" "$d"
	start=$SECONDS
	timeout 120 "$CODEFER_DUMP" --json "$core" "$bin" >"$J" 2>"$WORK/dump.err"
	expect "$v cyclic _defer chain: exit code" "$?" 0
	expect "$v cyclic _defer chain: warned" "$(jq -r '.warnings | length > 0' "$J")" true
	echo "     $(jq -r '.warnings[0]' "$J") ($((SECONDS - start)) s)"
	# The partial report: every other goroutine still exact.
	expect "$v cyclic _defer chain: the others" \
		"$(jq -r '[.coroutines[] | select(.defers_pending > 0 and .id != '"$goid"') | "\(.id):\(.defers_pending)"] | sort | join(" ")' "$J")" \
		"$(echo "$truth" | jq -r '[(.goids[1:][] | "\(.):'$DS'"), "\(.main_goid):1"] | sort | join(" ")')"
	rm -f "$core"
done
finish
