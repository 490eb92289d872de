#!/usr/bin/env bash
# Borrow and defer sites through a library: connections taken through a pool class of a
# library Composer installed (vendor/), through Swoole's own ConnectionPool (its PHP
# library) and from a channel directly, and defers the library registers for them, are
# each counted at the program's line that asked, not at the library's pop or defer; a
# coroutine only the library's code runs borrows at the library's innermost line. All
# exactly as the target counts them (codefer-top attached first, as the probes see them).
# A coroutine waiting in the library's pop waits at the program's line that asked.
. "$(dirname "$0")/php_lib.sh"
need_basics
need_swoole

php_start "$PHP_TESTS/swoole_borrows.php"
top_start
go
top_settle 2
# by_line KIND: {file:line: pending} of the snapshot's sites of KIND.
by_line() {
	jq -S -c --arg k "$1" '[.sites[] | select(.kind == $k) | {key: (.site | sub(".*/"; "")),
		value: .pending}] | from_entries' "$WORK/snap.json"
}
# truth KIND MARK: the truth's KIND, its "keeper" the line of the library's marked MARK.
truth() {
	local at
	at="Pool.php:$(grep -n "$2" "$PHP_TESTS/vendor/acme/pool/src/Pool.php" | cut -d: -f1)"
	jq -S -c --arg k "$at" ".$1 | with_entries(.key |= if . == \"keeper\" then \$k else . end)" <<<"$TRUTH"
}
expect "connections out per borrowing line" "$(by_line conn)" "$(truth conns "the library's own line")"
expect "defers pending per line" "$(by_line defer)" "$(truth defers "the library's own defer")"
expect "wait site of a coroutine waiting in the library" \
	"$(jq -r --argjson id "$(jq .wait.cid <<<"$TRUTH")" '.coroutines[] | select(.id == $id)
		| .wait_site // "none" | sub(".*/"; "")' "$WORK/snap.json")" "$(jq -r .wait.site <<<"$TRUTH")"
php_stop
finish
