#!/usr/bin/env bash
# Bad input gets one clear line on stderr and its documented exit code, never a crash.
. "$(dirname "$0")/native_lib.sh"
need_root

try "no -p" 2 "-p PID or --comm NAME is required" "$CODEFER_TOP" -b
try "bad option" 2 "see codefer-top --help" "$CODEFER_TOP" --frobnicate
try "-p not a number" 2 "takes a process id" "$CODEFER_TOP" -p abc

# A pid that does not exist: the highest possible pid, checked free.
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
kill -0 "$nopid" 2>/dev/null && skip "pid $nopid exists"
try "missing pid" 3 "no process with pid $nopid" "$CODEFER_TOP" -p "$nopid" -b -n 1
# kthreadd, where this PID namespace shows the kernel's threads.
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	try "a kernel thread" 3 "pid 2 (kthreadd) runs no program" "$CODEFER_TOP" -p 2 -b -n 1
fi

# A process without any coroutine runtime or the probe symbols.
sleep 300 &
SLEEP_PID=$!
try "no runtime" 5 "no supported runtime in pid $SLEEP_PID" "$CODEFER_TOP" -p "$SLEEP_PID" -b -n 1
try "probe symbol missing" 6 "symbol uco_defer not found" \
	"$CODEFER_TOP" -p "$SLEEP_PID" -b -n 1 --probe 'defer=uco_defer,co=arg0'
try "unknown runtime" 2 "unknown runtime 'cobol'" "$CODEFER_TOP" -p "$SLEEP_PID" -r cobol
kill "$SLEEP_PID"

leaky_start
probe_points
try "bad probe: event" 2 "bad probe spec" "$CODEFER_TOP" -p "$TARGET_PID" --probe 'defr=uco_defer,co=arg0'
try "bad probe: loc" 2 "bad probe spec" "$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=uco_defer,co=arg9'
try "bad probe: no co" 2 "co=LOC" "$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=uco_defer,site=caller'
try "bad probe: a key twice" 2 "a key given twice" \
	"$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=uco_defer,co=arg0,co=arg1'
try "bad probe: %ret" 2 "only %return may follow" \
	"$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=uco_defer%ret,co=arg0'
try "bad probe: no module before the colon" 2 "needs a module" \
	"$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=:uco_defer,co=arg0'
try "bad probe: a number past 64 bits" 2 "bad probe spec" \
	"$CODEFER_TOP" -p "$TARGET_PID" --probe 'defer=uco_defer,co=arg0+99999999999999999999'
try "bad probe: ret without %return" 2 "ret needs a %return probe" \
	"$CODEFER_TOP" -p "$TARGET_PID" --probe 'get=uco_pool_get,co=arg0,pool=arg0,conn=ret'
# An offset inside an instruction would corrupt the code the probe traps: refused. (One
# byte into uco_defer's first instruction of two bytes or more, as objdump decodes it.)
mid=$(objdump -d --no-show-raw-insn "$(readlink -f /proc/"$TARGET_PID"/exe)" | python3 -c '
import re, sys
addrs, f = [], False
for line in sys.stdin:
    if "<uco_defer>:" in line:
        f = True
    elif f and re.match(r"\s*[0-9a-f]+:", line):
        addrs.append(int(line.split(":")[0], 16))
    elif f and addrs:
        break
print(next(a - addrs[0] + 1 for a, b in zip(addrs, addrs[1:]) if b - a >= 2))')
[ -n "$mid" ] || fail "cannot decode uco_defer with objdump"
try "bad probe: inside an instruction" 2 "uco_defer+$mid: not the start of an instruction" \
	"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 --probe "defer=uco_defer+$mid,co=arg0"
try "bad probe: before the function" 2 "uco_defer+-2: outside the function" \
	"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 --probe 'defer=uco_defer+-2,co=arg0'
# Output nobody reads: one line, exit 1, and the probes go (not attached for ever).
try "output to a full disk" 1 "cannot write the output (No space left on device): probes detached" \
	sh -c '"$0" -p "$1" -b -n 3 -d 0.1 >/dev/full' "$CODEFER_TOP" "$TARGET_PID"
timeout 30 sh -c '"$0" -p "$1" -b -d 0.1 2>"$2" | head -n 1 >/dev/null' \
	"$CODEFER_TOP" "$TARGET_PID" "$WORK/err"
expect "output into a pipe its reader left: codefer-top ends (no timeout)" "$?" 0
expect "output into a pipe its reader left: message" \
	"$(grep -c 'cannot write the output (Broken pipe): probes detached' "$WORK/err")" 1
kill -0 "$TARGET_PID" || fail "the target died"
try "not root" 4 "needs root" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1
expect "no breakpoint left" "$(breakpoints "$TARGET_PID")" clean
finish
