<?php
// Target for the pending-timer tests: Timer::after and Timer::tick closures that keep a
// request and its response alive (the "async callback reference chain"), timers that
// fired or were cleared (not pending), coroutine sleeps (Swoole's own timers, not
// counted), Event::add callbacks waiting on sockets, and Event::defer tasks left pending
// because the loop is blocked.
// php swoole_timers.php AFTER TICKS DEFERS EVENTS
// Prints `TRUTH {json}` (per registration site: the closure's first line, pending, the
// classes it captures), then READY, then blocks the event loop until killed.
use Swoole\Coroutine;
use Swoole\Event;
use Swoole\Timer;

final class Request
{
    public function __construct(public int $id)
    {
    }
}

final class Response
{
    public string $body = '';
}

$after = (int)($argv[1] ?? 7);
$ticks = (int)($argv[2] ?? 3);
$defers = (int)($argv[3] ?? 4);
$events = (int)($argv[4] ?? 2);
$t = ['sites' => [], 'timers_pending' => 0];
$site = function (string $kind, int $line, int $n, array $captures) use (&$t) {
    $t['sites'][__FILE__ . ':' . $line] = ['kind' => $kind, 'pending' => $n, 'captures' => $captures];
    $t['timers_pending'] += $n;
};
$keep = [];

Coroutine::set(['hook_flags' => 0]);	// sleep() below must block the whole loop
Coroutine\run(function () use ($after, $ticks, $defers, $events, $site, &$keep, &$t) {
    for ($i = 0; $i < $after; $i++) {
        $request = new Request($i);
        $response = new Response();
        $keep[] = Timer::after(3600 * 1000, function () use ($request, $response) {
            $response->body = "late answer to {$request->id}";
        });
    }
    $site('after', __LINE__ - 4, $after, ['Request' => $after, 'Response' => $after]);
    for ($i = 0; $i < $ticks; $i++) {
        $request = new Request($i);
        Timer::tick(3600 * 1000, function () use ($request) {
            $request->id++;
        });
    }
    $site('tick', __LINE__ - 4, $ticks, ['Request' => $ticks]);

    // Not pending: fired, cleared, and a coroutine sleeping (a TYPE_KERNEL timer).
    $fired = false;
    Timer::after(1, function () use (&$fired) { $fired = true; });
    Timer::clear(Timer::after(3600 * 1000, function () { }));
    Coroutine::create(function () { Coroutine::sleep(3600); });
    while (!$fired) {
        Coroutine::sleep(0.01);
    }

    // Event::add callbacks waiting on sockets nobody writes to.
    for ($i = 0; $i < $events; $i++) {
        $keep[] = $pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $response = new Response();
        Event::add($pair[0], function ($fp) use ($response) { $response->body = fread($fp, 99); });
    }
    $site('event', __LINE__ - 2, $events, ['Response' => $events]);

    for ($i = 0; $i < $defers; $i++) {
        $response = new Response();
        Event::defer(function () use ($response) { $response->body = 'deferred'; });
    }
    $site('defer', __LINE__ - 2, $defers, ['Response' => $defers]);
    echo "TRUTH ", json_encode($t), "\n";
    echo "READY\n";
    // The loop never gets back to run the deferred tasks.
    while (true) {
        sleep(3600);
    }
});
