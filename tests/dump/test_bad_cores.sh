#!/usr/bin/env bash
# Bad inputs to codefer-dump never crash it: each gives exactly one error line on stderr,
# nothing on stdout, and its documented exit code (3 unreadable, 8 truncated/corrupt/
# another binary, 5 no runtime). gdb's commands turn the same errors into one line.
. "$(dirname "$0")/dump_lib.sh"
need_basics

leaky_worked
core=$(take_core core)
size=$(stat -c %s "$core")

# run_bad NAME WANT_RC ARGS...: codefer-dump ARGS must fail with WANT_RC and one line.
run_bad() {
	local name=$1 want=$2 rc
	shift 2
	timeout 60 "$CODEFER_DUMP" --json "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
	rc=$?
	expect "$name: exit code" "$rc" "$want"
	expect "$name: one error line" "$(wc -l <"$WORK/bad.err")" 1
	expect "$name: no report" "$(wc -c <"$WORK/bad.out")" 0
	echo "     $(cat "$WORK/bad.err")"
}

run_bad "missing core" 3 "$WORK/no-such-core"
run_bad "missing executable" 3 "$core" "$WORK/no-such-exe"
: >"$WORK/empty"
run_bad "empty file" 8 "$WORK/empty"
head -c 4096 /dev/urandom >"$WORK/noise"
run_bad "not an ELF file" 8 "$WORK/noise"
run_bad "not a core (the executable)" 8 "$LEAKY"

head -c $((size / 2)) "$core" >"$WORK/half"
run_bad "truncated core (half)" 8 "$WORK/half"
grep -q "truncated core" "$WORK/bad.err" || { echo "FAIL: message does not say 'truncated core'"; FAILED=1; }
head -c 100 "$core" >"$WORK/head100"
run_bad "truncated core (100 bytes)" 8 "$WORK/head100"

# Random bytes over the program headers (past the 64-byte ELF header), several seeds.
for seed in 1 2 3 4 5; do
	cp "$core" "$WORK/corrupt"
	python3 - "$WORK/corrupt" "$seed" <<'PY'
import random, struct, sys
random.seed(int(sys.argv[2]))
with open(sys.argv[1], "r+b") as f:
    phoff, = struct.unpack("<Q", (f.seek(32), f.read(8))[1])
    phnum, = struct.unpack("<H", (f.seek(56), f.read(2))[1])
    f.seek(phoff + 8)
    f.write(bytes(random.getrandbits(8) for _ in range(phnum * 56 - 16)))
PY
	run_bad "corrupt program headers (seed $seed)" 8 "$WORK/corrupt"
	grep -q "corrupt core" "$WORK/bad.err" || { echo "FAIL: message does not say 'corrupt core'"; FAILED=1; }
done

# The note segment cut short: NT_FILE's counts point past its end.
cp "$core" "$WORK/badnote"
python3 - "$WORK/badnote" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    data = f.read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for i in range(phnum):
        t, _, off, _, _, fsz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
        if t == 4:  # PT_NOTE: find NT_FILE and claim a huge entry count
            pos = off
            while pos < off + fsz:
                nsz, dsz, typ = struct.unpack_from("<III", data, pos)
                desc = pos + 12 + ((nsz + 3) & ~3)
                if typ == 0x46494c45:
                    f.seek(desc)
                    f.write(struct.pack("<Q", 1 << 40))
                    sys.exit(0)
                pos = desc + ((dsz + 3) & ~3)
sys.exit("no NT_FILE note")
PY
run_bad "corrupt NT_FILE note" 8 "$WORK/badnote"

# Fuzz: random bytes anywhere in the headers and notes. codefer-dump must end with 8 (one
# line), or with 0 and a report that is either the intact core's or carries a warning:
# nothing else (no crash, no hang, no other code, no silently different report).
python3 - "$core" "$WORK/fuzz" <<'PY'
import os, random, struct, sys
data = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", data, 32)
phnum, = struct.unpack_from("<H", data, 56)
regions = [(0, phoff + 56 * phnum)]
for i in range(phnum):
    t, _, off, _, _, fsz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
    if t == 4:
        regions.append((off, off + fsz))
