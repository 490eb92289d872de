#!/usr/bin/env bash
# Debian's prometheus, a stripped Go server (no .symtab, no DWARF), against its own count
# of its goroutines. The count that go_goroutines reports is runtime.NumGoroutine: every
# goroutine but the runtime's own (those started in package runtime, runtime.main aside).
# /metrics computes it while its Registry.Gather runs goroutines of its own, a varying
# number of them; /debug/pprof/goroutine?debug=2 lists the same goroutines with a handler
# that starts none: its dump is the truth, the goroutines serving the request itself (the
# connection's, created by net/http.(*Server).Serve, and its background read) aside.
# The rule: dump, census, dump; the census counts when both dumps list the same
# goroutines by creator (nothing started or ended across it), retried up to 5 times. The
# census: a walk alone (--no-probes), then codefer-top's first snapshot with its probes
# in (--freeze: the target stopped while they go in and the census is taken). Compared: the number of goroutines and their count per
# `go` statement ("created by F at file:line"), the census's against the dump's.
. "$(dirname "$0")/go_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v prometheus >/dev/null || skip "no prometheus (scripts/install-deps.sh installs it)"
command -v curl >/dev/null || skip "no curl"
[ -x "$CODEFER_TOP" ] || fail "codefer-top not built ($CODEFER_TOP)"

# dump: the goroutines the dump lists, one line each: "created by F at file:line", or
# "main" for the main goroutine; the request's own two left out; sorted.
dump() {
	curl -sf "http://127.0.0.1:$PORT/debug/pprof/goroutine?debug=2" | awk '
		/^goroutine [0-9]+ / { if (n++) print by; by = "main" }
		/^created by / { c = $3; getline; sub(/^\t/, ""); sub(/ \+0x.*/, ""); n2 = split($0, p, "/")
			by = "created by " c " at " p[n2] }
		END { if (n) print by }' |
		grep -v -e '^created by net/http\.(\*Server)\.Serve ' \
			-e '^created by net/http\.(\*connReader)\.startBackgroundRead ' | sort
}

# census [ARGS]: the goroutines codefer-top's first snapshot lists, as dump lists them,
# the runtime's own left out.
census() {
	"$CODEFER_TOP" -p "$TARGET_PID" "$@" --json -n 1 -d 0.5 >"$WORK/snap.json" \
		2>"$WORK/top.err" || fail "codefer-top $* failed"
	jq -r '.coroutines[] | select((.start | startswith("runtime.") | not) or
		(.start | startswith("runtime.main "))) |
		if (.create_site | startswith("created by ")) then .create_site else "main" end' \
		"$WORK/snap.json" | sort
}

PORT=$(free_port)
printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$WORK/prom.yml"
TARGET_READY='Server is ready to receive web requests'
target_start timeout 300 prometheus --config.file="$WORK/prom.yml" \
	--storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$PORT"
# The binary codefer reads is prometheus itself, under timeout.
TARGET_PID=$(pgrep -P "$TARGET_PID" -x prometheus) || fail "prometheus did not start"
echo "INFO: $(prometheus --version 2>&1 | head -n 1)"

# A walk alone (--no-probes), then the census at attach with the probes in.
for mode in --no-probes --freeze; do
	for ((try = 1; try <= 5; try++)); do
		dump >"$WORK/before"
		census "$mode" >"$WORK/census"
		dump >"$WORK/after"
		cmp -s "$WORK/before" "$WORK/after" && [ -s "$WORK/before" ] && break
	done
	[ "$try" -le 5 ] || fail "$mode: prometheus never held still across a census (5 tries)"
	echo "$mode: settled at try $try"
	expect "$mode: goroutines (the dump's total)" "$(wc -l <"$WORK/census")" "$(wc -l <"$WORK/before")"
	expect "$mode: goroutines per go statement" "$(uniq -c "$WORK/census" | tr -s ' ' | paste -sd ';')" \
		"$(uniq -c "$WORK/before" | tr -s ' ' | paste -sd ';')"
done
echo "INFO: go_goroutines $(curl -sf "http://127.0.0.1:$PORT/metrics" | sed -n 's/^go_goroutines //p') (the dump's $(wc -l <"$WORK/before"), the request's 2, Registry.Gather's own)"
expect "the stripped binary's functions came from its pclntab" \
	"$(jq -r '.coroutines[] | select(.id == 1) | .start | split(" ")[0]' "$WORK/snap.json")" "runtime.main"
finish
