#!/usr/bin/env bash
# make bench: what codefer costs, measured in one run and printed as ratios.
#  1. the target's cost per operation with no probe, with an empty uprobe on the same
#     instructions (a tracefs uprobe event: the kernel's trap, the floor any uprobe tool
#     pays), and with codefer-top attached; for the ucoro fixture, Go (per defer), Lua
#     (per coroutine create/resume with a <close>) and Swoole when present (per
#     coroutine with one defer() and one pop/push);
#     with each handler's mean run time from bpf_stats (kernel.bpf_stats_enabled, on
#     in a separate run: its clock reads add about 50 ns to each run of a program);
#  2. the target's longest pause while codefer-top attaches (Go, 100,000 and 1,000,000
#     parked goroutines with three heap defers each), by default and with --freeze, as the
#     target measures it (a goroutine sleeping 1 ms in a loop), with codefer-top's peak RSS;
#  3. --no-probes: the target's cost per defer while a walk reads 100,000 goroutines
#     every second, against no codefer at all;
#  4. codefer-top's user+system CPU per refresh with 100,000 live coroutines (ucoro, and
#     Go goroutines with open-coded defers, which are read from their frames, in a build
#     with symbols and a stripped one) and 1,000,000 Go goroutines, its output read
#     through a pipe;
#  5. codefer-dump on a core of 100,000 goroutines x 10 defers vs runtime-gdb.py.
#  0. before 1: the floor, on this machine: what a uprobe trap costs the thread, and what
#     each step a handler can take (a lookup, the clock, a read of the target's memory)
#     adds to a program's run time as bpf_stats shows it (scripts/bench/floor.c).
# BENCH_ONLY="cost stall no-probes refresh dump" picks sections (default: all);
# BENCH_OPS operations a run (default 50000), BENCH_ROUNDS turns (default 3).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/lib.sh"
need_root
# Tests walk at every snapshot to be deterministic; what users run throttles the walks.
unset CODEFER_WALK_EVERY
OPS=${BENCH_OPS:-50000}
ROUNDS=${BENCH_ROUNDS:-3}
TRACEFS=/sys/kernel/tracing
[ -e "$TRACEFS/uprobe_events" ] || mount -t tracefs tracefs "$TRACEFS" 2>/dev/null

# ops N: the target runs N operations; prints its ns per operation.
ops() {
	local before
	before=$(grep -c '^NS ' "$WORK/target.out")
	echo "$1" >&3
	wait_for '^NS ' $((before + 1)) 600
	grep '^NS ' "$WORK/target.out" | tail -n 1 | cut -d' ' -f2
}

# best N: the lowest of two runs of N operations (the least disturbed one).
best() {
	lowest "$(ops "$1")" "$(ops "$1")"
}

# empty_probes on|off: tracefs uprobes on every instruction codefer-top would probe.
empty_probes() {
	if [ "$1" = off ]; then
		echo 0 >"$TRACEFS/events/codefer_bench/enable" 2>/dev/null
		grep '^p:codefer_bench/' "$TRACEFS/uprobe_events" | cut -d' ' -f1 | sed 's/^p:/-:/' |
			while read -r e; do echo "$e" >>"$TRACEFS/uprobe_events"; done
		return
	fi
	"$CODEFER_TOP" -p "$TARGET_PID" --explain "${TOP_ARGS[@]}" |
		sed -n 's/^ *in \(.*\) at file offset \(0x[0-9a-f]*\)$/\1 \2/p' | sort -u >"$WORK/points"
	local i=0 path off
	while read -r path off; do
		echo "p:codefer_bench/p$i /proc/$TARGET_PID/root$path:$off" >>"$TRACEFS/uprobe_events" ||
			fail "cannot add a tracefs uprobe"
		i=$((i + 1))
	done <"$WORK/points"
	echo 1 >"$TRACEFS/events/codefer_bench/enable"
}

