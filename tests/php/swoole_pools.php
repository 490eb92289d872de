<?php
// Target for the framework pool tests: pools shaped like Hyperf's and Swoft's (classes of
// the same names and properties, written here from their documented behaviour), driven
// through three stories, then it prints its own truth per pool and parks.
//
//   "default" (a Hyperf pool): pipeline() takes a connection and never gives it back
//       (hyperf#7351): after max_connections requests the pool is exhausted, and one
//       more request waits in the channel's pop.
//   "sub" (a Hyperf pool): subscriber coroutines park holding a connection, some in
//       their coroutine context (Context::set), some in a local variable; other requests
//       borrow and release (the ordinary path).
//   a Swoft pool: borrowers that park holding a connection in a local, ordinary
//       borrow/release, and one request that ends without releasing.
//
// php swoole_pools.php [LEAK]: prints `TRUTH {json}` then READY, and stays until killed.
// Once the file LEAK appears (codefer-top attached by then), requests on "sub" end
// without releasing until one more than its idle connections are gone: the last one the
// pool makes afresh, as Hyperf's does when its channel is empty (no pop a probe sees);
// then it prints TRUTH again.
namespace Hyperf\Engine {
    class Channel extends \Swoole\Coroutine\Channel
    {
    }
}

namespace Hyperf\Pool {
    use Hyperf\Engine\Channel as CoChannel;

    class PoolOption
    {
        public function __construct(private int $maxConnections, private float $waitTimeout)
        {
        }

        public function getMaxConnections(): int
        {
            return $this->maxConnections;
        }

        public function getWaitTimeout(): float
        {
            return $this->waitTimeout;
        }
    }

    class Channel
    {
        protected CoChannel $channel;
        protected \SplQueue $queue;

        public function __construct(protected int $size)
        {
            $this->channel = new CoChannel($size);
            $this->queue = new \SplQueue();
        }

        public function pop(float $timeout)
        {
            return $this->channel->pop($timeout);
        }

        public function push($conn): bool
        {
            return $this->channel->push($conn);
        }

        public function length(): int
        {
            return $this->channel->length();
        }
    }

    abstract class Connection
    {
        protected float $lastUseTime = 0.0;

        public function __construct(protected $container, protected Pool $pool)
        {
        }

        public function release(): void
        {
            $this->pool->release($this);
        }
    }

    abstract class Pool
    {
        protected Channel $channel;
        protected PoolOption $option;
        protected int $currentConnections = 0;

        public function __construct(protected $container, array $config = [])
        {
            $this->option = new PoolOption($config['max_connections'] ?? 10,
                                           $config['wait_timeout'] ?? 3.0);
            $this->channel = new Channel($this->option->getMaxConnections());
        }

        // A new connection while the channel is empty and the limit not reached, else
        // wait for one in the channel: connections made here were never in the channel.
        public function get(): Connection
        {
            if ($this->channel->length() === 0 &&
                $this->currentConnections < $this->option->getMaxConnections()) {
                ++$this->currentConnections;
                return $this->createConnection();
            }
            $conn = $this->channel->pop($this->option->getWaitTimeout());
            if (!$conn instanceof Connection) {
                throw new \RuntimeException('pool exhausted');
            }
            return $conn;
        }

        public function release(Connection $conn): void
        {
            $this->channel->push($conn);
        }

        public function getCurrentConnections(): int
        {
            return $this->currentConnections;
        }

        public function getConnectionsInChannel(): int
        {
            return $this->channel->length();
        }

        abstract protected function createConnection(): Connection;
    }
}

namespace Hyperf\Redis\Pool {
    class RedisConnection extends \Hyperf\Pool\Connection
    {
        // A subscriber parks here until a message comes (the channel stands for Redis).
        public function subscribe(\Swoole\Coroutine\Channel $messages)
        {
            return $messages->pop();
        }
    }

    class RedisPool extends \Hyperf\Pool\Pool
    {
        public function __construct($container, protected string $name, array $config)
        {
            parent::__construct($container, $config);
        }

        protected function createConnection(): \Hyperf\Pool\Connection
        {
            return new RedisConnection($this->container, $this);
        }
    }
}

namespace Swoft\Connection\Pool {
    use Swoole\Coroutine\Channel;

    abstract class AbstractConnection
    {
        protected $id = 0;
        protected $pool;
        protected $release = false;
    }

    abstract class AbstractPool
    {
        protected $minActive = 2;
        protected $maxActive = 10;
        protected $maxWaitTime = 0;
        protected $channel;
        protected $count = 0;

        public function getConnection(): AbstractConnection
        {
            if ($this->channel === null) {
                $this->channel = new Channel($this->maxActive);
            }
            if ($this->count < $this->minActive ||
                ($this->channel->isEmpty() && $this->count < $this->maxActive)) {
                $this->count++;
                return $this->createConnection();
            }
            return $this->channel->pop($this->maxWaitTime);
        }

        public function release(AbstractConnection $conn): void
        {
            if ($this->channel->length() < $this->maxActive) {
                $this->channel->push($conn);
            }
        }

        public function counts(): array
        {
            return [$this->count, $this->channel->length(), $this->maxActive];
        }

        abstract public function createConnection(): AbstractConnection;
    }
}

namespace App {
    use Swoole\Coroutine;

    class SwoftRedisConnection extends \Swoft\Connection\Pool\AbstractConnection
    {
        public function __construct($pool, $id)
        {
            $this->pool = $pool;
            $this->id = $id;
        }
    }

