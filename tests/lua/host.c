// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A minimal embedder: runs a Lua script with liblua5.4.so (or liblua5.3.so,
 * liblua5.1.so), so that the tests cover the shared library as well as the interpreter.
 * Usage: host SCRIPT [ARGS...]
 * The lua_State lives only in main()'s frame and registers, as in most embedders. */
#include <stdio.h>
#include <lauxlib.h>
#include <lualib.h>

#ifndef LUA_OK
#define LUA_OK 0	/* Lua 5.1 */
#endif

int main(int argc, char **argv)
{
	lua_State *L;
	int i, status;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
		return 2;
	}
	L = luaL_newstate();
	if (!L)
		return 1;
	luaL_openlibs(L);
	/* arg, as lua5.4 sets it: arg[0] the script, arg[1..] its arguments */
	lua_createtable(L, argc, 0);
	for (i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");
	status = luaL_loadfile(L, argv[1]);
	if (status == LUA_OK)
		status = lua_pcall(L, 0, 0, 0);
	if (status != LUA_OK)
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
	lua_close(L);
	return status == LUA_OK ? 0 : 1;
}
