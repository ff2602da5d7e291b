/*
 * Texts printed for -help, -version and the "help" values of options.
 * Where a manager may read them, the layout is QEMU's; the lists name what
 * minivm has.
 */
#include "system/cmdline-internal.h"

#include "config-host.h"

/* Column where QEMU's help texts start an option's description. */
#define HELP_COLUMN 16

char *cmdline_help_version(void)
{
    /* Tools parse the first line as QEMU's; the parenthesis names us. */
    return g_strdup_printf("QEMU emulator version 7.2.0 (minivm %s)\n"
                           "Copyright (c) 2026 the minivm developers\n",
                           MINIVM_VERSION);
}

char *cmdline_help_usage(void)
{
    GString *s = g_string_new(NULL);
    char *version = cmdline_help_version();

    g_string_append(s, version);
    g_free(version);
    g_string_append(s, "usage: minivm [options] [disk_image]\n\n"
                       "'disk_image' is a raw hard disk image for IDE hard disk 0\n\n"
                       "Options (one or two leading dashes):\n");
    for (size_t i = 0; i < cmdline_options_count; i++) {
        const CmdlineOption *opt = &cmdline_options[i];
        size_t start = s->len;

        g_string_append_printf(s, "-%s", opt->name);
        if (opt->argname) {
            g_string_append_printf(s, " %s", opt->argname);
        }
        if (s->len - start < HELP_COLUMN) {
            g_string_append_printf(s, "%*s", (int)(HELP_COLUMN - (s->len - start)), "");
        } else {
            g_string_append_printf(s, "\n%*s", HELP_COLUMN, "");
        }
        g_string_append_printf(s, "%s\n", opt->help);
    }
    g_string_append(s, "\nDuring emulation, the monitor ('-monitor' or '-mon') accepts "
                       "commands;\nmanagers use QMP ('-qmp' or '-mon mode=control').\n");
    return g_string_free(s, FALSE);
}

static const struct {
    const char *name;
    const char *desc;
} help_machines[] = {
    {"pc", "Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)"},
    {"pc-i440fx-7.2", "Standard PC (i440FX + PIIX, 1996) (default)"},
    {"none", "empty machine"},
};

char *cmdline_help_machines(void)
{
    GString *s = g_string_new("Supported machines are:\n");

    for (size_t i = 0; i < ARRAY_SIZE(help_machines); i++) {
        g_string_append_printf(s, "%-20s %s\n", help_machines[i].name, help_machines[i].desc);
    }
    return g_string_free(s, FALSE);
}

/* QEMU groups devices by category, in this category order. */
static const struct {
    const char *category;
    const char *name;
    const char *bus;
    const char *desc;  /* NULL: none */
    const char *alias; /* NULL: none */
} help_devices[] = {
    {"Storage devices", "ide-hd", "IDE", "virtual IDE disk", NULL},
    {"Storage devices", "piix3-ide", "PCI", NULL, NULL},
    {"Storage devices", "virtio-blk-pci", "PCI", NULL, "virtio-blk"},
    {"Input devices", "isa-serial", "ISA", NULL, NULL},
    {"Misc devices", "isa-debugcon", "ISA", NULL, NULL},
};

char *cmdline_help_devices(void)
{
    GString *s = g_string_new(NULL);
    const char *category = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(help_devices); i++) {
        if (!category || strcmp(category, help_devices[i].category) != 0) {
            category = help_devices[i].category;
            g_string_append_printf(s, "%s%s:\n", i ? "\n" : "", category);
        }
        g_string_append_printf(s, "name \"%s\", bus %s", help_devices[i].name, help_devices[i].bus);
        if (help_devices[i].alias) {
            g_string_append_printf(s, ", alias \"%s\"", help_devices[i].alias);
        }
        if (help_devices[i].desc) {
            g_string_append_printf(s, ", desc \"%s\"", help_devices[i].desc);
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

static char *help_word_list(const char *head, const char *const *words, const char *sep)
{
    GString *s = g_string_new(head);

    for (size_t i = 0; words[i]; i++) {
        g_string_append_printf(s, "%s%s", sep, words[i]);
    }
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}

char *cmdline_help_drive_formats(void)
{
    static const char *const formats[] = {"blkdebug", "file", "null-co", "qcow2", "raw", NULL};
    char *rw = help_word_list("Supported formats:", formats, " ");
    char *ro = help_word_list("Supported formats (read-only):", formats, " ");
    char *both = g_strconcat(rw, ro, NULL);

    g_free(rw);
    g_free(ro);
    return both;
}

char *cmdline_help_accels(void)
{
    static const char *const accels[] = {"kvm", NULL};

    return help_word_list("Accelerators supported in QEMU binary:", accels, "\n");
}

char *cmdline_help_chardevs(void)
{
    static const char *const backends[] = {"file", "null", "pipe", "pty", "socket", "stdio", NULL};

    return help_word_list("Available chardev backend types: ", backends, "\n  ");
}

char *cmdline_help_objects(void)
{
    static const char *const types[] = {"iothread", "memory-backend-ram", "secret", NULL};

    return help_word_list("List of user creatable objects:", types, "\n  ");
}

char *cmdline_help_displays(void)
{
    static const char *const types[] = {"none", NULL};

    return help_word_list("Available display backend types:", types, "\n");
}

char *cmdline_help_vga(void)
{
    return g_strdup_printf("%-20s %s\n", "none", "no graphic card");
}
