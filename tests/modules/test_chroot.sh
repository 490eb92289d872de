#!/usr/bin/env bash
# A chrooted target (Swoole's chroot option, systemd's RootDirectory=): its maps name host
# paths while /proc/PID/root is the jail. codefer-top must still find the runtime, take
# the census and probe the right files: counts against the target's truth.
. "$(dirname "$0")/modules_lib.sh"
need_root
command -v chroot >/dev/null || skip "no chroot (coreutils)"

# The jail: the fixture and every library it loads, at the same paths inside.
jail=$WORK/jail
mkdir -p "$jail"
cp "$LEAKY" "$jail/leaky"
for lib in $(ldd "$LEAKY" | grep -o '/[^ ]*'); do
	mkdir -p "$jail$(dirname "$lib")"
	cp "$lib" "$jail$lib"
done
target_start chroot "$jail" /leaky
wait_for '^PID ' 1
expect "target runs in the jail" "$(readlink "/proc/$TARGET_PID/root")" "$jail"

leaky_do 1 work
leaky_do 2 "more 25"
top_start
top_settle 0
echo "-- census (auto-detected ucoro profile)"
expect "runtime" "$(jq_get "$WORK/snap.json" .runtime)" ucoro
expect "census coroutines" "$(jq_get "$WORK/snap.json" .census.coroutines)" 4
check census ucoro

echo "-- then probes in the jailed binary"
top_start "${NATIVE_PROBES[@]}"
"$CODEFER_TOP" -p "$TARGET_PID" --explain "${NATIVE_PROBES[@]}" >"$WORK/explain.out" ||
	fail "--explain failed"
expect "uprobes on the mapped file, one per probe point" "$(bpftool perf 2>/dev/null |
	grep -c "uprobe .*filename /proc/$TARGET_PID/map_files/")" \
	"$(grep -c '^            in ' "$WORK/explain.out")"
leaky_do 3 "more 10"
leaky_do 4 "exit 2"
top_settle 2
check census
expect "events after attach: created" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" 2
finish
