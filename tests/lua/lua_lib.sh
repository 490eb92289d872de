# Helpers for the Lua tests: run a Lua target that prints its own truth, attach
# codefer-top to it before or after its work, compare. Sourced by tests/lua/test_*.sh.

LUA_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$LUA_TESTS/../lib.sh"
TARGET_READY='^READY'	# targets print it once they run

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v python3 >/dev/null || skip "no python3"
}

# need_host [VERSION]: builds the liblua5.4.so (or liblua$VERSION.so) embedder
# (tests/lua/host.c) into $HOST.
need_host() {
	local v=${1:-5.4}
	pkg-config --exists "lua$v" 2>/dev/null || skip "no liblua$v-dev (pkg-config lua$v)"
	HOST=$WORK/host
	# shellcheck disable=SC2046  # pkg-config prints several words
	cc -g -O2 -Wall -Wextra $(pkg-config --cflags "lua$v") "$LUA_TESTS/host.c" -o "$HOST" \
		$(pkg-config --libs "lua$v") 2>"$WORK/cc.err" || fail "cannot build host.c: $(cat "$WORK/cc.err")"
}

# need_luajit2: OpenResty's luajit2 (Debian's package, unpacked into $BUILD/luajit2 by
# scripts/install-deps.sh: it conflicts with luajit) in $LUAJIT2.
need_luajit2() {
	local root=$BUILD/luajit2
	"$LUA_TESTS/../../scripts/install-deps.sh" --luajit2 "$root" ||
		skip "luajit2 cannot be unpacked from the Debian archive"
	LUAJIT2=$root/usr/bin/luajit
}

# target_go: lets a live-mode target work; waits until it printed its truth.
target_go() {
	echo go >&3
	target_done
}

target_done() {
	wait_line "$WORK/target.out" '^DONE' 60 || fail "target did not finish its work"
}

# check MODE [RUNTIME]: compares the last snapshot with the target's TRUTH lines.
check() {
	python3 "$LUA_TESTS/check.py" "$1" "$WORK/target.out" "$WORK/snap.json" "${2:-lua}" ||
		fail "numbers differ from the target's truth"
	echo PASS
	exit 0
}

# run_lua_test live|census CMD ARGS...: the whole flow for one target; $RUNTIME is the
# runtime codefer must detect (default lua).
run_lua_test() {
	local mode=$1
	shift
	target_start "$@" "$mode"
	if [ "$mode" = live ]; then
		top_start
		target_go
	else
		target_done
		top_start
	fi
	# LuaJIT's exits need two whole walks after the target's last collection, and the
	# walk under way when the target finished may have begun before it: three.
	if [ "${RUNTIME:-lua}" = luajit ]; then
		top_walks 3
	else
		top_settle 2
	fi
	check "$mode" "${RUNTIME:-lua}"
}
