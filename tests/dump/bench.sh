#!/usr/bin/env bash
# codefer-dump's cost on a big core: GOROUTINES parked goroutines with DEFERS pending
# defers each (default 100,000 x 10), next to Go's own gdb support (runtime-gdb.py's
# `info goroutines`) on the same core. Prints the figures; called by `make bench`.
#   BENCH_GOROUTINES, BENCH_DEFERS: the size; BENCH_GDB_TIMEOUT: seconds for gdb (600).
. "$(dirname "$0")/dump_lib.sh"
need_basics
GS=${BENCH_GOROUTINES:-100000}
DS=${BENCH_DEFERS:-10}
go=$(go_toolchains | tail -n 1)
[ -n "$go" ] || skip "no Go toolchain (golang-1.NN-go)"
command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time (package time)"

# timed NAME CMD...: runs CMD, prints wall seconds and peak RSS; output in $WORK/out.
timed() {
	local name=$1 rc
	shift
	/usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	read -r secs kb <"$WORK/time"
	printf "%-44s %8s s %8d MB  (exit %d)\n" "$name" "$secs" $((kb / 1024)) "$rc"
}

bin=$(go_parked "$go") || fail "cannot build parked.go with $go"
target_start "$bin" "$GS" "$DS"
wait_for '^DONE' 1 300
v=$(sed -n 's/^TRUTH //p' "$WORK/target.out" | jq -r .version)
want=$(sed -n 's/^TRUTH //p' "$WORK/target.out" | jq -r .defers_pending)
start=$SECONDS
core=$(take_core core)
exec 3>&-
kill -9 "$TARGET_PID" 2>/dev/null
wait "$TARGET_PID" 2>/dev/null
TARGET_PID=
echo "core of $GS goroutines x $DS pending defers ($v): $(($(stat -c %s "$core") >> 20)) MB, gcore took $((SECONDS - start)) s"

timed "codefer-dump (text)" "$CODEFER_DUMP" "$core" "$bin"
echo "  $(grep ' coroutines, ' "$WORK/out")"
pending=$(grep -o '[0-9]* pending defers' "$WORK/out" | cut -d' ' -f1)
[ "$pending" = "$want" ] || echo "  WRONG: $pending pending defers, want $want"
timed "codefer-dump --json" "$CODEFER_DUMP" --json "$core" "$bin"
echo "  $(($(stat -c %s "$WORK/out") >> 20)) MB of JSON"
timed "gdb: codefer summary" gdb -batch -nx "$bin" "$core" -x "$CODEFER_PY" -ex 'codefer summary'
echo "  $(grep ' coroutines, ' "$WORK/out")"
rtgdb="$("$go" env GOROOT)/src/runtime/runtime-gdb.py"
if [ -f "$rtgdb" ]; then
	timed "gdb: runtime-gdb.py info goroutines" timeout "${BENCH_GDB_TIMEOUT:-600}" \
		gdb -batch -nx "$bin" "$core" -ex "source $rtgdb" -ex 'info goroutines'
	echo "  $(grep -cE '^[* ]*[0-9]+ ' "$WORK/out") goroutines listed, none of their defers (exit 124 would mean BENCH_GDB_TIMEOUT)"
else
	echo "no $rtgdb: runtime-gdb.py figure skipped"
fi
