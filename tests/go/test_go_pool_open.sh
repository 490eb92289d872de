#!/usr/bin/env bash
# Each database/sql pool named by the line that opened it, with every installed Go, with
# symbols and stripped: codefer-top attaches between the two opens of tests/go/gopools.go,
# so it sees OpenDB return the sql.Open pool (its site: the caller of sql.Open) and says
# the OpenDB pool was opened before it attached. Both compared with the lines the target
# reports (OPENED), in JSON and in the text view; and the walks at snapshots name both by
# their drivers and read their figures (open, idle, max, waiters) as the target gives them.
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
		expect "$v: $drv, opened at" \
			"$(jq -r --arg d "sql.DB $drv" '.pools[] | select(.name == $d) | "\(.opened_at | sub(".* "; "")) \(.opened_before_attach)"' "$WORK/snap.json")" \
			"$at false"
		expect "$v: *main.connector opened before attach" \
			"$(jq -r '.pools[] | select(.name == "sql.DB *main.connector") | "\(.opened_at) \(.opened_before_attach)"' "$WORK/snap.json")" \
			"null true"
		# Their figures as the walks at snapshots read them, the one opened since too.
		expect "$v: pools' own figures, live" \
			"$(jq -c '[.pools[] | {driver: (.name | sub("^sql\\.DB "; "")), open, idle, max: .max_open, waiters}] | sort_by(.driver)' "$WORK/snap.json")" \
			"$(sed -n 's/^TRUTH //p' "$WORK/target.out" | jq -sc 'sort_by(.driver)')"
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
		# A name wider than the POOL column has a line of its own, then the pool's row,
		# then where it was opened.
		expect "$v: text, $drv" \
			"$(grep -A2 "^sql.DB $drv$" "$WORK/top.txt" | tail -n 1 | sed 's/.* //')" "$at"
		expect "$v: text, *main.connector" \
			"$(grep -A2 '^sql.DB \*main.connector$' "$WORK/top.txt" | tail -n 1 | sed 's/^ *//')" \
			"opened before attach"
		target_stop
	done
done
finish
