/*
 * blkdebug rules: building them from -blockdev options and from a config
 * file, and keeping the per-event lists.
 *
 * Config file syntax (QEMU's -readconfig format):
 *
 *   # comment
 *   [inject-error]
 *   event = "read_aio"
 *   errno = "5"
 *   sector = "0"
 *   once = "on"
 *
 *   [set-state]
 *   event = "write_aio"
 *   state = "1"
 *   new_state = "2"
 */
#include "block/blkdebug.h"

int blkdebug_event_parse(const char *name)
{
    for (int i = 0; i < BLKDBG__MAX; i++) {
        if (!strcmp(BlkdebugEvent_str(i), name)) {
            return i;
        }
    }
    return -1;
}

static int blkdebug_iotype_parse(const char *name)
{
    for (int i = 0; i < BLKDEBUG_IO_TYPE__MAX; i++) {
        if (!strcmp(BlkdebugIOType_str(i), name)) {
            return i;
        }
    }
    return -1;
}

/* New rules go first, as in QEMU: later definitions take precedence. */
void blkdebug_rule_add(BDRVBlkdebugState *s, BlkdebugRule *rule)
{
    s->rules[rule->event] = g_list_prepend(s->rules[rule->event], rule);
}

void blkdebug_rule_remove(BDRVBlkdebugState *s, BlkdebugRule *rule)
{
    s->rules[rule->event] = g_list_remove(s->rules[rule->event], rule);
    s->armed = g_list_remove(s->armed, rule);
    if (rule->action == BLKDEBUG_ACTION_SUSPEND) {
        g_free(rule->u.suspend.tag);
    }
    g_free(rule);
}

void blkdebug_rules_free(BDRVBlkdebugState *s)
{
    for (int i = 0; i < BLKDBG__MAX; i++) {
        while (s->rules[i]) {
            blkdebug_rule_remove(s, s->rules[i]->data);
        }
    }
    g_list_free(s->armed);
    s->armed = NULL;
}

static void blkdebug_add_inject(BDRVBlkdebugState *s, const BlkdebugInjectErrorOptions *o)
{
    BlkdebugRule *rule = g_new0(BlkdebugRule, 1);

    rule->event = o->event;
    rule->action = BLKDEBUG_ACTION_INJECT_ERROR;
    rule->state = o->has_state ? o->state : 0;
    rule->u.inject.error = o->has_q_errno ? (int)o->q_errno : EIO;
    rule->u.inject.once = o->has_once && o->once;
    rule->u.inject.immediately = o->has_immediately && o->immediately;
    rule->u.inject.offset =
        o->has_sector && o->sector >= 0 ? o->sector * (int64_t)BDRV_SECTOR_SIZE : -1;
    if (o->has_iotype) {
        rule->u.inject.iotype_mask = 1ULL << o->iotype;
    } else {
        /* block-status is left out unless asked for explicitly */
        rule->u.inject.iotype_mask =
            (1ULL << BLKDEBUG_IO_TYPE_READ) | (1ULL << BLKDEBUG_IO_TYPE_WRITE) |
            (1ULL << BLKDEBUG_IO_TYPE_WRITE_ZEROES) | (1ULL << BLKDEBUG_IO_TYPE_DISCARD) |
            (1ULL << BLKDEBUG_IO_TYPE_FLUSH);
    }
    blkdebug_rule_add(s, rule);
}

static void blkdebug_add_set_state(BDRVBlkdebugState *s, const BlkdebugSetStateOptions *o)
{
    BlkdebugRule *rule = g_new0(BlkdebugRule, 1);

    rule->event = o->event;
    rule->action = BLKDEBUG_ACTION_SET_STATE;
    rule->state = o->has_state ? o->state : 0;
    rule->u.set_state.new_state = o->new_state;
    blkdebug_rule_add(s, rule);
}

int blkdebug_rules_from_options(BDRVBlkdebugState *s, BlockdevOptionsBlkdebug *o, Error **errp)
{
    for (BlkdebugInjectErrorOptionsList *l = o->has_inject_error ? o->inject_error : NULL; l;
         l = l->next) {
        blkdebug_add_inject(s, l->value);
    }
    for (BlkdebugSetStateOptionsList *l = o->has_set_state ? o->set_state : NULL; l; l = l->next) {
        blkdebug_add_set_state(s, l->value);
    }
    return 0;
}

