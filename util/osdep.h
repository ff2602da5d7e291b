/*
 * Common includes and small helpers every minivm source file may rely on.
 */
#ifndef UTIL_OSDEP_H
#define UTIL_OSDEP_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#define MINIVM_NORETURN __attribute__((noreturn))
#define MINIVM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MINIVM_UNUSED __attribute__((unused))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

#define QEMU_ALIGN_DOWN(n, m) ((n) / (m) * (m))
#define QEMU_ALIGN_UP(n, m) QEMU_ALIGN_DOWN((n) + (m)-1, (m))
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))

/* Marks a function that may only be called from coroutine context. */
#define coroutine_fn

#endif
