-- Loaded by HAProxy (lua-load): Lua 5.3 coroutines as a real embedder makes them. TASKS
-- tasks (core.register_task: each a coroutine HAProxy's C code creates) park for ever;
-- action `codefer` runs in a fresh coroutine for every request. Prints its truth on
-- stderr: "TASKFN chunk:line" (the tasks' function, where the census names them), one
-- "TASK" line per task once it runs, one "REQ" line per request the action ran for.
local TASKS = tonumber(os.getenv("CODEFER_TASKS") or "12")

local function park()
  io.stderr:write("TASK\n")
  io.stderr:flush()
  while true do core.msleep(1000000) end
end

local info = debug.getinfo(park, "S")
io.stderr:write(string.format("TASKFN %s:%d\n", info.short_src, info.linedefined))
for _ = 1, TASKS do
  core.register_task(park)
end

core.register_action("codefer", { "http-req" }, function(txn)
  io.stderr:write("REQ\n")
  io.stderr:flush()
end)
