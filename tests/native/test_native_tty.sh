#!/usr/bin/env bash
# The live view on a terminal (a pty from script(1)): it draws the leak; each key is sent
# once the screen is drawn, and each redraws the table sorted its way: c puts the
# coroutines holding a connection first, a and g say so in the header, p puts the worker
# (most pending) back on top; q quits with exit 0, the cursor comes back, and no
# breakpoint is left in the target.
. "$(dirname "$0")/native_lib.sh"
need_root
command -v script >/dev/null || skip "no script (util-linux)"

leaky_start
leaky_do 1 work
probe_points
mkfifo "$WORK/keys"
timeout 60 script -qfec "stty rows 40 cols 160; $CODEFER_TOP -p $TARGET_PID -d 0.5" /dev/null \
	<"$WORK/keys" >"$WORK/tty.raw" &
TTY_PID=$!
exec 4>"$WORK/keys"

# screen FROM: the terminal's text from byte FROM on, without escape sequences and CRs.
screen() {
	tail -c +"$(($1 + 1))" "$WORK/tty.raw" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g'
}
# drawn FROM SORT: waits (10 s at most) for a whole frame sorted by SORT after byte FROM;
# prints its first coroutine row as "ID PENDING CONNS".
drawn() {
	local i row
	for ((i = 0; i < 100; i++)); do
		row=$(screen "$1" | awk -v s="sorted by $2" 'index($0, s) { f = 1; r = "" }
			f && r == "" && p { r = $1 " " $4 " " $7 } f && /ID STATE/ { p = 1 }
			f && r != "" && /POOL/ { print r; exit }')
		[ -n "$row" ] && { echo "$row"; return; }
		sleep 0.1
	done
	echo "no frame sorted by $2"
}
# key K SORT: presses K once the screen is drawn; prints the first row of the new frame.
key() {
	local at
	at=$(stat -c %s "$WORK/tty.raw")
	printf %s "$1" >&4
	drawn "$at" "$2"
}

worker=$(grep '^TRUTH {"coro": 1,' "$WORK/target.out" | sed 's/.*"pending": \([0-9]*\).*/1 \1 0/')
expect "first frame, sorted by pending: the worker on top" "$(drawn 0 pending)" "$worker"
expect "while drawing" "$(breakpoints "$TARGET_PID")" int3
expect "key c: a coroutine holding a connection on top" "$(key c conns | awk '{ print $3 }')" 1
expect "key a: sorted by age" "$(key a age | grep -c "^[0-9]")" 1
expect "key g: sorted by growth" "$(key g growth | grep -c "^[0-9]")" 1
expect "key p: the worker on top again" "$(key p pending)" "$worker"
printf q >&4
exec 4>&-
wait "$TTY_PID"
expect "exit code after q" "$?" 0
expect "cursor shown again at the end" "$(tail -c 20 "$WORK/tty.raw" | grep -c $'\x1b\\[?25h')" 1
expect "no breakpoint left" "$(breakpoints "$TARGET_PID")" clean
finish
