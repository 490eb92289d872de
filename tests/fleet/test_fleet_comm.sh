#!/usr/bin/env bash
# --comm NAME follows the processes of that name as they come and go, as a server's
# recycled workers do: none at first (it says it waits), a worker started after
# codefer-top is attached at the next refresh, a second one too, and one that exits is
# detached and reported as gone while its counters stay in the sums. Every figure against
# the workers' own truth.
. "$(dirname "$0")/fleet_lib.sh"
need_leaky

# A name nothing else on this machine has (other tests run leaky fixtures too).
NAME="cfw$$"
NAME=${NAME:0:15}
HEX=$(printf %s "$NAME" | od -An -tx1 | tr -d ' \n')
last() { grep '^{' "$WORK/top.json" | tail -n 1 | jq -c "$1"; }

fleet_start --comm "$NAME"
expect "none yet: it says it waits" "$(cat "$WORK/top.err")" \
	"codefer-top: no process with that name yet: waiting for one"
expect "none yet: no process in the JSON" "$(last '[(.processes | length), .comm]')" "[0,\"$NAME\"]"

# worker_up NAME: a leaky fixture renamed NAME, attached by codefer-top's next refresh.
worker_up() {
	proc_start "$1" '^PID ' "$LEAKY"
	proc_do "$1" "name $HEX" 1
	fleet_wait "[.processes[].pid] | index(${PID_OF[$1]}) != null"
}
worker_up a
proc_do a work 2
proc_do a "exit 2" 3
worker_up b
proc_do b work 2
proc_do b "more 9" 3
expect "two workers" "$(last '[.processes[].pid] | sort | join(",")' | tr -d '"')" \
	"$(printf '%s\n' "${PID_OF[a]}" "${PID_OF[b]}" | sort -n | paste -sd,)"

# a's last truth, kept for the sums after it is gone.
cp "$WORK/a.out" "$WORK/a_before.out"
proc_quit a
fleet_wait ".gone_total == 1 and (.processes | length) == 1"
expect "a reported gone, once" "$(grep '^{' "$WORK/top.json" | jq -c '.gone[]')" \
	"{\"pid\":${PID_OF[a]},\"comm\":\"$NAME\"}"
proc_do b "exit 1" 4
top_settle 2
expect "left: b" "$(jq '[.processes[].pid]' -c "$WORK/snap.json")" "[${PID_OF[b]}]"
check_native b
echo "--- sums: b's figures, and a's counters (it ended) kept"
check_sums b --ended a_before

echo "-- the last one exits: --comm waits on"
fleet_start --comm "$NAME"
fleet_wait "[.processes[].pid] == [${PID_OF[b]}]"
proc_quit b
fleet_wait ".gone_total == 1 and (.processes | length) == 0"
top_settle 1
expect "nothing on stderr" "$(wc -l <"$WORK/top.err")" 0
finish
