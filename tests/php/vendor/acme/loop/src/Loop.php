<?php
// An event loop's suspension, as a library Composer installs under vendor/ gives one
// (Revolt's, amphp's): the program's fibers wait here, two calls below their own line.
namespace Acme\Loop;

final class Loop
{
    public static function wait(): void
    {
        (new Suspension())->suspend();
    }
}

final class Suspension
{
    public function suspend(): void
    {
        \Fiber::suspend();
    }
}
