#!/usr/bin/env bash
# PHP Fibers (php-fiber profile): created, finished and still-suspended fibers, the body
# function each stuck one runs and the line of its own it waits at (in a library's event
# loop), must match what the script counted itself. Then
# with php.ini (Swoole loaded, where it is installed, as Debian's ini does): a fiber
# program that never ran a Swoole coroutine is read as one, not as an empty Swoole.
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
wait=$(jq_php "$TRUTH" '$j["stuck_wait"]')
expect "rows waiting at $(basename "$wait") (in a library's loop)" \
	"$(jq_php "$SNAP" 'count(array_filter($j["coroutines"], fn($c) => ($c["wait_site"] ?? "") === "'"$wait"'"))')" \
	"$(jq_php "$TRUTH" '$j["live"]')"
php_stop

PHP_ARGS=()
php_start "$PHP_TESTS/fibers.php" 3 5 census
TRUTH=$(grep '^TRUTH ' "$WORK/php.out" | tail -n 1 | cut -d' ' -f2-)
top_start
top_settle 1
expect "with php.ini: runtime" "$(jq_php "$SNAP" '$j["runtime"]')" php-fiber
expect "with php.ini: coroutines_live" "$(jq_php "$SNAP" '$j["totals"]["coroutines_live"]')" \
	"$(jq_php "$TRUTH" '$j["live"]')"
finish
