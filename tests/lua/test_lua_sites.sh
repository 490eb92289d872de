#!/usr/bin/env bash
# Lua 5.1, 5.3 and 5.4 (Debian's lua5.1, lua5.3, lua5.4, and a host program linked with
# liblua5.X.so): the three leak patterns and a resume chain of tests/lua/coro_sites.lua,
# each coroutine's state, create site and wait site against the script's own, live
# (probes from the start), by the census (attached after the work) and from a core
# (codefer-dump). CODEFER_NO_DEBUGINFO=1 runs them without the -dbg packages
# (test_lua_sites_nodebug.sh). With arguments, one case:
#   test_lua_sites.sh live|census|core|host-live|host-core 5.1|5.3|5.4|jit|jit2
# jit is Debian's luajit, jit2 OpenResty's luajit2 (unpacked into $BUILD/luajit2): no
# host for them (their binaries are static).
. "$(dirname "$0")/lua_lib.sh"
need_root
if [ $# = 0 ]; then
	ran=0
	for v in ${SITES_VERSIONS:-5.1 5.3 5.4 jit jit2}; do
		[ "$v" = jit2 ] || command -v "lua$v" >/dev/null || { echo "== lua$v: not installed"; continue; }
		for m in ${SITES_CASES:-live census core host-live host-core}; do
			[ "${v#jit}" != "$v" ] && [ "${m#host}" != "$m" ] && continue
			echo "== lua$v $m"
			# A case that cannot run here (no liblua-dev, no luajit2) skips alone.
			"$0" "$m" "$v"
			rc=$?
			[ "$rc" = 77 ] && continue
			[ "$rc" = 0 ] || exit "$rc"
			ran=1
		done
	done
	[ "$ran" = 1 ] || skip "none of lua5.1, lua5.3, lua5.4 installed"
	echo PASS
	exit 0
fi
mode=$1 v=$2
cmd=("lua$v")
if [ "$v" = jit2 ]; then
	need_luajit2
	cmd=("$LUAJIT2")
fi
if [ "${mode#host-}" != "$mode" ]; then
	need_host "$v"
	cmd=("$HOST")
	mode=${mode#host-}
fi
command -v "${cmd[0]}" >/dev/null || skip "no lua$v"
# A short path: Lua keeps the chunk name as given, and prints it whole.
cp "$LUA_TESTS/coro_sites.lua" "$LUA_TESTS/truth.lua" "$WORK/"
cd "$WORK" || fail "no $WORK"
target_start "${cmd[@]}" coro_sites.lua "$([ "$mode" = live ] && echo live || echo census)"
case $mode in
live)
	top_start
	target_go
	# LuaJIT's exits need two whole walks after the target's last collection, and the
	# walk under way when the target finished may have begun before it: three walks.
	case $v in jit*) top_walks 3 ;; *) top_settle 3 ;; esac
	;;
census)
	target_done
	top_start
	top_settle 1
	;;
core)
	command -v gcore >/dev/null || skip "no gcore (package gdb)"
	target_done
	gcore -o "$WORK/core" "$TARGET_PID" >"$WORK/gcore.out" 2>&1 || fail "gcore failed"
	"$CODEFER_DUMP" --json "$WORK/core.$TARGET_PID" >"$WORK/snap.json" 2>"$WORK/dump.err" ||
		fail "codefer-dump failed: $(cat "$WORK/dump.err")"
	;;
*) fail "unknown case $mode" ;;
esac
python3 "$LUA_TESTS/check_sites.py" "$mode" "$WORK/target.out" "$WORK/snap.json" "$v" ||
	fail "codefer disagrees with the target's truth"
if [ "$mode" = core ]; then
	timeout 120 gdb -batch -nx "$(readlink "/proc/$TARGET_PID/exe")" "$WORK/core.$TARGET_PID" \
		-x "$CODEFER_PY" -ex 'codefer list' >"$WORK/gdb.out" 2>&1
	python3 "$LUA_TESTS/check_sites.py" gdb "$WORK/target.out" "$WORK/gdb.out" "$v" ||
		fail "gdb's codefer list disagrees with the target's truth"
fi
echo PASS
