#!/usr/bin/env bash
# LuaJIT 2.1: coroutines created live (lua_newthread's return instructions) and the
# census of the living (gc.root), both against the target's truth.
. "$(dirname "$0")/lua_lib.sh"
need_root
LUAJIT=${LUAJIT:-luajit}
command -v "$LUAJIT" >/dev/null || skip "no $LUAJIT"
RUNTIME=luajit
case ${1:-} in
live | census) run_lua_test "$1" "$LUAJIT" "$LUA_TESTS/coro_jit.lua" ;;
*)
	for m in live census; do
		echo "== $m"
		"$0" "$m" || exit $?
	done
	;;
esac
