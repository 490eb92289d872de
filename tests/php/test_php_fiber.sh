#!/usr/bin/env bash
# PHP Fibers (php-fiber profile): created, finished and still-suspended fibers, and the
# body function each stuck one runs, must match what the script counted itself.
. "$(dirname "$0")/php_lib.sh"
need_basics
# Without php.ini: an extension such as swoole would otherwise be detected first.
PHP_ARGS=(-n)

php_start "$PHP_TESTS/fibers.php" 7 4 live
top_start
go
top_settle 2

expect runtime "$(jq_php "$SNAP" '$j["runtime"]')" php-fiber
expect coroutines_created "$(jq_php "$SNAP" '$j["totals"]["coroutines_created"]')" \
	"$(jq_php "$TRUTH" '$j["created"]')"
expect coroutines_exited "$(jq_php "$SNAP" '$j["totals"]["coroutines_exited"]')" \
	"$(jq_php "$TRUTH" '$j["finished"]')"
expect coroutines_live "$(jq_php "$SNAP" '$j["totals"]["coroutines_live"]')" \
	"$(jq_php "$TRUTH" '$j["live"]')"
site=$(jq_php "$TRUTH" '$j["stuck_body"]')
expect "rows running $(basename "$site")" \
	"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($c) => $c["site"] === "'"$site"'"))')" \
	"$(jq_php "$TRUTH" '$j["live"]')"
finish
