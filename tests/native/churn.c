/* The benchmark's ucoro target (scripts/bench.sh). Driven from stdin:
 *   N        N iterations of one short coroutine: create, take a connection, three defers,
 *            give the connection back, end (the defers run); prints "NS <ns per iteration>"
 *   park N   N coroutines that register two defers each and stay suspended; prints "NS 0"
 * It prints "PID <pid>" first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ucoro.h"

static struct uco_pool *pool;

static void noop(void *arg)
{
	(void)arg;
}

static void short_body(void *arg)
{
	void *k = uco_pool_get(pool);

	(void)arg;
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_pool_put(pool, k);
}

static void parked_body(void *arg)
{
	(void)arg;
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	for (;;)
		uco_yield();
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
	char line[64];
	long i, n;

	pool = uco_pool_new(4);
	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "park %ld", &n) == 1) {
			for (i = 0; i < n; i++)
				uco_resume(uco_create(parked_body, NULL));
			printf("NS 0\n");
		} else if (sscanf(line, "%ld", &n) == 1 && n > 0) {
			double t0 = now_ns();

			for (i = 0; i < n; i++)
				uco_resume(uco_create(short_body, NULL));
			printf("NS %.1f\n", (now_ns() - t0) / n);
		}
		fflush(stdout);
	}
	return 0;
}
