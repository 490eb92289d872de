-- LuaJIT's coroutines end with no probe (the GC frees them), and the next ones take their
-- addresses. Parks N coroutines, prints READY; on each line on stdin drops them all,
-- collects, parks N new ones and prints `TRUTH {"live": N+1, "created": K}` (the main
-- thread counts; K: made since READY).
local n = tonumber(arg[1] or "2000")
local keep, made = {}, 0
local function park()
	keep = {}
	for i = 1, n do
		local co = coroutine.create(function() coroutine.yield() end)
		coroutine.resume(co)
		keep[i] = co
	end
end
park()
io.write("READY\n")
io.flush()
for _ in io.lines() do
	keep = {}
	collectgarbage("collect")
	collectgarbage("collect")
	park()
	made = made + n
	io.write(string.format('TRUTH {"live": %d, "created": %d}\n', n + 1, made))
	io.flush()
end
