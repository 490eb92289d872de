#!/usr/bin/env bash
# --no-probes walks have a time budget (--walk-budget; default half of -d): a walk past it
# stops, and the header and the JSON say it is partial. Lua reads each thread's state and
# sites after listing them all, and the budget holds there too: a budget (0.15 s) that
# listing 20,000 parked coroutines fits in but reading them all does not gives a partial
# walk of fewer, a roomy one all of them.
. "$(dirname "$0")/lua_lib.sh"
need_root
[ -x /usr/bin/lua5.4 ] || skip "no /usr/bin/lua5.4 (package lua5.4)"
target_start /usr/bin/lua5.4 "$LUA_TESTS/parked.lua" 20000
live=$(sed -n 's/^TRUTH //p' "$WORK/target.out" | jq .live)
"$CODEFER_TOP" -p "$TARGET_PID" --no-probes --walk-budget 0.15 --json -n 1 >"$WORK/tight.json" ||
	fail "codefer-top failed"
expect "tight budget: partial" "$(jq .walks.partial "$WORK/tight.json")" true
expect "tight budget: said why" \
	"$(jq -r '.census.warning | test("cut short by its time budget")' "$WORK/tight.json")" true
expect "tight budget: fewer listed" "$(jq --argjson n "$live" '.totals.coroutines_live < $n' "$WORK/tight.json")" true
"$CODEFER_TOP" -p "$TARGET_PID" --no-probes --walk-budget 60 --json -n 1 >"$WORK/roomy.json" ||
	fail "codefer-top failed"
expect "roomy budget: whole" "$(jq .walks.partial "$WORK/roomy.json")" false
expect "roomy budget: every coroutine" "$(jq .totals.coroutines_live "$WORK/roomy.json")" "$live"
target_stop
finish
