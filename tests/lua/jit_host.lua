-- Run by tests/lua/jit_host.c: coroutines made by its C function cspawn and by
-- coroutine.create, each with the line that made it (TRUTH lines, as truth.lua prints
-- them); `gco`, which the host resumes from C before it makes threads of its own.
local T = dofile((arg[0]:match("(.*/)") or "./") .. "truth.lua")

io.write("READY\n")
io.flush()
io.read("*l")
keep = {}
for _ = 1, 5 do
	local co, call = cspawn(function() end), T.line(0)
	keep[#keep + 1] = { co = co, call = call }
end
for _ = 1, 3 do
	local co, call = coroutine.create(function() coroutine.yield() end), T.line(0)
	coroutine.resume(co)
	keep[#keep + 1] = { co = co, call = call }
end
local call
gco, call = coroutine.create(function() while true do coroutine.yield() end end), T.line(0)
keep[#keep + 1] = { co = gco, call = call }
for _, c in ipairs(keep) do
	T.truth({ kind = "coroutine", id = T.id(c.co), call = c.call })
end
