<?php
// Target for test_swoole_http.sh: a Swoole HTTP server as services run one (Swoole's
// default mode, one worker, its shared memory mapped from /dev/zero among the libraries),
// with two timers armed when its worker starts. Prints "READY <worker pid>".
// php swoole_http.php PORT
//   GET /park  the request starts a coroutine that registers defers and waits on a
//              channel for ever; the request ends
//   GET /hang  the request's own coroutine registers defers and sleeps for ever
//   GET /ok    one defer, then the response: the request ends, its defer runs
//   GET /truth what it counts itself: coroutines created and ended (those of /truth
//              requests aside), the parked ones with their pending defers and the line
//              each waits at, timers pending
use Swoole\Coroutine;
use Swoole\Http\Request;
use Swoole\Http\Response;
use Swoole\Timer;

$port = (int)$argv[1];
$server = new Swoole\Http\Server('127.0.0.1', $port);
$server->set(['worker_num' => 1, 'log_level' => SWOOLE_LOG_WARNING]);
$count = ['created' => 0, 'exited' => 0];
$parked = [];
$never = null;

// A counted coroutine: its first defer (the last to run) counts its end.
function counted(array &$count): void
{
    $count['created']++;
    Coroutine::defer(function () use (&$count) {
        $count['exited']++;
    });
}

$server->on('WorkerStart', function () use (&$never) {
    $never = new Coroutine\Channel(1);
    Timer::after(3600 * 1000, function () {
    });
    Timer::after(7200 * 1000, function () {
    });
    echo 'READY ', getmypid(), "\n";
});

$server->on('Request', function (Request $req, Response $resp) use (&$count, &$parked, &$never) {
    $path = $req->server['request_uri'];
    if ($path === '/truth') {
        $resp->end(json_encode(['created' => $count['created'], 'exited' => $count['exited'],
            'parked' => array_values($parked), 'timers' => iterator_count(Timer::list())]));
        return;
    }
    counted($count);
    if ($path === '/park') {
        Coroutine::create(function () use (&$count, &$parked, &$never) {
            counted($count);
            for ($i = 0; $i < 3; $i++) {
                Coroutine::defer(function () {
                });
            }
            $parked[] = ['cid' => Coroutine::getCid(), 'defers' => 4, 'wait' => __FILE__ . ':' . (__LINE__ + 1)];
            $never->pop();
        });
        $resp->end("parked\n");
    } elseif ($path === '/hang') {
        Coroutine::defer(function () {
        });
        Coroutine::defer(function () {
        });
        $resp->end("hanging\n");
        $parked[] = ['cid' => Coroutine::getCid(), 'defers' => 3, 'wait' => __FILE__ . ':' . (__LINE__ + 1)];
        Coroutine::sleep(3600);
    } else {
        Coroutine::defer(function () {
        });
        $resp->end("ok\n");
    }
});
$server->start();
