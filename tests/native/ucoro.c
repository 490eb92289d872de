/* ucoro: see ucoro.h. Single-threaded; the scheduler is whoever calls uco_resume(). */
#include <stdlib.h>
#include <string.h>
#include "ucoro.h"

#define STACK_SIZE (64 * 1024)

struct ucoro *uco_all;
struct ucoro *uco_current;
struct uco_pool *uco_pools;
uint64_t uco_created, uco_finished, uco_defers_registered, uco_defers_run;

static ucontext_t scheduler;
static uint64_t next_id = 1;

/* The library's event points, kept out of line like a real library's internals so that
 * tools can probe them: a coroutine starts living, a defer runs, a coroutine ends. */
__attribute__((noipa)) void uco_register(struct ucoro *c)
{
	c->next = uco_all;
	if (uco_all)
		uco_all->prev = c;
	uco_all = c;
	uco_created++;
}

__attribute__((noipa)) void uco_run_defer(struct ucoro *c, struct uco_defer *d)
{
	c->defers_run++;
	uco_defers_run++;
	d->fn(d->arg);
}

__attribute__((noipa)) void uco_unregister(struct ucoro *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		uco_all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	uco_finished++;
}

static void trampoline(void)
{
	struct ucoro *c = uco_current;

	c->body(c->arg);
	while (c->ndefers > 0) {
		struct uco_defer d = c->defers[--c->ndefers];

		uco_run_defer(c, &d);
	}
	c->state = UCO_DEAD;
	uco_unregister(c);
}

struct ucoro *uco_create(void (*body)(void *), void *arg)
{
	struct ucoro *c = calloc(1, sizeof(*c));

	c->id = next_id++;
	c->body = body;
	c->arg = arg;
	c->stack = malloc(STACK_SIZE);
	getcontext(&c->ctx);
	c->ctx.uc_stack.ss_sp = c->stack;
	c->ctx.uc_stack.ss_size = STACK_SIZE;
	c->ctx.uc_link = &scheduler;
	makecontext(&c->ctx, trampoline, 0);
	uco_register(c);
	return c;
}

int uco_resume(struct ucoro *c)
{
	uco_current = c;
	c->state = UCO_RUNNING;
	swapcontext(&scheduler, &c->ctx);
	uco_current = NULL;
	if (c->state == UCO_DEAD) {
		free(c->defers);
		free(c->stack);
		free(c);
		return 1;
	}
	c->state = UCO_SUSPENDED;
	return 0;
}

void uco_yield(void)
{
	swapcontext(&uco_current->ctx, &scheduler);
}

__attribute__((noipa)) void uco_defer(void (*fn)(void *), void *arg)
{
	struct ucoro *c = uco_current;

	if (c->ndefers == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->defers = realloc(c->defers, c->cap * sizeof(*c->defers));
	}
	c->defers[c->ndefers++] = (struct uco_defer){ fn, arg, __builtin_return_address(0) };
	c->defers_registered++;
	uco_defers_registered++;
}

struct uco_pool *uco_pool_new(int size)
{
	struct uco_pool *p = calloc(1, sizeof(*p));
	static uint64_t conn_ids = 1;
	int i;

	for (i = 0; i < size; i++) {
		struct uco_conn *k = calloc(1, sizeof(*k));

		k->id = conn_ids++;
		k->pool = p;
		k->next_free = p->free;
		p->free = k;
		k->next_all = p->all;
		p->all = k;
	}
	p->next = uco_pools;
	uco_pools = p;
	return p;
}

__attribute__((noipa)) void *uco_pool_get(struct uco_pool *p)
{
	struct uco_conn *k = p->free;

	if (!k)
		return NULL;
	p->free = k->next_free;
	k->holder = uco_current ? uco_current->id : 0;
	k->site = __builtin_return_address(0);
	if (uco_current)
		uco_current->nconns++;
	p->gets++;
	return k;
}

__attribute__((noipa)) void uco_pool_put(struct uco_pool *p, void *conn)
{
	struct uco_conn *k = conn;
	struct ucoro *c;

	for (c = uco_all; c; c = c->next)
		if (c->id == k->holder)
			c->nconns--;
	k->holder = 0;
	k->next_free = p->free;
	p->free = k;
	p->puts++;
}
