#!/usr/bin/env bash
# Goroutines grouped by the `go` statement that started them (g.gopc), with every
# installed Go, with symbols and stripped: "created by F at file.go:N" must count
# exactly the goroutines the target started there, seen by the create probes (attached
# first), by the census (attached after: with the line each is parked at, `wait_site`),
# and by codefer-dump on a core, whose JSON also keeps the function each one runs
# (`start`) and the line it is parked at, and by gdb's `codefer summary` on that core.
# A goroutine parked in the standard library (mu.Lock, wg.Wait, cond.Wait, time.Sleep,
# conn.Read) waits at the line of the program's that called it, as the target says.
. "$(dirname "$0")/go_lib.sh"
need_basics
command -v gcore >/dev/null || skip "no gcore (gdb)"

# compare LABEL FILE JQ: the {site: count} the JQ expression makes of FILE against the
# truth's.
compare() {
	expect "$1" "$(jq -Sc "$3" "$2")" \
		"$(jq -sSc 'map({key: "created by \(.func) at gostarts.go:\(.line)", value: .count}) | from_entries' "$WORK/truth")"
}
sites='[.sites[] | select(.kind == "create" and (.site | test("^created by main\\.")))
	| {key: .site, value: .pending}] | from_entries'
# waits LABEL FILE ORIGIN: the wait sites of main.waits' goroutines (but its accept loop)
# in FILE, whose creation site is field ORIGIN, against the target's WAIT lines.
waits() {
	expect "$1" \
		"$(jq -r ".coroutines[] | select(.$3 // \"\" | test(\"by main\\\\.waits at\")) | .wait_site
			| select(test(\"^main\\\\.waits\\\\.\") | not)" "$2" | sort | tr '\n' ';')" \
		"$(sed -n 's/^WAIT //p' "$WORK/target.out" | jq -r '"\(.func) gostarts.go:\(.line)"' |
			sort | tr '\n' ';')"
}

for go in $(go_toolchains); do
	for variant in plain stripped; do
		bin=$(go_build "$go" "$variant" "$GO_TESTS/gostarts.go") || fail "cannot build gostarts.go with $go"
		v=$(basename "$bin")
		target_start "$bin" 10
		top_start
		echo go >&3
		wait_line "$WORK/target.out" '^DONE' 30 || fail "target printed no DONE"
		sed -n 's/^TRUTH //p' "$WORK/target.out" >"$WORK/truth"
		top_settle 2
		compare "$v: create sites seen by the probes" "$WORK/snap.json" "$sites"
		top_start
		top_settle 1
		compare "$v: create sites from the census" "$WORK/snap.json" "$sites"
		expect "$v: codefer-top's wait site of main.named's goroutines" \
			"$(jq -r '[.coroutines[] | select(.create_site // "" | test("main\\.named")) | .wait_site | sub(".* "; "")] | unique | join(",")' "$WORK/snap.json")" \
			"gostarts.go:$(grep -n '^func park' "$GO_TESTS/gostarts.go" | cut -d: -f1)"
		waits "$v: codefer-top's wait sites in the standard library's waits" "$WORK/snap.json" create_site
		gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
		core=$WORK/core.$TARGET_PID
		target_stop
		"$CODEFER_DUMP" --json "$core" "$bin" >"$WORK/dump.json" 2>"$WORK/dump.err" ||
			fail "$v: codefer-dump failed"
		timeout 120 gdb -batch -nx "$bin" "$core" -x "$CODEFER_PY" -ex 'codefer summary' \
			>"$WORK/gdb.out" 2>&1
		rm -f "$core"
		expect "$v: gdb codefer summary, created by" \
			"$(sed -n 's/^ *\([0-9]*\)  \(created by main\..*\)/\2=\1/p' "$WORK/gdb.out" | sort | tr '\n' ';')" \
			"$(jq -r '"created by \(.func) at gostarts.go:\(.line)=\(.count)"' "$WORK/truth" | sort | tr '\n' ';')"
		compare "$v: create sites in a core" "$WORK/dump.json" \
			'[.coroutines[] | select(.origin | test("^created by main\\.")) | .origin]
			 | group_by(.) | map({key: .[0], value: length}) | from_entries'
		compare "$v: create sites in a core's summary" "$WORK/dump.json" \
			'[.summary.created[] | select(.site | test("^created by main\\."))
			  | {key: .site, value: .coroutines}] | from_entries'
		# The closure a `go func(){...}()` runs is where the statement is.
		expect "$v: start function of main.closures' goroutines" \
			"$(jq -r '[.coroutines[] | select(.origin | test("main\\.closures")) | .start | sub("\\+0x[0-9a-f]+ "; " ")] | unique | join(",")' "$WORK/dump.json")" \
			"main.closures.func1 gostarts.go:$(jq -r 'select(.func == "main.closures") | .line' "$WORK/truth")"
		# The line (park may be inlined into the go statement's wrapper, 1.22+).
		expect "$v: wait site of main.named's goroutines" \
			"$(jq -r '[.coroutines[] | select(.origin | test("main\\.named")) | .wait_site | sub(".* "; "")] | unique | join(",")' "$WORK/dump.json")" \
			"gostarts.go:$(grep -n '^func park' "$GO_TESTS/gostarts.go" | cut -d: -f1)"
		waits "$v: wait sites in the standard library's waits, in a core" "$WORK/dump.json" origin
	done
done
finish
