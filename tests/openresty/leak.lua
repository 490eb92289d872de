-- lua-nginx-module code that leaks coroutines in a worker, and prints its own truth to
-- the error log as `TRUTH {json}` lines (one per coroutine: its id, the function it
-- runs, the line it waits at).
--   init_worker(n): n timers whose callbacks never reach their end
--   park():         a request handler that never returns (the client waits)
local M = {}

local function here(level)
	local i = debug.getinfo(level + 2, "Sl")
	return i.source:sub(2) .. ":" .. i.currentline
end

local function def(f)
	local i = debug.getinfo(f, "S")
	return i.source:sub(2) .. ":" .. i.linedefined
end

local function truth(t)
	local parts = {}
	for k, v in pairs(t) do
		local s = type(v) == "string" and string.format("%q", v) or tostring(v)
		parts[#parts + 1] = string.format("%q:%s", k, s)
	end
	table.sort(parts)
	ngx.log(ngx.ERR, "TRUTH {", table.concat(parts, ","), "}")
end

local function me()
	return (tostring(coroutine.running()):match("0x%x+"))
end

local function ticker(premature)
	if premature then return end
	truth({ kind = "timer", id = me(), def = M.ticker_def, wait = here(0) }); ngx.sleep(3600)
end
M.ticker_def = def(ticker)

-- Timers set for later: lua-nginx-module makes each one's coroutine at once, with its
-- callback, not started until it fires.
local function later(premature)
	if premature then return end
end
M.later_def = def(later)

function M.init_worker(n, npending)
	for _ = 1, n do
		assert(ngx.timer.at(0, ticker))
	end
	for _ = 1, npending do
		assert(ngx.timer.at(3600, later))
	end
	truth({ kind = "pending", def = M.later_def, n = npending })
end

-- Cosocket pools on the worker's own /pong (port): `keep` gets `keep` connections back
-- idle; `leaky` (pool_size 3, backlog 10) lends its 3 connections to timers that never
-- give them back, and queues the connects of the `leak - 3` others.
local kept, holding, queued = 0, 0, 0

local function filler(premature, port)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "keep", pool_size = 10 }))
	assert(sock:send("GET /pong HTTP/1.1\r\nHost: t\r\n\r\n"))
	assert(sock:receiveuntil("\r\n\r\n")())
	assert(sock:receive(4))
	assert(sock:setkeepalive(0))
	kept = kept + 1
end

local function holder(premature, port, i)
	if premature then return end
	local sock = ngx.socket.tcp()
	local opts = { pool = "leaky", pool_size = 3, backlog = 10 }
	if i > 3 then
		queued = queued + 1
		truth({ kind = "timer", id = me(), def = M.holder_def, wait = here(0) }); sock:connect("127.0.0.1", port, opts)
		return
	end
	assert(sock:connect("127.0.0.1", port, opts)); local at = here(0)
	holding = holding + 1
	truth({ kind = "timer", id = me(), def = M.holder_def, wait = here(0), holds = "leaky", at = at }); ngx.sleep(3600)
end
M.holder_def = def(holder)

-- lua-resty-redis#265: pool_size given to setkeepalive only limits what the pool keeps
-- idle: `burst` (pool_size 5) lends out as many connections as are asked for.
local bursting = 0

local function burster(premature, port)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "burst" })); local at = here(0)
	bursting = bursting + 1
	-- Kept in a table only (a list of connections), not in a local of its own.
	local socks = { sock }
	sock = nil
	truth({ kind = "timer", id = me(), def = M.burster_def, wait = here(0), holds = "burst", at = at }); ngx.sleep(3600)
	return socks
end
M.burster_def = def(burster)

local function burst(premature, port, n)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "burst" }))
	assert(sock:setkeepalive(0, 5))
	for _ = 1, n do
		assert(ngx.timer.at(0, burster, port))
	end
end

local function report(premature, nkeep, nburst)
	if premature then return end
	if kept < nkeep or holding < 3 or bursting < nburst then
		assert(ngx.timer.at(0.05, report, nkeep, nburst))
		return
	end
	truth({ kind = "pool", name = "keep", open = kept, idle = kept, max = 10, waiters = 0 })
	truth({ kind = "pool", name = "leaky", open = holding, idle = 0, max = 3, waiters = queued })
	-- The first burster takes the connection `burst` kept idle.
	truth({ kind = "pool", name = "burst", open = bursting, idle = 0, max = 5, waiters = 0 })
end

-- Requests that borrow from `req` (pool_size 2, made by a timer) and never give back.
local function req_pool(premature, port)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "req" }))
	assert(sock:setkeepalive(0, 2))
	truth({ kind = "ready" })
end

-- A request that spawns light threads which never end, and waits for them.
local function light()
	truth({ kind = "light", id = me(), def = M.light_def, wait = here(0) }); ngx.sleep(3600)
end
M.light_def = def(light)

function M.spawn(n)
	local threads = {}
	for i = 1, n do
		threads[i] = ngx.thread.spawn(light)
	end
	truth({ kind = "request", entry = "spawn", id = me(), wait = here(0), lights = n }); ngx.thread.wait(threads[1])
end

local held_reqs = 0

function M.hold(port)
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "req" })); local at = here(0)
	held_reqs = held_reqs + 1
	-- The first takes the connection the pool kept idle.
	truth({ kind = "pool", name = "req", open = held_reqs, idle = 0, max = 2, waiters = 0 })
	truth({ kind = "request", entry = "hold", id = me(), wait = here(0), holds = "req", at = at }); ngx.sleep(3600)
end

