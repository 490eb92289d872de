#!/usr/bin/env bash
# Built as distributions build (-fcf-protection: every function starts with endbr64, which
# the kernel single-steps at many times the cost of a probe on a PUSH), each entry probe
# sits on the instruction just past the endbr64, --explain says so and whether the kernel
# emulates that one (a push) or single-steps it, and every count of the fixture still
# matches its own truth exactly.
LEAKY_BUILD=leaky-cet
. "$(dirname "$0")/native_lib.sh"
need_root
command -v objdump >/dev/null || skip "no objdump (binutils)"

leaky_start
"$CODEFER_TOP" -p "$TARGET_PID" --explain "${NATIVE_PROBES[@]}" >"$WORK/explain.out" 2>"$WORK/top.err"
expect "exit code" "$?" 0
for sym in uco_register uco_defer uco_run_defer uco_unregister uco_pool_put; do
	first=$(objdump -d --no-show-raw-insn --disassemble="$sym" "$LEAKY" |
		awk -F'\t' '/^ *[0-9a-f]+:/ { print $2; exit }')
	expect "$sym starts with endbr64" "${first%% *}" endbr64
	got=$(grep -A1 " $sym, past endbr64\$" "$WORK/explain.out" |
		sed -n 's/.* at file offset \(0x[0-9a-f]*\)$/\1/p' | head -n 1)
	expect "$sym probed just past its endbr64" "$got" "$(file_offset "$sym" 4)"
	second=$(objdump -d --no-show-raw-insn --disassemble="$sym" "$LEAKY" |
		awk -F'\t' '/^ *[0-9a-f]+:/ { if (++n == 2) { split($2, w, " "); print w[1]; exit } }')
	case $second in
	push) does="the kernel emulates it (a trap)" ;;
	*) does="the kernel single-steps it (two traps: costlier)" ;;
	esac
	expect "$sym: --explain names the instruction after it, and what the kernel does" \
		"$(grep -A2 " $sym, past endbr64\$" "$WORK/explain.out" | sed -n 's/^ *on `\([a-z]*\).*`: \(.*\)$/\1, \2/p')" \
		"$second, $does"
done
live_run
finish
