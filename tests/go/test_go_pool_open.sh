#!/usr/bin/env bash
# Each database/sql pool named by the line that opened it, with every installed Go, with
# symbols and stripped: codefer-top attaches between the two opens of tests/go/gopools.go,
# so it sees OpenDB return the sql.Open pool (its site: the caller of sql.Open) and says
# the OpenDB pool was opened before it attached. Both compared with the lines the target
# reports (OPENED), in JSON and in the text view.
. "$(dirname "$0")/go_lib.sh"
need_basics

# scene: lets the target open its second pool and set the scene; its OPENED lines read.
scene() {
	echo go >&3
	wait_line "$WORK/target.out" '^DONE' 30 || fail "target printed no DONE"
	read -r _ drv at < <(grep '^OPENED main.fakeDriver ' "$WORK/target.out")
}

for go in $(go_toolchains); do
	for variant in plain stripped; do
		bin=$(go_build "$go" "$variant" "$GO_TESTS/gopools.go") || fail "cannot build gopools.go with $go"
		v=$(basename "$bin")
		target_start "$bin"
		top_start
		scene
		top_settle 2
		# Pools a probe saw opened are not walked yet: the one opened after attach is
		# the one not opened before it.
		expect "$v: the pool opened after attach ($drv), opened at" \
			"$(jq -r '.pools[] | select(.opened_before_attach == false) | .opened_at | sub(".* "; "")' "$WORK/snap.json")" \
			"$at"
		expect "$v: *main.connector opened before attach" \
			"$(jq -r '.pools[] | select(.name == "sql.DB *main.connector") | "\(.opened_at) \(.opened_before_attach)"' "$WORK/snap.json")" \
			"null true"
		target_stop

		# The text view: a line under each pool's row.
		target_start "$bin"
		rm -f "$WORK/top.txt"	# not the last variant's
		"$CODEFER_TOP" -p "$TARGET_PID" -b -d 0.5 >"$WORK/top.txt" 2>"$WORK/top.err" &
		TOP_PID=$!
		wait_line "$WORK/top.txt" 'LIVE COROUTINES' 30 || fail "$v: no text snapshot"
		scene
		wait_line "$WORK/top.txt" 'opened at' 30 || { tail -n 30 "$WORK/top.txt"; fail "$v: no pool opened at a line in 30 s"; }
		sleep 1	# a snapshot after the scene is set
		kill -INT "$TOP_PID"
		top_wait 60 || fail "$v: codefer-top (text) failed"
		expect "$v: text, opened at" \
			"$(grep -A1 '^ *[0-9a-fx]* ' "$WORK/top.txt" | grep 'opened at' | tail -n 1 | sed 's/.* //')" "$at"
		expect "$v: text, *main.connector" \
			"$(grep -A1 '^ *sql.DB \*main.connector ' "$WORK/top.txt" | tail -n 1 | sed 's/^ *//')" \
			"opened before attach"
		target_stop
	done
done
finish
