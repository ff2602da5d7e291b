/*
 * The null chardev: output vanishes, input never comes.
 */
#include "chardev/char-internal.h"

static bool null_open(Chardev *chr, json_t *opts, Error **errp)
{
    return true;
}

static int null_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    return (int)len;
}

const ChardevDriver chardev_null_driver = {
    .name = "null",
    .instance_size = sizeof(Chardev),
    .open = null_open,
    .write = null_write,
};
