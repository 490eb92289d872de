#!/usr/bin/env bash
# One codefer-top across many changes: a refresh rebuilds only the rows that changed
# (census rows that stay quiet keep their row, their site totals and their JSON text),
# so every snapshot after each step must match the target's truth exactly: a census row
# the probes then see change (the worker), new coroutines, their ends, the per-site totals
# going up and down, and quiet rows staying as they were.
. "$(dirname "$0")/native_lib.sh"
need_root

line_of() {	# line_of BODY NTH: the line of BODY's NTH uco_defer call in leaky.c
	awk -v body="$1" -v nth="$2" '$0 ~ "^static void " body { f = 1 }
		f && /uco_defer\(/ && ++n == nth { print NR; exit }' "$TESTS/native/leaky.c"
}
PARK1=$(line_of parked_body 1)
PARK2=$(line_of parked_body 2)
truth() {	# truth FIELD: the target's last total
	grep '^TRUTH {"created"' "$WORK/target.out" | tail -n 1 | sed 's/^TRUTH //' | jq ".$1"
}
site() {	# site KIND PATTERN: pending at the site of that kind matching PATTERN (0: none)
	jq -r --arg k "$1" --arg p "$2" \
		'[.sites[] | select(.kind == $k and (.site | test($p))) | .pending] | add // 0' \
		"$WORK/snap.json"
}
step=1
# step CMD: the target does CMD; two snapshots later, everything against its truth.
step() {
	step=$((step + 1))
	leaky_do "$step" "$1"
	top_next 2
	echo "-- after '$1'"
	check census ucoro
	expect "created since attach" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" \
		$(($(truth created) - CREATED0))
	expect "exited since attach" "$(jq_get "$WORK/snap.json" .totals.coroutines_exited)" \
		$(($(truth finished) - FINISHED0))
	expect "parked, first defer site" "$(site defer "^parked_body .*leaky.c:$PARK1\$")" "$(truth parked)"
	expect "parked, second defer site" "$(site defer "^parked_body .*leaky.c:$PARK2\$")" "$(truth parked)"
	expect "parked, creation site" "$(site create '^parked_body ')" "$(truth parked)"
}

leaky_start
leaky_do 1 work
CREATED0=$(truth created)
FINISHED0=$(truth finished)
top_start
top_next 1
echo "-- census"
check census ucoro
step "park 20"
step "more 40"
step "unpark"
step "exit 3"
step "park 5"
step "more 7"
# Nothing happens: the rows and sites stay, and every row's text but its age with them.
top_next 1
cp "$WORK/snap.json" "$WORK/quiet1.json"
top_next 1
strip='del(.time, .interval_s) | .coroutines[] |= del(.age_s, .oldest_hold_s, .verdict) | .pools[] |= del(.conns[]?.held_s, .oldest_hold_s)'
expect "quiet snapshots alike (but ages)" "$(jq -c "$strip" "$WORK/snap.json")" \
	"$(jq -c "$strip" "$WORK/quiet1.json")"
finish
