/*
 * The VM's run state (QMP query-status) and the requests that change it:
 * stop/cont, shutdown, reset and powerdown.  Main thread only, except the
 * *_request() functions, which any thread (a vCPU) may call: they are acted
 * on by the main loop.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include "util/osdep.h"
#include "qapi/qapi-types.h"

void runstate_init(bool start_paused);
RunState runstate_get(void);
bool runstate_is_running(void);
bool runstate_check(RunState state);

/* Stops the vCPUs (if running) and enters 'state'; emits STOP once. */
void vm_stop(RunState state);
/* Resumes the vCPUs; emits RESUME.  Fails in states QEMU refuses to leave. */
bool vm_start(Error **errp);

void qemu_system_shutdown_request(ShutdownCause cause);
void qemu_system_reset_request(ShutdownCause cause);
void qemu_system_powerdown_request(void);

/* -no-shutdown: a guest shutdown stops the VM instead of exiting. */
void runstate_set_no_shutdown(bool on);

/*
 * Hooks the machine registers so runstate can pause/resume vCPUs and reset
 * devices without depending on hw/ or accel/.  Any may be NULL.
 */
typedef struct RunstateHooks {
    void (*pause_all_vcpus)(void);
    void (*resume_all_vcpus)(void);
    void (*machine_reset)(void);
    void (*powerdown)(void); /* raise the ACPI power-button event */
} RunstateHooks;
void runstate_set_hooks(const RunstateHooks *hooks);

#endif
