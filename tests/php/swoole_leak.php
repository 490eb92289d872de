<?php
// Target for the Swoole tests: the Hyperf bug (a long-lived coroutine registering a defer
// on every loop iteration through a wrapper, never running them), short-lived coroutines whose defers run,
// a Coroutine\Channel used as a connection pool with returned and leaked connections, and
// a coroutine that ends while holding one. Prints its own truth as `TRUTH {json}`.
//
// php swoole_leak.php ITERATIONS SHORT MODE
//   MODE live:   print READY, wait for a line on stdin, then run (codefer attached first)
//   MODE census: run at once, then print READY (codefer attaches to the finished leak)
//   MODE file:PATH  print READY, wait until PATH exists, then run (a worker of a process
//                   pool, whose stdin is not its own: tests/fleet/swoole_pool.php)
// Then it stays alive (a sleeping coroutine) until killed.
use Swoole\Coroutine;
use Swoole\Coroutine\Channel;

final class Conn
{
    public function __construct(public int $id)
    {
    }
}

// A wrapper around Swoole's defer, as Hyperf's Coroutine::defer is: the site of a defer
// through it is the line calling it.
final class Coro
{
    public static function defer(callable $callable): void
    {
        Coroutine::defer($callable);
    }
}

$iterations = (int)($argv[1] ?? 50);
$short = (int)($argv[2] ?? 20);
$mode = $argv[3] ?? 'live';
$poolSize = 5;

if ($mode === 'live') {
    echo "READY\n";
    fgets(STDIN);
} elseif (str_starts_with($mode, 'file:')) {
    echo "READY\n";
    while (!file_exists(substr($mode, 5))) {
        usleep(20000);
    }
}

$t = [
    'created' => 0, 'exited' => 0, 'defers_registered' => 0, 'defers_run' => 0,
    'gets' => 0, 'puts' => 0, 'worker_cid' => 0, 'worker_pending' => 0,
    'worker_conns' => 0, 'orphans' => 0,
];

go(function () use (&$t, $iterations, $short, $poolSize, $mode) {
    $t['created']++;
    $pool = new Channel($poolSize);
    for ($i = 0; $i < $poolSize; $i++) {
        $pool->push(new Conn($i));
        $t['puts']++;
    }

    // The Hyperf bug: a worker loop that never ends, one defer per iteration.
    $worker = function () use (&$t, $pool, $iterations) {
        $t['created']++;
        $t['worker_cid'] = Coroutine::getCid();
        for ($i = 0; $i < $iterations; $i++) {
            $conn = $pool->pop();
            $t['gets']++;
            try {
                $t['defer_line'] = __LINE__ + 1;
                Coro::defer(function () use (&$t) { $t['defers_run']++; });
                $t['defers_registered']++;
                $t['worker_pending']++;
            } finally {
                $pool->push($conn);
                $t['puts']++;
            }
        }
        $held = $pool->pop();   // held while the coroutine waits forever
        $t['gets']++;
        $t['worker_conns']++;
        Coroutine::yield();
    };
    $t['worker_body'] = __FILE__ . ':' . (new ReflectionFunction($worker))->getStartLine();
    go($worker);

    for ($i = 0; $i < $short; $i++) {
        go(function () use (&$t, $pool) {
            $t['created']++;
            // Defers run last-in-first-out: this one, registered first, runs last.
            defer(function () use (&$t) { $t['defers_run']++; $t['exited']++; });
            defer(function () use (&$t) { $t['defers_run']++; });
            $t['defers_registered'] += 2;
            $conn = $pool->pop();
            $t['gets']++;
            $pool->push($conn);
            $t['puts']++;
        });
    }

    // Ends while holding a connection: the pool's orphan.
    go(function () use (&$t, $pool) {
        $t['created']++;
        $GLOBALS['leaked'] = $pool->pop();
        $t['gets']++;
        $t['orphans']++;
        defer(function () use (&$t) { $t['defers_run']++; $t['exited']++; });
        $t['defers_registered']++;
    });

    while ($t['exited'] < $short + 1) {
        Coroutine::sleep(0.01);
    }
    // One write: workers of a process pool share this stdout.
    echo "TRUTH " . json_encode($t + [
        'live' => $t['created'] - $t['exited'],
        'defers_pending' => $t['defers_registered'] - $t['defers_run'],
        'outstanding' => $t['gets'] - ($t['puts'] - $poolSize),
        'defer_site' => __FILE__ . ':' . $t['defer_line'],
        'pid' => getmypid(),
    ]) . "\n";
    if ($mode === 'census') {
        echo "READY\n";
    }
    while (true) {
        Coroutine::sleep(1);
    }
});
