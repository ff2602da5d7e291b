/*
 * Coroutine internals shared by coroutine.c and the synchronisation
 * primitives built on it.  Not for use outside util/.
 */
#ifndef UTIL_COROUTINE_INT_H
#define UTIL_COROUTINE_INT_H

#include "util/coroutine.h"

/* What a waiting coroutine asked a CoRwlock for. */
typedef enum {
    CO_WAIT_ANY,
    CO_WAIT_READ,
    CO_WAIT_WRITE,
} CoWaitKind;

/*
 * The GList node by which a coroutine sits in a CoQueue; a coroutine waits
 * on at most one queue at a time, so it needs no allocation.
 */
GList *coroutine_wait_link(Coroutine *co);
CoWaitKind coroutine_wait_kind(Coroutine *co);
void coroutine_set_wait_kind(Coroutine *co, CoWaitKind kind);

/*
 * Wakes co "soon": inside a coroutine it is entered right after the current
 * one yields or terminates; outside, from a bottom half.
 */
void coroutine_wake_deferred(Coroutine *co);

#endif
