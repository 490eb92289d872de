#!/usr/bin/env bash
# The ordinary deploy of a Go service: the new build renamed over the running one (its
# maps say "(deleted)"). The census reads runtime structures through the running binary's
# symbols and pclntab: reading the new file instead would give another layout. Pending
# defers and their sites must match the running target's truth.
. "$(dirname "$0")/../go/go_lib.sh"
need_basics

gos=($(go_toolchains))
old=$(go_build "${gos[0]}" plain) || fail "cannot build the target with ${gos[0]}"
# The new release: another Go when there is one, else the same code linked by cgo.
if [ ${#gos[@]} -gt 1 ]; then
	new=$(go_build "${gos[${#gos[@]} - 1]}" plain)
else
	new=$(go_build "${gos[0]}" cgo)
fi || fail "cannot build the new release"
mkdir -p "$WORK/app"
cp "$old" "$WORK/app/server"
target_start "$WORK/app/server" 3000
target_go
cp "$new" "$WORK/app/server.new"
mv "$WORK/app/server.new" "$WORK/app/server"
expect "maps say deleted" "$(grep -c " $WORK/app/server (deleted)\$" "/proc/$TARGET_PID/maps" |
	sed 's/^[1-9][0-9]*$/yes/')" yes

top_start
top_settle 1
expect "runtime" "$(jq_get "$WORK/snap.json" .runtime)" go
check census "$(basename "$old"), replaced on disk by $(basename "$new")"
finish
