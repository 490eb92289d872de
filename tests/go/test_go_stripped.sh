#!/usr/bin/env bash
# A Go binary built with -ldflags='-s -w' has no symbol table to place probes on:
# codefer-top must recognise Go, say why it cannot attach, and exit with EXIT_SYMBOL (6).
. "$(dirname "$0")/go_lib.sh"
need_basics

for go in $(go_toolchains); do
	bin=$(go_build "$go" stripped) || fail "cannot build the stripped target with $go"
	target_start "$bin"
	"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 1 -d 1 >"$WORK/top.json" 2>"$WORK/top.err"
	rc=$?
	echo "$(basename "$bin"): exit $rc: $(head -n 1 "$WORK/top.err")"
	[ "$rc" = 6 ] || fail "exit code $rc, want 6 (EXIT_SYMBOL)"
	grep -q 'symbol table' "$WORK/top.err" || fail "no word of the missing symbol table"
	kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died"
	target_stop
done
echo PASS
