-- A coroutine created and parked in a chunk whose name is hostile: terminal escape
-- sequences (clear screen, set the window title), a bell, a newline, a quote, a
-- backslash and a byte that is not UTF-8. codefer must show it escaped, never raw.
local name = "=\27[2J\27]0;pwned\7evil\"\\\n\255chunk"
local make = load([[
return coroutine.create(function()
	local c <close> = setmetatable({}, { __close = function() end })
	coroutine.yield()
end)
]], name)
local co = make()
coroutine.resume(co)
io.write("READY\n")
io.stdout:flush()
io.read()
