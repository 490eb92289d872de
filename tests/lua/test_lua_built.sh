#!/usr/bin/env bash
# A Lua 5.4 the Debian archive does not carry (5.4.7, 5.4.8), built by hand without DWARF
# and named by $CODEFER_LUA: codefer reads it with its per-release offsets (those
# releases change no structure it reads), attached before the work, and the probes'
# figures and the census's are the target's truth.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -n "${CODEFER_LUA:-}" ] ||
	skip "CODEFER_LUA is not set (a Lua 5.4 interpreter built by hand without -g: tests/README.md)"
[ -x "$CODEFER_LUA" ] || fail "CODEFER_LUA ($CODEFER_LUA) is not an executable"
echo "INFO: $("$CODEFER_LUA" -v)"
run_lua_test live "$CODEFER_LUA" "$LUA_TESTS/coro_leak.lua"