function M.pools(port, nkeep, nleak, nburst)
	assert(ngx.timer.at(0, req_pool, port))
	for _ = 1, nkeep do
		assert(ngx.timer.at(0, filler, port))
	end
	for i = 1, nleak do
		assert(ngx.timer.at(0, holder, port, i))
	end
	assert(ngx.timer.at(0, burst, port, nburst))
	assert(ngx.timer.at(0.05, report, nkeep, nburst))
end

-- Orphans: light threads that connect through pool `name` and end without setkeepalive
-- or close, their sockets kept in a module table; the request or timer that spawned them
-- lives on (its end would close them). A timer's are kept after their end (dead, what
-- they ran for still readable); a request's are collected (gone: runs_for "-").
M.kept = {}

local function orphan_maker(port, name, runs_for)
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = name, pool_size = 10 })); local at = here(0)
	M.kept[#M.kept + 1] = sock
	if runs_for ~= "-" then M.kept[#M.kept + 1] = coroutine.running() end
	truth({ kind = "light", id = me(), def = M.orphan_maker_def, holds = name, at = at, orphan = true,
		runs_for = runs_for })
end
M.orphan_maker_def = def(orphan_maker)

-- n light threads leaving orphans in pool `name`, waited for; then the caller parks.
local function orphans(port, name, n, runs_for)
	for _ = 1, n do
		assert(ngx.thread.wait(ngx.thread.spawn(orphan_maker, port, name, runs_for)))
	end
	truth({ kind = "pool", name = name, open = n, idle = 0, max = 10, waiters = 0 })
end

function M.orphans_request(port, n)
	M.made()
	orphans(port, "orph_req", n, "-")
	collectgarbage("collect")
	ngx.sleep(3600)
end

local function orphans_timer(premature, port, n)
	if premature then return end
	orphans(port, "orph_timer", n, "timer")
	ngx.sleep(3600)
end

-- A timer that connects and ends without setkeepalive or close: its end closes the
-- connection (no orphan), though its socket is kept, and frees the pool it emptied.
local function ender(premature, port)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(sock:connect("127.0.0.1", port, { pool = "ended", pool_size = 10 }))
	M.kept[#M.kept + 1] = sock
	truth({ kind = "ended" })
end

-- A timer holding a connection it took through pcall: no Lua line called connect.
local function pcaller(premature, port)
	if premature then return end
	local sock = ngx.socket.tcp()
	assert(pcall(sock.connect, sock, "127.0.0.1", port, { pool = "pcalled", pool_size = 10 }))
	truth({ kind = "pool", name = "pcalled", open = 1, idle = 0, max = 10, waiters = 0 })
	truth({ kind = "timer", id = me(), holds = "pcalled", at = "?" }); ngx.sleep(3600)
end

-- A connect that waited: `queue` (pool_size 1, backlog 5) lends its connection to the
-- first timer, which gives it back later; the second timer's connect, queued behind it,
-- then gets it; the third's stays queued.
local function queuer(premature, port, i)
	if premature then return end
	local sock = ngx.socket.tcp()
	local opts = { pool = "queue", pool_size = 1, backlog = 5 }
	if i == 1 then
		assert(sock:connect("127.0.0.1", port, opts))
		ngx.sleep(0.3)
		assert(sock:setkeepalive(0))
		return
	end
	if i == 3 then
		truth({ kind = "waiting" }); sock:connect("127.0.0.1", port, opts)
		return
	end
	assert(sock:connect("127.0.0.1", port, opts)); local at = here(0)
	truth({ kind = "pool", name = "queue", open = 1, idle = 0, max = 1, waiters = 1 })
	truth({ kind = "timer", id = me(), holds = "queue", at = at }); ngx.sleep(3600)
end

-- Coroutines made after codefer-top attached, each with the line that made it, or, for a
-- thread lua-nginx-module reset when a request or timer ended and hands to a later
-- timer or light thread (the probes saw it made with no line), its function's line:
-- a coroutine.create (lua-resty-core's, in a request: always a new thread), and a
-- light thread and a timer each made right after a timer ended (they get its thread).
local ended

local function ends(premature)
	if premature then return end
	ended = me()
end

-- made: the line that made it; def: its function's.
local function made_truth(made, def)
	local reused = me() == ended
	truth({ kind = "made", id = me(), made = reused and def or made, reused = reused })
end

local function parker(made)
	made_truth(made, M.parker_def); ngx.sleep(3600)
end
M.parker_def = def(parker)

local function parks(premature, made)
	if premature then return end
	made_truth(made, M.parks_def); ngx.sleep(3600)
end
M.parks_def = def(parks)

-- After a timer that ends, so that the next thread made is the one it leaves.
local function after_an_end()
	assert(ngx.timer.at(0, ends))
	ngx.sleep(0.05)
end

function M.made()
	local co, made = coroutine.create(function() coroutine.yield() end), here(0)
	assert(coroutine.resume(co))
	M.kept[#M.kept + 1] = co
	truth({ kind = "made", id = (tostring(co):match("0x%x+")), made = made })
	after_an_end()
	made = here(0); assert(ngx.thread.spawn(parker, made))
	after_an_end()
	made = here(0); assert(ngx.timer.at(0, parks, made))
end

function M.orphans_timer(port, n)
	assert(ngx.timer.at(0, orphans_timer, port, n))
	assert(ngx.timer.at(0, ender, port))
	assert(ngx.timer.at(0, pcaller, port))
	for i = 1, 3 do
		assert(ngx.timer.at(0.1 * i, queuer, port, i))
	end
end

function M.park()
	truth({ kind = "request", entry = "park", id = me(), wait = here(0) }); ngx.sleep(3600)
end

return M
