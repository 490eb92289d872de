# Helpers for the post-mortem tests: start a target that prints its own truth, take a
# core of it with gcore at a known point, run codefer-dump and gdb/codefer.py on it.
# Sourced by tests/dump/test_*.sh and bench.sh.

DUMP_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$DUMP_TESTS/../lib.sh"

need_basics() {
	[ "$(id -u)" = 0 ] || skip "needs root (gcore attaches with ptrace)"
	command -v gcore >/dev/null || skip "no gcore (gdb)"
	command -v python3 >/dev/null || skip "no python3"
	[ -x "$CODEFER_DUMP" ] || fail "codefer-dump not built ($CODEFER_DUMP)"
	[ -f "$CODEFER_LIB" ] || fail "libcodefer.so not built ($CODEFER_LIB)"
}

# The native fixture (tests/native/leaky on the ucoro library), built by make or here.
leaky_bin() {
	local b="$BUILD/tests/native/leaky"
	if [ ! -x "$b" ]; then
		b="$WORK/leaky"
		cc -g -O1 -I"$TESTS/native" "$TESTS/native/leaky.c" "$TESTS/native/ucoro.c" \
			-o "$b" || fail "cannot build the leaky fixture"
	fi
	echo "$b"
}

# leaky_worked: the leaky fixture started ($LEAKY) and through its first `work`.
leaky_worked() {
	LEAKY=$(leaky_bin)
	target_start "$LEAKY"
	wait_for '^PID ' 1
	echo work >&3
	wait_for '^DONE' 1
}

# take_core NAME: gcore of the target as $WORK/NAME; prints the path.
take_core() {
	gcore -o "$WORK/$1" "$TARGET_PID" >"$WORK/gcore.log" 2>&1 || fail "gcore failed"
	mv "$WORK/$1.$TARGET_PID" "$WORK/$1" || fail "gcore wrote no core"
	echo "$WORK/$1"
}

# gdb_codefer EXE CORE COMMAND...: gdb's output for codefer commands on a core.
gdb_codefer() {
	local exe=$1 core=$2 args=() c
	shift 2
	for c in "$@"; do
		args+=(-ex "$c")
	done
	timeout 300 gdb -batch -nx "$exe" "$core" -x "$CODEFER_PY" "${args[@]}" 2>&1
}

# vaddr_to_offset CORE VADDR: where an address's byte sits in the core file, for patches.
vaddr_to_offset() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
core, addr = sys.argv[1], int(sys.argv[2], 0)
with open(core, "rb") as f:
    eh = f.read(64)
    phoff, = struct.unpack_from("<Q", eh, 32)
    phnum, = struct.unpack_from("<H", eh, 56)
    f.seek(phoff)
    for _ in range(phnum):
        t, _fl, off, va, _pa, fsz, _msz, _al = struct.unpack("<IIQQQQQQ", f.read(56))
        if t == 1 and va <= addr < va + fsz:
            print(off + addr - va)
            sys.exit(0)
sys.exit("address %#x is not in the core" % addr)
PY
}

# patch_u64 CORE VADDR VALUE: writes a little-endian u64 into the core's memory image.
patch_u64() {
	local off
	off=$(vaddr_to_offset "$1" "$2") || fail "cannot patch $2"
	python3 -c 'import struct,sys; f=open(sys.argv[1],"r+b"); f.seek(int(sys.argv[2])); f.write(struct.pack("<Q", int(sys.argv[3],0)))' \
		"$1" "$off" "$3"
}

# shellcheck source=../go/toolchains.sh
. "$DUMP_TESTS/../go/toolchains.sh"

# go_parked GO: tests/dump/parked.go built with that toolchain; prints the binary.
go_parked() {
	local out
	out="$WORK/parked-$("$1" env GOVERSION)" || return 1
	export GOCACHE=${GOCACHE:-$BUILD/go-cache} GOFLAGS=${GOFLAGS:-} GO111MODULE=off
	# Runs in $(...): says why on stderr and fails, the caller stops.
	[ -x "$out" ] || "$1" build -o "$out" "$DUMP_TESTS/parked.go" >"$WORK/go-build.log" 2>&1 ||
		{ tail -n 3 "$WORK/go-build.log" >&2; return 1; }
	echo "$out"
}

# g_defer EXE CORE GOID: the address of goroutine GOID's newest _defer record and of its
# `link` field, from the core's own DWARF with gdb.
g_defer() {
	timeout 120 gdb -batch -nx "$1" "$2" -ex 'python
allgs = gdb.parse_and_eval("\x27runtime.allgs\x27")
arr, n = allgs["array"], int(allgs["len"])
for i in range(n):
    g = arr[i].dereference()
    if int(g["goid"]) == '"$3"' and int(g["_defer"]):
        print("DEFER %d %d" % (int(g["_defer"]), int(g["_defer"].dereference()["link"].address)))
' 2>&1 | sed -n 's/^DEFER //p'
}
