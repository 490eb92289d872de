<?php
// Target for test_swoole_borrow_sites.sh: connections borrowed through a library's pool
// (Composer's vendor/), through Swoole's own ConnectionPool (its PHP library) and from a
// channel directly, each by a line of the program's, one through a library call that
// also defers its release; the borrowers park holding them. And the library's own
// coroutine, which borrows from it and waits.
// Prints READY and waits for a line on stdin (codefer-top attaches meanwhile), then
// borrows and prints `TRUTH {json}`: per borrowing line (`file:line`), how many
// connections it holds (`conns`), and per line the defers pending (`defers`); the
// library's own borrow and defer are counted at its lines, `keeper`; one coroutine
// waits in the library for a connection (`wait`: its cid, and the line that asked). It
// stays until killed.
require __DIR__ . '/vendor/acme/pool/src/Pool.php';

use Swoole\Coroutine;

echo "READY\n";
fgets(STDIN);
Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () {
    $library = new Acme\Pool\Pool(8);
    $swoole = new Swoole\ConnectionPool(fn() => new stdClass(), 8);
    $channel = new Coroutine\Channel(8);
    for ($i = 0; $i < 8; $i++) {
        $channel->push(new stdClass());
    }
    $park = new Coroutine\Channel(1);	// never pushed
    $ready = new Coroutine\Channel(100);
    $truth = ['conns' => [], 'defers' => []];
    $deferred = [];
    $borrowers = [
        [3, function () use ($library) { return [$library->get(), __LINE__]; }],
        [2, function () use ($swoole) { return [$swoole->get(), __LINE__]; }],
        [4, function () use ($channel) { return [$channel->pop(), __LINE__]; }],
        [2, function () use ($library, &$deferred) { $deferred[] = __LINE__; return [$library->scoped(), __LINE__]; }],
    ];
    // A connection taken and given back: what makes a channel a pool.
    $library->release($library->get());
    $swoole->put($swoole->get());
    $channel->push($channel->pop());
    foreach ($borrowers as [$n, $borrow]) {
        for ($i = 0; $i < $n; $i++) {
            Coroutine::create(function () use ($borrow, $park, $ready, &$truth) {
                [$conn, $line] = $borrow();
                $site = basename(__FILE__) . ":$line";
                $truth['conns'][$site] = ($truth['conns'][$site] ?? 0) + 1;
                $ready->push(1);
                $park->pop();
            });
            $ready->pop();
        }
    }
    foreach ($deferred as $line) {
        $site = basename(__FILE__) . ":$line";
        $truth['defers'][$site] = ($truth['defers'][$site] ?? 0) + 1;
    }
    // One waiting in the library for a connection of an exhausted pool: it waits at the
    // program's line that asked (`wait`: its cid and line).
    $small = new Acme\Pool\Pool(1);
    $small->get();
    $asks = __LINE__ + 2;
    $cid = Coroutine::create(function () use ($small) {
        $small->get();
    });
    $wait = ['cid' => $cid, 'site' => basename(__FILE__) . ":$asks"];
    $library->keeper($park);
    $truth['conns']['keeper'] = 1;
    $truth['defers']['keeper'] = 1;
    $truth['wait'] = $wait;
    echo "TRUTH ", json_encode($truth), "\n";
    while (true) {
        Coroutine::sleep(1);	// a timer pending: Swoole ends a run whose coroutines all wait
    }
});
