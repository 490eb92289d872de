#!/usr/bin/env bash
# Runs every tests/*/test_*.sh (or the tests given: scripts, or unit-test executables),
# one line each, then the tally: `N passed, N failed[, N skipped (AREA...)]`, naming the
# areas (test folders) with skipped tests. Exit status 1 when any failed.
TESTS=$(cd "$(dirname "$0")" && pwd -P)
export TESTS BUILD=${BUILD:-$TESTS/../build}
pass=0 failed=0 skipped=0 failures=() skips=()

if [ $# -gt 0 ]; then
	list=("$@")
else
	list=("$TESTS"/*/test_*.sh)
fi
for t in "${list[@]}"; do
	t=$(realpath "$t")
	case $t in
	*.sh) name=${t#"$TESTS"/} run=(bash "$t") ;;
	*) name=${t#"$(realpath "$BUILD")"/tests/} run=("$t") ;;
	esac
	out=$(mktemp)
	start=$SECONDS
	# Stops a hang; not a measure of speed (scripts/bench.sh is).
	timeout 900 "${run[@]}" >"$out" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	case $rc in
	0)
		pass=$((pass + 1))
		echo "PASS $name (${secs}s)"
		;;
	77)
		skipped=$((skipped + 1))
		skips+=("${name%%/*}")
		echo "SKIP $name: $(sed -n 's/^SKIP: //p' "$out" | tail -n 1)"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    /' "$out" | tail -n 40
		;;
	esac
	# What a test says about the target it ran against (versions), for the log.
	sed -n 's/^INFO: /     /p' "$out"
	rm -f "$out"
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $failed failed, $skipped skipped ($(printf '%s\n' "${skips[@]}" | sort -u | paste -sd ' '))"
else
	echo "$pass passed, $failed failed"
fi
[ "$failed" = 0 ]
