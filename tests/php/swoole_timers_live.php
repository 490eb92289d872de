<?php
// Target for pending timers followed live: before codefer attaches, Timer::after closures
// that keep a request alive, one that fires after attach and one cleared after attach,
// Event::defer tasks that run after attach, and Event::add callbacks (one socket deleted
// before attach, one after); then (on a line on stdin) more Timer::after closures keeping
// a request and its response, Timer::tick, a tick cleared after it fired twice, timers
// that fire or are cleared, coroutine sleeps (Swoole's own timers, not counted), Event::add
// callbacks (a socket with both a read and a write callback, one added and deleted, one of
// before replaced by Event::set, one of before whose socket is closed with its callback
// in), Event::defer tasks that run, and last DEFERS that stay pending: the event loop is
// blocked for good once the truth is out.
// php swoole_timers_live.php BEFORE AFTER TICKS DEFERS
// Prints READY, waits for a line, then `TRUTH {json}`: per site (the line calling
// Timer::after/tick, Event::add/set or Event::defer after attach, the closure's first
// line before: they differ here), pending timers, callbacks and tasks, and the classes
// their closures capture; and its live coroutines.
use Swoole\Coroutine;
use Swoole\Event;
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
$defers = (int)($argv[4] ?? 3);
$t = ['sites' => []];
$site = function (int $line, int $n, array $captures) use (&$t) {
    $t['sites'][__FILE__ . ':' . $line] = ['pending' => $n, 'captures' => $captures];
};

Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () use ($before, $after, $ticks, $defers, $site, &$t) {
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
    $ran = 0;
    for ($i = 0; $i < 2; $i++) {
        $response = new Response();
        Event::defer(function () use ($response, &$ran) { $ran++; });	// run after attach
    }
    // Event::add callbacks on sockets whose peer stays open and silent (never readable):
    // BEFORE at attach, one deleted before attach, one deleted after.
    $pairs = [];
    $socket = function () use (&$pairs) {
        $pairs[] = $p = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        return $p[0];
    };
    $watched = $streams = [];
    for ($i = 0; $i < $before; $i++) {
        $request = new Request();
        $watched[] = Event::add(
            $streams[] = $socket(),
            function ($s) use ($request) { }
        );
    }
    $watched_line = __LINE__ - 3;
    Event::del(Event::add($socket(), function ($s) { }));
    $deleted = Event::add($socket(), function ($s) { });
    echo "READY\n";
    fgets(STDIN);	// blocks the event loop: the tasks above wait

    Timer::clear($cleared);
    // Event::add callbacks: the calls' lines are the sites; one socket with both a read
    // and a write callback (two); one added and deleted; one of before replaced by
    // Event::set (at its line); one of before closed with its callback in (Swoole keeps
    // it: Event::isset says); Event::del of one of before.
    for ($i = 0; $i < $after; $i++) {
        $request = new Request();
        $response = new Response();
        $on_read = function ($s) use ($request, $response) { };
        Event::add($socket(), $on_read);
    }
    $site(__LINE__ - 2, $after, ['Request' => $after, 'Response' => $after]);
    $request = new Request();
    $both = function ($s) use ($request) { };
    Event::add($socket(), $both, $both, SWOOLE_EVENT_READ);
    $site(__LINE__ - 1, 2, ['Request' => 2]);
    Event::del(Event::add($socket(), $both));
    $response = new Response();
    $replaced = function ($s) use ($response) { };
    Event::set($watched[0], $replaced, null, SWOOLE_EVENT_READ);
    $site(__LINE__ - 1, 1, ['Response' => 1]);
    fclose($streams[1]);
    $still = count(array_filter(array_slice($watched, 1), fn($fd) => Event::isset($fd)));
    $site($watched_line, $still, $still ? ['Request' => $still] : []);
    Event::del($deleted);
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
    for ($i = 0; $i < 2; $i++) {
        Event::defer(function () use (&$ran) { $ran++; });
    }
    while (!$fires || !$fired || $ticked < 2 || $ran < 4) {
        Coroutine::sleep(0.01);
    }
    for ($i = 0; $i < $defers; $i++) {
        $response = new Response();
        $task = function () use ($response) { };
        Event::defer($task);
    }
    $site(__LINE__ - 2, $defers, ['Response' => $defers]);
    $t['coroutines'] = count(Coroutine::list());
    echo "TRUTH ", json_encode($t), "\n";
    sleep(3600);	// blocks the event loop: those tasks never run
});
