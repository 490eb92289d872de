<?php
// Target for the Fiber tests: fibers that finish and fibers that stay suspended forever
// (the leak codefer must show). Prints its own truth as `TRUTH {json}`, then waits on
// stdin until killed.
//
// php fibers.php FINISHING STUCK MODE
//   MODE live:   print READY, wait for a line on stdin, then run (codefer attached first)
//   MODE census: run at once, then print READY (codefer attaches to the finished leak)
$finishing = (int)($argv[1] ?? 7);
$stuck = (int)($argv[2] ?? 4);
$mode = $argv[3] ?? 'live';

if ($mode === 'live') {
    echo "READY\n";
    fgets(STDIN);
}

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

// The stuck ones wait in a library's event loop (vendor/), at this line of the program's.
require __DIR__ . '/vendor/acme/loop/src/Loop.php';
$keep = [];
$body = function () {
    Acme\Loop\Loop::wait();
};
for ($i = 0; $i < $stuck; $i++) {
    $f = new Fiber($body);
    $f->start();
    $keep[] = $f;
}
unset($f);

echo "TRUTH ", json_encode([
    'created' => $finishing + $stuck,
    'finished' => $done,
    'live' => count($keep),
    'stuck_body' => __FILE__ . ':' . (new ReflectionFunction($body))->getStartLine(),
    'stuck_wait' => __FILE__ . ':' . ((new ReflectionFunction($body))->getStartLine() + 1),
]), "\n";
if ($mode === 'census') {
    echo "READY\n";
}
fgets(STDIN);
