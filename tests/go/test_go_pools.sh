#!/usr/bin/env bash
# database/sql pools as their DBs describe them, with every installed Go, with symbols and
# stripped: an exhausted pool (out == max, goroutines waiting) and an unlimited one with
# idle connections (tests/go/gopools.go). Each DB is found through its connectionOpener
# goroutine and named by its driver. codefer-dump on a core (gcore), and gdb's `codefer
# pools` on that core and on the live process, must give the target's own figures; and
# codefer-top attached after the borrows, as connections are taken and given back.
. "$(dirname "$0")/go_lib.sh"
need_basics
command -v gcore >/dev/null || skip "no gcore (gdb)"

# The truth as gdb's `codefer pools` words it, one line a pool, sorted.
gdb_lines() {
	jq -r '"\(.driver): \(.open) open, \(.idle) idle, max \(if .max < 0 then "none" else .max end), \(.waiters) waiting; \(.open - .idle) out (holders not known)"' "$WORK/truth" | sort
}

for go in $(go_toolchains); do
	for variant in plain stripped; do
		bin=$(go_build "$go" "$variant" "$GO_TESTS/gopools.go") || fail "cannot build gopools.go with $go"
		v=$(basename "$bin")
		target_start "$bin"
		echo go >&3
		wait_line "$WORK/target.out" '^DONE' 30 || fail "target printed no DONE"
		sed -n 's/^TRUTH //p' "$WORK/target.out" >"$WORK/truth"
		timeout 120 gdb -batch -nx -p "$TARGET_PID" -x "$CODEFER_PY" -ex 'codefer pools' \
			>"$WORK/gdb.out" 2>&1
		expect "$v: gdb codefer pools, live" \
			"$(sed -n 's/^pool 0x[0-9a-f]* sql\.DB //p' "$WORK/gdb.out" | sort | tr '\n' ';')" \
			"$(gdb_lines | tr '\n' ';')"
		gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
		core=$WORK/core.$TARGET_PID
		# codefer-top attached after the borrows: the connections out then, plus and
		# minus what the probes see taken and given back (one of those taken before).
		top_start
		for cmd in take take give; do
			echo "$cmd" >&3
		done
		for ((i = 0; i < 300; i++)); do
			[ "$(grep -c '^OUT ' "$WORK/target.out")" -ge 3 ] && break
			sleep 0.1
		done
		top_settle 2
		expect "$v: codefer-top, connections out of the OpenDB pool" \
			"$(jq -r '.pools[] | select(.name | endswith("main.connector")) | .outstanding' "$WORK/snap.json")" \
			"$(sed -n 's/^OUT //p' "$WORK/target.out" | tail -n 1)"
		expect "$v: codefer-top, connections out in all" \
			"$(jq -r '.totals.conns_outstanding' "$WORK/snap.json")" \
			"$(($(sed -n 's/^OUT //p' "$WORK/target.out" | tail -n 1) + $(jq -r 'select(.driver == "main.fakeDriver") | .open' "$WORK/truth")))"
		target_stop
		"$CODEFER_DUMP" --json "$core" "$bin" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
			fail "$v: codefer-dump failed"
		expect "$v: pools in a core" \
			"$(jq -c '[.pools[] | {driver: (.name | sub("^sql\\.DB "; "")), open, idle, max, waiters}] | sort_by(.driver)' "$WORK/dump.json")" \
			"$(jq -sc 'sort_by(.driver)' "$WORK/truth")"
		expect "$v: connections out of the exhausted pool" \
			"$(jq -r '.pools[] | select(.name == "sql.DB main.fakeDriver") | "\(.out) of \(.max)"' "$WORK/dump.json")" \
			"$(jq -r 'select(.driver == "main.fakeDriver") | "\(.open) of \(.max)"' "$WORK/truth")"
		timeout 120 gdb -batch -nx "$bin" "$core" -x "$CODEFER_PY" -ex 'codefer pools' \
			>"$WORK/gdb.out" 2>&1
		expect "$v: gdb codefer pools, core" \
			"$(sed -n 's/^pool 0x[0-9a-f]* sql\.DB //p' "$WORK/gdb.out" | sort | tr '\n' ';')" \
			"$(gdb_lines | tr '\n' ';')"
		rm -f "$core"
	done
done
finish