    class SwoftRedisPool extends \Swoft\Connection\Pool\AbstractPool
    {
        private int $ids = 0;

        public function __construct(int $max)
        {
            $this->maxActive = $max;
        }

        public function createConnection(): \Swoft\Connection\Pool\AbstractConnection
        {
            return new SwoftRedisConnection($this, ++$this->ids);
        }
    }

    // Hyperf's Redis::pipeline() in the bug: the connection is taken and never released.
    function pipeline(\Hyperf\Pool\Pool $pool): void
    {
        $pool->get();
    }

    $hold = new Coroutine\Channel(1);	// never pushed: the parked coroutines wait on it
    $done = new Coroutine\Channel(1000);
    $t = ['pools' => []];

    Coroutine::set(['hook_flags' => 0]);	// no runtime hooks: nothing here does I/O
    Coroutine\run(function () use ($hold, $done, &$t) {
        // The pipeline leak: every request leaks one connection, then the pool is dry.
        $def = new \Hyperf\Redis\Pool\RedisPool(null, 'default',
                                                ['max_connections' => 4, 'wait_timeout' => 3600.0]);
        $waiters = 0;
        for ($i = 0; $i < 4; $i++) {
            Coroutine::create(function () use ($def, $done) { pipeline($def); $done->push(1); });
            $done->pop();
        }
        Coroutine::create(function () use ($def, &$waiters) { $waiters++; $def->get(); });
        $t['pools'][] = ['class' => \Hyperf\Redis\Pool\RedisPool::class, 'name' => 'default',
                         'open' => $def->getCurrentConnections(),
                         'idle' => $def->getConnectionsInChannel(), 'max' => 4,
                         'waiters' => $waiters, 'holders' => []];

        // Subscribers parked holding their connection; ordinary borrow/release around them.
        $sub = new \Hyperf\Redis\Pool\RedisPool(null, 'sub', ['max_connections' => 12]);
        $holders = [];
        $ready = new Coroutine\Channel(100);
        for ($i = 0; $i < 6; $i++) {
            $inContext = $i % 2 === 0;
            $holders[] = Coroutine::create(function () use ($sub, $hold, $ready, $inContext) {
                $conn = $sub->get();
                $ready->push(1);
                if ($inContext) {
                    Coroutine::getContext()['redis.connection.sub'] = $conn;
                    unset($conn);
                    $hold->pop();
                } else {
                    $conn->subscribe($hold);
                }
            });
            $ready->pop();
        }
        for ($i = 0; $i < 5; $i++) {
            Coroutine::create(function () use ($sub, $done) {
                $conn = $sub->get();
                Coroutine::sleep(0.001);
                $sub->release($conn);
                $done->push(1);
            });
        }
        for ($i = 0; $i < 5; $i++) {
            $done->pop();
        }
        $t['pools'][] = ['class' => \Hyperf\Redis\Pool\RedisPool::class, 'name' => 'sub',
                         'open' => $sub->getCurrentConnections(),
                         'idle' => $sub->getConnectionsInChannel(), 'max' => 12,
                         'waiters' => 0, 'holders' => $holders];

        // Swoft: two parked borrowers, borrow/release, one request that never releases.
        $sw = new SwoftRedisPool(8);
        $holders = [];
        for ($i = 0; $i < 2; $i++) {
            $holders[] = Coroutine::create(function () use ($sw, $hold, $ready) {
                $conn = $sw->getConnection();
                $ready->push(1);
                $hold->pop();
            });
            $ready->pop();
        }
        for ($i = 0; $i < 3; $i++) {
            Coroutine::create(function () use ($sw, $done) {
                $conn = $sw->getConnection();
                Coroutine::sleep(0.001);
                $sw->release($conn);
                $done->push(1);
            });
        }
        for ($i = 0; $i < 3; $i++) {
            $done->pop();
        }
        Coroutine::create(function () use ($sw, $done) { $sw->getConnection(); $done->push(1); });
        $done->pop();
        [$count, $idle, $max] = $sw->counts();
        $t['pools'][] = ['class' => SwoftRedisPool::class, 'name' => '', 'open' => $count,
                         'idle' => $idle, 'max' => $max, 'waiters' => 0, 'holders' => $holders];
        $truth = function () use (&$t) {
            foreach ($t['pools'] as &$p) {
                $p['label'] = $p['name'] === '' ? $p['class'] : "{$p['class']}[{$p['name']}]";
                $p['held'] = count($p['holders']);
                $p['outstanding'] = $p['open'] - $p['idle'];
                $p['orphaned'] = $p['outstanding'] - $p['held'];
            }
            unset($p);
            echo "TRUTH ", json_encode($t), "\n";
        };
        $truth();
        echo "READY\n";
        $leak = $GLOBALS['argv'][1] ?? '';
        while (true) {
            Coroutine::sleep(0.05);
            if ($leak === '' || !file_exists($leak)) {
                continue;
            }
            for ($i = $sub->getConnectionsInChannel() + 1; $i > 0; $i--) {
                Coroutine::create(function () use ($sub, $done) { pipeline($sub); $done->push(1); });
                $done->pop();
            }
            $t['pools'][1]['open'] = $sub->getCurrentConnections();
            $t['pools'][1]['idle'] = $sub->getConnectionsInChannel();
            $truth();
            $leak = '';
        }
    });
}
