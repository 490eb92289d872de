#!/usr/bin/env bash
# --explain resolves each probe point to the right instruction: the file offset it prints
# for each symbol is the symbol's own (from nm and the program headers), the %return
# probes sit on ret instructions (objdump), one on each, and nothing gets attached.
. "$(dirname "$0")/native_lib.sh"
need_root
command -v objdump >/dev/null || skip "no objdump (binutils)"

leaky_start
"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
expect "exit code" "$?" 0
expect "runtime line" "$(grep -c '^runtime: ucoro' "$WORK/explain.out")" 1

for sym in uco_register uco_defer uco_run_defer uco_unregister uco_pool_put; do
	got=$(grep -A1 " $sym\$" "$WORK/explain.out" | sed -n 's/.* at file offset \(0x[0-9a-f]*\)$/\1/p' | head -n 1)
	expect "$sym file offset" "$got" "$(file_offset "$sym")"
done
# The return probes of uco_pool_get: each offset is a ret instruction in its disassembly.
rets=0
get=$(nm "$LEAKY" | awk '$3 == "uco_pool_get" { print "0x" $1 }')
while read -r rel off; do
	insn=$(objdump -d --start-address=$((get + rel)) --stop-address=$((get + rel + 1)) "$LEAKY" |
		awk -F'\t' '/^ *[0-9a-f]+:/ { print $3 }' | head -n 1)
	expect "uco_pool_get+$rel is a ret" "${insn%% *}" ret
	expect "uco_pool_get+$rel offset" "$off" "$(file_offset uco_pool_get "$rel")"
	rets=$((rets + 1))
done < <(grep -A1 'uco_pool_get+0x[0-9a-f]* (return)' "$WORK/explain.out" |
	sed -n 's/.*uco_pool_get+\(0x[0-9a-f]*\) (return)$/\1/p; s/.* at file offset \(0x[0-9a-f]*\)$/\1/p' | paste - -)
expect "return probes: one per ret instruction" "$rets" \
	"$(objdump -d --no-show-raw-insn --disassemble=uco_pool_get "$LEAKY" | grep -cE '^ *[0-9a-f]+:\s+ret')"
probe_points
expect "nothing attached by --explain" "$(breakpoints "$TARGET_PID")" clean
kill "$TARGET_PID"
wait "$TARGET_PID" 2>/dev/null

# A %return probe on a function that also leaves through a tail call (at -O2, `jmp malloc`):
# --explain says those returns are not seen.
cat >"$WORK/tail.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) void *get(size_t n) { if (!n) return NULL; return malloc(n); }
int main(void) { printf("PID %d\n", getpid()); fflush(stdout); get(1); pause(); return 0; }
C
cc -O2 -o "$WORK/tail" "$WORK/tail.c" || fail "cannot build tail.c"
objdump -d --no-show-raw-insn --disassemble=get "$WORK/tail" | grep -q 'jmp.*<malloc' ||
	skip "the compiler made no tail call in tail.c"
target_start "$WORK/tail"
wait_for '^PID ' 1
"$CODEFER_TOP" -p "$TARGET_PID" --explain --probe 'get=get%return,co=arg0,pool=0,conn=ret' \
	>"$WORK/tail.out" 2>&1
expect "a tail call's returns: said unseen" "$(grep -c 'get also returns through 1 tail call' "$WORK/tail.out")" 1
finish
