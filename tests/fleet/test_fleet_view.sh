#!/usr/bin/env bash
# The live view over two processes, as a person uses it in a terminal (tmux): the sums and
# a line per process over the table of the one shown, Tab and Shift-Tab to go from one to
# the other, and a process that exits reported as gone. Every figure on screen against
# the two fixtures' own truths. Then --comm with nothing to watch yet.
. "$(dirname "$0")/fleet_lib.sh"
need_leaky
. "$TESTS/view/tmux_lib.sh"

proc_start a '^PID ' "$LEAKY"
proc_start b '^PID ' "$LEAKY"
proc_do a work 1
proc_do b work 1
proc_do b "more 12" 2
proc_do b "exit 2" 3
A=${PID_OF[a]} B=${PID_OF[b]}

"${T[@]}" new-session -d -s v -x 160 -y 45 \
	"$CODEFER_TOP -p $A,$B -d 0.5; echo \$? >$WORK/rc; sleep 600"
wait_screen '^codefer-top - 2 processes' || fail "no fleet header on the screen"
wait_screen '^ +ID STATE' || fail "no table on the screen"

# want_rows NAME: "id pending conns" of its live coroutines, by id.
want_rows() { truth_of "$1" '.[] | select(.coro) | "\(.coro) \(.pending) \(.conns_held)"' | sort -n; }
# want_proc NAME: its process line as the view prints it (pid, comm, runtime, live,
# pending, out, orphans).
want_proc() {
	echo "${PID_OF[$1]} leaky ucoro $(truth_of "$1" '[.[] | select(.coro)] | length')" \
		"$(truth_of "$1" '[.[] | select(.coro) | .pending] | add')" \
		"$(truth_of "$1" '.[] | select(.created) | "\(.outstanding) \(.orphans)"')"
}
procs() { screen | awk '/^ +PID COMM +RUNTIME/ { t = 1; next } t && /^ +[0-9]+ / { print $1, $2, $3, $4, $5, $6, $7; next } t { exit }'; }
sum_of() { truth_of a "$1" | paste - <(truth_of b "$1") | awk '{ print $1 + $2 }'; }

echo "-- the processes and their sums"
expect "a line per process" "$(procs | tr '\n' ,)" "$(printf '%s\n' "$(want_proc a)" "$(want_proc b)" | tr '\n' ,)"
expect "sum: live and pending" \
	"$(screen | sed -n 's/^sum: coroutines: \([0-9]*\) live, .* defers: \([0-9]*\) pending, .*/\1 \2/p')" \
	"$(sum_of '[.[] | select(.coro)] | length') $(sum_of '[.[] | select(.coro) | .pending] | add')"
expect "sum: connections out and orphaned" \
	"$(screen | sed -n 's/^sum: .* conns: \([0-9]*\) out, \([0-9]*\) orphaned$/\1 \2/p')" \
	"$(sum_of '.[] | select(.created) | .outstanding') $(sum_of '.[] | select(.created) | .orphans')"

echo "-- Tab: one process after the other"
expect "first shown: a" "$(screen | grep -c "^codefer-top - pid $A ")" 1
expect "a's rows" "$(rows | sort -n | tr '\n' ,)" "$(want_rows a | tr '\n' ,)"
keys Tab
wait_screen "^codefer-top - pid $B " || FAILED=1
expect "Tab: b's rows" "$(rows | sort -n | tr '\n' ,)" "$(want_rows b | tr '\n' ,)"
expect "Tab: b's line marked" "$(screen -e | grep -F "$(printf '\e[7m')" | grep -c " $B leaky")" 1
keys BTab
wait_screen "^codefer-top - pid $A " || FAILED=1
expect "Shift-Tab: a's rows again" "$(rows | sort -n | tr '\n' ,)" "$(want_rows a | tr '\n' ,)"
keys '?'
expect "help lists Tab" "$(screen | grep -c '^  Tab S-Tab ')" 1
keys x

echo "-- a process that exits"
proc_quit a
wait_screen "gone: pid $A \(leaky\)" || FAILED=1
expect "one process left" "$(procs | tr '\n' ,)" "$(want_proc b),"
expect "b shown now" "$(screen | grep -c "^codefer-top - pid $B ")" 1
expect "b's rows" "$(rows | sort -n | tr '\n' ,)" "$(want_rows b | tr '\n' ,)"

keys q
for ((i = 0; i < 50; i++)); do [ -s "$WORK/rc" ] && break; sleep 0.1; done
expect "q: exit code" "$(cat "$WORK/rc" 2>/dev/null)" 0

echo "-- --comm with no process of that name yet"
rm -f "$WORK/rc"
"${T[@]}" respawn-pane -k -t v "$CODEFER_TOP --comm nosuch$$ -d 0.5; echo \$? >$WORK/rc; sleep 600"
wait_screen "^ +\(no process named nosuch$$ yet: waiting for one\)$" || FAILED=1
keys Tab Enter j
expect "keys with nothing to show: still waiting" "$(screen | grep -c "^codefer-top - 0 processes named nosuch$$ ")" 1
keys q
for ((i = 0; i < 50; i++)); do [ -s "$WORK/rc" ] && break; sleep 0.1; done
expect "q: exit code" "$(cat "$WORK/rc" 2>/dev/null)" 0
finish
