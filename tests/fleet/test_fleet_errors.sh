#!/usr/bin/env bash
# Bad input with several processes: one clear line and the documented exit code. A PID
# given that does not exist, or cannot be watched, stops everything before anything is
# attached; processes given with -p that all exit end codefer-top with exit 7.
. "$(dirname "$0")/fleet_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$LEAKY" ] || fail "fixture not built ($LEAKY)"

proc_start a '^PID ' "$LEAKY"
proc_start b '^PID ' "$LEAKY"
A=${PID_OF[a]} B=${PID_OF[b]}
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
kill -0 "$nopid" 2>/dev/null && skip "pid $nopid exists"
sleep 300 &
SLEEP_PID=$!

try "-p: one of them missing" 3 "^codefer-top: pid $nopid: no process with pid $nopid$" \
	"$CODEFER_TOP" -p "$A,$nopid" -b -n 1
try "-p: one without a runtime" 5 "^codefer-top: pid $SLEEP_PID: no supported runtime in pid $SLEEP_PID" \
	"$CODEFER_TOP" -p "$A" -p "$SLEEP_PID" -b -n 1
try "-p: an empty item" 2 "-p takes a process id, or several" "$CODEFER_TOP" -p "$A,,$B"
try "-p: a trailing comma" 2 "-p takes a process id, or several" "$CODEFER_TOP" -p "$A,"
try "--comm: empty" 2 "--comm takes a process name" "$CODEFER_TOP" --comm ''
try "--comm: a path" 2 "--comm takes a process name" "$CODEFER_TOP" --comm /usr/sbin/nginx
try "--explain with --comm" 2 "--explain takes -p PIDs" "$CODEFER_TOP" --comm leaky --explain
try "not root" 4 "needs root" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CODEFER_TOP" -p "$A,$B" -b -n 1
try "not root, --comm" 4 "needs root" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CODEFER_TOP" --comm leaky -b -n 1

"$CODEFER_TOP" -p "$A,$B" --explain >"$WORK/explain" 2>&1
expect "--explain of two: each" "$(grep -c '^runtime: ucoro' "$WORK/explain")" 2

echo "-- every process given exits: exit 7"
fleet_start -p "$A,$B"
proc_quit a
fleet_wait ".gone_total == 1"
expect "one gone: still running" "$(kill -0 "$TOP_PID" 2>/dev/null && echo yes)" yes
proc_quit b
top_wait 30
expect "both gone: exit code" "$?" 7
expect "both gone: one line" "$(cat "$WORK/top.err")" \
	"codefer-top: every target process exited; probes detached"
finish
