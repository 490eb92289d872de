#!/usr/bin/env bash
# The native profile's MODULE as perf and bpftrace users write it: the library name, the
# soname, a symlink, the real path. Each must find the library the target really maps
# (and the probes counted on it must match the target's truth); a name that matches
# nothing gives exit 6 with the mapped files listed.
. "$(dirname "$0")/modules_lib.sh"
need_root

build_shared "$WORK/app"
LEAKY="$WORK/app/leaky"
leaky_start
real=$(readlink -f "$WORK/app/lib/libucoro.so.1.0.0")
grep -q " $real\$" "/proc/$TARGET_PID/maps" || fail "target does not map $real"

for name in libucoro libucoro.so.1 libucoro.so.1.0.0 "$WORK/app/lib/libucoro.so" \
	"$WORK/app/lib/libucoro.so.1" "$real"; do
	probes_in "$name"
	"$CODEFER_TOP" -p "$TARGET_PID" --explain "${PROBES[@]}" >"$WORK/explain.out" 2>"$WORK/explain.err"
	expect "$name: --explain exit" "$?" 0
	# Six specs, the get one on each return instruction: every point is in the library.
	all=$(grep -c "^            in " "$WORK/explain.out")
	expect "$name: six probe points or more" "$((all >= 6))" 1
	expect "$name: probe points in libucoro" \
		"$(grep -c "^            in $real at" "$WORK/explain.out")" "$all"
done

"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 --probe 'defer=libnosuch.so.3:uco_defer,co=arg0' \
	>"$WORK/out" 2>"$WORK/err"
expect "unmapped module: exit" "$?" 6
expect "unmapped module: one line" "$(wc -l <"$WORK/err")" 1
expect "unmapped module: lists libucoro" \
	"$(grep -c 'module libnosuch.so.3 is not mapped in the target; mapped: .*libucoro.so.1.0.0' "$WORK/err")" 1

# Live, with the soname: every count against the target's truth.
probes_in libucoro.so.1
top_start "${PROBES[@]}"
leaky_do 1 work
leaky_do 2 "more 20"
leaky_do 3 "exit 2"
top_settle 2
check live
finish
