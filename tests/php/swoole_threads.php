<?php
// Target for Swoole's thread mode (ZTS PHP, --enable-swoole-thread): THREADS threads, each
// with its own coroutine scheduler (cids start at 1 in every thread), each running CO
// coroutines (CO + its index in thread i) that register DEFERS defer() callbacks and
// park. The threads report to the main one through a Thread\Map, which prints
// `TRUTH {json}` (per native thread id: live coroutines, pending defers), then READY.
// With `live`, it prints READY alone and waits for a line on stdin (codefer attached in
// between); then every thread resumes its first parked coroutine (its defers run as it
// ends), runs SHORT + its index coroutines that register 2 defers, borrow a connection
// from the thread's Channel pool and give it back, starts 2 that register 3 + its index
// defers, borrow one and park, clears its first timer and arms 2; then TRUTH again, with
// what each thread counted since (and its pending timers by site).
//
// php swoole_threads.php THREADS CO DEFERS [live SHORT]
use Swoole\Coroutine;
use Swoole\Thread;

$args = Thread::getArguments();
if ($args === null) {
    $threads = (int)($argv[1] ?? 3);
    $co = (int)($argv[2] ?? 4);
    $defers = (int)($argv[3] ?? 5);
    $short = ($argv[4] ?? '') === 'live' ? (int)($argv[5] ?? 5) : -1;
    $map = new Thread\Map();
    $live = new Thread\Map();
    $running = [];
    for ($i = 0; $i < $threads; $i++) {
        $running[] = new Thread(__FILE__, $map, $live, $i, $co + $i, $defers, $short);
    }
    while (count($map) < $threads) {
        usleep(10000);
    }
    $t = ['threads' => []];
    foreach ($map->toArray() as $tid => $json) {
        $t['threads'][$tid] = json_decode($json, true);
    }
    if ($short < 0) {
        echo "TRUTH ", json_encode($t), "\n";
    }
    echo "READY\n";
    if ($short >= 0) {
        fgets(STDIN);
        $live['go'] = 1;
        while (count($live) < $threads + 1) {
            usleep(10000);
        }
        $t = ['threads' => []];
        foreach ($live->toArray() as $tid => $json) {
            if ($tid !== 'go') {
                $t['threads'][$tid] = json_decode($json, true);
            }
        }
        echo "TRUTH ", json_encode($t), "\n";
    }
    foreach ($running as $th) {
        $th->join();	// they never end: the process stays until killed
    }
    exit(0);
}

final class Request
{
}

final class Conn
{
}

final class Registry
{
    public static array $perCoroutine = [];	// never cleaned: stale once they end
}

[$map, $live, $index, $co, $defers, $short] = $args;
Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () use ($map, $live, $index, $co, $defers, $short) {
    $lineOf = fn($tag) => __FILE__ . ':' . (1 + array_search(true, array_map(
        fn($l) => str_contains($l, "// $tag"), file(__FILE__))));
    $ready = new Coroutine\Channel($co);
    $parked = [];
    for ($i = 0; $i < $co; $i++) {
        $parked[] = Coroutine::create(function () use ($defers, $ready) {
            for ($d = 0; $d < $defers; $d++) {
                defer(function () { });	// DEFER_LINE
            }
            $ready->push(1);
            Coroutine::yield();	// parked for good, its defers pending
        });
    }
    for ($i = 0; $i < $co; $i++) {
        $ready->pop();
    }
    // State kept for coroutines that end, and timers holding a request: per thread.
    $ended = [];
    $done = new Coroutine\Channel(100);
    for ($i = 0; $i < 10 + $co; $i++) {
        Coroutine::create(function () use ($done) {
            Registry::$perCoroutine[Coroutine::getCid()] = 'context';
            $done->push(Coroutine::getCid());
        });
        $ended[] = $done->pop();
    }
    $timers = [];
    for ($i = 0; $i < $co; $i++) {
        $request = new Request();
        $timers[] = Swoole\Timer::after(3600 * 1000, function () use ($request) { });	// TIMER_LINE
    }
    while (count(Coroutine::list()) > $co + 1) {
        Coroutine::sleep(0.01);	// until the short ones have ended
    }
    // The thread's pool, filled before codefer attaches: only borrows and returns follow.
    $pool = new Coroutine\Channel(3);
    for ($i = 0; $i < 3; $i++) {
        $pool->push(new Conn());
    }
    // Live: the run() coroutine itself and the parked ones.
    $map[Thread::getNativeId()] = json_encode(['coroutines' => $co + 1,
                                               'defers' => $co * $defers,
                                               'defer_site' => $lineOf('DEFER_LINE'),
                                               'timers' => $co,
                                               'stale' => [count($ended), min($ended), max($ended)]]);
    if ($short < 0) {
        while (true) {
            Coroutine::sleep(1);
        }
    }
    while (!isset($live['go'])) {
        Coroutine::sleep(0.01);
    }
    $pending = [Coroutine::getCid() => [0, 0]];
    foreach ($parked as $cid) {
        $pending[$cid] = [$defers, 0];
    }
    $t = ['created' => 0, 'exited' => 0, 'registered' => 0, 'run' => 0, 'gets' => 0,
          'puts' => 0, 'outstanding' => 0];
    Coroutine::resume($parked[0]);	// it ends: its defers run
    unset($pending[$parked[0]]);
    $t['exited']++;
    $t['run'] += $defers;
    for ($i = 0; $i < $short + $index; $i++) {
        Coroutine::create(function () use ($pool) {
            for ($d = 0; $d < 2; $d++) {
                defer(function () { });	// SHORT_DEFER_LINE
            }
            $pool->push($pool->pop());
        });
        $t['created']++;
        $t['exited']++;
        $t['registered'] += 2;
        $t['run'] += 2;
        $t['gets']++;
        $t['puts']++;
    }
    for ($i = 0; $i < 2; $i++) {
        $cid = Coroutine::create(function () use ($pool, $index) {
            for ($d = 0; $d < 3 + $index; $d++) {
                defer(function () { });	// LIVE_DEFER_LINE
            }
            $conn = $pool->pop();
            Coroutine::yield();	// parked for good, holding $conn
        });
        $pending[$cid] = [3 + $index, 1];
        $t['created']++;
        $t['registered'] += 3 + $index;
        $t['gets']++;
        $t['outstanding']++;
    }
    // Timer ids start at 1 in every thread too: one cleared, two armed.
    Swoole\Timer::clear($timers[0]);
    for ($i = 0; $i < 2; $i++) {
        $request = new Request();
        $late = function () use ($request) { };
        Swoole\Timer::after(3600 * 1000, $late);	// LIVE_TIMER_LINE
    }
    $t['timers'] = [$lineOf('TIMER_LINE') => $co - 1, $lineOf('LIVE_TIMER_LINE') => 2];
    $t['coroutines'] = $pending;
    $t['live_site'] = $lineOf('LIVE_DEFER_LINE');
    $live[Thread::getNativeId()] = json_encode($t);
    while (true) {
        Coroutine::sleep(1);
    }
});
