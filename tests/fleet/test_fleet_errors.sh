#!/usr/bin/env bash
# Bad input with several processes: one clear line and the documented exit code. A PID
# given that does not exist, or cannot be watched, stops everything before anything is
# attached; processes given with -p that all exit end codefer-top with exit 7.
. "$(dirname "$0")/fleet_lib.sh"
need_leaky

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

echo "-- --comm: a process of that name without a runtime"
NAME="cfe$$"
python3 -c 'import ctypes, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
print("RENAMED", flush=True)
time.sleep(300)' "$NAME" >"$WORK/py.out" &
PY_PID=$!
wait_line "$WORK/py.out" '^RENAMED' 10 || fail "the python process did not rename itself"
fleet_start --comm "$NAME"
# Tried at three refreshes (a runtime may not be mapped yet), then passed over.
for ((i = 0; i < 100; i++)); do
	grep -q 'not watched' "$WORK/top.err" && break
	sleep 0.1
done
top_settle 3
expect "passed over: one line, once" \
	"$(grep -c "^codefer-top: pid $PY_PID ($NAME) not watched: no supported runtime in pid $PY_PID " "$WORK/top.err") $(grep -vc 'waiting for one' "$WORK/top.err")" \
	"1 1"
expect "passed over: not in the JSON" "$(jq -c '[.processes[].pid]' "$WORK/snap.json")" "[]"
kill "$PY_PID"

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
