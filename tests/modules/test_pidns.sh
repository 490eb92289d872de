#!/usr/bin/env bash
# codefer-top inside a pid namespace with its target (a container's shell, unshare -p):
# pids there are the namespace's, and the probes must read the hitting process's pid
# there too (they compared the first namespace's and saw no event). A Lua target that
# makes and finishes coroutines in batches of 200 until stdin closes: created and
# exited as it counts them.
. "$(dirname "$0")/modules_lib.sh"
need_root
command -v unshare >/dev/null || skip "no unshare"
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
cat >"$WORK/batches.lua" <<'LUA'
local made = 0
io.write("READY\n") io.flush()
for line in io.lines() do
	for i = 1, 200 do
		local co = coroutine.create(function() end)
		coroutine.resume(co)
	end
	made = made + 200
	collectgarbage("collect")
	io.write("MADE " .. made .. "\n") io.flush()
end
LUA
mkfifo "$WORK/cmd"
unshare -pf --mount-proc sh -c '
	lua5.4 "$1" <"$2" >"$3/lua.out" &
	lua=$!
	exec 3>"$2"
	while ! grep -q READY "$3/lua.out"; do sleep 0.1; done
	"$4" -p "$lua" -b --json -d 0.3 -n 1000 >"$3/top.json" 2>"$3/top.err" &
	top=$!
	while [ ! -s "$3/top.json" ]; do sleep 0.1; done
	for n in 1 2 3; do echo go >&3; sleep 0.3; done
	while [ "$(grep -c MADE "$3/lua.out")" -lt 3 ]; do sleep 0.1; done
	sleep 1.2
	kill -INT "$top"; wait "$top"
	echo "rc $?" >"$3/rc"
	exec 3>&-
	wait "$lua"
' sh "$WORK/batches.lua" "$WORK/cmd" "$WORK" "$CODEFER_TOP" </dev/null
expect "codefer-top in the namespace: exit code" "$(cat "$WORK/rc")" "rc 0"
tail -n 1 "$WORK/top.json" >"$WORK/snap.json"
expect "created, as the target counts" "$(jq .totals.coroutines_created "$WORK/snap.json")" \
	"$(sed -n 's/^MADE //p' "$WORK/lua.out" | tail -n 1)"
expect "exited, as the target counts" "$(jq .totals.coroutines_exited "$WORK/snap.json")" \
	"$(sed -n 's/^MADE //p' "$WORK/lua.out" | tail -n 1)"
finish
