# shellcheck shell=bash
# The live view in a real terminal: a private tmux server, keystrokes, the screen read back.
# Sourced after tests/lib.sh by the tests that need it.
command -v tmux >/dev/null || skip "no tmux (scripts/install-deps.sh installs it)"

# A private tmux server (its socket in $WORK): nobody else's sessions are touched.
T=(tmux -S "$WORK/tmux.sock" -f /dev/null)
trap '"${T[@]}" kill-server 2>/dev/null; cleanup' EXIT

screen() { "${T[@]}" capture-pane -p -t v "$@"; }
keys() { "${T[@]}" send-keys -t v "$@"; sleep 0.3; }
# wait_screen REGEX: until a line of the screen matches (5 s at most).
wait_screen() {
	local i
	for ((i = 0; i < 50; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "     screen now:"; screen | sed 's/^/     | /'
	return 1
}
# rows: "id pending conns" of each table row on screen, in screen order.
rows() {
	screen | awk '/^ +ID STATE/ { t = 1; next } t && /^ +[0-9]+ / { print $1, $4, $7; next } t { exit }'
}
