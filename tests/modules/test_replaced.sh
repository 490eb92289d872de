#!/usr/bin/env bash
# A deploy replaced the binary and its library on disk after the target started (its maps
# say "(deleted)"). codefer-top must read and probe the files the target has mapped,
# never the new ones at the same paths (built differently here, so reading them would
# give wrong symbols): counts against the target's truth.
. "$(dirname "$0")/modules_lib.sh"
need_root

build_shared "$WORK/app"
LEAKY="$WORK/app/leaky"
leaky_start
leaky_do 1 work
leaky_do 2 "more 25"

# The new release: other code at the same paths, renamed over the old (as dpkg and rsync do).
build_shared "$WORK/new"
cc -O0 -g -I"$NATIVE_SRC" -DRELEASE_2 "$NATIVE_SRC/leaky.c" -L"$WORK/new/lib" -lucoro \
	-Wl,-rpath,'$ORIGIN/lib' -o "$WORK/new/leaky" || fail "cannot build the new release"
mv "$WORK/new/leaky" "$WORK/app/leaky"
mv "$WORK/new/lib/libucoro.so.1.0.0" "$WORK/app/lib/libucoro.so.1.0.0"
expect "maps say deleted" "$(grep -c "$WORK/app/.* (deleted)\$" "/proc/$TARGET_PID/maps" |
	sed 's/^[1-9][0-9]*$/yes/')" yes

top_start
top_settle 0
echo "-- census (auto-detected ucoro profile)"
expect "runtime" "$(jq_get "$WORK/snap.json" .runtime)" ucoro
check census ucoro

echo "-- then probes, MODULE by soname"
probes_in libucoro.so.1
top_start "${PROBES[@]}"
leaky_do 3 "more 10"
leaky_do 4 "exit 2"
top_settle 2
check census
expect "events after attach: created" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" 2
finish
