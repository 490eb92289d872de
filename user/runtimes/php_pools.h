/* PHP frameworks' connection pools read from the heap (Hyperf, Swoft), over Swoole
 * channels: what a pool's own objects say (connections made, idle, limit, waiters) and
 * which live coroutine holds each connection that is out. */
#ifndef CODEFER_PHP_POOLS_H
#define CODEFER_PHP_POOLS_H

#include "php_heap.h"

/* Where Swoole keeps what the heap walks need (resolved once by the swoole profile). */
struct swoole_layout {
	long chan_data;		/* swoole::coroutine::Channel.data_queue (std::deque) */
	long chan_consumers;	/* .consumer_queue (std::list): coroutines waiting to pop */
	long chanobj_std;	/* ChannelObject.std: the Channel* sits before the object */
	long ctx_context;	/* PHPContext.context: Coroutine::getContext()'s object */
	long ao_std;		/* spl_array_object.std: its storage zval sits at the start */
	long tg_reactor, tg_timer;	/* swoole::ThreadGlobal (SwooleTG) */
	long timer_map;		/* swoole::Timer: std::unordered_map<long, TimerNode *> */
	long tn_type, tn_interval, tn_removed, tn_data;	/* swoole::TimerNode */
	long reactor_defers;	/* swoole::Reactor.defer_tasks (CallbackManager *) */
	long callable_fcc;	/* zend::Callable.fcc: an Event::defer task's callable */
	long socket_object;	/* swoole::network::Socket.object: an Event::add's EventObject */
	long evo_read, evo_write;	/* EventObject.readable_callback, writable_callback */
};

/* A live coroutine: its census entry, the frame it is at, its context object. */
struct php_co {
	size_t coro;		/* index into census.coros */
	uint64_t ex, context;
};

/* Adds the pools found in the object store (census_add_pool) and the connections out of
 * them that live coroutines hold (census_add_conn, census_coro.conns_held). 0, or -1 out
 * of memory; a walk cut short sets c->warning. */
int php_pools_census(struct php_heap *h, const struct swoole_layout *l, struct census *c,
		     const struct php_co *cos, size_t nco);

/* Calls fn on each element of the libstdc++ std::deque<void *> at addr, front first, at
 * most max of them. 0; 1 when there were more than max; -1 when it is unreadable; fn's
 * non-zero return otherwise. */
int std_deque_each(struct target *t, uint64_t addr, size_t max,
		   int (*fn)(void *arg, uint64_t item), void *arg);

#endif
