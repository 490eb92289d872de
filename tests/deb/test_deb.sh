#!/usr/bin/env bash
# `make deb`, installed on this machine with apt as an operator would: the installed
# codefer-top --help and man pages, codefer-dump and codefer-gdb on a real core (against
# the target's truth), the declared Depends; then removed, leaving nothing behind.
. "$(dirname "$0")/../dump/dump_lib.sh"
need_basics
command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || skip "no dpkg-deb or apt-get"
command -v dpkg-shlibdeps >/dev/null || skip "no dpkg-shlibdeps (dpkg-dev)"
dpkg-query -W -f='${Status}' codefer 2>/dev/null | grep -q 'install ok installed' &&
	skip "a codefer package is installed on this machine already: not touching it"

INSTALLED=
trap '[ -n "$INSTALLED" ] && apt-get purge -y -qq -o DPkg::Lock::Timeout=120 codefer >/dev/null 2>&1; cleanup' EXIT

make -s -C "$TESTS/.." --no-print-directory deb BUILD="$BUILD" >"$WORK/deb.out" 2>"$WORK/deb.err" ||
	fail "make deb failed"
deb=$(tail -n 1 "$WORK/deb.out")
[ -f "$deb" ] || fail "make deb printed no package ($deb)"
echo "     $deb"

# Depends come from the binaries (dpkg-shlibdeps).
depends=$(dpkg-deb -f "$deb" Depends)
for lib in 'libbpf1 (>= 1:1.4)' libelf1 libdw1 libcapstone4 libncursesw6 libmicrohttpd12; do
	expect "Depends: $lib" "$(echo "$depends" | grep -cF "$lib")" 1
done
apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$deb" >"$WORK/apt.out" 2>&1 || fail "apt-get install failed"
INSTALLED=1
expect "installed" "$(dpkg-query -W -f='${Status}' codefer)" "install ok installed"

expect "codefer-top --help" "$(/usr/bin/codefer-top --help | head -n 1)" "usage: codefer-top -p PID[,PID...] [options]"
for page in man8/codefer-top.8.gz man1/codefer-dump.1.gz; do
	expect "man page $page" "$(zcat "/usr/share/man/$page" | grep -c '^\.SH EXIT STATUS')" 1
done

# A core of the fixture: the installed tools against its truth.
target_start "$(leaky_bin)"
wait_for '^PID ' 1
echo work >&3
wait_for '^DONE' 1
core=$(take_core core)
awk '/^TRUTH / { sub(/^TRUTH /, ""); print }' "$WORK/target.out" >"$WORK/truth"
want="$(jq -s -r '[.[] | select(.coro)] | "\(length) \([.[].pending] | add)"' "$WORK/truth") $(jq -r 'select(.created) | .orphans' "$WORK/truth")"
env -u CODEFER_LIB /usr/bin/codefer-dump --json "$core" >"$WORK/dump.json" 2>"$WORK/dump.err"
expect "installed codefer-dump: exit" "$?" 0
expect "installed codefer-dump: coroutines, pending, orphans" \
	"$(jq -r '.summary | "\(.coroutines) \(.defers_pending) \(.orphans)"' "$WORK/dump.json")" "$want"
env -u CODEFER_LIB timeout 120 /usr/bin/codefer-gdb -batch -nx "$(leaky_bin)" "$core" \
	-ex 'codefer summary' >"$WORK/gdb.out" 2>&1
expect "installed codefer-gdb finds its library" "$(grep -c 'libcodefer.so not found\|Error\|error' "$WORK/gdb.out")" 0
expect "installed codefer-gdb: coroutines, pending" \
	"$(sed -n 's/^\([0-9]*\) coroutines, \([0-9]*\) pending defers.*/\1 \2/p' "$WORK/gdb.out")" \
	"$(jq -s -r '[.[] | select(.coro)] | "\(length) \([.[].pending] | add)"' "$WORK/truth")"

apt-get purge -y -qq -o DPkg::Lock::Timeout=120 codefer >"$WORK/apt.out" 2>&1 || fail "apt-get purge failed"
INSTALLED=
expect "removed: no package" "$(dpkg-query -W -f='${Status}' codefer 2>/dev/null | grep -c 'install ok')" 0
expect "removed: no files" "$(ls /usr/bin/codefer-top /usr/lib/codefer /usr/share/codefer 2>/dev/null | wc -l)" 0
finish
