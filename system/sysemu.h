/*
 * Process-wide facts about the VM set from the command line and read by
 * queries (query-name, query-uuid, query-kvm, ...).  Written once during
 * start-up by system/main.c, read-only afterwards.
 */
#ifndef SYSTEM_SYSEMU_H
#define SYSTEM_SYSEMU_H

#include "util/osdep.h"

typedef struct SysemuInfo {
    const char *name;      /* -name guest=X, NULL when not given */
    uint8_t uuid[16];      /* -uuid, all zero when not given */
    bool uuid_set;
    const char *machine;   /* "pc" or "none" */
    const char *accel;     /* "kvm" or "qtest" */
    bool kvm_present;      /* /dev/kvm could be opened */
    bool kvm_enabled;      /* the machine runs vCPUs on KVM */
} SysemuInfo;

extern SysemuInfo sysemu;

#endif
