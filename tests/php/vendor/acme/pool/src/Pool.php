<?php
// A library's connection pool, as Composer installs one under vendor/ (test_swoole_borrow
// _sites.sh): get() pops a Swoole channel two calls below the program's line, through a
// method and a static helper of the library's own.
namespace Acme\Pool;

final class Pool
{
    private \Swoole\Coroutine\Channel $idle;

    public function __construct(int $size)
    {
        $this->idle = new \Swoole\Coroutine\Channel($size);
        for ($i = 0; $i < $size; $i++) {
            $this->idle->push(new Connection($i));
        }
    }

    public function get(): Connection
    {
        return Waiter::pop($this->idle);
    }

    public function release(Connection $conn): void
    {
        $this->idle->push($conn);
    }
}

final class Waiter
{
    public static function pop(\Swoole\Coroutine\Channel $ch): Connection
    {
        return $ch->pop(-1);
    }
}

final class Connection
{
    public function __construct(public int $id)
    {
    }
}