os.makedirs(sys.argv[2])
for n in range(60):
    rnd = random.Random(n)
    b = bytearray(data)
    lo, hi = rnd.choice(regions)
    for _ in range(rnd.choice((1, 4, 16))):
        b[rnd.randrange(lo, hi)] = rnd.getrandbits(8)
    open(os.path.join(sys.argv[2], "f%02d" % n), "wb").write(b)
PY
"$CODEFER_DUMP" --json "$core" "$LEAKY" >"$WORK/intact.json" 2>/dev/null || fail "intact core: exit $?"
bad=0 n8=0 nsame=0 nwarn=0
for f in "$WORK"/fuzz/f*; do
	timeout 60 "$CODEFER_DUMP" --json "$f" "$LEAKY" >"$WORK/fuzz.json" 2>"$WORK/bad.err"
	rc=$?
	if [ $rc = 8 ] && [ "$(wc -l <"$WORK/bad.err")" = 1 ]; then
		n8=$((n8 + 1))
	elif [ $rc = 0 ] && [ "$(jq -c "del(.target)" "$WORK/fuzz.json")" = "$(jq -c "del(.target)" "$WORK/intact.json")" ]; then
		nsame=$((nsame + 1))
	elif [ $rc = 0 ] && [ "$(jq '.warnings | length' "$WORK/fuzz.json" 2>/dev/null)" -gt 0 ]; then
		nwarn=$((nwarn + 1))
	else
		echo "     $(basename "$f"): exit $rc: $(head -c 300 "$WORK/bad.err")"
		bad=$((bad + 1))
	fi
done
echo "     fuzzed cores: $n8 refused (8), $nsame read as intact, $nwarn with a warning"
expect "fuzzed cores neither 8, nor intact, nor warned" "$bad" 0
rm -rf "$WORK/fuzz"

# A core from another binary: the same source built differently.
cc -g -O2 -DOTHER_BUILD -I"$TESTS/native" "$TESTS/native/leaky.c" "$TESTS/native/ucoro.c" \
	-o "$WORK/leaky-other" || fail "cannot build a second leaky"
run_bad "core from another binary" 8 "$core" "$WORK/leaky-other"
grep -q "another binary" "$WORK/bad.err" || { echo "FAIL: message does not say 'another binary'"; FAILED=1; }
run_bad "core from another binary (/bin/true)" 8 "$core" /bin/true

# No runtime: a core of a process that runs none.
sleep 600 &
sleeper=$!
gcore -o "$WORK/sleep" "$sleeper" >/dev/null 2>&1 || fail "gcore of sleep failed"
kill "$sleeper"
run_bad "no runtime" 5 "$WORK/sleep.$sleeper"

# gdb: errors are one line, never a traceback.
gdb_codefer "$LEAKY" "$core" 'codefer defers 999999' 'codefer' 'codefer bogus' >"$WORK/gdb.out"
expect "gdb: unknown coroutine" "$(grep -c '^codefer: no coroutine 999999$' "$WORK/gdb.out")" 1
expect "gdb: bare prefix" "$(grep -c '^codefer: a subcommand is needed' "$WORK/gdb.out")" 1
expect "gdb: unknown subcommand" "$(grep -c '^codefer: no subcommand bogus (.*stale)' "$WORK/gdb.out")" 1
CODEFER_LIB=$WORK/nowhere gdb_codefer "$LEAKY" "$core" 'codefer summary' >"$WORK/gdb.out"
expect "gdb: no library" "$(grep -c '^codefer: CODEFER_LIB=.*no libcodefer.so there$' "$WORK/gdb.out")" 1
gdb -batch -nx -x "$CODEFER_PY" -ex 'codefer list' >"$WORK/gdb.out" 2>&1
expect "gdb: no target" "$(grep -c '^codefer: no core file or process' "$WORK/gdb.out")" 1
expect "gdb: no Python exception" "$(python_errors "$WORK/gdb.out")" 0
finish
