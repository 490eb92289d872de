#!/usr/bin/env bash
# Stripped Go binaries after the leak built up, with every installed Go:
# - runtime.allgs, decoded from runtime.forEachG's code, is the address the symbol table
#   gives (a build with symbols, and the same file run through strip);
# - a -ldflags='-s -w' build: the attach-time census, codefer-dump on a core (gcore) and
#   gdb's `codefer summary` on it match the target's truth; replaced on disk by another
#   build, codefer-dump refuses it, and finds the one that ran with --debug-dir;
# - a pclntab codefer cannot read, or a version it has no table for, with no DWARF:
#   one line and exit 6.
. "$(dirname "$0")/go_lib.sh"
need_basics
command -v gcore >/dev/null || skip "no gcore (gdb)"
command -v strip >/dev/null || skip "no strip (binutils)"

LOOPS=3000
for go in $(go_toolchains); do
	plain=$(go_build "$go" plain) || fail "cannot build the plain target with $go"
	v=$(basename "$plain")
	strip -o "$WORK/stripped" "$plain" || fail "strip failed"
	target_start "$WORK/stripped" 1
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>&1 ||
		fail "$v stripped by strip: --explain failed"
	expect "$v: runtime.allgs decoded from the code of a stripped copy" \
		"$(sed -n 's/.*runtime.allgs at ELF 0x\([0-9a-f]*\) (decoded from runtime.forEachG).*/\1/p' "$WORK/explain.out")" \
		"$(nm "$plain" | awk '$3 == "runtime.allgs" { sub(/^0*/, "", $1); print $1 }')"
	target_stop

	bin=$(go_build "$go" stripped) || fail "cannot build the stripped target with $go"
	v=$(basename "$bin")
	target_start "$bin" $LOOPS
	target_go
	top_start
	top_settle 1
	check census "$v"
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 ||
		fail "gcore failed: $(tail -n 1 "$WORK/gcore.out")"
	core=$WORK/core.$TARGET_PID
	target_stop
	"$CODEFER_DUMP" --json "$core" "$bin" >"$WORK/snap.json" 2>"$WORK/dump.err" ||
		fail "$v: codefer-dump failed"
	check dump "$v core"
	timeout 300 gdb -batch -nx "$bin" "$core" -x "$CODEFER_PY" -ex 'codefer summary' \
		>"$WORK/gdb.out" 2>&1
	expect "$v core: gdb codefer summary" "$(grep ' coroutines, ' "$WORK/gdb.out")" \
		"$(summary_line "$WORK/snap.json")"

	# The pclntab's magic cleared: no functions to be had.
	python3 - "$bin" "$WORK/nopcln" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(bytes.fromhex("f1ffffff00000108"))
if i < 0:
    i = d.find(bytes.fromhex("f0ffffff00000108"))
d[i:i + 4] = bytes(4)
open(sys.argv[2], "wb").write(d)
PY
	"$CODEFER_DUMP" "$core" "$WORK/nopcln" >/dev/null 2>"$WORK/dump.err"
	expect "$v without a pclntab: exit code" "$?" 6
	expect "$v without a pclntab: one line" "$(wc -l <"$WORK/dump.err")" 1
	grep -q pclntab "$WORK/dump.err" || fail "no word of the pclntab: $(cat "$WORK/dump.err")"
	rm -f "$core"

	# A deploy put another build where the one that crashed ran: Go binaries have no GNU
	# build-id, so codefer-dump tells them by their ELF headers, refuses the new one
	# (exit 8, one line), and --debug-dir finds the old one kept one level below.
	rm -rf "$WORK/deploy" "$WORK/keep" "$WORK/none"
	mkdir -p "$WORK/deploy" "$WORK/keep/sub" "$WORK/none"
	cp "$bin" "$WORK/deploy/app"
	target_start "$WORK/deploy/app" $LOOPS
	target_go
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
	core=$WORK/core.$TARGET_PID
	target_stop
	mv "$WORK/deploy/app" "$WORK/keep/sub/app-1.0"
	cp "$plain" "$WORK/deploy/app"
	"$CODEFER_DUMP" --json "$core" >/dev/null 2>"$WORK/dump.err"
	expect "$v replaced: exit code, lines" "$? $(wc -l <"$WORK/dump.err")" "8 1"
	"$CODEFER_DUMP" --json --debug-dir "$WORK/none" "$core" >/dev/null 2>"$WORK/dump.err"
	expect "$v replaced, nothing in --debug-dir: exit code, says where it looked" \
		"$? $(grep -c "ELF headers differ .*no file in $WORK/none" "$WORK/dump.err")" "8 1"
	"$CODEFER_DUMP" --json --debug-dir "$WORK/keep" "$core" >"$WORK/snap.json" 2>"$WORK/dump.err" ||
		fail "$v replaced, --debug-dir: codefer-dump failed: $(cat "$WORK/dump.err")"
	check dump "$v core, its binary found by --debug-dir"
	rm -f "$core"
done

# A version newer than the tables, in the build info of a binary without DWARF.
python3 - "$bin" "$WORK/go1.99" <<'PY'
import re, sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"\xff Go buildinf:")
m = re.compile(rb"go1\.\d+").search(d, i)
d[m.start():m.end()] = b"go1.99".ljust(m.end() - m.start(), b"9")
open(sys.argv[2], "wb").write(d)
PY
chmod +x "$WORK/go1.99"
target_start "$WORK/go1.99" 1
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 >/dev/null 2>"$WORK/top.err"
expect "unknown version without DWARF: exit code" "$?" 6
expect "unknown version without DWARF: one line" "$(wc -l <"$WORK/top.err")" 1
echo "     $(cat "$WORK/top.err")"
kill -0 "$TARGET_PID" 2>/dev/null || fail "the target died"
target_stop
finish
