#!/usr/bin/env bash
# The offset tables against DWARF, with every installed Go: the same program
# (tests/go/gopools.go, so database/sql is linked in) built with DWARF and without
# (-ldflags=-w), each given to --explain, must list the same offsets, every field of the
# table (runtime.g, runtime._defer, database/sql.DB), the first read from DWARF, the
# second from the table of its version. Then a version newer than the tables (the build
# info's version string patched in a copy): refused with one line and exit 6 without
# DWARF, read from DWARF with it, refused naming the field when its DWARF lacks one. And
# a go1.23 build relabelled go1.24 (1.24 keeps 1.23's layout) gets 1.23's DWARF offsets
# from the 1.24 table.
. "$(dirname "$0")/go_lib.sh"
need_basics

# explain BIN: --explain on BIN running; its output in explain.out, its exit code.
explain() {
	target_start "$1"
	"$CODEFER_TOP" -p "$TARGET_PID" --explain >"$WORK/explain.out" 2>"$WORK/top.err"
	local rc=$?
	target_stop
	return $rc
}

# offsets FROM: the offsets --explain listed, read from FROM ("DWARF", "table for go1.N").
offsets() {
	sed -n "s/^  offsets ($1): //p" "$WORK/explain.out"
}

# relabel BIN OUT MINOR: a copy of BIN whose build info says go1.MINOR (two digits: the
# same length, so nothing moves).
relabel() {
	python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"\xff Go buildinf:")
m = re.compile(rb"go1\.\d\d").search(bytes(data), at, at + 64)
data[m.start():m.end()] = b"go1." + sys.argv[3].encode()
open(sys.argv[2], "wb").write(data)
EOF
	chmod +x "$2"
}

# newer BIN OUT: a copy of BIN that says go1.99.
newer() {
	relabel "$1" "$2" 99
}

# no_status BIN OUT: a copy of BIN whose DWARF has no runtime.g.atomicstatus (renamed in
# place), as a layout codefer does not know would.
no_status() {
	objcopy --decompress-debug-sections "$1" "$2.tmp" &&
		objcopy --dump-section .debug_info="$WORK/info" "$2.tmp" &&
		python3 -c 'import sys; p = sys.argv[1]; d = open(p, "rb").read()
open(p, "wb").write(d.replace(b"atomicstatus\0", b"atomicstatuz\0"))' "$WORK/info" &&
		objcopy --update-section .debug_info="$WORK/info" "$2.tmp" "$2" && rm -f "$2.tmp"
}

checked=" "
for go in $(go_toolchains); do
	v=$("$go" env GOVERSION)
	minor=$(echo "$v" | cut -d. -f1-2)
	checked+="$minor "
	dwarf=$(go_build "$go" plain "$GO_TESTS/gopools.go") || fail "cannot build gopools.go with $go"
	nodwarf=$(go_build "$go" nodwarf "$GO_TESTS/gopools.go") || fail "cannot build gopools.go with $go"
	explain "$dwarf" || fail "$v: --explain failed"
	want=$(offsets DWARF)
	[ -n "$want" ] || fail "$v: no offsets from DWARF listed"
	explain "$nodwarf" || fail "$v: --explain failed without DWARF"
	expect "$v: table for $minor = DWARF" "$(offsets "table for $minor")" "$want"

	newer "$nodwarf" "$WORK/newer-nodwarf"
	explain "$WORK/newer-nodwarf"
	expect "$v as go1.99, no DWARF: exit code" "$?" 6
	expect "$v as go1.99, no DWARF: one line naming the version" \
		"$(wc -l <"$WORK/top.err") $(grep -c 'go1\.99.*offset tables for go1\.17 to go1\.' "$WORK/top.err")" "1 1"
	newer "$dwarf" "$WORK/newer-dwarf"
	explain "$WORK/newer-dwarf"
	expect "$v as go1.99 with DWARF: exit code" "$?" 0
	expect "$v as go1.99 with DWARF: offsets" "$(offsets DWARF)" "$want"
	# Go 1.24 keeps 1.23's layout: its column must give what 1.23's DWARF says.
	if [ "$minor" = go1.23 ]; then
		relabel "$nodwarf" "$WORK/as124" 24
		explain "$WORK/as124" || fail "$v as go1.24: --explain failed"
		expect "$v as go1.24: table for go1.24 = go1.23's DWARF" "$(offsets "table for go1.24")" "$want"
	fi
	no_status "$WORK/newer-dwarf" "$WORK/newer-layout" || fail "cannot rewrite the DWARF of a copy"
	explain "$WORK/newer-layout"
	expect "$v as go1.99, DWARF without g.atomicstatus: exit code" "$?" 6
	expect "$v as go1.99, DWARF without g.atomicstatus: one line naming the field" \
		"$(wc -l <"$WORK/top.err") $(grep -c 'go1\.99.*DWARF .* has no runtime\.g\.atomicstatus' "$WORK/top.err")" "1 1"
done
# The tables' versions this machine has no toolchain for (see tests/go/toolchains.sh).
for m in $(seq 17 26); do
	case $checked in *" go1.$m "*) ;; *) echo "not checked: go1.$m (no toolchain)" ;; esac
done
finish
