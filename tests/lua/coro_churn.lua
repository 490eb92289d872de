-- A Lua 5.4 target whose coroutines come and go on command, as a server's requests do.
-- Ids are lua_State addresses, and the allocator reuses those of collected coroutines:
-- codefer's rows come and go in the middle of its id order, not only at the end.
--   park N     N more coroutines suspend with 1, 2 or 3 pending <close> (by turns)
--   keep N     as park, but these never finish
--   finish K   K parked ones, picked at random, finish (their closes run), then are
--              collected
--   churn N    finish N, then park N: rows go and come at the same refresh
-- After each command: a TRUTH line per live coroutine and for the main thread, the
-- totals, then DONE.
local T = dofile((arg[0]:match("(.*/)") or "./") .. "truth.lua")
local id, truth = T.id, T.truth

local CLOSE_MT = { __close = function() end }
local function body(n)
	local a <close> = setmetatable({}, CLOSE_MT)
	if n > 1 then
		local b <close> = setmetatable({}, CLOSE_MT)
		if n > 2 then
			local c <close> = setmetatable({}, CLOSE_MT)
			coroutine.yield()
			return
		end
		coroutine.yield()
		return
	end
	coroutine.yield()
end

math.randomseed(11)
local parked, pending, turn, created, finished = {}, {}, 0, 0, 0
io.write("READY\n")
io.flush()
for line in io.lines() do
	local verb, n = line:match("^(%a+) (%d+)")
	n = tonumber(n) or 0
	for _ = 1, (verb == "finish" or verb == "churn") and math.min(n, #parked) or 0 do
		local co = table.remove(parked, math.random(#parked))
		assert(coroutine.resume(co))
		pending[co] = nil
		finished = finished + 1
	end
	collectgarbage("collect")
	for _ = 1, verb ~= "finish" and n or 0 do
		local co = coroutine.create(body)
		turn = turn % 3 + 1
		assert(coroutine.resume(co, turn))
		if verb ~= "keep" then parked[#parked + 1] = co end
		pending[co] = turn
		created = created + 1
	end
	collectgarbage("collect")
	collectgarbage("collect")
	local total = 0
	for co, p in pairs(pending) do
		truth({ kind = "coroutine", id = id(co), pending = p })
		total = total + p
	end
	truth({ kind = "main", id = id(coroutine.running()), pending = 0 })
	truth({ kind = "totals", created = created, finished = finished, pending = total })
	io.write("DONE\n")
	io.flush()
end
