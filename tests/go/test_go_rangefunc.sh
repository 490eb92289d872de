#!/usr/bin/env bash
# Defers in range-over-func loop bodies (Go 1.23+, tests/go/rangefunc.go): codefer-top
# attached before the work counts each registered and run exactly, and not the loop's head
# record (no defer); the parked goroutine's pending ones are its own, and attached after,
# the census finds them on their loop's list (records deferprocat keeps until the function
# returns), with probes and without. A binary with no such
# loop (gotarget.go) has no runtime.deferrangefunc: its defer-run probe reads nothing
# (--explain says so).
. "$(dirname "$0")/go_lib.sh"
need_basics
ran=0
for go in $(go_toolchains); do
	v=$("$go" env GOVERSION)
	minor=${v#go1.}
	[ "${minor%%.*}" -ge 23 ] 2>/dev/null || continue
	ran=1
	bin=$(go_build "$go" plain "$GO_TESTS/rangefunc.go") || fail "cannot build rangefunc.go with $go"
	target_start "$bin" 1000
	top_start
	target_go
	top_settle 2
	t() { jq -r ".$1" "$WORK/truth"; }
	expect "$v: defers registered" "$(jq '.totals.defers_registered' "$WORK/snap.json")" "$(t registered)"
	expect "$v: defers run" "$(jq '.totals.defers_run' "$WORK/snap.json")" "$(t run)"
	expect "$v: the parked goroutine's pending defers" \
		"$(jq --argjson g "$(t parked)" '.coroutines[] | select(.id == $g) | .defers_pending' "$WORK/snap.json")" \
		"$(t parked_pending)"
	expect "$v: nothing lost" "$(jq '.totals.lost' "$WORK/snap.json")" 0
	# Attached after: the census finds the parked goroutine's on its loop's list, at the
	# defer statement (the deferred closure's first line).
	for mode in probes --no-probes; do
		top_start $([ "$mode" = probes ] || echo "$mode")
		top_settle 1
		expect "$v: census ($mode): the parked goroutine's pending defers" \
			"$(jq -r --argjson g "$(t parked)" '.coroutines[] | select(.id == $g) | "\(.defers_pending) \(.site | sub(".* "; ""))"' "$WORK/snap.json")" \
			"$(t parked_pending) rangefunc.go:$(grep -n 'defer func() { sink += i }() // parked' "$GO_TESTS/rangefunc.go" | cut -d: -f1)"
	done
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>&1
	expect "$v: heads passed over" "$(grep -c 'range-over-func loop heads) are not counted' "$WORK/explain.out")" 1
	target_stop
	plain=$(go_build "$go" plain) || fail "cannot build gotarget.go with $go"
	target_start "$plain" 1
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>&1
	expect "$v without range-over-func defers: the popped record unread" \
		"$(grep -c 'no range-over-func loop defers here' "$WORK/explain.out")" 1
	target_stop
done
[ "$ran" = 1 ] || skip "no Go 1.23 or later"
finish