/* ---- config file ----------------------------------------------------- */

typedef enum ConfigSectionKind {
    CONFIG_NONE,
    CONFIG_INJECT_ERROR,
    CONFIG_SET_STATE,
} ConfigSectionKind;

typedef struct ConfigSection {
    ConfigSectionKind kind;
    bool has_event;
    BlkdebugInjectErrorOptions inject;
    BlkdebugSetStateOptions set_state;
} ConfigSection;

typedef enum ConfigValueType {
    CONFIG_EVENT,
    CONFIG_INT,
    CONFIG_BOOL,
    CONFIG_IOTYPE,
} ConfigValueType;

/* Where each key of a section lands: a value and its has_ flag. */
typedef struct ConfigKey {
    ConfigSectionKind section;
    const char *name;
    ConfigValueType type;
    size_t value_offset;
    size_t has_offset; /* (size_t)-1: mandatory member without has_ flag */
} ConfigKey;

#define INJECT_KEY(key, type, member)                                                              \
    {                                                                                              \
        CONFIG_INJECT_ERROR, key, type, offsetof(ConfigSection, inject.member),                    \
            offsetof(ConfigSection, inject.has_##member)                                           \
    }
#define STATE_KEY(key, type, member, has)                                                          \
    {                                                                                              \
        CONFIG_SET_STATE, key, type, offsetof(ConfigSection, set_state.member), has                \
    }

static const ConfigKey config_keys[] = {
    {CONFIG_INJECT_ERROR, "event", CONFIG_EVENT, offsetof(ConfigSection, inject.event),
     offsetof(ConfigSection, has_event)},
    INJECT_KEY("state", CONFIG_INT, state),
    INJECT_KEY("iotype", CONFIG_IOTYPE, iotype),
    INJECT_KEY("errno", CONFIG_INT, q_errno),
    INJECT_KEY("sector", CONFIG_INT, sector),
    INJECT_KEY("once", CONFIG_BOOL, once),
    INJECT_KEY("immediately", CONFIG_BOOL, immediately),
    STATE_KEY("event", CONFIG_EVENT, event, offsetof(ConfigSection, has_event)),
    STATE_KEY("state", CONFIG_INT, state, offsetof(ConfigSection, set_state.has_state)),
    STATE_KEY("new_state", CONFIG_INT, new_state, (size_t)-1),
};

static bool config_parse_bool(const char *name, const char *value, bool *out, Error **errp)
{
    static const char *const yes[] = {"on", "yes", "true", "y"};
    static const char *const no[] = {"off", "no", "false", "n"};

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(value, yes[i]) || !strcmp(value, no[i])) {
            *out = !strcmp(value, yes[i]);
            return true;
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
    return false;
}

static bool config_parse_int(const char *name, const char *value, int64_t *out, Error **errp)
{
    char *end;

    errno = 0;
    *out = strtoll(value, &end, 0);
    if (!*value || *end || errno) {
        error_setg(errp, "Parameter '%s' expects a number", name);
        return false;
    }
    return true;
}

static bool config_set(ConfigSection *sec, const char *key, const char *value, Error **errp)
{
    const ConfigKey *k = NULL;
    char *base = (char *)sec;
    int v;

    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
        if (config_keys[i].section == sec->kind && !strcmp(config_keys[i].name, key)) {
            k = &config_keys[i];
            break;
        }
    }
    if (!k) {
        error_setg(errp, "Invalid parameter '%s'", key);
        return false;
    }
    switch (k->type) {
    case CONFIG_EVENT:
        v = blkdebug_event_parse(value);
        if (v < 0) {
            error_setg(errp, "invalid parameter value: %s", value);
            return false;
        }
        *(BlkdebugEvent *)(base + k->value_offset) = v;
        break;
    case CONFIG_IOTYPE:
        v = blkdebug_iotype_parse(value);
        if (v < 0) {
            error_setg(errp, "invalid parameter value: %s", value);
            return false;
        }
        *(BlkdebugIOType *)(base + k->value_offset) = v;
        break;
    case CONFIG_INT:
        if (!config_parse_int(key, value, (int64_t *)(base + k->value_offset), errp)) {
            return false;
        }
        break;
    case CONFIG_BOOL:
        if (!config_parse_bool(key, value, (bool *)(base + k->value_offset), errp)) {
            return false;
        }
        break;
    }
    if (k->has_offset != (size_t)-1) {
        *(bool *)(base + k->has_offset) = true;
    }
    return true;
}

