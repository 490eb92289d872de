-- A library's coroutine helper, as luarocks installs one into a project's lua_modules
-- tree (test_lua_library_sites.sh): spawn() creates the coroutine two calls below the
-- program's line; sleep() is where the program's coroutines wait, inside the library.
local M = {}

local function make(fn)
	local co = coroutine.create(fn) -- the library's own line
	coroutine.resume(co)
	return co
end

function M.spawn(fn)
	return make(fn)
end

-- Waits (for ever, here) as a scheduler's sleep does: the yield is the library's.
function M.sleep()
	coroutine.yield()
end

return M
