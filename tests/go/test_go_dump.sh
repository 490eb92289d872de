#!/usr/bin/env bash
# Go, post-mortem: a core taken (gcore) after the leak built up, read by codefer-dump
# with the same walker as the live census: pending defers per goroutine and their sites.
. "$(dirname "$0")/go_lib.sh"
CODEFER_DUMP=${CODEFER_DUMP:-$(dirname "$CODEFER_TOP")/codefer-dump}
need_basics
[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
command -v gcore >/dev/null || skip "no gcore (gdb)"

LOOPS=3000
for go in $(go_toolchains); do
	for variant in plain cgo pie; do
		bin=$(go_build "$go" "$variant") || fail "cannot build the $variant target with $go"
		target_start "$bin" $LOOPS
		target_go
		core=$WORK/core.$TARGET_PID
		gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 ||
			fail "gcore failed: $(tail -n 1 "$WORK/gcore.out")"
		target_stop
		"$CODEFER_DUMP" --json "$core" "$bin" >"$WORK/snap.json" 2>"$WORK/top.err" ||
			fail "codefer-dump failed"
		rm -f "$core"
		check dump "$(basename "$bin") core"
	done
done
finish
