#!/usr/bin/env bash
# test_luajit.sh on OpenResty's luajit2 (Debian's luajit2, unpacked beside luajit): its
# lua_State is 16 bytes longer (exdata, exdata2), read from the target itself.
. "$(dirname "$0")/lua_lib.sh"
need_root
need_luajit2
export LUAJIT=$LUAJIT2 WANT_VERSION="LuaJIT 2.1.0-beta3 (OpenResty luajit2)"
rm -rf "$WORK"	# test_luajit.sh makes its own
exec "$LUA_TESTS/test_luajit.sh"
