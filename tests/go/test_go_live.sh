#!/usr/bin/env bash
# Go, attached before the target runs, with every installed Go and each way of linking
# (static, cgo, internal cgo linking, no DWARF: lines from the pclntab, position-independent):
# heap defers piling up in a goroutine that never returns, defers that run (on return,
# Goexit and panic/recover paths), nine stack defers, open-coded defers (invisible), and
# a database/sql pool with returned, held and orphaned connections. Every number must
# match the truth the target counted itself.
. "$(dirname "$0")/go_lib.sh"
need_basics

LOOPS=200
for go in $(go_toolchains); do
	for variant in plain cgo cgoint nodwarf pie; do
		bin=$(go_build "$go" "$variant") || fail "cannot build the $variant target with $go"
		target_start "$bin" $LOOPS
		top_start
		target_go
		# Open-coded defers are read by the walks: two whole ones after the work.
		top_walks 2
		check live "$(basename "$bin")"
		target_stop
	done
done
finish