# handler_ns: each BPF handler of the running codefer-top ($TOP_PID) that ran, with its
# mean run time (bpf_stats must be on while it ran).
handler_ns() {
	local id
	for id in $(grep -h '^prog_id:' /proc/"$TOP_PID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u); do
		bpftool prog show id "$id" -j 2>/dev/null |
			jq -r 'select(.run_cnt != null and .run_cnt > 0) |
				"\(.name) \(.run_time_ns / .run_cnt | floor) ns"'
	done | sort | paste -sd, - | sed 's/,/, /g'
}

# bench_target NAME UNIT CMD...: ns per UNIT with no probe, empty uprobes, codefer. The
# three take turns, ROUNDS times (codefer attaching afresh each time), and each figure is
# the best of all its runs: a disturbance on this shared machine then weighs on one run of
# one mode, not on a whole mode.
bench_target() {
	local name=$1 unit=$2 none=() empty=() full=() round
	shift 2
	target_start "$@"
	wait_for '^PID ' 1 60
	ops $((OPS / 10)) >/dev/null	# warm-up
	for ((round = 0; round < ROUNDS; round++)); do
		none+=("$(best "$OPS")")
		empty_probes on
		empty+=("$(best "$OPS")")
		empty_probes off
		top_start "${TOP_ARGS[@]}"
		full+=("$(best "$OPS")")
		top_settle 0 >/dev/null
	done
	# bpf_stats times every program run (two clock reads each): on only for the handlers'
	# figures, so that it does not weigh on codefer's ratio.
	top_start "${TOP_ARGS[@]}"
	sysctl -qw kernel.bpf_stats_enabled=1
	ops "$OPS" >/dev/null
	handlers=$(handler_ns)
	sysctl -qw kernel.bpf_stats_enabled=0
	top_settle 0 >/dev/null
	exec 3>&-
	kill "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
	python3 - "$name" "$unit" "$(lowest "${none[@]}")" "$(lowest "${empty[@]}")" \
		"$(lowest "${full[@]}")" "$(wc -l <"$WORK/points")" <<'PY'
import sys
name, unit, none, empty, full, points = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
print(f"{name:8} per {unit:34} none {none:9.1f} ns | empty uprobes {empty:9.1f} ns "
      f"({empty / none:5.2f}x) | codefer {full:9.1f} ns ({full / none:5.2f}x none, "
      f"{full / empty:5.2f}x empty); {points:.0f} probe points")
PY
	echo "         handlers (bpf_stats mean): $handlers"
}

# lowest N...: the smallest of its arguments.
lowest() {
	printf '%s\n' "$@" | sort -g | head -n 1
}

# section NAME: whether BENCH_ONLY (a list such as "cost refresh"; default all) asks for it.
section() {
	[ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]
}

# stall_at_attach N: the Go target with N goroutines parked with three heap defers each;
# its longest pause while codefer-top attaches and takes one snapshot, by default and with
# --freeze, and codefer-top's wall time and peak RSS.
stall_at_attach() {
	local n=$1 mode pause
	target_start "$WORK/defers"
	wait_for '^PID ' 1 60
	ops "parkheap $n" >/dev/null
	for mode in default --freeze; do
		ops stall >/dev/null
		sleep 1
		/usr/bin/time -f "%e %M" -o "$WORK/time" "$CODEFER_TOP" -p "$TARGET_PID" -b -n 1 \
			$([ "$mode" = --freeze ] && echo --freeze) >"$WORK/top.out" 2>"$WORK/top.err" ||
			fail "codefer-top failed: $(cat "$WORK/top.err")"
		sleep 0.5
		pause=$(ops stall)
		read -r secs kb <"$WORK/time"
		printf "go %8d goroutines, attach %-9s: target paused at most %8.1f ms; codefer-top %5.1f s, peak RSS %5d MB; %s\n" \
			"$n" "$mode" "$(awk -v p="$pause" 'BEGIN { print p / 1e6 }')" "$secs" $((kb / 1024)) \
			"$(grep -o 'census: [0-9]* coroutines, [0-9]* defers' "$WORK/top.out")"
	done
	ops stall >/dev/null
	sleep "$secs"
	printf "go %8d goroutines, no codefer for %s s: the target paused at most %8.1f ms (the machine's own noise)\n" \
		"$n" "$secs" "$(awk -v p="$(ops stall)" 'BEGIN { print p / 1e6 }')"
	exec 3>&-
	kill "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
}

# no_probes_cost: ns per defer with no codefer and with codefer-top --no-probes -d 1
# walking 100,000 parked goroutines. Each run lasts about 5 s, so that it spans several
# walks (one a second) and what they cost the target; the two take turns, twice.
no_probes_cost() {
	local none=() walked=() n round
	target_start "$WORK/defers"
	wait_for '^PID ' 1 60
	ops "parkheap 100000" >/dev/null
	n=$(awk -v ns="$(ops $((OPS / 10)))" 'BEGIN { printf "%d", 5e9 / ns }')
	for ((round = 0; round < 2; round++)); do
		none+=("$(ops "$n")")
		"$CODEFER_TOP" -p "$TARGET_PID" -b -n 100000 -d 1 --no-probes >"$WORK/np.out" 2>&1 &
		TOP_PID=$!
		wait_line "$WORK/np.out" 'last [0-9]* ms' 60 || fail "no walk from codefer-top --no-probes"
		walked+=("$(ops "$n")")
		kill -INT "$TOP_PID"
		wait "$TOP_PID"
		TOP_PID=
	done
	printf "go --no-probes -d 1 (walks of 100,000 goroutines): %.1f ns per defer vs %.1f ns with no codefer (%.3fx), over %d defers (~5 s) a run, best of 2; last walk %s\n" \
		"$(lowest "${walked[@]}")" "$(lowest "${none[@]}")" \
		"$(awk -v w="$(lowest "${walked[@]}")" -v n="$(lowest "${none[@]}")" 'BEGIN { print w / n }')" \
		"$n" "$(grep -o 'last [0-9]* ms' "$WORK/np.out" | tail -n 1)"
	exec 3>&-
	kill "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
}

# refresh_cpu WHAT PARK CMD...: codefer-top's CPU per refresh on CMD once it has parked
# coroutines (PARK on its stdin: "park 100000"), JSON with every row and text. With
# CHURN=N, the target also runs N short coroutines (each one starts, defers, ends) every
# 0.1 s meanwhile: rows come and go at every refresh, as on a server.
refresh_cpu() {
	local what=$1 park=$2 mode churn=
	shift 2
	target_start "$@"
	wait_for '^PID ' 1 60
	ops "$park" >/dev/null
	if [ -n "${CHURN:-}" ]; then
		while :; do echo "$CHURN" >&3 || break; sleep 0.1; done 2>/dev/null &
		churn=$!
	fi
	for mode in --json -b; do
		cpu "$what" "$mode" 21 || fail "codefer-top failed: $(cat "$WORK/top.err")"
	done
	[ -n "$churn" ] && kill "$churn" && wait "$churn" 2>/dev/null
	exec 3>&-
	kill "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID" 2>/dev/null
	TARGET_PID=
}

# cpu WHAT MODE N: codefer-top in MODE for N snapshots, its output read through a pipe as
# a script would take it (into a file on disk, the system time would be the file
# system's writeback, varying from run to run). Its user and system time, read from
# /proc as the second snapshot and the last one begin to arrive, give the CPU of the N - 2
# refreshes between: attach, census and detach, whose cost varies by more than a
# refresh's, are left out.
cpu() {
	python3 - "$CODEFER_TOP" "$TARGET_PID" "$@" "$WORK/top.err" <<'PY'
import os, subprocess, sys
top, pid, what, mode, n, err = sys.argv[1:7]
n = int(n)
# Where a snapshot begins: a JSON one is a line, a text one starts with its header.
start = b"\n" if mode == "--json" else b"codefer-top - pid"
p = subprocess.Popen([top, "-p", pid, mode, "-n", str(n), "-d", "0.1"],
                     stdout=subprocess.PIPE, stderr=open(err, "w"))
tick = os.sysconf("SC_CLK_TCK")

def cpu():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) / tick, int(f[12]) / tick

# Read in large pieces, so that the reader never keeps codefer-top waiting. Marks: the
# first snapshot, then the second and the last begin (JSON: the first, second to last end).
marks, seen, tail = [], 0, b""
want = (1, 2, n) if mode != "--json" else (1, 1, n - 1)
while chunk := os.read(p.stdout.fileno(), 1 << 20):
    buf = tail + chunk
    found = buf.count(start)
    for _ in range(found):
        seen += 1
        marks += [cpu()] * want.count(seen)
    tail = buf[len(buf) - len(start) + 1:]	# a start cut in two
_, status, ru = os.wait4(p.pid, 0)
if status or len(marks) != 3:
    sys.exit(1)
(u0, s0), (u1, s1), (u2, s2) = marks
how = "JSON, every row" if mode == "--json" else "text, 25 rows a table"
print(f"{what:16} {how:22}: attach, census, first refresh {u0:.2f} s user + {s0:.2f} s system; per "
      f"refresh {(u2 - u1) / (n - 2) * 1000:.1f} ms user + {(s2 - s1) / (n - 2) * 1000:.1f} ms "
      f"system; peak RSS {ru.ru_maxrss / 1024:.0f} MB")
PY
}

