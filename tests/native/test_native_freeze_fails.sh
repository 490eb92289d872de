#!/usr/bin/env bash
# --freeze that cannot stop the target says so, in one line of the header and in the
# JSON (census.freeze_failed), and goes on with the census of a running target: when
# another process traces it (gdb attached), and when its cgroup froze it (docker pause),
# whose threads never reach a stop (codefer-top waited for ever). The target is left
# as it was: not traced, and running once thawed.
. "$(dirname "$0")/native_lib.sh"
need_root

leaky_start
leaky_do 1 work

echo "-- traced by gdb"
gdb -batch -nx -p "$TARGET_PID" -ex 'shell sleep 4' >/dev/null 2>&1 &
gdb_pid=$!
for ((i = 0; i < 50; i++)); do
	[ "$(awk '/^TracerPid/ { print $2 }' /proc/"$TARGET_PID"/status)" != 0 ] && break
	sleep 0.1
done
timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" --freeze --json -n 1 >"$WORK/top.json" 2>"$WORK/top.err"
expect "traced: exit code" "$?" 0
expect "traced: frozen" "$(jq .census.frozen "$WORK/top.json")" false
expect "traced: said why" \
	"$(jq -r '.census.freeze_failed | test("not stopped: it is traced by another process")' "$WORK/top.json")" true
wait "$gdb_pid"

echo "-- frozen by its cgroup"
if [ -d /sys/fs/cgroup/freezer ]; then
	cg=/sys/fs/cgroup/freezer/codefer_test_$$ state=freezer.state frozen=FROZEN thawed=THAWED
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	cg=/sys/fs/cgroup/codefer_test_$$ state=cgroup.freeze frozen=1 thawed=0
else
	cg=
	echo "INFO: no cgroup freezer here: that case not run"
fi
if [ -n "$cg" ]; then
	mkdir "$cg" || fail "cannot make a cgroup"
	echo "$TARGET_PID" >"$cg/cgroup.procs"
	echo "$frozen" >"$cg/$state"
	timeout 30 "$CODEFER_TOP" -p "$TARGET_PID" --freeze -b -n 1 >"$WORK/top.txt" 2>"$WORK/top.err"
	rc=$?
	echo "$thawed" >"$cg/$state"
	echo "$TARGET_PID" >"$(dirname "$cg")/cgroup.procs"
	rmdir "$cg"
	expect "cgroup-frozen: exit code (no timeout)" "$rc" 0
	expect "cgroup-frozen: said why in the header" \
		"$(grep -c '^attach: --freeze: the target was not stopped: its threads did not stop within 1 s' "$WORK/top.txt")" 1
fi
expect "not traced after" "$(awk '/^TracerPid/ { print $2 }' /proc/"$TARGET_PID"/status)" 0
leaky_do 2 work || fail "the target stopped working"
finish
