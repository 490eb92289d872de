#!/usr/bin/env bash
# Go as production ships it: built with -ldflags='-s -w' (no .symtab, no DWARF): static
# and cgo PIE (external linker) with every installed Go, cgo and PIE alone with the
# newest. Functions and lines come from the pclntab, the version from the build info,
# runtime.allgs from the code of runtime.forEachG. Attached before the target runs, every
# number and line must match the target's truth, as for the builds with symbols
# (test_go_live.sh). With the newest also a stripped build whose runtime.firstmoduledata
# sits in a section named .go.module (.noptrdata renamed in a copy), where Go 1.26 puts
# it in a section of its own.
. "$(dirname "$0")/go_lib.sh"
need_basics

LOOPS=200
newest=$(for go in $(go_toolchains); do echo "$("$go" env GOVERSION) $go"; done |
	sort -V | tail -n 1 | cut -d' ' -f2)
for go in $(go_toolchains); do
	# The two other mixes with the newest only: a minute less.
	variants="stripped cgopiestripped"
	[ "$go" = "$newest" ] && variants+=" cgostripped piestripped gomodule"
	for variant in $variants; do
		bin=$(go_build "$go" "${variant/gomodule/stripped}") ||
			fail "cannot build the $variant target with $go"
		if [ "$variant" = gomodule ]; then
			objcopy --rename-section .noptrdata=.go.module "$bin" "$WORK/gotarget-gomodule" ||
				fail "cannot rename .noptrdata in a copy of $bin"
			bin=$WORK/gotarget-gomodule
		fi
		target_start "$bin" $LOOPS
		top_start
		target_go
		top_settle 2
		check live "$(basename "$bin")"
		target_stop
	done
done
finish
