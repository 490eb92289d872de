<?php
// Target for test_php_fiber.sh: fibers that finish and fibers that stay suspended
// forever (the leak codefer must show), started only after codefer has attached.
// Prints its own truth as `TRUTH {json}`, then waits on stdin until killed.
$finishing = (int)($argv[1] ?? 7);
$stuck = (int)($argv[2] ?? 4);

echo "READY\n";
fgets(STDIN);

$done = 0;
for ($i = 0; $i < $finishing; $i++) {
    $f = new Fiber(function () use (&$done) {
        Fiber::suspend();
        $done++;
    });
    $f->start();
    $f->resume();
}
unset($f);

$keep = [];
for ($i = 0; $i < $stuck; $i++) {
    $f = new Fiber(function () {
        Fiber::suspend();
    });
    $stuck_line = __LINE__ + 1;
    $f->start();
    $keep[] = $f;
}
unset($f);

echo "TRUTH ", json_encode([
    'created' => $finishing + $stuck,
    'finished' => $done,
    'live' => count($keep),
    'stuck_site' => __FILE__ . ':' . $stuck_line,
]), "\n";
fgets(STDIN);
