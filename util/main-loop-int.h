/*
 * Private glue between the pieces of the main loop (main-loop.c, qemu-timer.c,
 * the coroutine files and the thread pool).  Not for use outside util/.
 */
#ifndef UTIL_MAIN_LOOP_INT_H
#define UTIL_MAIN_LOOP_INT_H

#include "util/main-loop.h"

/* Creates the timer GSource and attaches it to the default context. */
void timers_source_attach(void);

/* True on the thread that called main_loop_init(). */
bool main_loop_is_main_thread(void);

#endif
