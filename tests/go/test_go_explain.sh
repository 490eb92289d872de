#!/usr/bin/env bash
# --explain on Go, with the newest installed toolchain: the runtime and the version the
# target reports, a probe point for each event the README lists, each in code, where the
# offsets came from (DWARF; the version table when the binary has none), and what cannot
# be seen (open-coded defers). Nothing is attached.
. "$(dirname "$0")/go_lib.sh"
need_basics

go=$(go_toolchains | tail -n 1)
for variant in plain nodwarf; do
	bin=$(go_build "$go" "$variant") || fail "cannot build the $variant target with $go"
	target_start "$bin" 10
	v=$(sed -n 's/^READY [0-9]* //p' "$WORK/target.out")
	probe_points
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
	expect "$variant: exit code" "$?" 0
	explain_check "$WORK/explain.out" go "$v" create exit defer defer-run get put
	if [ "$variant" = plain ]; then
		expect "$variant: offsets from DWARF" "$(grep -c '^  offsets (DWARF): ' "$WORK/explain.out")" 1
	else
		expect "$variant: offsets from the version table" \
			"$(grep -c "^  offsets (table for $(echo "$v" | cut -d. -f1-2)): " "$WORK/explain.out")" 1
	fi
	expect "$variant: open-coded defers said unseen by probes" \
		"$(grep -c 'open-coded defers .* make no runtime call' "$WORK/explain.out")" 1
	expect "$variant: nothing attached" "$(breakpoints "$TARGET_PID")" clean
	target_stop
done
finish
