-- Where coroutines come from and where they wait, in Lua 5.1, 5.3 and 5.4 alike: the
-- three leak patterns of a game server, a hot loop, then a resume chain left open.
--   luaX.Y coro_sites.lua live    waits for a line on stdin before doing its work
--   luaX.Y coro_sites.lua census  does its work at once
-- It prints one `TRUTH {json}` line per fact and `DONE`, then waits inside the chain
-- (main resumes `outer`, which resumes `inner`, which reads stdin) until stdin closes.
-- Sites are chunk:line as Lua names them: `def` the body function's definition, `call`
-- the line that called coroutine.create/wrap, `wait` the line it is parked at ("" when
-- it is parked nowhere: not started, or dead).
local mode = arg[1] or "census"
local T = dofile((arg[0]:match("(.*/)") or "./") .. "truth.lua")
local id, truth, line, def = T.id, T.truth, T.line, T.def

io.write("READY\n")
io.flush()
if mode == "live" then io.read("*l") end

local coros = {}	-- every coroutine alive at the end: {co or id, state, def, call, wait}
local created = 0

-- 1. A factory called in a loop: two workers in three park at their first yield, for
-- ever; the third is never started.
local workers, worker_wait = {}, nil
local function factory(i)
	local function body()
		worker_wait = line(0); coroutine.yield(i)
	end
	local co, call = coroutine.create(body), line(0)
	created = created + 1
	return co, def(body), call
end
for i = 1, 30 do
	local co, d, call = factory(i)
	local c = { co = co, def = d, call = call, state = "not started" }
	if i % 3 ~= 0 then
		coroutine.resume(co)
		c.state = "suspended"
	end
	workers[#workers + 1] = co
	coros[#coros + 1] = c
end
for _, c in ipairs(coros) do c.wait = c.state == "suspended" and worker_wait or "" end

-- 2. Timer closures that never reach their end: coroutine.wrap'd loops that tick once
-- and wait for a next tick that never comes.
local timers = {}
local function every(fn)
	local tick, call = coroutine.wrap(fn), line(0)
	created = created + 1
	local c = { def = def(fn), call = call, state = "suspended" }
	coros[#coros + 1] = c
	c.id, c.wait = tick()
	timers[#timers + 1] = tick
end
for _ = 1, 20 do
	every(function()
		local me = id(coroutine.running())
		while true do
			coroutine.yield(me, line(0))
		end
	end)
end

-- 3. A scheduler table that keeps its coroutines once they have ended.
local sched = {}
local function spawn(fn)
	local co, call = coroutine.create(fn), line(0)
	created = created + 1
	sched[#sched + 1] = co
	coros[#coros + 1] = { co = co, def = def(fn), call = call, state = "dead", wait = "" }
	return co
end
for i = 1, 25 do
	assert(coroutine.resume(spawn(function(x) return tostring(x + i) end), 1))
end
-- ... some after a deep recursion: their stack grew, and the GC shrinks it once they have
-- ended (it moves: the first frame's function slot then points into the old one).
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
for _ = 1, 5 do
	assert(coroutine.resume(spawn(function(n) local d = depth(n); return d end), 2000))
end
collectgarbage("collect")

-- 4. A hot loop, compiled by LuaJIT's JIT: coroutine.create is called from a trace
-- stitched around it (a continuation frame, no return pc in the link). Never started.
local hot, hot_call = {}, nil
local function hot_body() coroutine.yield() end
for i = 1, 300 do
	hot[i] = coroutine.create(hot_body); if i == 300 then hot_call = line(0) end
end
created = created + #hot
for _, co in ipairs(hot) do
	coros[#coros + 1] = { co = co, def = def(hot_body), call = hot_call, state = "not started", wait = "" }
end

-- Dropped: created, ended or not, and collected: seen by the probes only.
local dropped = 0
for _ = 1, 15 do
	local co = coroutine.create(function() coroutine.yield() end)
	created = created + 1
	dropped = dropped + 1
	coroutine.resume(co)
end
collectgarbage("collect")
collectgarbage("collect")

-- The chain the target ends in: main -> outer (normal) -> inner (running: it reads
-- stdin until it closes).
local function finish()
	truth({ kind = "created", n = created })
	truth({ kind = "finished", n = dropped })
	for _, c in ipairs(coros) do
		truth({ kind = "coroutine", id = c.id or id(c.co), state = c.state, def = c.def,
			call = c.call, wait = c.wait })
	end
	io.write("DONE\n")
	io.flush()
end
local outer_rec = { state = "normal" }
local inner_rec = { state = "running" }
local inner_body = function()
	inner_rec.wait = line(0); finish(); io.read("*a")
end
local inner, inner_call = coroutine.create(inner_body), line(0)
local outer_body = function()
	outer_rec.wait = line(0); coroutine.resume(inner)
end
local outer, outer_call = coroutine.create(outer_body), line(0)
created = created + 2
outer_rec.co, outer_rec.def, outer_rec.call = outer, def(outer_body), outer_call
inner_rec.co, inner_rec.def, inner_rec.call = inner, def(inner_body), inner_call
coros[#coros + 1] = outer_rec
coros[#coros + 1] = inner_rec
coroutine.resume(outer)
