#!/usr/bin/env bash
# The live view on a terminal (a pty from script(1)): it draws the leak, a key changes the
# sort order, q quits with exit 0, the cursor comes back and no uprobe is left.
. "$(dirname "$0")/native_lib.sh"
need_root
command -v script >/dev/null || skip "no script (util-linux)"

leaky_start
leaky_do 1 work
# Keys: c after two seconds (sort by connections), q a second later.
(sleep 2; printf c; sleep 1.2; printf q) |
	timeout 30 script -qfec "stty rows 40 cols 160; $CODEFER_TOP -p $TARGET_PID -d 0.5" /dev/null \
		>"$WORK/tty.raw"
expect "exit code" "$?" 0
# The screen without escape sequences and carriage returns.
sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g' "$WORK/tty.raw" >"$WORK/tty.out"
expect "drawn sorted by pending first" "$(grep -c 'sorted by pending' "$WORK/tty.out" | awk '{ print ($1 > 0) }')" 1
expect "key c: sorted by conns" "$(grep -c 'sorted by conns' "$WORK/tty.out" | awk '{ print ($1 > 0) }')" 1
expect "the worker's row" \
	"$(grep -c '^ *1 .* 300 .* worker_body\(+0x[0-9a-f]*\)\{0,1\} leaky.c:[0-9]*$' "$WORK/tty.out" | awk '{ print ($1 > 0) }')" 1
expect "cursor shown again at the end" "$(tail -c 20 "$WORK/tty.raw" | grep -c $'\x1b\\[?25h')" 1
expect "uprobes left" "$(uprobes_on "$TARGET_PID")" 0
finish
