#!/usr/bin/env bash
# test_lua_sites.sh without the -dbg packages' symbols and DWARF (CODEFER_NO_DEBUGINFO=1):
# internal functions found by decoding (luaE_newthread, luaE_freethread), offsets from
# the per-release tables, for the interpreters and liblua5.X.so alike.
export CODEFER_NO_DEBUGINFO=1 SITES_CASES="live core host-live host-core" SITES_VERSIONS="5.1 5.3 5.4"
exec "$(dirname "$0")/test_lua_sites.sh"
