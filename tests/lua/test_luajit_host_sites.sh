#!/usr/bin/env bash
# LuaJIT create sites seen by the probe in an embedder (tests/lua/jit_host.c, linked
# with Debian's libluajit-5.1, then with OpenResty's luajit2 in its place): a coroutine
# made by a C function the script calls (the host's cspawn) or by coroutine.create comes
# from the line of that call; a thread the host makes from C, outside any call from Lua
# and right after a coroutine yielded back to it, has no create site (-), not the line
# that coroutine yielded at.
. "$(dirname "$0")/lua_lib.sh"
need_root
pkg-config --exists luajit 2>/dev/null || skip "no libluajit-5.1-dev (pkg-config luajit)"
HOST=$WORK/jit_host
# shellcheck disable=SC2046  # pkg-config prints several words
cc -g -O2 -Wall -Wextra $(pkg-config --cflags luajit) "$LUA_TESTS/jit_host.c" -o "$HOST" \
	$(pkg-config --libs luajit) 2>"$WORK/cc.err" || fail "cannot build jit_host.c: $(cat "$WORK/cc.err")"
cp "$LUA_TESTS/jit_host.lua" "$LUA_TESTS/truth.lua" "$WORK/"
cd "$WORK" || fail "no $WORK"
# run luajit|luajit2 [env ...]
run() {
	local lib=$1
	shift
	target_start "$@" "$HOST" jit_host.lua
	top_start
	target_go
	top_settle 2
	python3 - "$WORK/target.out" "$WORK/snap.json" "$lib" <<'PY' || fail "create sites differ from the target's truth ($lib)"
import json, sys
facts = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("TRUTH ")]
snap = json.load(open(sys.argv[2]))
rows = {int(c["id"], 16): c for c in snap["coroutines"]}
want = {int(f["id"], 16): f["call"] for f in facts if f["kind"] == "coroutine"}
got = {i: rows[i].get("create_site", rows[i].get("site")) if i in rows else None for i in want}
# 5 cspawn, 3 coroutine.create, gco, 7 made by the host
ok = got == want and len(want) == 16 and \
    snap["version"].endswith("(OpenResty luajit2)") == (sys.argv[3] == "luajit2")
print(("ok: %d create sites (%s)" % (len(want), snap["version"])) if ok else
      "MISMATCH: create sites: codefer %s, truth %s (%s)" % (
          sorted(got.items()), sorted(want.items()), snap["version"]))
sys.exit(0 if ok else 1)
PY
	exec 3>&-
	wait "$TARGET_PID"
	TARGET_PID=
}
echo "== libluajit-5.1"
run luajit env
need_luajit2
echo "== luajit2"
run luajit2 env LD_LIBRARY_PATH="$(dirname "$LUAJIT2")/../lib/x86_64-linux-gnu"
echo PASS
