#!/usr/bin/env bash
# A site named by the target with terminal escapes, a quote, a backslash, a newline and
# invalid UTF-8 (tests/lua/hostile.lua): the metrics page stays valid (promtool), its label
# has no raw control byte, and read back by the format's rules it is the very text the
# JSON output gives for that site. A long site keeps its last 125 bytes after "...", between
# characters.
. "$(dirname "$0")/../lua/lua_lib.sh"
need_root
command -v lua5.4 >/dev/null || skip "no lua5.4"
command -v promtool >/dev/null || skip "no promtool (the prometheus package)"
command -v curl >/dev/null || skip "no curl"

target_start lua5.4 "$LUA_TESTS/hostile.lua"
wait_for '^READY' 1
"$CODEFER_TOP" -p "$TARGET_PID" --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err" ||
	fail "codefer-top --json failed"
want=$(jq -r '.sites[] | select(.kind == "defer" and (.site | test("pwned"))) | .site' "$WORK/top.json")
[ -n "$want" ] || fail "no hostile defer site in the JSON"

for ((i = 0; i < 50; i++)); do
	port=$((20000 + RANDOM % 20000))
	ss -ltnH "sport = :$port" | grep -q . || break
done
top_start --listen "127.0.0.1:$port"
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/page.txt" || fail "no metrics page"
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$port/metrics" >"$WORK/page.om" || fail "no OpenMetrics page"
top_settle 0

promtool check metrics <"$WORK/page.txt" >"$WORK/promtool.out" 2>&1
expect "promtool check metrics" "$?" 0
for p in page.txt page.om; do
	expect "$p: no control byte but newlines" "$(tr -d '\n' <"$WORK/$p" | LC_ALL=C grep -c '[[:cntrl:]]')" 0
	expect "$p: valid UTF-8" "$(iconv -f UTF-8 -t UTF-8 "$WORK/$p" >/dev/null 2>&1 && echo yes)" yes
	# The label read back by the exposition format's escapes (\\, \", \n).
	got=$(python3 - "$WORK/$p" <<'PY'
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r'codefer_site_defers_pending\{site="((?:[^"\\]|\\.)*)"\} ', line)
    if m and "pwned" in m.group(1):
        print(re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), m.group(1)))
PY
)
	expect "$p: the label is the site's text" "$got" "$want"
done

# A chunk name of "x" and 200 two-byte characters, two sites in it (lines 2 and 3): each
# label keeps its end (byte 128 from the end falls inside a character), and two sites
# alike in their first 128 bytes stay two series.
kill "$TARGET_PID"
wait "$TARGET_PID" 2>/dev/null
cat >"$WORK/long.lua" <<'LUA'
local t = load([[local mt = { __close = function() end }
local a = coroutine.create(function() local c <close> = setmetatable({}, mt); coroutine.yield() end)
local b = coroutine.create(function() local c <close> = setmetatable({}, mt); local d <close> = setmetatable({}, mt); coroutine.yield() end)
coroutine.resume(a); coroutine.resume(b)
return { a, b }
]], "=x" .. string.rep("\u{e9}", 200))()
io.write("READY\n")
io.stdout:flush()
io.read()
LUA
target_start lua5.4 "$WORK/long.lua"
top_start --listen "127.0.0.1:$port"
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/long.txt" || fail "no metrics page"
top_settle 0
# The JSON's site texts, each cut as a label: "..." and its last bytes (128 in all), from a
# character's start.
want=$(python3 - "$WORK/snap.json" <<'PY'
import json, sys
for site in json.load(open(sys.argv[1]))["sites"]:
    if site["kind"] != "defer" or not site["pending"]:
        continue
    b = site["site"].encode()
    if len(b) > 128:
        b = b[len(b) - 125:]
        while b[0] & 0xc0 == 0x80:
            b = b[1:]
        b = b"..." + b
    print(b.decode().replace("\\", "\\\\"), site["pending"])
PY
)
expect "long sites: two series, each the end of its site" \
	"$(sed -n 's/^codefer_site_defers_pending{site="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' "$WORK/long.txt" | sort)" \
	"$(sort <<<"$want")"
expect "long sites: two" "$(wc -l <<<"$want")" 2
finish
