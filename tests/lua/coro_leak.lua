-- A Lua 5.4 target that prints its own ground truth, then waits.
--   lua5.4 coro_leak.lua live    waits for a line on stdin before doing its work
--   lua5.4 coro_leak.lua census  does its work at once
-- Then it prints one `TRUTH {json}` line per fact and `DONE`, and waits for stdin to
-- close. Coroutine ids are lua_State addresses, as tostring(thread) shows them.
local mode = arg[1] or "census"
local T = dofile((arg[0]:match("(.*/)") or "./") .. "truth.lua")
local id, truth, line = T.id, T.truth, T.line

-- Every closer() value goes to a <close> variable: registered = made.
local made, closes_run = 0, 0
local CLOSE_MT = { __close = function() closes_run = closes_run + 1 end }
local function closer()
	made = made + 1
	return setmetatable({}, CLOSE_MT)
end

io.write("READY\n")
io.flush()
if mode == "live" then io.read("l") end

local created, sites, S = 0, {}, {}
local function count(site, n) sites[site] = (sites[site] or 0) + n end

-- The main thread holds one pending <close> until the end.
local guard <close> = closer(); S.main = line(0)

-- Values that are not closed: false and nil <close> variables, and generic for loops
-- (whose closing value is nil): none of them is a pending defer.
do
	local f <close> = false
	local n <close> = nil
	for _ in pairs({ 1, 2, 3 }) do end
	for _ in ipairs({ 1, 2 }) do end
end

-- 1. Parked: created in a loop, never finished; half started (yielded), half never run.
local parked = {}
for i = 1, 50 do
	local co, site = coroutine.create(function() coroutine.yield() end), line(0)
	created = created + 1
	S.parked = site
	if i % 2 == 0 then coroutine.resume(co) end
	parked[#parked + 1] = co
end
count(S.parked, 50)

-- 2. Finished: run to their end (some through coroutine.wrap), then dropped.
do
	for _ = 1, 20 do
		local co = coroutine.create(function(a) return a end)
		created = created + 1
		assert(coroutine.resume(co, 1))
	end
	for _ = 1, 10 do
		local f = coroutine.wrap(function() coroutine.yield(1) end)
		created = created + 1
		f()
		f()
	end
end

-- 3. Holders: suspended with three pending <close> variables each.
local function holder()
	local a <close> = closer(); S.d1 = line(0)
	local b <close> = closer(); S.d2 = line(0)
	do
		local c <close> = closer(); S.d3 = line(0)
		coroutine.yield()
	end
end
local holders = {}
for _ = 1, 20 do
	local co, site = coroutine.create(holder), line(0)
	created = created + 1
	S.holder = site
	assert(coroutine.resume(co))
	holders[#holders + 1] = co
end
count(S.holder, 20)

-- 4. Lost: suspended with two pending <close> each, dropped and collected: the GC
-- frees them and their handlers never run.
local function loser()
	local a <close> = closer()
	local b <close> = closer()
	coroutine.yield()
end
do
	local lost = {}
	for _ = 1, 10 do
		local co = coroutine.create(loser)
		created = created + 1
		assert(coroutine.resume(co))
		lost[#lost + 1] = co
	end
end

-- 5. Closes that run: at the end of the body, and through coroutine.close.
local function twice()
	local a <close> = closer()
	local b <close> = closer()
	coroutine.yield()
end
do
	for _ = 1, 5 do
		local co = coroutine.create(twice)
		created = created + 1
		assert(coroutine.resume(co))
		assert(coroutine.resume(co))
	end
	for _ = 1, 4 do
		local co = coroutine.create(twice)
		created = created + 1
		assert(coroutine.resume(co))
		assert(coroutine.close(co))
	end
	-- An error caught by pcall inside a coroutine closes what it unwinds.
	local co = coroutine.create(function()
		local ok = pcall(function()
			local a <close> = closer()
			local b <close> = closer()
			error("caught")
		end)
		assert(not ok)
	end)
	created = created + 1
	assert(coroutine.resume(co))
	-- An uncaught error leaves the dead coroutine's variables pending (Lua closes
	-- them only in coroutine.close): collected, they are lost too.
	co = coroutine.create(function()
		local a <close> = closer()
		error("boom")
	end)
	created = created + 1
	assert(not coroutine.resume(co))
end

collectgarbage("collect")
collectgarbage("collect")

local pending_per_site = {}
truth({ kind = "created", n = created })
truth({ kind = "finished", n = created - #parked - #holders })
truth({ kind = "live", n = #parked + #holders })
for site, n in pairs(sites) do truth({ kind = "suspended", site = site, n = n }) end
for _, co in ipairs(parked) do
	truth({ kind = "coroutine", id = id(co), pending = 0, site = S.parked })
end
for _, co in ipairs(holders) do
	truth({ kind = "coroutine", id = id(co), pending = 3, site = S.holder })
end
for _, k in ipairs({ "d1", "d2", "d3" }) do pending_per_site[S[k]] = #holders end
pending_per_site[S.main] = 1
for site, n in pairs(pending_per_site) do truth({ kind = "defer_site", site = site, n = n }) end
truth({ kind = "main", id = id(coroutine.running()), pending = 1 })
truth({ kind = "registered", n = made })
truth({ kind = "closes_run", n = closes_run })
truth({ kind = "pending_total", n = 3 * #holders + 1 })
truth({ kind = "lost", n = made - closes_run - (3 * #holders + 1) })
io.write("DONE\n")
io.flush()
io.read("a")
