# The native tests' target: tests/native/leaky on the ucoro fixture library, driven
# through a FIFO. Sourced by tests/native/test_*.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# LEAKY_BUILD: another build of it (leaky-cet: built with -fcf-protection).
LEAKY="$BUILD/tests/native/${LEAKY_BUILD:-leaky}"
# The probe specs a user of ucoro would write for the native profile.
NATIVE_PROBES=(
	--probe 'create=uco_register,co=arg0[0],site=func:arg0[8]'
	--probe 'defer=uco_defer,co=sym:uco_current[0][0],site=caller'
	--probe 'defer-run=uco_run_defer,co=arg0[0]'
	--probe 'exit=uco_unregister,co=arg0[0]'
	--probe 'get=uco_pool_get%return,co=sym:uco_current[0][0],pool=entry:arg0,conn=ret,site=entry:caller,if=ret!=0'
	--probe 'put=uco_pool_put,pool=arg0,conn=arg1'
)

# leaky_start: the fixture, up and waiting for commands.
leaky_start() {
	[ -x "$LEAKY" ] || fail "fixture not built ($LEAKY)"
	target_start "$LEAKY"
	wait_for '^PID ' 1
}

# leaky_do N CMD: sends CMD and waits for the target's Nth DONE.
leaky_do() {
	echo "$2" >&3
	wait_for '^DONE' "$1"
}

# live_run: codefer-top with the native probes on the started fixture, through its work,
# more leaking and coroutines ending with a connection; the last snapshot checked exactly.
live_run() {
	top_start "${NATIVE_PROBES[@]}"
	leaky_do 1 work
	leaky_do 2 "more 40"
	leaky_do 3 "exit 3"
	top_settle 2
	check live
}

# check MODE [RUNTIME]: the last snapshot against the target's last truth.
check() {
	python3 "$TESTS/native/check.py" "$1" "$WORK/target.out" "$WORK/snap.json" \
		"$TESTS/native/leaky.c" "${2:-native}" || FAILED=1
}

# file_offset SYMBOL [+ADD]: where SYMBOL+ADD's code sits in the file.
file_offset() {
	python3 - "$LEAKY" "$1" "${2:-0}" <<'PY'
import subprocess, sys
exe, sym, add = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
addr = next(int(l.split()[0], 16) for l in subprocess.run(["nm", exe], capture_output=True,
            text=True).stdout.splitlines() if l.split()[-1] == sym) + add
for l in subprocess.run(["readelf", "-lW", exe], capture_output=True, text=True).stdout.splitlines():
    f = l.split()
    if f and f[0] == "LOAD":
        off, va, fsz = int(f[1], 16), int(f[2], 16), int(f[4], 16)
        if va <= addr < va + fsz:
            print(hex(addr - va + off))
PY
}
