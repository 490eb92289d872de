#!/usr/bin/env bash
# Borrow sites through a library: connections taken through a pool class of a library
# Composer installed (vendor/), through Swoole's own ConnectionPool (its PHP library) and
# from a channel directly are each counted at the program's line that asked for them,
# not at the library's pop, exactly as the target counts them (codefer-top attached
# first, as the probes see borrows).
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole

php_start "$PHP_TESTS/swoole_borrows.php"
top_start
go
top_settle 2
expect "connections out per borrowing line" \
	"$(jq -S -c '[.sites[] | select(.kind == "conn") | {key: (.site | sub(".*/"; "")), value: .pending}]
		| from_entries' "$WORK/snap.json")" \
	"$(jq -S -c . <<<"$TRUTH")"
php_stop
finish
