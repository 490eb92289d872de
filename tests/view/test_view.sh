#!/usr/bin/env bash
# The live view as a person uses it: codefer-top in a real terminal (tmux), driven with
# keystrokes, the screen read back and compared with the leaky fixture's own truth:
# rows, help, filter, sort, detail, pause, colour, resize, quit.
. "$(dirname "$0")/../native/native_lib.sh"
need_root
. "$TESTS/view/tmux_lib.sh"

truth() { awk '/^DONE/ { n++ } n == N - 1 && /^TRUTH / { sub(/^TRUTH /, ""); print }' \
	N="$(grep -c '^DONE' "$WORK/target.out")" "$WORK/target.out"; }
want_rows() { truth | jq -r 'select(.coro) | "\(.coro) \(.pending) \(.conns_held)"' | sort -n; }
pending_of() { truth | jq -r "select(.coro == $1) | .pending"; }

# start ENV [ARGS...]: codefer-top (under env ENV, with ARGS) in a 160x45 terminal; its
# exit code goes to $WORK/rc.
start() {
	local envs=$1 args=
	shift
	[ $# -eq 0 ] || args=$(printf '%q ' "$@")
	local cmd="env $envs $CODEFER_TOP -p $TARGET_PID -d 0.5 $args; echo \$? >$WORK/rc; sleep 600"
	rm -f "$WORK/rc"
	# The same terminal again (a server left without sessions would be exiting).
	if "${T[@]}" has-session -t v 2>/dev/null; then
		"${T[@]}" respawn-pane -k -t v "$cmd"
	else
		"${T[@]}" new-session -d -s v -x 160 -y 45 "$cmd"
	fi
	wait_screen '^ +ID STATE' || fail "no table on the screen"
	wait_screen '^ +1 ' || fail "no worker row"
}

leaky_start
leaky_do 1 work
start ""

# The line of the worker's defer, from the fixture's source.
WLINE=$(awk '/^static void worker_body/ { f = 1 } f && /uco_defer\(/ { print NR; exit }' "$TESTS/native/leaky.c")

echo "-- the rows against the truth"
expect "rows: id pending conns" "$(rows | sort -n | tr '\n' ,)" "$(want_rows | tr '\n' ,)"
expect "sorted by pending: the worker first" "$(rows | head -n 1 | cut -d' ' -f1)" 1
expect "every row in order: pending, then id" "$(rows | tr '\n' ,)" \
	"$(rows | sort -k2,2nr -k1,1n | tr '\n' ,)"
expect "the worker's site" "$(screen | grep -cE '^ +1 .* piling +worker_body(\+0x[0-9a-f]+)? leaky\.c:'"$WLINE"'$')" 1

echo "-- help: ? and F1"
keys '?'
wait_screen '^codefer-top keys' || FAILED=1
for k in '? F1' / Esc Space 'Up Down j k' Enter '< >' I 'p c a g' q; do
	expect "help lists $k" "$(screen | awk -v k="$k" 'index($0, "  " k "  ") == 1' | wc -l)" 1
done
keys x
expect "any key closes it" "$(screen | grep -c '^codefer-top keys')" 0
keys F1
expect "F1 opens it" "$(screen | grep -c '^codefer-top keys')" 1
keys Escape

echo "-- filter: / then Enter; Esc clears"
keys / p a r k
expect "the prompt shows what is typed" "$(screen | grep -c '^filter (id, state or site): park_')" 1
keys Enter
expect "filtered rows: the parked coroutines" "$(rows | sort -n | tr '\n' ,)" \
	"$(want_rows | grep -v '^1 ' | tr '\n' ,)"
keys Escape
expect "Esc: every row again" "$(rows | wc -l)" "$(want_rows | wc -l)"

echo "-- sort: c, I, < >"
keys c
expect "c: the CONNS column" "$(screen | grep -c ' CONNSv ')" 1
expect "c: a holder first" "$(rows | head -n 1 | cut -d' ' -f3)" 1
expect "c: every row in order: conns, pending, then id" "$(rows | tr '\n' ,)" \
	"$(rows | sort -k3,3nr -k2,2nr -k1,1n | tr '\n' ,)"
keys I
expect "I: inverted" "$(screen | grep -c ' CONNS^ ')" 1
expect "I: the worker (no connection) first" "$(rows | head -n 1 | cut -d' ' -f1)" 1
keys '>'
expect "> : the next column" "$(screen | grep -c ' VERDICT^ ')" 1
keys '<' '<'
expect "< < : two columns back" "$(screen | grep -c ' PEAK^ ')" 1
keys p

echo "-- detail: Enter, Esc"
keys / 5 7 Enter
expect "filter 57: one row" "$(rows | cut -d' ' -f1)" 57
keys Enter
wait_screen '^coroutine 57 ' || FAILED=1
expect "57: pending" "$(screen | sed -n 's/^pending defers \([0-9]*\) .*/\1/p')" "$(pending_of 57)"
expect "57: pending by site, summed" \
	"$(screen | awk '/DEFERS REGISTERED AT/ { t = 1; next } t && /^ +[0-9]+  / { s += $1 } /^$/ { t = 0 } END { print s }')" \
	"$(pending_of 57)"
expect "57: connections held, with hold time and borrow site" \
	"$(screen | grep -cE '^ +[0-9]+s +0x[0-9a-f]+  take(\+0x[0-9a-f]+)? leaky\.c:[0-9]+$')" \
	"$(truth | jq -r 'select(.coro == 57) | .conns_held')"
expect "57: its create site" "$(screen | grep -cE '^created at: parked_body(\+0x0)? leaky\.c:[0-9]+$')" 1
keys Escape
expect "Esc: back to the table" "$(screen | grep -c '^ *ID STATE')" 1
keys Escape / w o r k e r Enter Enter
wait_screen '^coroutine 1 ' || FAILED=1
expect "worker: its defers at its line" \
	"$(screen | grep -E '^ +[0-9]+  worker_body(\+0x[0-9a-f]+)? leaky\.c:'"$WLINE"'$' | awk '{ print $1 }')" "$(pending_of 1)"
expect "worker: holds nothing" "$(screen | grep -c '(holds no connection)')" 1
keys Escape Escape
keys Home Down
first=$(rows | sed -n 1p | cut -d' ' -f1)
second=$(rows | sed -n 2p | cut -d' ' -f1)
keys Enter
expect "Home, Down, Enter: the second row's detail" "$(screen | head -n 1 | cut -d' ' -f2)" "$second"
keys Escape Up Enter
expect "Esc, Up, Enter: the first row's detail" "$(screen | head -n 1 | cut -d' ' -f2)" "$first"
keys Escape

echo "-- pause: Space"
keys Space
expect "header says PAUSED" "$(screen | head -n 1 | grep -c PAUSED)" 1
before=$(rows | awk '$1 == 1 { print $2 }')
leaky_do 2 "more 30"
sleep 1.5
expect "paused: the figures stay" "$(rows | awk '$1 == 1 { print $2 }')" "$before"
keys Space
wait_screen "^ +1 [a-z]+ +[0-9]+[smhd] +$(pending_of 1) " || FAILED=1
expect "resumed: the worker's pending, as the target says" "$(rows | awk '$1 == 1 { print $2 }')" "$(pending_of 1)"

echo "-- resize"
"${T[@]}" resize-window -t v -x 90 -y 24
sleep 1
expect "the key bar on the new last line" "$(screen | sed -n 24p | grep -c '^? help')" 1
expect "no line wider than 90" "$(screen | awk 'length > 90' | wc -l)" 0
"${T[@]}" resize-window -t v -x 160 -y 45
sleep 1
expect "and back: the key bar on line 45" "$(screen | sed -n 45p | grep -c '^? help')" 1
expect "rows still right" "$(rows | sort -n | tr '\n' ,)" "$(want_rows | tr '\n' ,)"

echo "-- colour by verdict"
# Each row's colour says its verdict: growing red (SGR 31), piling magenta (35), holding
# yellow (33), ok none. Prints "rows matching/rows".
colours() {
	screen -e | python3 -c '
import re, sys
want = {"growing": "31", "piling": "35", "holding": "33", "ok": None}
fg, n, good = None, 0, 0
# tmux writes only changes: the foreground colour carries from line to line.
for line in sys.stdin:
    text = re.sub(r"\x1b\[[0-9;]*m", "", line)
    f = text.split()
    row = len(f) >= 9 and f[0].isdigit() and f[7] in want
    at_id = None
    for tok in re.split(r"(\x1b\[[0-9;]*m)", line):
        m = re.fullmatch(r"\x1b\[([0-9;]*)m", tok)
        if m:
            for c in (m.group(1) or "0").split(";"):
                if c in ("0", "39"):
                    fg = None
                elif len(c) == 2 and c[0] == "3" and c[1] in "01234567":
                    fg = c
        elif at_id is None and tok.strip():
            at_id = fg
    if row:
        n += 1
        good += at_id == want[f[7]]
print("%d/%d" % (good, n))'
}
expect "every row in its verdict's colour" "$(colours)" "$(want_rows | wc -l)/$(want_rows | wc -l)"
keys c
expect "and after a re-sort" "$(colours)" "$(want_rows | wc -l)/$(want_rows | wc -l)"

echo "-- q quits: exit 0, terminal and probes given back"
keys q
for ((i = 0; i < 50; i++)); do [ -s "$WORK/rc" ] && break; sleep 0.1; done
expect "exit code" "$(cat "$WORK/rc" 2>/dev/null)" 0
expect "cursor visible again" "$("${T[@]}" display -p -t v '#{cursor_flag}')" 1
probe_points
expect "breakpoints left in the target" "$(breakpoints "$TARGET_PID")" clean

echo "-- the warnings banner"
# A probe whose coroutine id cannot be read: each call of uco_defer is an event lost.
start "" --probe 'create=uco_register,co=arg0[0]' \
	--probe 'touch=uco_defer,co=sym:uco_current[0][0][99999999]'
expect "no warning yet" "$(screen | sed -n 3p)" "events: 0, none lost"
before=$(truth | jq 'select(.coro == 1) | .defers_registered')
leaky_do 3 "more 20"
n=$(($(truth | jq 'select(.coro == 1) | .defers_registered') - before))
wait_screen "^1 warning: $n events lost \(unreadable $n, map full 0, truncated 0\)" || FAILED=1
expect "banner: one warning, every uco_defer call since" "$(screen | sed -n 3p)" \
	"1 warning: $n events lost (unreadable $n, map full 0, truncated 0)"
expect "banner in white on red" "$(screen -e | sed -n 3p | grep -cE '\[([0-9]+;)*41(;[0-9]+)*m|\[[0-9;]*41m')" 1
keys q

echo "-- a coroutine's detail once it has ended: it says so, on no other coroutine"
start ""
# Selected through a filter, which Esc then clears: other rows are there to take its place.
keys / 5 7 Enter Escape Enter
wait_screen '^coroutine 57 ' || FAILED=1
leaky_do 4 unpark
wait_screen '^coroutine 57 has ended' || FAILED=1
expect "ended: the detail stays on 57" "$(screen | head -n 1 | cut -d' ' -f1-4)" "coroutine 57 has ended"
keys Escape Escape q

for how in NO_COLOR=1 --no-color; do
	case $how in
	--*) start "" "$how" ;;
	*) start "$how" ;;
	esac
	expect "$how: no colour at all" "$(screen -e | grep -cE '\[[0-9;]*(3[1-7]|41)m')" 0
	keys q
done
finish
