#!/usr/bin/env bash
# A C program linked with liblua5.4.so (host.c), attached before the work.
. "$(dirname "$0")/lua_lib.sh"
need_root
need_host
run_lua_test live "$HOST" "$LUA_TESTS/coro_leak.lua"
