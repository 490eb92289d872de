#!/usr/bin/env bash
# Runs every tests/*/test_*.sh (or the ones given), one line each, then the tally:
# `N passed, N failed, N skipped`. Exit status 1 when any failed.
TESTS=$(cd "$(dirname "$0")" && pwd)
export TESTS BUILD=${BUILD:-$TESTS/../build}
pass=0 failed=0 skipped=0 failures=()

if [ $# -gt 0 ]; then
	list=("$@")
else
	list=("$TESTS"/*/test_*.sh)
fi
for t in "${list[@]}"; do
	name=${t#"$TESTS"/}
	out=$(mktemp)
	start=$SECONDS
	timeout 900 bash "$t" >"$out" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	case $rc in
	0)
		pass=$((pass + 1))
		echo "PASS $name (${secs}s)"
		;;
	77)
		skipped=$((skipped + 1))
		echo "SKIP $name: $(sed -n 's/^SKIP: //p' "$out" | tail -n 1)"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    /' "$out" | tail -n 40
		;;
	esac
	rm -f "$out"
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $failed failed, $skipped skipped"
else
	echo "$pass passed, $failed failed"
fi
[ "$failed" = 0 ]
