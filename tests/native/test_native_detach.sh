#!/usr/bin/env bash
# codefer-top leaves nothing behind: no uprobe on the target's files after a normal end
# (-n), after SIGINT, and when the target exits first (exit code 7); and the target
# keeps working with the right counts after codefer is gone.
. "$(dirname "$0")/native_lib.sh"
need_root
command -v bpftool >/dev/null || skip "no bpftool"

leaky_start
leaky_do 1 work

echo "-- normal end after -n 2"
"$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 2 -d 0.2 >"$WORK/top.json" 2>"$WORK/top.err"
expect "exit code after -n 2" "$?" 0
expect "snapshots" "$(grep -c '^{' "$WORK/top.json")" 2
expect "uprobes left after -n" "$(uprobes_on "$TARGET_PID")" 0

echo "-- SIGINT"
top_start
expect "uprobes while attached > 0" "$([ "$(uprobes_on "$TARGET_PID")" -gt 0 ] && echo yes)" yes
top_settle 1
expect "uprobes left after SIGINT" "$(uprobes_on "$TARGET_PID")" 0

echo "-- the target is unharmed and its state unchanged"
leaky_do 2 "more 5"
grep '^TRUTH {"coro": 1,' "$WORK/target.out" | tail -n 1 | grep -q '"pending": 305' ||
	FAILED=1
expect "target alive" "$(kill -0 "$TARGET_PID" && echo yes)" yes

echo "-- the target exits first"
top_start
pid=$TARGET_PID
echo quit >&3
exec 3>&-
wait "$TARGET_PID" 2>/dev/null
TARGET_PID=
for ((i = 0; i < 50; i++)); do
	kill -0 "$TOP_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$TOP_PID"
expect "exit code when the target exits" "$?" 7
TOP_PID=
expect "message" "$(grep -c 'target process exited' "$WORK/top.err")" 1
expect "uprobes left after the target exited" "$(uprobes_on "$pid")" 0
finish
