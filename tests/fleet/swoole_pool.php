<?php
// A Swoole process pool, as servers run their workers: the master forks WORKERS workers
// and forks a new one whenever one exits (recycled). Each worker prints READY, then runs
// the leak of tests/php/swoole_leak.php once DIR/go.PID exists, and prints its TRUTH line
// (with its pid) on the pool's stdout, after a STARTER line saying in which coroutine the
// worker's start callback runs.
//
// php swoole_pool.php DIR WORKERS ITERATIONS SHORT
use Swoole\Process\Pool;

[, $dir, $workers, $iterations, $short] = $argv;
$pool = new Pool((int)$workers);
$pool->set(['enable_coroutine' => true]);
$pool->on('WorkerStart', function (Pool $pool, int $id) use ($dir, $iterations, $short) {
    // This callback runs in a coroutine of its own (enable_coroutine), started before
    // codefer attaches, which ends once the leak below has started: one more exit than
    // the leak's truth counts.
    // One write: the workers share this stdout.
    echo "STARTER " . json_encode(['pid' => getmypid(), 'cid' => Swoole\Coroutine::getCid()]) . "\n";
    $argv = ['swoole_leak.php', $iterations, $short, "file:$dir/go." . getmypid()];
    require __DIR__ . '/../php/swoole_leak.php';
});
$pool->start();
