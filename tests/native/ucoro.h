/* ucoro: a small ucontext coroutine library, codefer's fixture for the generic engine.
 * It has what real C coroutine libraries have: create, per-coroutine defers run LIFO at
 * exit, yield/resume, and a connection pool. The layout of its structures is what the
 * `ucoro` walker in user/runtimes/ucoro.c reads: change both together. */
#ifndef UCORO_H
#define UCORO_H

#include <stdint.h>
#include <ucontext.h>

enum uco_state { UCO_NEW, UCO_RUNNING, UCO_SUSPENDED, UCO_DEAD };

struct uco_defer {
	void (*fn)(void *);
	void *arg;
	void *site;		/* return address of the uco_defer() call */
};

struct ucoro {
	uint64_t id;			/* 0 */
	void (*body)(void *);		/* 8 */
	void *arg;			/* 16 */
	int32_t state;			/* 24 */
	int32_t ndefers;		/* 28: pending */
	struct uco_defer *defers;	/* 32 */
	int32_t cap;			/* 40 */
	int32_t nconns;			/* 44: connections held */
	struct ucoro *next, *prev;	/* 48, 56: uco_all list */
	uint64_t defers_registered, defers_run;
	ucontext_t ctx;
	char *stack;
};

struct uco_conn {
	uint64_t id;			/* 0 */
	struct uco_pool *pool;		/* 8 */
	uint64_t holder;		/* 16: id of the borrowing coroutine, 0 when in the pool */
	void *site;			/* 24: return address of the uco_pool_get() call */
	struct uco_conn *next_free;	/* 32 */
	struct uco_conn *next_all;	/* 40 */
};

struct uco_pool {
	struct uco_conn *free;		/* 0 */
	struct uco_conn *all;		/* 8 */
	struct uco_pool *next;		/* 16: uco_pools list */
	uint64_t gets, puts;
};

extern struct ucoro *uco_all;		/* every coroutine not yet dead */
extern struct ucoro *uco_current;	/* NULL on the scheduler */
extern struct uco_pool *uco_pools;

struct ucoro *uco_create(void (*body)(void *), void *arg);
int uco_resume(struct ucoro *c);	/* runs c until it yields or ends; 1 if it ended */
void uco_yield(void);
void uco_defer(void (*fn)(void *), void *arg);

struct uco_pool *uco_pool_new(int size);
void *uco_pool_get(struct uco_pool *p);	/* NULL when empty */
void uco_pool_put(struct uco_pool *p, void *conn);

/* Totals since start, the library's own truth. */
extern uint64_t uco_created, uco_finished, uco_defers_registered, uco_defers_run;

#endif
