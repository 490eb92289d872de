-- A LuaJIT target that prints its own ground truth, then waits (as coro_leak.lua:
-- `live` waits for a line on stdin before its work). LuaJIT has no <close>: coroutines
-- only. Ids are lua_State addresses, as tostring(thread) shows them.
local mode = arg[1] or "census"
local T = dofile((arg[0]:match("(.*/)") or "./") .. "truth.lua")
local truth = T.truth

io.write("READY\n")
io.flush()
if mode == "live" then io.read("*l") end

local created, parked, fresh = 0, {}, {}
-- Parked: created in a loop, never finished; half started (yielded), half never run
-- (codefer says "not started" where coroutine.status says "suspended").
for i = 1, 40 do
	local co = coroutine.create(function() coroutine.yield() end)
	created = created + 1
	if i % 2 == 0 then coroutine.resume(co) else fresh[co] = true end
	parked[#parked + 1] = co
end
-- Finished (some through coroutine.wrap) and dropped: the GC frees them.
do
	for _ = 1, 20 do
		local co = coroutine.create(function(a) return a end)
		created = created + 1
		assert(coroutine.resume(co, 1))
	end
	for _ = 1, 5 do
		local f = coroutine.wrap(function() coroutine.yield(1) end)
		created = created + 1
		f()
		f()
	end
end
collectgarbage("collect")
collectgarbage("collect")

truth({ kind = "created", n = created })
truth({ kind = "finished", n = created - #parked })
truth({ kind = "live", n = #parked })
for _, co in ipairs(parked) do
	truth({ kind = "coroutine", id = (tostring(co):match("0x%x+")), state = fresh[co] and "not started" or coroutine.status(co) })
end
truth({ kind = "main", id = (tostring(coroutine.running() or ""):match("0x%x+")) or "" })
io.write("DONE\n")
io.flush()
io.read("*a")
