#!/usr/bin/env bash
# A process's name (comm) is untrusted text, and so is --comm NAME: with several
# processes, the text, the JSON (each process, the --comm name, the processes gone) and
# /metrics stay free of raw control bytes and show the name escaped.
. "$(dirname "$0")/fleet_lib.sh"
need_leaky
. "$TESTS/metrics/prom_lib.sh"

proc_start a '^PID ' "$LEAKY"
proc_start b '^PID ' "$LEAKY"
proc_do b "name 1b5b324a225cffc29b0778" 1
expect "renamed" "$(od -An -tx1 "/proc/${PID_OF[b]}/comm" | tr -d ' \n')" 1b5b324a225cffc29b07780a
shown='\x1b[2J"\\xff\xc2\x9b\x07x'

timeout 30 "$CODEFER_TOP" -p "${PID_OF[a]},${PID_OF[b]}" -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
expect "text: exit code" "$?" 0
expect "text: safe" "$(safe_output "$WORK/top.txt" text)" safe
expect "text: b's line and header, the name escaped" "$(grep -cF "$shown" "$WORK/top.txt")" 2

timeout 30 "$CODEFER_TOP" -p "${PID_OF[a]},${PID_OF[b]}" --json -n 1 \
	>"$WORK/fleet.json" 2>"$WORK/top.err"
expect "JSON: exit code" "$?" 0
expect "JSON: safe" "$(safe_output "$WORK/fleet.json" json)" safe
expect "JSON: b's name" \
	"$(python3 -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))["processes"][1]["comm"]))' "$WORK/fleet.json")" \
	"'\\x1b[2J\"\\\\\\\\xff\\x9b\\x07x'"

echo "-- --comm with that name"
fleet_start --comm "$(printf '\x1b[2J"\\\xff\xc2\x9b\x07x')" --listen "127.0.0.1:$MPORT"
fleet_wait "[.processes[].pid] == [${PID_OF[b]}]"
curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/page.txt"
expect "/metrics: safe" "$(safe_output "$WORK/page.txt" text)" safe
expect "/metrics: b's comm label, escaped" \
	"$(grep -c "^codefer_process_defers_pending{pid=\"${PID_OF[b]}\",comm=\"\\\\\\\\x1b\\[2J" "$WORK/page.txt")" 1
proc_quit b
fleet_wait ".gone_total == 1"
top_settle 0
expect "JSON: safe" "$(safe_output "$WORK/top.json" json)" safe
expect "JSON: the --comm name and the gone one's" \
	"$(grep '^{' "$WORK/top.json" | tail -n 2 | python3 -c 'import json,sys
for l in sys.stdin:
    j = json.loads(l)
    if j["gone"]: print(ascii(j["comm"]) == ascii(j["gone"][0]["comm"]), ascii(j["comm"]))')" \
	"True '\\x1b[2J\"\\\\\\\\xff\\x9b\\x07x'"
expect "stderr: safe" "$(safe_output "$WORK/top.err" text)" safe
finish
