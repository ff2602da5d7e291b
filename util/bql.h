/*
 * The big lock.  The main thread holds it except while it waits in poll();
 * a vCPU thread takes it to handle an exit to userspace (port I/O, MMIO).
 * Device state is thus only ever touched under it.  Guest RAM and the block
 * layer's worker threads do not need it.
 */
#ifndef UTIL_BQL_H
#define UTIL_BQL_H

#include "util/osdep.h"

void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void); /* by the calling thread */

#endif
