/* A ucoro target that never stops working, for the census of a running target
 * (tests/native/test_native_busy.sh): workers gain a pending defer at every turn, short
 * coroutines come and go, and nothing waits for codefer. stdin:
 *   stop   ends the work, then prints the truth as leaky does (TRUTH lines, DONE)
 * It prints "PID <pid>" first, and with the truth its longest pause between two turns
 * (STALL_MS: what an attach that stops it would cost it). */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ucoro.h"

#define WORKERS 400

static struct uco_pool *pool;
static uint64_t n_gets, n_puts;

static void noop(void *arg)
{
	(void)arg;
}

/* Holds a connection and registers one defer per turn, forever. */
static void worker_body(void *arg)
{
	(void)arg;
	if (uco_pool_get(pool))
		n_gets++;
	for (;;) {
		uco_defer(noop, NULL);
		uco_yield();
	}
}

/* Three defers, a connection taken and given back, then the end (the defers run). */
static void short_body(void *arg)
{
	void *k = uco_pool_get(pool);

	(void)arg;
	if (k)
		n_gets++;
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_yield();
	if (k) {
		uco_pool_put(pool, k);
		n_puts++;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int stop_asked(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char line[64];

	return poll(&p, 1, 0) > 0 && (!fgets(line, sizeof(line), stdin) || !strncmp(line, "stop", 4));
}

int main(void)
{
	struct ucoro *workers[WORKERS], *c, *pending_short = NULL;
	uint64_t last = 0, stall = 0, turn;
	struct uco_conn *k;
	uint64_t out = 0;

	pool = uco_pool_new(WORKERS + 8);
	setvbuf(stdin, NULL, _IONBF, 0);
	for (turn = 0; turn < WORKERS; turn++) {
		workers[turn] = uco_create(worker_body, NULL);
		uco_resume(workers[turn]);
	}
	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	for (turn = 0;; turn++) {
		uint64_t t = now_ns();

		if (last && t - last > stall)
			stall = t - last;
		last = t;
		uco_resume(workers[turn % WORKERS]);
		/* A short coroutine lives across one turn. */
		if (pending_short)
			uco_resume(pending_short);
		pending_short = uco_create(short_body, NULL);
		uco_resume(pending_short);
		if (!(turn % 64)) {
			if (stop_asked())
				break;
			usleep(200);
			last = now_ns();	/* our own sleep is no stall */
		}
	}
	if (pending_short)
		uco_resume(pending_short);
	for (c = uco_all; c; c = c->next)
		printf("TRUTH {\"coro\": %llu, \"defers_registered\": %llu, \"defers_run\": %llu, "
		       "\"pending\": %d, \"conns_held\": %d}\n",
		       (unsigned long long)c->id, (unsigned long long)c->defers_registered,
		       (unsigned long long)c->defers_run, c->ndefers, c->nconns);
	for (k = pool->all; k; k = k->next_all)
		out += k->holder != 0;
	printf("TRUTH {\"created\": %llu, \"finished\": %llu, \"defers_registered\": %llu, "
	       "\"defers_run\": %llu, \"gets\": %llu, \"puts\": %llu, \"outstanding\": %llu, "
	       "\"orphans\": 0, \"stall_ms\": %.3f}\n",
	       (unsigned long long)uco_created, (unsigned long long)uco_finished,
	       (unsigned long long)uco_defers_registered, (unsigned long long)uco_defers_run,
	       (unsigned long long)n_gets, (unsigned long long)n_puts, (unsigned long long)out,
	       stall / 1e6);
	printf("DONE\n");
	fflush(stdout);
	pause();
	return 0;
}
