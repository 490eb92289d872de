-- Target for test_lua_library_sites.sh: coroutines created through a library's helper
-- (lua_modules/spawner.lua) at lines of the program's, and one through pcall (a C
-- function between: the library's own line is all there is to show); all park for
-- ever. Prints READY, waits for a line on stdin, creates them, prints `TRUTH file:line
-- count` per creating line (the library's own as `TRUTH library count`), `WAIT
-- file:line count` for those that wait in the library's sleep() (at the program's line
-- that called it) and DONE, then waits for stdin to close.
local dir = arg[0]:match("(.*)/") or "."
package.path = dir .. "/lua_modules/?.lua;" .. package.path
local spawner = require("spawner")
local parked, counts, waits = {}, {}, nil

local function park() coroutine.yield() end
local function count(key) counts[key] = (counts[key] or 0) + 1 end

io.write("READY\n"); io.flush()
io.read("*l")
for _ = 1, 3 do
	parked[#parked + 1] = spawner.spawn(park); count("library_sites.lua:" .. debug.getinfo(1, "l").currentline)
end
for _ = 1, 2 do
	parked[#parked + 1] = spawner.spawn(park); count("library_sites.lua:" .. debug.getinfo(1, "l").currentline)
end
local _, co = pcall(spawner.spawn, park); parked[#parked + 1] = co; count("library")
local function sleeper()
	waits = debug.getinfo(1, "l").currentline + 1
	spawner.sleep()
end
for _ = 1, 2 do
	parked[#parked + 1] = spawner.spawn(sleeper); count("library_sites.lua:" .. debug.getinfo(1, "l").currentline)
end
io.write("WAIT library_sites.lua:", waits, " 2\n")
for key, n in pairs(counts) do
	io.write("TRUTH ", key, " ", n, "\n")
end
io.write("DONE\n"); io.flush()
io.read("*a")
