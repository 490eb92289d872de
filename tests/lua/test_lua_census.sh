#!/usr/bin/env bash
# lua5.4 attached after the work: the census alone must find every coroutine still
# alive and each one's pending <close> variables.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
run_lua_test census /usr/bin/lua5.4 "$LUA_TESTS/coro_leak.lua"
