-- N coroutines parked at a yield forever (the walk-budget test's target). Prints
-- `TRUTH {"live": N+1}` (the main thread counts) then READY, and stays until killed.
local n = tonumber(arg[1] or "20000")
local keep = {}
for i = 1, n do
	local co = coroutine.create(function() coroutine.yield() end)
	coroutine.resume(co)
	keep[i] = co
end
io.write(string.format('TRUTH {"live": %d}\nREADY\n', n + 1))
io.flush()
while true do os.execute("sleep 60") end
