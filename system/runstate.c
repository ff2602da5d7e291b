/*
 * Run state and the stop/cont/shutdown/reset/powerdown requests.
 *
 * Requests may come from any thread (a vCPU seeing a triple fault or an ACPI
 * write); they are recorded under a lock and acted on by a bottom half on the
 * main loop, so events and state changes always happen on the main thread.
 * Acting from a bottom half also orders a QMP command's reply before the
 * event it causes (the reply is queued when the command returns).
 */
#include "system/runstate.h"

#include "qapi/qapi-commands.h"
#include "qapi/qapi-events.h"
#include "util/error.h"
#include "util/main-loop.h"

static RunState current_state = RUN_STATE_PRELAUNCH;
static bool no_shutdown;
static RunstateHooks hooks;

static GMutex request_lock;
static ShutdownCause shutdown_requested; /* SHUTDOWN_CAUSE_NONE when none */
static ShutdownCause reset_requested;
static bool powerdown_requested;
static QEMUBH *request_bh;

static void runstate_process_requests(void *opaque);

void runstate_init(bool start_paused)
{
    current_state = start_paused ? RUN_STATE_PRELAUNCH : RUN_STATE_RUNNING;
    if (!request_bh) {
        request_bh = qemu_bh_new(runstate_process_requests, NULL);
    }
}

void runstate_set_hooks(const RunstateHooks *h)
{
    hooks = *h;
}

void runstate_set_no_shutdown(bool on)
{
    no_shutdown = on;
}

RunState runstate_get(void)
{
    return current_state;
}

bool runstate_check(RunState state)
{
    return current_state == state;
}

bool runstate_is_running(void)
{
    return current_state == RUN_STATE_RUNNING;
}

/* States left only through system_reset, as in QEMU. */
static bool runstate_needs_reset(void)
{
    return current_state == RUN_STATE_INTERNAL_ERROR || current_state == RUN_STATE_SHUTDOWN ||
           current_state == RUN_STATE_GUEST_PANICKED;
}

void vm_stop(RunState state)
{
    if (!runstate_is_running()) {
        /* QEMU records a new reason only when leaving 'running'. */
        if (state == RUN_STATE_SHUTDOWN || state == RUN_STATE_INTERNAL_ERROR) {
            current_state = state;
        }
        return;
    }
    if (hooks.pause_all_vcpus) {
        hooks.pause_all_vcpus();
    }
    current_state = state;
    qapi_event_send_stop();
}

bool vm_start(Error **errp)
{
    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return false;
    }
    if (current_state == RUN_STATE_SUSPENDED) {
        error_setg(errp, "Unable to resume: guest is suspended. Use system_wakeup command");
        return false;
    }
    if (runstate_is_running()) {
        return true;
    }
    current_state = RUN_STATE_RUNNING;
    qapi_event_send_resume();
    if (hooks.resume_all_vcpus) {
        hooks.resume_all_vcpus();
    }
    return true;
}

static void runstate_kick(void)
{
    qemu_bh_schedule(request_bh);
    main_loop_wakeup();
}

void qemu_system_shutdown_request(ShutdownCause cause)
{
    g_mutex_lock(&request_lock);
    shutdown_requested = cause;
    g_mutex_unlock(&request_lock);
    runstate_kick();
}

void qemu_system_reset_request(ShutdownCause cause)
{
    g_mutex_lock(&request_lock);
    reset_requested = cause;
    g_mutex_unlock(&request_lock);
    runstate_kick();
}

void qemu_system_powerdown_request(void)
{
    g_mutex_lock(&request_lock);
    powerdown_requested = true;
    g_mutex_unlock(&request_lock);
    runstate_kick();
}

static bool cause_is_guest(ShutdownCause cause)
{
    return cause >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN && cause != SHUTDOWN_CAUSE_SUBSYSTEM_RESET &&
           cause != SHUTDOWN_CAUSE_SNAPSHOT_LOAD;
}

static void runstate_do_shutdown(ShutdownCause cause)
{
    qapi_event_send_shutdown(cause_is_guest(cause), cause);
    /* -no-shutdown keeps a guest-initiated shutdown as a stopped VM. */
    if (no_shutdown && cause_is_guest(cause)) {
        vm_stop(RUN_STATE_SHUTDOWN);
        return;
    }
    main_loop_quit(0);
}

static void runstate_do_reset(ShutdownCause cause)
{
    if (hooks.machine_reset) {
        hooks.machine_reset();
    }
    qapi_event_send_reset(cause_is_guest(cause), cause);
    /* A VM that was not running comes out of reset as if never started. */
    if (!runstate_is_running()) {
        current_state = RUN_STATE_PRELAUNCH;
    }
}

static void runstate_process_requests(void *opaque)
{
    ShutdownCause shutdown, reset;
    bool powerdown;

    g_mutex_lock(&request_lock);
    shutdown = shutdown_requested;
    reset = reset_requested;
    powerdown = powerdown_requested;
    shutdown_requested = reset_requested = SHUTDOWN_CAUSE_NONE;
    powerdown_requested = false;
    g_mutex_unlock(&request_lock);

    if (powerdown) {
        qapi_event_send_powerdown();
        if (hooks.powerdown) {
            hooks.powerdown();
        }
    }
    if (reset != SHUTDOWN_CAUSE_NONE) {
        runstate_do_reset(reset);
    }
    if (shutdown != SHUTDOWN_CAUSE_NONE) {
        runstate_do_shutdown(shutdown);
    }
}

/* QMP commands. */

StatusInfo *qmp_query_status(Error **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->running = runstate_is_running();
    info->singlestep = false;
    info->status = current_state;
    return info;
}

void qmp_stop(Error **errp)
{
    vm_stop(RUN_STATE_PAUSED);
}

void qmp_cont(Error **errp)
{
    vm_start(errp);
}

void qmp_quit(Error **errp)
{
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
}

void qmp_system_reset(Error **errp)
{
    qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
}

void qmp_system_powerdown(Error **errp)
{
    qemu_system_powerdown_request();
}

void qmp_system_wakeup(Error **errp)
{
    /* No machine of minivm's implements guest suspend to RAM (S3). */
    error_setg(errp, "wake-up from suspend is not supported by this guest");
}
