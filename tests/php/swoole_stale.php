<?php
// Target for the stale-state tests: per-coroutine state kept in static arrays and globals
// keyed by coroutine id, dropped at the coroutine's end on one path and never on another
// (Swoft's pipeMessage path never fired the end event), next to integer-keyed arrays that
// are not per-coroutine state. Prints `TRUTH {json}` (each array that holds entries of
// ended coroutines: where, how many, oldest and newest id), then READY; parks until killed.
namespace Swoft\Context {
    class Context
    {
        private static array $context = [];
        public static array $pending = [];	// cleaned up properly: only live ids remain

        public static function set(int $cid, object $ctx): void
        {
            self::$context[$cid] = $ctx;
        }

        public static function destroy(int $cid): void
        {
            unset(self::$context[$cid]);
        }
    }
}

namespace Swoft\Redis {
    class ConnectionManager
    {
        // Nested one level: connection info per coroutine, under the pool's name.
        public static array $connections = ['redis.pool' => [], 'names' => ['a', 'b']];
        public static array $users = [];	// user ids: beyond any coroutine id
        public static array $few = [];		// too few ended ids to report
        public static array $list = [];		// a list: key 0 is no coroutine id
    }
}

namespace {
    use Swoole\Coroutine;
    use Swoft\Context\Context;
    use Swoft\Redis\ConnectionManager as CM;

    $http = (int)($argv[1] ?? 30);	// requests through the path that cleans up
    $pipe = (int)($argv[2] ?? 25);	// requests through pipeMessage: never cleaned
    $GLOBALS['sessions'] = [];

    Coroutine::set(['hook_flags' => 0]);
    Coroutine\run(function () use ($http, $pipe) {
        $ended = [];
        $done = new Coroutine\Channel(1000);
        $hold = new Coroutine\Channel(1);
        for ($i = 0; $i < $http + $pipe; $i++) {
            $cleanup = $i < $http;
            Coroutine::create(function () use ($cleanup, $done) {
                $cid = Coroutine::getCid();
                Context::set($cid, new \stdClass());
                CM::$connections['redis.pool'][$cid] = ['host' => '127.0.0.1', 'db' => 0];
                $GLOBALS['sessions'][$cid] = "session of $cid";
                if ($cleanup) {
                    Context::destroy($cid);
                    unset(CM::$connections['redis.pool'][$cid], $GLOBALS['sessions'][$cid]);
                }
                $done->push($cleanup ? 0 : $cid);
            });
        }
        for ($i = 0; $i < $http + $pipe; $i++) {
            if ($cid = $done->pop()) {
                $ended[] = $cid;
            }
        }
        // Live coroutines with state: not stale.
        for ($i = 0; $i < 3; $i++) {
            Coroutine::create(function () use ($hold) {
                $cid = Coroutine::getCid();
                Context::set($cid, new \stdClass());
                Context::$pending[$cid] = true;
                $hold->pop();
            });
        }
        for ($i = 0; $i < 5; $i++) {
            Coroutine::create(function () {
                CM::$few[Coroutine::getCid()] = true;
            });
        }
        for ($u = 0; $u < 40; $u++) {
            CM::$users[1000000 + $u] = "user $u";
            CM::$list[] = $u;
        }
        $n = count($ended);
        $row = fn($where) => ['where' => $where, 'entries' => $n, 'oldest_id' => min($ended),
                              'newest_id' => max($ended)];
        $t = ['stale' => [$row('Swoft\Context\Context::$context'),
                          $row("Swoft\\Redis\\ConnectionManager::\$connections['redis.pool']"),
                          $row("\$GLOBALS['sessions']")]];
        echo "TRUTH ", json_encode($t), "\n";
        echo "READY\n";
        while (true) {
            Coroutine::sleep(1);
        }
    });
}
