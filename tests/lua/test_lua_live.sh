#!/usr/bin/env bash
# lua5.4 (the interpreter, probes in the executable), attached before the work: creates,
# exits, <close> registrations and runs seen by the probes, compared with the truth.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
run_lua_test live /usr/bin/lua5.4 "$LUA_TESTS/coro_leak.lua"
