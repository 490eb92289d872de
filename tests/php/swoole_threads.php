<?php
// Target for Swoole's thread mode (ZTS PHP, --enable-swoole-thread): THREADS threads, each
// with its own coroutine scheduler (cids start at 1 in every thread), each running CO
// coroutines (CO + its index in thread i) that register DEFERS defer() callbacks and
// park. The threads report to the main one through a Thread\Map, which prints
// `TRUTH {json}` (per native thread id: live coroutines, pending defers), then READY.
//
// php swoole_threads.php THREADS CO DEFERS
use Swoole\Coroutine;
use Swoole\Thread;

$args = Thread::getArguments();
if ($args === null) {
    $threads = (int)($argv[1] ?? 3);
    $co = (int)($argv[2] ?? 4);
    $defers = (int)($argv[3] ?? 5);
    $map = new Thread\Map();
    $running = [];
    for ($i = 0; $i < $threads; $i++) {
        $running[] = new Thread(__FILE__, $map, $co + $i, $defers);
    }
    while (count($map) < $threads) {
        usleep(10000);
    }
    $t = ['threads' => []];
    foreach ($map->toArray() as $tid => $json) {
        $t['threads'][$tid] = json_decode($json, true);
    }
    echo "TRUTH ", json_encode($t), "\n";
    echo "READY\n";
    foreach ($running as $th) {
        $th->join();	// they never end: the process stays until killed
    }
    exit(0);
}

final class Request
{
}

final class Registry
{
    public static array $perCoroutine = [];	// never cleaned: stale once they end
}

[$map, $co, $defers] = $args;
Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () use ($map, $co, $defers) {
    $ready = new Coroutine\Channel($co);
    for ($i = 0; $i < $co; $i++) {
        Coroutine::create(function () use ($defers, $ready) {
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
    for ($i = 0; $i < $co; $i++) {
        $request = new Request();
        Swoole\Timer::after(3600 * 1000, function () use ($request) { });
    }
    while (count(Coroutine::list()) > $co + 1) {
        Coroutine::sleep(0.01);	// until the short ones have ended
    }
    // Live: the run() coroutine itself and the parked ones.
    $line = 1 + array_search(true, array_map(fn($l) => str_contains($l, '// DEFER_LINE'),
                                             file(__FILE__)));
    $map[Thread::getNativeId()] = json_encode(['coroutines' => $co + 1,
                                               'defers' => $co * $defers,
                                               'defer_site' => __FILE__ . ':' . $line,
                                               'timers' => $co,
                                               'stale' => [count($ended), min($ended), max($ended)]]);
    while (true) {
        Coroutine::sleep(1);
    }
});
