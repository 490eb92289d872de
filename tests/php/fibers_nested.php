<?php
// Target for test_php_fiber_core.sh's nested case: fibers that resume fibers. The
// innermost prints `TRUTH {"states": {"file:line": "running"|"suspended", ...}}` as
// Fiber::isRunning() says of every started, unfinished fiber (by its body's first line),
// then READY, and blocks inside itself on stdin: the fibers that resumed it are running
// for PHP, though each one's context is switched out.
$fibers = [];
$report = function () use (&$fibers) {
    $states = [];
    foreach ($fibers as $f) {
        [$fiber, $line] = $f;
        $states[__FILE__ . ':' . $line] = $fiber->isRunning() ? 'running' : 'suspended';
    }
    echo 'TRUTH ', json_encode(['states' => $states]), "\n", "READY\n";
    fgets(STDIN);
};
$idle = new Fiber(function () {
    Fiber::suspend();
});
$fibers[] = [$idle, __LINE__ - 3];
$idle->start();
$inner = new Fiber(function () use ($report) {
    $report();
});
$fibers[] = [$inner, __LINE__ - 3];
$outer = new Fiber(function () use ($inner) {
    $inner->start();
});
$fibers[] = [$outer, __LINE__ - 3];
$outer->start();
