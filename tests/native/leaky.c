/* A service on ucoro that leaks the three ways codefer looks for. Driven from stdin:
 *   work   - the scenario below;   more N - the long-lived worker loops N more times;
 *   exit N - N more coroutines end holding a connection;   quit
 *   park N - N more coroutines park holding a connection and two pending defers;
 *   unpark - every parked coroutine returns (its defers run, its connection is orphaned)
 *   name HEX - the process renames itself (comm) to those bytes, for hostile names
 * After each command it prints its own truth as TRUTH lines, then DONE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "ucoro.h"

static struct uco_pool *pool;
static struct ucoro *worker;
static int worker_todo;
static uint64_t n_gets, n_puts, n_parked;
static int unparking;

/* An int3 the kernel will not put a uprobe on: an attach that fails half-way (tests). */
__asm__(".text\n.globl leaky_unprobeable\n.type leaky_unprobeable, @function\n"
	"leaky_unprobeable:\n\tint3\n\tret\n.size leaky_unprobeable, 2\n");

static void noop(void *arg)
{
	(void)arg;
}

static void *take(void)
{
	void *k = uco_pool_get(pool);

	if (k)
		n_gets++;
	return k;
}

static void give(void *k)
{
	uco_pool_put(pool, k);
	n_puts++;
}

/* Long-lived: registers a defer on every iteration and never returns (the Hyperf bug). */
static void worker_body(void *arg)
{
	(void)arg;
	for (;;) {
		while (worker_todo > 0) {
			void *k = take();

			uco_defer(noop, NULL);
			give(k);
			worker_todo--;
		}
		uco_yield();
	}
}

/* Short-lived: defers run at exit, the connection goes back. */
static void request_body(void *arg)
{
	void *k = take();

	(void)arg;
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	uco_yield();
	give(k);
}

/* Ends holding a connection: an orphan. */
static void leak_body(void *arg)
{
	(void)arg;
	take();
	uco_defer(noop, NULL);
}

/* Parks holding a connection and two pending defers, until "unpark". */
static void parked_body(void *arg)
{
	(void)arg;
	take();
	uco_defer(noop, NULL);
	uco_defer(noop, NULL);
	n_parked++;
	while (!unparking)
		uco_yield();
	n_parked--;
}

static void unpark(void)
{
	struct ucoro *c, *next;

	unparking = 1;
	for (c = uco_all; c; c = next) {
		next = c->next;
		if (c->body == parked_body)
			uco_resume(c);
	}
	unparking = 0;
}

static void run_all(struct ucoro **cs, int n)
{
	int i, live = n;

	while (live > 0)
		for (i = 0, live = 0; i < n; i++)
			if (cs[i] && !uco_resume(cs[i]))
				live++;
			else
				cs[i] = NULL;
}

static void spawn(void (*body)(void *), int n, int run_to_end)
{
	struct ucoro **cs = calloc(n, sizeof(*cs));
	int i;

	for (i = 0; i < n; i++) {
		cs[i] = uco_create(body, NULL);
		if (!run_to_end)
			uco_resume(cs[i]);
	}
	if (run_to_end)
		run_all(cs, n);
	free(cs);
}

static void print_truth(void)
{
	struct ucoro *c;
	struct uco_conn *k;
	uint64_t out = 0, orphans = 0;

	for (c = uco_all; c; c = c->next)
		printf("TRUTH {\"coro\": %llu, \"defers_registered\": %llu, \"defers_run\": %llu, "
		       "\"pending\": %d, \"conns_held\": %d}\n",
		       (unsigned long long)c->id, (unsigned long long)c->defers_registered,
		       (unsigned long long)c->defers_run, c->ndefers, c->nconns);
	for (k = pool->all; k; k = k->next_all) {
		if (!k->holder)
			continue;
		out++;
		for (c = uco_all; c && c->id != k->holder; c = c->next)
			;
		orphans += !c;
	}
	printf("TRUTH {\"created\": %llu, \"finished\": %llu, \"defers_registered\": %llu, "
	       "\"defers_run\": %llu, \"gets\": %llu, \"puts\": %llu, "
	       "\"outstanding\": %llu, \"orphans\": %llu, \"parked\": %llu}\n",
	       (unsigned long long)uco_created, (unsigned long long)uco_finished,
	       (unsigned long long)uco_defers_registered, (unsigned long long)uco_defers_run,
	       (unsigned long long)n_gets, (unsigned long long)n_puts, (unsigned long long)out,
	       (unsigned long long)orphans, (unsigned long long)n_parked);
	printf("DONE\n");
	fflush(stdout);
}

int main(void)
{
	char line[128];
	int n;

	pool = uco_pool_new(64);
	printf("PID %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "work", 4)) {
			worker = uco_create(worker_body, NULL);
			worker_todo = 300;
			uco_resume(worker);
			spawn(request_body, 50, 1);
			spawn(leak_body, 5, 1);
			spawn(parked_body, 3, 0);
		} else if (sscanf(line, "more %d", &n) == 1) {
			worker_todo = n;
			uco_resume(worker);
		} else if (sscanf(line, "exit %d", &n) == 1) {
			spawn(leak_body, n, 1);
		} else if (sscanf(line, "park %d", &n) == 1) {
			spawn(parked_body, n, 0);
		} else if (!strncmp(line, "unpark", 6)) {
			unpark();
		} else if (!strncmp(line, "name ", 5)) {
			char comm[16] = "";
			unsigned int b;

			for (n = 0; n < 15 && sscanf(line + 5 + 2 * n, "%2x", &b) == 1; n++)
				comm[n] = (char)b;
			prctl(PR_SET_NAME, comm);
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
		print_truth();
	}
	return 0;
}