go=$(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -V | tail -n 1)
if [ -n "$go" ]; then
	GOCACHE=${GOCACHE:-$BUILD/go-cache} GO111MODULE=off GOFLAGS= \
		"$go" build -o "$WORK/defers" "$HERE/bench/defers.go" || fail "cannot build defers.go"
	# The same as production ships it: no .symtab, no DWARF (functions and lines from
	# the pclntab, runtime.allgs decoded from the code).
	GOCACHE=${GOCACHE:-$BUILD/go-cache} GO111MODULE=off GOFLAGS= \
		"$go" build -ldflags='-s -w' -o "$WORK/defers-stripped" "$HERE/bench/defers.go" ||
		fail "cannot build defers.go stripped"
fi

if section cost; then
	echo "== cost per operation (best of ${ROUNDS} x 2 x $OPS operations, each mode in turn; lower is better)"
	sysctl -qw kernel.bpf_stats_enabled=1
	"$BUILD/bench/floor" || fail "the floor measurement failed"
	sysctl -qw kernel.bpf_stats_enabled=0
	TOP_ARGS=()
	bench_target ucoro "iteration (12 probe hits)" "$BUILD/tests/native/churn"
	if [ -n "$go" ]; then
		bench_target go "defer (register + run)" "$WORK/defers"
	else
		echo "go       skipped: no Go toolchain"
	fi
	if command -v lua5.4 >/dev/null; then
		bench_target lua "coroutine (create, 2 resumes, <close>)" lua5.4 "$HERE/bench/coroutines.lua"
	else
		echo "lua      skipped: no lua5.4"
	fi
	if php -m 2>/dev/null | grep -qi '^swoole$'; then
		bench_target swoole "coroutine (defer, pop, push)" php "$HERE/bench/swoole.php"
	else
		echo "swoole   skipped: php has no swoole extension"
	fi
