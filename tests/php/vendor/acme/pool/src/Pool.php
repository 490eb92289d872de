<?php
// A library's connection pool, as Composer installs one under vendor/ (test_swoole_borrow
// _sites.sh): get() pops a Swoole channel two calls below the program's line, through a
// method and a static helper of the library's own; scoped() also defers the release to
// the end of the coroutine (as Hyperf's Redis and Db do); keeper() starts a coroutine
// of the library's own, which borrows, defers the release through defer() (a wrapper, as
// Hyperf's) and waits.
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

    public function scoped(): Connection
    {
        $conn = $this->get();
        \Swoole\Coroutine::defer(function () use ($conn) {
            $this->release($conn);
        });
        return $conn;
    }

    public function keeper(\Swoole\Coroutine\Channel $park): void
    {
        \Swoole\Coroutine::create([$this, 'keep'], $park);
    }

    public function keep(\Swoole\Coroutine\Channel $park): void
    {
        $conn = $this->get();
        defer(fn() => $this->release($conn));	// the library's own defer
        $park->pop();
    }
}

// As Hyperf's defer(): a wrapper of Swoole's.
function defer(callable $fn): void
{
    \Swoole\Coroutine::defer($fn);
}

final class Waiter
{
    public static function pop(\Swoole\Coroutine\Channel $ch): Connection
    {
        return $ch->pop(-1);	// the library's own line
    }
}

final class Connection
{
    public function __construct(public int $id)
    {
    }
}
