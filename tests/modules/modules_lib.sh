# shellcheck shell=bash
# tests/modules: the leaky fixture on ucoro built as a real shared library
# (libucoro.so.1.0.0, soname libucoro.so.1, with the usual symlinks), so module names are
# those of a packaged library. Sourced by tests/modules/test_*.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../native/native_lib.sh"

NATIVE_SRC="$TESTS/native"

# build_shared DIR: DIR/lib/libucoro.so.1.0.0 (+ libucoro.so.1, libucoro.so links) and
# DIR/leaky linked to it through DIR/lib (rpath $ORIGIN/lib, so a jail holding DIR works).
build_shared() {
	mkdir -p "$1/lib"
	cc -g -O1 -shared -fPIC -Wl,-soname,libucoro.so.1 -I"$NATIVE_SRC" "$NATIVE_SRC/ucoro.c" \
		-o "$1/lib/libucoro.so.1.0.0" || fail "cannot build libucoro"
	ln -sf libucoro.so.1.0.0 "$1/lib/libucoro.so.1"
	ln -sf libucoro.so.1 "$1/lib/libucoro.so"
	cc -g -O1 -I"$NATIVE_SRC" "$NATIVE_SRC/leaky.c" -L"$1/lib" -lucoro \
		-Wl,-rpath,'$ORIGIN/lib' -o "$1/leaky" || fail "cannot build leaky on libucoro"
}

# probes_in MODULE: NATIVE_PROBES with every symbol given as MODULE:SYMBOL.
probes_in() {
	local a
	PROBES=()
	for a in "${NATIVE_PROBES[@]}"; do
		case $a in
		--probe) PROBES+=("$a") ;;
		*) PROBES+=("${a%%=*}=$1:${a#*=}") ;;
		esac
	done
}

# jail_fixture DIR: the fixture and every library it loads, at the same paths under DIR.
jail_fixture() {
	local lib
	mkdir -p "$1"
	cp "$LEAKY" "$1/leaky"
	for lib in $(ldd "$LEAKY" | grep -o '/[^ ]*'); do
		mkdir -p "$1$(dirname "$lib")"
		cp "$lib" "$1$lib"
	done
}

# check_jailed: on the started jailed fixture (its files not where its maps say), the
# census and then the probes, against its truth; the uprobes on the mapped inodes.
check_jailed() {
	wait_for '^PID ' 1
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
	probe_points "${NATIVE_PROBES[@]}"
	expect "a breakpoint at every probe point of the mapped file" \
		"$(breakpoints "$TARGET_PID")" int3
	leaky_do 3 "more 10"
	leaky_do 4 "exit 2"
	top_settle 2
	check census
	expect "events after attach: created" "$(jq_get "$WORK/snap.json" .totals.coroutines_created)" 2
}
