<?php
// Target for pending timers followed live: before codefer attaches, Timer::after closures
// that keep a request alive, one that fires after attach and one cleared after attach;
// then (on a line on stdin) more Timer::after closures keeping a request and its
// response, Timer::tick, a tick cleared after it fired twice, timers that fire or are
// cleared, and coroutine sleeps (Swoole's own timers, not counted).
// php swoole_timers_live.php BEFORE AFTER TICKS
// Prints READY, waits for a line, then `TRUTH {json}`: per site (the line calling
// Timer::after/tick when armed after attach, the closure's first line before: they differ
// here), pending
// timers and the classes their closures capture. Then it stays until killed.
use Swoole\Coroutine;
use Swoole\Timer;

final class Request
{
}

final class Response
{
}

$before = (int)($argv[1] ?? 4);
$after = (int)($argv[2] ?? 5);
$ticks = (int)($argv[3] ?? 2);
$t = ['sites' => []];
$site = function (int $line, int $n, array $captures) use (&$t) {
    $t['sites'][__FILE__ . ':' . $line] = ['pending' => $n, 'captures' => $captures];
};

Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () use ($before, $after, $ticks, $site, &$t) {
    for ($i = 0; $i < $before; $i++) {
        $request = new Request();
        Timer::after(
            3600 * 1000,
            function () use ($request) { }
        );
    }
    $site(__LINE__ - 3, $before, ['Request' => $before]);
    $fires = false;
    Timer::after(500, function () use (&$fires) { $fires = true; });
    $cleared = Timer::after(3600 * 1000, function () { });
    echo "READY\n";
    fgets(STDIN);

    Timer::clear($cleared);
    // The closures start on other lines than the calls: the calls' lines are the sites.
    for ($i = 0; $i < $after; $i++) {
        $request = new Request();
        $response = new Response();
        $late = function () use ($request, $response) { };
        Timer::after(3600 * 1000, $late);
    }
    $site(__LINE__ - 2, $after, ['Request' => $after, 'Response' => $after]);
    for ($i = 0; $i < $ticks; $i++) {
        $request = new Request();
        $every = function () use ($request) { };
        Timer::tick(3600 * 1000, $every);
    }
    $site(__LINE__ - 2, $ticks, ['Request' => $ticks]);
    $ticked = 0;
    Timer::tick(10, function ($id) use (&$ticked) {
        if (++$ticked === 2) {
            Timer::clear($id);
        }
    });
    $fired = false;
    Timer::after(1, function () use (&$fired) { $fired = true; });
    Timer::clear(Timer::after(3600 * 1000, function () { }));
    Coroutine::create(function () { Coroutine::sleep(3600); });
    while (!$fires || !$fired || $ticked < 2) {
        Coroutine::sleep(0.01);
    }
    echo "TRUTH ", json_encode($t), "\n";
    while (true) {
        Coroutine::sleep(1);
    }
});
