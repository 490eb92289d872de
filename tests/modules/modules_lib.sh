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
