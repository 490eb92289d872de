#!/usr/bin/env bash
# Go as production ships it: built with -ldflags='-s -w' (no .symtab, no DWARF), static,
# cgo (external linker), position-independent, and both, with every installed Go. Functions and
# lines come from the pclntab, the version from the build info, runtime.allgs from the
# code of runtime.forEachG. Attached before the target runs, every number and line must
# match the target's truth, as for the builds with symbols (test_go_live.sh).
. "$(dirname "$0")/go_lib.sh"
need_basics

LOOPS=200
for go in $(go_toolchains); do
	for variant in stripped cgostripped piestripped cgopiestripped; do
		bin=$(go_build "$go" "$variant") || fail "cannot build the $variant target with $go"
		target_start "$bin" $LOOPS
		top_start
		target_go
		top_settle 2
		check live "$(basename "$bin")"
		target_stop
	done
done
finish
