#!/usr/bin/env bash
# Corrupt runtime structures in a core must give a warning, not a hang: the coroutine
# list made cyclic (the last coroutine's next points back at the first), and a pending
# defer count far beyond the defer array. Every walk over target memory is bounded.
. "$(dirname "$0")/dump_lib.sh"
need_basics

leaky_worked
core=$(take_core core)

# Addresses from the core's own debug info: first and last coroutine, the last's `next`
# and the worker's (first created: the list's tail) defer count.
gdb -batch -nx "$LEAKY" "$core" -ex 'python
c = gdb.parse_and_eval("uco_all")
first, last = int(c), None
while int(c):
    last = c
    c = c["next"]
print("ADDR %d %d %d" % (first, int(last["next"].address), int(last["ndefers"].address)))
' >"$WORK/gdb.out" 2>&1
read -r first next_field ndefers_field < <(sed -n 's/^ADDR //p' "$WORK/gdb.out")
[ -n "$ndefers_field" ] || fail "cannot find the coroutine list in the core with gdb"

# check NAME CORE: codefer-dump finishes in time, succeeds, and warns.
check() {
	local rc start=$SECONDS
	timeout 120 "$CODEFER_DUMP" --json "$2" "$LEAKY" >"$WORK/dump.json" 2>"$WORK/dump.err"
	rc=$?
	expect "$1: exit code" "$rc" 0
	expect "$1: warned" "$(jq -r '.warnings | length > 0' "$WORK/dump.json" 2>/dev/null)" true
	echo "     $(jq -r '.warnings[0]' "$WORK/dump.json" 2>/dev/null) ($((SECONDS - start)) s)"
}

cp "$core" "$WORK/cyclic"
patch_u64 "$WORK/cyclic" "$next_field" "$first"
check "cyclic coroutine list" "$WORK/cyclic"
gdb_codefer "$LEAKY" "$WORK/cyclic" 'codefer summary' >"$WORK/gdb.out"
expect "gdb on the cyclic list: warned" "$(grep -c '^warning: ' "$WORK/gdb.out")" 1

cp "$core" "$WORK/runaway"
# ndefers is an int32 next to the int32 cap: write both, keeping a sane cap.
patch_u64 "$WORK/runaway" "$ndefers_field" 0x7fffffff
check "runaway defer count" "$WORK/runaway"
finish
