#!/usr/bin/env bash
# host.c (liblua5.4.so) attached after the work: the census finds its lua_State on the
# main thread's stack (the host keeps it nowhere else).
. "$(dirname "$0")/lua_lib.sh"
need_root
need_host
run_lua_test census "$HOST" "$LUA_TESTS/coro_leak.lua"