fi
if [ -n "$go" ] && section stall; then
	echo
	echo "== the target's longest pause while codefer-top attaches (Go, 3 heap defers per goroutine)"
	for n in 100000 ${BENCH_BIG:-1000000}; do
		stall_at_attach "$n"
	done
fi
if [ -n "$go" ] && section no-probes; then
	echo
	echo "== --no-probes: the target's cost while walked every second"
	no_probes_cost
fi

if section refresh; then
	echo
	echo "== codefer-top CPU per refresh with 100,000 live coroutines, 2 pending defers each,"
	echo "   and 1,000,000 Go goroutines with 3 heap defers each (ucoro: seen by the census,"
	echo "   then kept by the probes; go: open-coded, so read from their frames again at each"
	echo "   refresh, at most a tenth of the time; + churn: 2,000 more coroutines a second"
	echo "   start and end meanwhile)"
	refresh_cpu ucoro "park 100000" "$BUILD/tests/native/churn"
	CHURN=200 refresh_cpu "ucoro + churn" "park 100000" "$BUILD/tests/native/churn"
	if [ -n "$go" ]; then
		refresh_cpu go "park 100000" "$WORK/defers"
		refresh_cpu "go -s -w" "park 100000" "$WORK/defers-stripped"
		refresh_cpu "go 1M heap" "parkheap ${BENCH_BIG:-1000000}" "$WORK/defers"
	fi
fi

if section dump; then
	echo
	echo "== codefer-dump on a big Go core"
	bash "$HERE/../tests/dump/bench.sh" | grep -E '^(SKIP|core of|codefer|gdb)'
fi
