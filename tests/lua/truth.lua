-- What every Lua test target shares: how it names coroutines and lines, and how it prints
-- its truth (TRUTH {...} lines, keys sorted). Loaded with dofile from the target's folder.
local T = {}

-- A coroutine's id as codefer shows it: its lua_State address.
function T.id(co)
	return (tostring(co):match("0x%x+"))
end

-- "chunk:line" of the code that called the function calling T.line (level 0), or of that
-- code's caller (level 1).
function T.line(level)
	local i = debug.getinfo((level or 0) + 2, "Sl")
	return i.source:sub(2) .. ":" .. i.currentline
end

-- "chunk:line" where function f is defined.
function T.def(f)
	local i = debug.getinfo(f, "S")
	return i.source:sub(2) .. ":" .. i.linedefined
end

function T.truth(t)
	local parts = {}
	for k, v in pairs(t) do
		local s = type(v) == "string" and string.format("%q", v) or tostring(v)
		parts[#parts + 1] = string.format("%q:%s", k, s)
	end
	table.sort(parts)
	io.write("TRUTH {", table.concat(parts, ","), "}\n")
end

return T
