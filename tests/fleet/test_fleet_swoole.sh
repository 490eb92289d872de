#!/usr/bin/env bash
# --comm on a real Swoole process pool whose workers are recycled: the master forks two
# workers, each runs the Swoole leak of tests/php/swoole_leak.php once codefer-top has
# attached it; one is killed and the master forks its replacement, which codefer-top
# attaches at its next refresh while it reports the old one gone. Every worker's figures,
# and the sums, against the truths the workers printed.
. "$(dirname "$0")/fleet_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
command -v php >/dev/null || skip "no php CLI"
php -m 2>/dev/null | grep -qx swoole || skip "swoole extension not loaded (php -m): see tests/README.md"
echo "INFO: $(php -r 'echo "PHP ", PHP_VERSION, ", Swoole ", phpversion("swoole");')"

# The pool under a name of its own (comm comes from the name it was run by): other
# tests run php too.
NAME="cfsw$$"
NAME=${NAME:0:15}
mkdir "$WORK/bin"
ln -s "$(readlink -f "$(command -v php)")" "$WORK/bin/$NAME"
"$WORK/bin/$NAME" "$FLEET_TESTS/swoole_pool.php" "$WORK" 2 40 10 >"$WORK/pool.out" 2>"$WORK/pool.err" &
MASTER=$!
workers() { pgrep -P "$MASTER" | sort -n; }
# lines N PATTERN: until the pool printed N lines matching PATTERN.
lines() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(cat "$WORK/pool.out" 2>/dev/null | grep -c "$2")" -ge "$1" ] && return 0
		kill -0 "$MASTER" 2>/dev/null || fail "the pool died: $(tail -n 3 "$WORK/pool.err")"
		sleep 0.1
	done
	fail "the pool printed $(grep -c "$2" "$WORK/pool.out") of $1 lines matching $2"
}
# run_worker PID: once codefer-top watches it, the worker runs its leak.
run_worker() {
	fleet_wait "[.processes[].pid] | index($1) != null"
	touch "$WORK/go.$1"
}
# truth PID KEY: what worker PID said of KEY.
truth() { grep '^TRUTH ' "$WORK/pool.out" | cut -d' ' -f2- | jq -r "select(.pid == $1) | .$2"; }
# check_worker PID: its object in the last snapshot against its truth.
check_worker() {
	local k
	echo "--- worker $1"
	expect "$1: runtime" "$(jq -r --argjson p "$1" '.processes[] | select(.pid == $p) | .runtime' "$WORK/snap.json")" swoole
	# The start callback's coroutine ends too, when it ran in one (STARTER cid > 0).
	expect "$1: coroutines_exited" \
		"$(jq -r --argjson p "$1" '.processes[] | select(.pid == $p) | .totals.coroutines_exited' "$WORK/snap.json")" \
		"$(($(truth "$1" exited) + $(grep '^STARTER ' "$WORK/pool.out" | cut -d' ' -f2- | jq "select(.pid == $1) | if .cid > 0 then 1 else 0 end")))"
	for k in created:coroutines_created live:coroutines_live \
		defers_registered:defers_registered defers_run:defers_run defers_pending:defers_pending \
		outstanding:conns_outstanding orphans:conns_orphaned; do
		expect "$1: ${k#*:}" \
			"$(jq -r --argjson p "$1" ".processes[] | select(.pid == \$p) | .totals.${k#*:}" "$WORK/snap.json")" \
			"$(truth "$1" "${k%%:*}")"
	done
}
# sum_of KEY PID...: KEY summed over those workers' truths.
sum_of() { local p s=0; for p in "${@:2}"; do s=$((s + $(truth "$p" "$1"))); done; echo "$s"; }

lines 2 '^READY'
read -r W1 W2 < <(workers | paste -sd' ')
fleet_start --comm "$NAME"
run_worker "$W1"
run_worker "$W2"
lines 2 '^TRUTH '
top_next 2
expect "master and two workers" "$(jq -c '[.processes[].pid] | sort' "$WORK/snap.json")" \
	"$(printf '%s\n' "$MASTER" "$W1" "$W2" | sort -n | jq -sc .)"
check_worker "$W1"
check_worker "$W2"

echo "-- a worker recycled"
kill -9 "$W1"
lines 3 '^READY'
W3=$(workers | grep -vx "$W2")
run_worker "$W3"
lines 3 '^TRUTH '
top_next 2
expect "$W1 reported gone, once" "$(grep '^{' "$WORK/top.json" | jq -c '.gone[]')" \
	"{\"pid\":$W1,\"comm\":\"$NAME\"}"
expect "master and the two workers alive" "$(jq -c '[.processes[].pid] | sort' "$WORK/snap.json")" \
	"$(printf '%s\n' "$MASTER" "$W2" "$W3" | sort -n | jq -sc .)"
check_worker "$W3"
echo "--- sums: the workers alive, and the counters of the one gone"
for k in created:coroutines_created defers_registered:defers_registered defers_run:defers_run; do
	expect "sum ${k#*:}" "$(jq ".totals.${k#*:}" "$WORK/snap.json")" "$(sum_of "${k%%:*}" "$W1" "$W2" "$W3")"
done
for k in live:coroutines_live defers_pending:defers_pending outstanding:conns_outstanding orphans:conns_orphaned; do
	expect "sum ${k#*:}" "$(jq ".totals.${k#*:}" "$WORK/snap.json")" "$(sum_of "${k%%:*}" "$W2" "$W3")"
done
top_settle 0
{ kill -9 "$MASTER" $(workers); wait "$MASTER"; } 2>/dev/null
finish
