/*
 * Internals of the blkdebug filter shared by blkdebug.c (the driver, events
 * and breakpoints) and blkdebug-rules.c (rules from options and from the
 * config file).
 *
 * A rule belongs to an event.  When a format or the core reports the event
 * (BLKDBG_EVENT), the rules of that event whose state matches the current
 * state fire: inject-error rules become the armed rules that requests are
 * checked against, set-state rules change the state, breakpoints suspend the
 * reporting request until someone resumes it.
 */
#ifndef BLOCK_BLKDEBUG_H
#define BLOCK_BLKDEBUG_H

#include <assert.h>

#include "block/block_int.h"

typedef enum BlkdebugAction {
    BLKDEBUG_ACTION_INJECT_ERROR,
    BLKDEBUG_ACTION_SET_STATE,
    BLKDEBUG_ACTION_SUSPEND,
} BlkdebugAction;

typedef struct BlkdebugRule {
    BlkdebugEvent event;
    BlkdebugAction action;
    int64_t state; /* fires only in this state; 0: in any state */
    union {
        struct {
            int error;            /* positive errno; 0 injects nothing */
            bool immediately;     /* fail before yielding (synchronously) */
            bool once;            /* the rule goes away after one failure */
            int64_t offset;       /* only requests covering this byte; -1: all */
            uint64_t iotype_mask; /* 1 << BlkdebugIOType */
        } inject;
        struct {
            int64_t new_state;
        } set_state;
        struct {
            char *tag;
        } suspend;
    } u;
} BlkdebugRule;

typedef struct BDRVBlkdebugState {
    int64_t state;
    GList *rules[BLKDBG__MAX]; /* BlkdebugRule *, in firing order */
    GList *armed;              /* inject-error rules of the last event that armed some */
    GList *suspended;          /* BlkdebugSuspended * */

    uint64_t align, max_transfer;
    uint64_t opt_write_zero, max_write_zero;
    uint64_t opt_discard, max_discard;
    uint64_t take_child_perms, unshare_child_perms;
} BDRVBlkdebugState;

/* blkdebug-rules.c */
/* The event named 'name', or -1. */
int blkdebug_event_parse(const char *name);
void blkdebug_rule_add(BDRVBlkdebugState *s, BlkdebugRule *rule);
/* Unlinks rule from its event and the armed list, and frees it. */
void blkdebug_rule_remove(BDRVBlkdebugState *s, BlkdebugRule *rule);
void blkdebug_rules_free(BDRVBlkdebugState *s);
int blkdebug_rules_from_options(BDRVBlkdebugState *s, BlockdevOptionsBlkdebug *o, Error **errp);
/*
 * Reads a config file: [inject-error] and [set-state] sections of
 * key = "value" lines ('#' starts a comment), as QEMU's -readconfig syntax.
 */
int blkdebug_rules_from_config(BDRVBlkdebugState *s, const char *path, Error **errp);

#endif
