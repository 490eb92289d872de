/* codefer-top's live view on a terminal (ncurses): the coroutine table with filter, sort,
 * selection and pause, a coroutine's detail, help, colour by verdict. */
#ifndef CODEFER_VIEW_H
#define CODEFER_VIEW_H

#include <signal.h>
#include "model.h"

struct view_opts {
	double delay;		/* seconds between refreshes */
	enum sort_key sort;	/* the first sort column */
	int color;		/* 0: --no-color or NO_COLOR */
};

struct fleet;

/* Runs until q or *stop. refresh(arg) makes the next snapshot of every process of the
 * fleet: 0, or an exit code that ends the view (the caller says why, once the terminal is
 * restored). Several processes: their sums and a line each over the one shown (Tab).
 * Returns 0 or that code. */
int view_run(struct fleet *fl, const struct view_opts *o, int (*refresh)(void *arg), void *arg,
	     volatile sig_atomic_t *stop);

#endif
