#!/usr/bin/env bash
# make demo: builds the demo service (scripts/demo/service.go) with the newest Go
# installed, stripped as production ships it (-ldflags='-s -w'), starts it, and runs
# codefer-top on it (the live view on a terminal, else five batch snapshots). The
# service is stopped on exit.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../build}
go=$(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -V | tail -n 1)
go=${go:-$(command -v go)}
[ -n "$go" ] || { echo "demo: no Go toolchain (run scripts/install-deps.sh)"; exit 1; }
mkdir -p "$BUILD/demo"
GOCACHE=${GOCACHE:-$BUILD/go-cache} GO111MODULE=off GOFLAGS= \
	"$go" build -ldflags='-s -w' -o "$BUILD/demo/service" "$HERE/demo/service.go"
"$BUILD/demo/service" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
echo "demo service running as pid $pid; starting codefer-top in 3 s (q quits)"
sleep 3
if [ -t 1 ]; then
	"$BUILD/codefer-top" -p "$pid"
else
	"$BUILD/codefer-top" -p "$pid" -b -n 5 -d 2
fi
