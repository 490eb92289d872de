#!/usr/bin/env bash
# A target that runs another program in its place (exec: the pid stays, the Go program
# is gone) ends codefer-top with one line and exit 7, as an exit does: it went on showing
# the old figures and exited 0.
. "$(dirname "$0")/go_lib.sh"
need_basics
go=$(go_toolchains | head -n 1)
bin=$(go_build "$go" plain "$GO_TESTS/reexec.go") || fail "cannot build reexec.go with $go"
target_start "$bin"
wait_line "$WORK/target.out" '^READY' 30 || fail "target did not start"
timeout 60 "$CODEFER_TOP" -p "$TARGET_PID" -b -d 0.2 >"$WORK/top.out" 2>"$WORK/top.err" &
top=$!
wait_line "$WORK/top.out" '^codefer-top' 30 || fail "codefer-top showed nothing"
echo go >&3
wait_line "$WORK/target.out" '^EXEC' 30 || fail "target did not exec"
wait "$top"
expect "exit code" "$?" 7
expect "one line" "$(wc -l <"$WORK/top.err")" 1
expect "says so" "$(grep -c 'the target process now runs another program (exec, or its pid reused); probes detached' "$WORK/top.err")" 1
finish
