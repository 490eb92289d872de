#!/usr/bin/env bash
# codefer-dump on a core whose executable was replaced on disk after the crash (a
# deploy): without help it must refuse with exit 8 and both build-ids; with --debug-dir
# it finds the right file by the core's build-id (in a .build-id tree, by name, or among
# other files) and reports the target's truth exactly.
. "$(dirname "$0")/../dump/dump_lib.sh"
need_basics

build_id() {
	readelf -n "$1" | sed -n 's/.*Build ID: *//p'
}

mkdir -p "$WORK/app" "$WORK/keep/sub" "$WORK/tree" "$WORK/none"
cp "$(leaky_bin)" "$WORK/app/leaky"
target_start "$WORK/app/leaky"
wait_for '^PID ' 1
echo work >&3
wait_for '^DONE' 1
echo "exit 2" >&3
wait_for '^DONE' 2
core=$(take_core core)
awk '/^DONE/ { n++ } n == 1 && /^TRUTH / { sub(/^TRUTH /, ""); print }' "$WORK/target.out" \
	>"$WORK/truth"
want="$(jq -s -r '[.[] | select(.coro)] | "\(length) \([.[].pending] | add) \([.[].conns_held] | add)"' "$WORK/truth") $(jq -r 'select(.created) | "\(.outstanding) \(.orphans)"' "$WORK/truth")"

# The release that crashed, kept aside; then the deploy renames a new build over it.
old_id=$(build_id "$WORK/app/leaky")
cp "$WORK/app/leaky" "$WORK/keep/sub/leaky-1.0"
cp /bin/true "$WORK/keep/true"
cc -O0 -g -I"$TESTS/native" -DRELEASE_2 "$TESTS/native/leaky.c" "$TESTS/native/ucoro.c" \
	-o "$WORK/leaky.new" || fail "cannot build the new release"
mv "$WORK/leaky.new" "$WORK/app/leaky"
new_id=$(build_id "$WORK/app/leaky")
[ -n "$old_id" ] && [ -n "$new_id" ] && [ "$old_id" != "$new_id" ] || fail "build-ids: '$old_id' '$new_id'"

# dump ARGS...: codefer-dump --json; prints "exit-code error-lines".
dump() {
	"$CODEFER_DUMP" --json "$@" >"$WORK/dump.json" 2>"$WORK/dump.err"
	echo "$? $(wc -l <"$WORK/dump.err")"
}
summary() {
	jq -r '.summary | "\(.coroutines) \(.defers_pending) \(.conns_held) \(.conns_out) \(.orphans)"' "$WORK/dump.json"
}

expect "replaced, no --debug-dir: exit 8, one line" "$(dump "$core")" "8 1"
expect "message names both build-ids" \
	"$(grep -c "build-id $old_id in the core, $new_id in $WORK/app/leaky" "$WORK/dump.err")" 1
expect "nothing in --debug-dir: exit 8, one line" "$(dump --debug-dir "$WORK/none" "$core")" "8 1"
expect "message says where it looked" "$(grep -c "build-id $old_id in the core, $new_id .*no file in $WORK/none" "$WORK/dump.err")" 1

expect "--debug-dir, a file one level below: exit" "$(dump --debug-dir "$WORK/keep" "$core")" "0 0"
expect "--debug-dir, a file one level below: summary" "$(summary)" "$want"

mkdir -p "$WORK/tree/.build-id/${old_id:0:2}"
ln -s "$WORK/keep/sub/leaky-1.0" "$WORK/tree/.build-id/${old_id:0:2}/${old_id:2}"
expect "--debug-dir, a .build-id tree: exit" "$(dump --debug-dir "$WORK/tree" "$core")" "0 0"
expect "--debug-dir, a .build-id tree: summary" "$(summary)" "$want"
finish
