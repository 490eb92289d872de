#!/usr/bin/env bash
# Lua 5.1, 5.3 and 5.4: coroutines created through a library's helper (a module under
# lua_modules/, as luarocks installs one; copas.addthread is the same) are counted at
# the program's line that called the helper, not at the library's coroutine.create; one
# created through pcall (a C function between) at the library's own line. Against the
# script's own counts, codefer-top attached first (the probes see the creations). Those
# waiting in the library's sleep wait at the program's line that called it (census).
. "$(dirname "$0")/lua_lib.sh"
need_root
# Where the coroutines created through the library's helper wait (in the program).
park=$(grep -n '^local function park' "$LUA_TESTS/library_sites.lua" | cut -d: -f1)
ran=0
for v in 5.1 5.3 5.4; do
	command -v "lua$v" >/dev/null || { echo "== lua$v: not installed"; continue; }
	target_start "lua$v" "$LUA_TESTS/library_sites.lua"
	top_start
	target_go
	top_settle 2
	mine="spawner.lua:$(grep -n "the library's own line" "$LUA_TESTS/lua_modules/spawner.lua" | cut -d: -f1)"
	expect "lua$v: live coroutines per creating line" \
		"$(jq -r '.sites[] | select(.kind == "create" and (.site | test("library_sites|spawner")))
			| "\(.site | sub(".*/"; "")) \(.pending)"' "$WORK/snap.json" | sort | tr '\n' ';')" \
		"$(sed -n 's/^TRUTH //p' "$WORK/target.out" | sed "s/^library /$mine /" | sort | tr '\n' ';')"
	# The census (attached after): where those that sleep in the library wait.
	top_start
	top_settle 1
	expect "lua$v: coroutines waiting at the line that called the library's sleep" \
		"$(jq -r --arg park "library_sites.lua:$park" '[.coroutines[] | select(.state != "main")
			| .wait_site // "" | sub(".*/"; "") | select(test("library_sites|spawner"))
			| select(. != $park)] | group_by(.) | map("\(.[0]) \(length)") | .[]' \
			"$WORK/snap.json" | sort | tr '\n' ';')" \
		"$(sed -n 's/^WAIT //p' "$WORK/target.out" | tr '\n' ';')"
	exec 3>&-
	kill -9 "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
	ran=1
done
[ "$ran" = 1 ] || skip "none of lua5.1, lua5.3, lua5.4 installed"
finish
