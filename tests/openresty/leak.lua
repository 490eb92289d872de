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

function M.init_worker(n)
	for _ = 1, n do
		assert(ngx.timer.at(0, ticker))
	end
end

function M.park()
	truth({ kind = "request", id = me(), wait = here(0) }); ngx.sleep(3600)
end

return M
