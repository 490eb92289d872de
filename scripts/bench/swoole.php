<?php
// The benchmark's Swoole target (scripts/bench.sh). Prints "PID <pid>", then for each
// line N on stdin runs N coroutines, each registering one defer() and taking a connection
// from a Channel pool and giving it back, and prints "NS <ns per coroutine>".
Swoole\Coroutine\run(function () {
    $pool = new Swoole\Coroutine\Channel(4);
    for ($i = 0; $i < 4; $i++) {
        $pool->push(new stdClass());
    }
    echo "PID ", getmypid(), "\n";
    while (($line = fgets(STDIN)) !== false) {
        $n = (int)$line;
        if ($n <= 0) {
            continue;
        }
        $t0 = hrtime(true);
        for ($i = 0; $i < $n; $i++) {
            go(function () use ($pool) {
                defer(function () {});
                $conn = $pool->pop();
                $pool->push($conn);
            });
        }
        printf("NS %.1f\n", (hrtime(true) - $t0) / $n);
    }
});