/* QEMU adds all inject-error rules, then all set-state rules. */
static bool config_finish(GArray *sections, BDRVBlkdebugState *s, Error **errp)
{
    for (guint i = 0; i < sections->len; i++) {
        ConfigSection *sec = &g_array_index(sections, ConfigSection, i);

        if (!sec->has_event) {
            error_setg(errp, "Missing event name for rule");
            return false;
        }
    }
    for (guint i = 0; i < sections->len; i++) {
        ConfigSection *sec = &g_array_index(sections, ConfigSection, i);

        if (sec->kind == CONFIG_INJECT_ERROR) {
            blkdebug_add_inject(s, &sec->inject);
        }
    }
    for (guint i = 0; i < sections->len; i++) {
        ConfigSection *sec = &g_array_index(sections, ConfigSection, i);

        if (sec->kind == CONFIG_SET_STATE) {
            blkdebug_add_set_state(s, &sec->set_state);
        }
    }
    return true;
}

/* "[name]" or "[name "id"]": the group name, or NULL if line is no group header. */
static char *config_group_name(const char *line)
{
    const char *end;

    if (line[0] != '[') {
        return NULL;
    }
    end = strpbrk(line + 1, " \t\n]");
    if (!end || end == line + 1) {
        return NULL;
    }
    if (*end != ']') {
        /* [name "id"] */
        const char *q = end;

        while (g_ascii_isspace(*q)) {
            q++;
        }
        if (*q != '"' || !strchr(q + 1, '"')) {
            return NULL;
        }
    }
    return g_strndup(line + 1, end - (line + 1));
}

/*
 * A key line, read the way QEMU reads it: the first word is the key, the
 * value is what stands between the quotes of a following = "...", and
 * anything else gives an empty value.  Splits line in place; false if the
 * line has no word at all.
 */
static bool config_key_value(char *line, char **key, char **value)
{
    char *p = line, *end;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (!*p) {
        return false;
    }
    *key = p;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    end = p;
    *value = end; /* the empty string once the key is terminated */
    while (g_ascii_isspace(*p)) {
        p++;
    }
    if (*p == '=') {
        p++;
        while (g_ascii_isspace(*p)) {
            p++;
        }
        if (*p == '"' && p[1] && p[1] != '"') {
            *value = p + 1;
            p = strchr(p + 1, '"');
            if (p) {
                *p = '\0';
            }
        }
    }
    *end = '\0';
    return true;
}

int blkdebug_rules_from_config(BDRVBlkdebugState *s, const char *path, Error **errp)
{
    g_autoptr(GArray) sections = g_array_new(false, true, sizeof(ConfigSection));
    ConfigSection *cur = NULL;
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;
    FILE *f;

    f = fopen(path, "re");
    if (!f) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not read blkdebug config file");
        return ret;
    }
    while (getline(&line, &cap, f) >= 0) {
        g_autofree char *group = NULL;
        char *key, *value;

        /* as QEMU: only a truly empty line or a '#' in column 0 is skipped */
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') {
            continue;
        }
        group = config_group_name(line);
        if (group) {
            ConfigSection sec = {0};

            if (!strcmp(group, "inject-error")) {
                sec.kind = CONFIG_INJECT_ERROR;
            } else if (!strcmp(group, "set-state")) {
                sec.kind = CONFIG_SET_STATE;
            } else {
                error_setg(errp, "There is no option group '%s'", group);
                ret = -EINVAL;
                break;
            }
            g_array_append_val(sections, sec);
            cur = &g_array_index(sections, ConfigSection, sections->len - 1);
            continue;
        }
        if (!config_key_value(line, &key, &value)) {
            error_setg(errp, "parse error");
            ret = -EINVAL;
            break;
        }
        if (!cur) {
            error_setg(errp, "no group defined");
            ret = -EINVAL;
            break;
        }
        if (!config_set(cur, key, value, errp)) {
            ret = -EINVAL;
            break;
        }
    }
    free(line);
    fclose(f);
    if (ret == 0 && !config_finish(sections, s, errp)) {
        ret = -EINVAL;
    }
    return ret;
}
