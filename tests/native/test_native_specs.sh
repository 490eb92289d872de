#!/usr/bin/env bash
# The probe-spec forms, live on the leaky fixture: MODULE:, %REG, entry: in the pool and
# site positions (co cannot be: exit 2), touch, and if=LOC==0 next to if=LOC!=0 on the same return
# instructions. Every count must still match the fixture's truth exactly, and the
# condition counter must equal the gets the target made (each get is skipped by exactly
# one of the two conditions: the touch probe's ==0, as no get fails).
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
SPECS=(
	--probe 'create=leaky:uco_register,co=%rdi[0],site=func:%rdi[8]'
	--probe 'defer=leaky:uco_defer,co=sym:uco_current[0][0],site=caller'
	--probe 'defer-run=uco_run_defer,co=%rdi[0]'
	--probe 'exit=uco_unregister,co=arg0[0]'
	--probe 'get=uco_pool_get%return,co=sym:uco_current[0][0],pool=entry:%rdi,conn=ret,site=entry:caller,if=ret!=0'
	--probe 'put=uco_pool_put,pool=%rdi,conn=%rsi'
	--probe 'touch=uco_pool_get%return,co=sym:uco_current[0][0],if=%rax==0'
	--probe 'touch=uco_yield,co=sym:uco_current[0][0]'
)
top_start "${SPECS[@]}"
leaky_do 1 work
leaky_do 2 "more 20"
leaky_do 3 "exit 2"
top_settle 2
check live
"$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 --probe 'exit=uco_unregister%return,co=entry:arg0[0]' \
	>"$WORK/out" 2>"$WORK/err"
expect "co=entry: refused" "$? $(grep -c 'co cannot be entry:' "$WORK/err")" "2 1"
expect "gets skipped by if=%rax==0" "$(jq_get "$WORK/snap.json" .counters.cond_skipped)" \
	"$(grep '^TRUTH {"created"' "$WORK/target.out" | tail -n 1 | sed 's/^TRUTH //' | jq .gets)"
finish
