#!/usr/bin/env bash
# codefer-top leaves nothing behind. Uprobes write a breakpoint (int3) into the target's
# code: read through /proc/PID/mem, every probe point holds it while codefer-top is
# attached and the file's own byte again after a normal end (-n), after SIGINT, after
# kill -9 of codefer-top and after an attach that failed half-way. When the target exits
# first codefer-top ends with 7. The target keeps working with the right counts.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work
probe_points
expect "before attach" "$(breakpoints "$TARGET_PID")" clean

echo "-- normal end after -n 2"
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b --json -n 2 -d 0.2 >"$WORK/top.json" 2>"$WORK/top.err"
expect "exit code after -n 2" "$?" 0
expect "snapshots" "$(grep -c '^{' "$WORK/top.json")" 2
expect "after -n" "$(breakpoints "$TARGET_PID")" clean

echo "-- SIGINT"
top_start
expect "while attached" "$(breakpoints "$TARGET_PID")" int3
top_settle 1
expect "after SIGINT" "$(breakpoints "$TARGET_PID")" clean

echo "-- kill -9 of codefer-top"
top_start
expect "while attached" "$(breakpoints "$TARGET_PID")" int3
kill -9 "$TOP_PID"
top_wait 60
expect "after kill -9" "$(breakpoints "$TARGET_PID")" clean

echo "-- an attach that fails half-way (the kernel refuses a uprobe on an int3)"
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 "${NATIVE_PROBES[@]}" \
	--probe 'touch=leaky_unprobeable,co=arg0' >"$WORK/out" 2>"$WORK/top.err"
expect "exit code" "$?" 1
expect "one line" "$(wc -l <"$WORK/top.err")" 1
expect "message" "$(grep -c 'cannot attach a uprobe at leaky_unprobeable' "$WORK/top.err")" 1
expect "after the failed attach" "$(breakpoints "$TARGET_PID")" clean

echo "-- the target is unharmed and its state unchanged"
worker() { grep '^TRUTH {"coro": 1,' "$WORK/target.out" | tail -n 1 | sed 's/.*"pending": \([0-9]*\).*/\1/'; }
before=$(worker)
leaky_do 2 "more 5"
expect "worker pending: 5 more than before" "$(worker)" $((before + 5))
expect "target alive" "$(kill -0 "$TARGET_PID" && echo yes)" yes

echo "-- the target exits first"
top_start
echo quit >&3
exec 3>&-
wait "$TARGET_PID" 2>/dev/null
TARGET_PID=
top_wait 60
expect "exit code when the target exits" "$?" 7
expect "message" "$(grep -c 'target process exited' "$WORK/top.err")" 1
finish
