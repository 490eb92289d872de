#!/usr/bin/env bash
# lua5.4 and liblua5.4.so without their -dbg symbols and DWARF (CODEFER_NO_DEBUGINFO=1):
# internal functions found by decoding the C API, offsets from the 5.4.4 table.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
export CODEFER_NO_DEBUGINFO=1
mode=${1:-}
if [ -z "$mode" ]; then
	# Each case in its own process: run_lua_test exits.
	for m in live census host-live host-census; do
		echo "== $m"
		"$0" "$m" || exit $?
	done
	exit 0
fi
case $mode in
live | census) run_lua_test "$mode" /usr/bin/lua5.4 "$LUA_TESTS/coro_leak.lua" ;;
host-*)
	need_host
	run_lua_test "${mode#host-}" "$HOST" "$LUA_TESTS/coro_leak.lua"
	;;
esac
