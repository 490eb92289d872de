// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A LuaJIT embedder that makes coroutines from C: `cspawn(f)`, a C function the script
 * calls (its coroutine comes from the line that called cspawn), and threads it makes
 * itself, outside any call from Lua, right after resuming the script's coroutine
 * `gco` from C (so the thread that ran last is one that yielded). It prints
 * `TRUTH {"kind": "coroutine", ...}` for those, as the script does for its own.
 * Usage: jit_host SCRIPT [ARGS...]; the script's truth.lua prints the rest. */
#include <stdio.h>
#include <lauxlib.h>
#include <lualib.h>

#define C_THREADS 7

static int cspawn(lua_State *L)
{
	lua_State *L1 = lua_newthread(L);

	lua_pushvalue(L, 1);
	lua_xmove(L, L1, 1);
	return 1;
}

int main(int argc, char **argv)
{
	lua_State *L, *L1;
	char line[16];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
		return 2;
	}
	if (!(L = luaL_newstate()))
		return 1;
	luaL_openlibs(L);
	lua_register(L, "cspawn", cspawn);
	lua_createtable(L, argc, 0);
	for (i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");
	if (luaL_loadfile(L, argv[1]) || lua_pcall(L, 0, 0, 0)) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		return 1;
	}
	lua_getglobal(L, "gco");
	if (!(L1 = lua_tothread(L, -1)) || lua_resume(L1, 0) != LUA_YIELD) {
		fprintf(stderr, "the script's gco does not yield\n");
		return 1;
	}
	lua_pop(L, 1);
	lua_createtable(L, C_THREADS, 0);
	for (i = 1; i <= C_THREADS; i++) {
		/* suspended, not started: a body to run */
		L1 = lua_newthread(L);
		lua_getglobal(L, "print");
		lua_xmove(L, L1, 1);
		printf("TRUTH {\"kind\": \"coroutine\", \"id\": \"%p\", \"state\": \"not started\", "
		       "\"call\": \"-\"}\n", (void *)L1);
		lua_rawseti(L, -2, i);
	}
	lua_setglobal(L, "cthreads");
	printf("DONE\n");
	fflush(stdout);
	/* until stdin closes */
	while (fgets(line, sizeof(line), stdin))
		;
	lua_close(L);
	return 0;
}
