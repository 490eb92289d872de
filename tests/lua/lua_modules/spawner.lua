-- A library's coroutine helper, as luarocks installs one into a project's lua_modules
-- tree (test_lua_library_sites.sh): spawn() creates the coroutine two calls below the
-- program's line.
local M = {}

local function make(fn)
	local co = coroutine.create(fn) -- the library's own line
	coroutine.resume(co)
	return co
end

function M.spawn(fn)
	return make(fn)
end

return M
