/*
 * BlockBackend and the block layer's monitor side: asynchronous requests
 * that always complete from the main loop, request queueing while drained,
 * statistics and io-status, -drive (ids, placement, options, error texts)
 * and -blockdev, query-block / query-blockstats / block_resize, and the HMP
 * "info block" / "info blockstats" text, compared byte for byte with what
 * Debian's QEMU 7.2 prints for the same images.
 */
#include "block-test-util.h"
#include "block/blockdev.h"
#include "monitor/hmp.h"

/* ---------------------------------------------------------------- HMP under test */

/* The HMP handlers print through these; the test keeps the text. */
static GString *hmp_out;

int monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(hmp_out, fmt, ap);
    va_end(ap);
    return 0;
}

const char *hmp_arg_str(const json_t *args, const char *key)
{
    return json_string_value(json_object_get(args, key));
}

bool hmp_arg_bool(const json_t *args, const char *key, bool def)
{
    json_t *v = json_object_get(args, key);

    return v ? json_is_true(v) : def;
}

int64_t hmp_arg_int(const json_t *args, const char *key, int64_t def)
{
    json_t *v = json_object_get(args, key);

    return v ? json_integer_value(v) : def;
}

void hmp_handle_error(Monitor *mon, Error *err)
{
    if (err) {
        monitor_printf(mon, "Error: %s\n", error_get_pretty(err));
        error_free(err);
    }
}

#include "../../monitor/hmp-cmds-block.c"

static const HMPCommand *hmp_info_entry(const char *name)
{
    for (const HMPCommand *c = hmp_info_cmds_block; c->name; c++) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    ck_abort_msg("no info %s", name);
    return NULL;
}

/* Runs "info <name>" with the given parsed arguments; returns the text. */
static char *hmp_info(const char *name, const char *args_json)
{
    json_t *args = json_loads(args_json, 0, NULL);

    hmp_out = g_string_new("");
    hmp_info_entry(name)->cmd(NULL, args);
    json_decref(args);
    return g_string_free(hmp_out, false);
}

/* ---------------------------------------------------------------- fixtures */

static char *tmpdir;

static void setup(void)
{
    main_loop_init();
    tmpdir = g_dir_make_tmp("test-block-backend-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    blockdev_close_all();
    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

static char *path_of(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

static void qemu_img(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("cd '%s' && qemu-img %s >/dev/null", tmpdir, args);

    ck_assert_int_eq(system(cmd), 0);
}

/* -drive from its command-line text, with the machine default if=none. */
static BlockBackend *drive(const char *spec, Error **errp)
{
    json_t *o = json_object();
    gchar **parts = g_strsplit(spec, ",", -1);
    BlockBackend *blk;

    for (int i = 0; parts[i]; i++) {
        char *eq = strchr(parts[i], '=');

        ck_assert_ptr_nonnull(eq);
        *eq = 0;
        json_object_set_new(o, parts[i], json_string(eq + 1));
    }
    g_strfreev(parts);
    blk = drive_new(o, IF_NONE, errp);
    json_decref(o);
    return blk;
}

/*
 * What Debian's QEMU prints for each HMP command of 'cmds' (NULL-ended)
 * with the given -drive options (';'-separated), "\r\n" turned into "\n".
 * One QEMU session, before minivm opens (and locks) the same images.
 */
static GPtrArray *qemu_hmp(const char *drives, const char *const *cmds)
{
    gchar **list = g_strsplit(drives, ";", -1);
    GString *in = g_string_new("{\"execute\": \"qmp_capabilities\"}\n");
    GPtrArray *answers = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *out = NULL;
    g_autofree char *infile = path_of("qmp-in");
    GString *script;
    int status;

    for (int i = 0; cmds[i]; i++) {
        g_string_append_printf(in,
                               "{\"execute\": \"human-monitor-command\", \"arguments\": "
                               "{\"command-line\": \"%s\"}}\n",
                               cmds[i]);
    }
    g_string_append(in, "{\"execute\": \"quit\"}\n");
    ck_assert(g_file_set_contents(infile, in->str, -1, NULL));
    g_string_free(in, true);
    script = g_string_new("");
    g_string_printf(script,
                    "qemu-system-x86_64 -machine none -nodefaults -display none "
                    "-qmp stdio < '%s'",
                    infile);
    for (int i = 0; list[i]; i++) {
        g_string_append_printf(script, " -drive '%s'", list[i]);
    }
    g_strfreev(list);
    {
        const char *sh_argv[] = {"/bin/sh", "-c", script->str, NULL};

        ck_assert(g_spawn_sync(NULL, (char **)sh_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                               &out, NULL, &status, NULL));
    }
    g_string_free(script, true);
    {
        gchar **lines = g_strsplit(out, "\n", -1);

        for (gchar **l = lines; *l; l++) {
            json_t *j = json_loads(*l, 0, NULL);
            json_t *ret = json_object_get(j, "return");

            if (json_is_string(ret)) {
                GString *t = g_string_new(json_string_value(ret));

                g_string_replace(t, "\r\n", "\n", 0);
                g_ptr_array_add(answers, g_string_free(t, false));
            }
            json_decref(j);
        }
        g_strfreev(lines);
    }
    for (int i = 0; cmds[i]; i++) {
        ck_assert_msg(i < (int)answers->len, "QEMU did not answer '%s': %s", cmds[i], out);
    }
    return answers;
}

/* ---------------------------------------------------------------- aio */

typedef struct AioResult {
    int calls;
    int ret;
} AioResult;

static void aio_cb(void *opaque, int ret)
{
    AioResult *r = opaque;

    r->calls++;
    r->ret = ret;
}

START_TEST(test_aio_completes_from_main_loop)
{
    BlockDriverState *bs = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\", "
                                   "\"read-zeroes\": true, \"size\": 65536}",
                                   &error_abort);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    uint8_t buf[4096];
    QEMUIOVector qiov;
    AioResult r[6] = {{0}};

    ck_assert(blk_insert_bs(blk, bs, &error_abort));
    bdrv_unref(bs);
    memset(buf, 0x55, sizeof(buf));
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));

    /* null-co finishes at once; the callback still waits for the loop. */
    blk_aio_preadv(blk, 0, &qiov, 0, aio_cb, &r[0]);
    blk_aio_pwritev(blk, 4096, &qiov, 0, aio_cb, &r[1]);
    blk_aio_pwrite_zeroes(blk, 0, 512, 0, aio_cb, &r[2]);
    blk_aio_pdiscard(blk, 0, 512, aio_cb, &r[3]);
    blk_aio_flush(blk, aio_cb, &r[4]);
    blk_aio_preadv(blk, 65536, &qiov, 0, aio_cb, &r[5]);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(r[i].calls, 0);
    }
    MAIN_LOOP_WAIT_WHILE(r[5].calls == 0 || r[4].calls == 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(r[i].calls, 1);
        ck_assert_int_eq(r[i].ret, 0);
    }
    ck_assert_int_eq(r[5].ret, -EIO);
    ck_assert(buffer_is_zero(buf, sizeof(buf)));
    blk_unref(blk);
}
END_TEST

START_TEST(test_queueing_and_bypass)
{
    BlockDriverState *bs = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\"}", &error_abort);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    BlockBackend *job = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult a = {0}, b = {0};

    ck_assert(blk_insert_bs(blk, bs, &error_abort));
    ck_assert(blk_insert_bs(job, bs, &error_abort));
    bdrv_unref(bs);
    blk_set_disable_request_queuing(job, true);
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));

    bdrv_drained_begin(bs);
    blk_aio_preadv(blk, 0, &qiov, 0, aio_cb, &a);
    blk_aio_preadv(job, 0, &qiov, 0, aio_cb, &b);
    /* The job's own backend goes on; the other one waits. */
    MAIN_LOOP_WAIT_WHILE(!b.calls);
    for (int i = 0; i < 20; i++) {
        main_loop_iterate(false);
    }
    ck_assert_int_eq(a.calls, 0);
    ck_assert_int_eq(blk_get_stats(blk)->nr_ops[BLOCK_ACCT_READ], 0);
    bdrv_drained_end(bs);
    MAIN_LOOP_WAIT_WHILE(!a.calls);
    ck_assert_int_eq(a.ret, 0);
    blk_unref(job);
    blk_unref(blk);
}
END_TEST

/* ---------------------------------------------------------------- stats, io-status */

START_TEST(test_stats_and_iostatus)
{
    BlockBackend *blk = drive("driver=null-co,if=none,id=d0,size=8192", &error_abort);
    uint8_t buf[1024] = {0};
    BlockStatsList *list;
    BlockDeviceStats *s;
    json_t *j;
    static const char *const members[] = {
        "rd_bytes",
        "wr_bytes",
        "unmap_bytes",
        "rd_operations",
        "wr_operations",
        "flush_operations",
        "unmap_operations",
        "rd_total_time_ns",
        "wr_total_time_ns",
        "flush_total_time_ns",
        "unmap_total_time_ns",
        "wr_highest_offset",
        "rd_merged",
        "wr_merged",
        "unmap_merged",
        "failed_rd_operations",
        "failed_wr_operations",
        "failed_flush_operations",
        "failed_unmap_operations",
        "invalid_rd_operations",
        "invalid_wr_operations",
        "invalid_flush_operations",
        "invalid_unmap_operations",
        "account_invalid",
        "account_failed",
        "timed_stats",
    };

    /* Before any access: the members QEMU always sends, nothing else. */
    list = qmp_query_blockstats(false, false, &error_abort);
    j = qapi_to_json_BlockStatsList(list);
    ck_assert_int_eq(json_array_size(j), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "device")), "d0");
    {
        json_t *st = json_object_get(json_array_get(j, 0), "stats");

        ck_assert_int_eq(json_object_size(st), ARRAY_SIZE(members));
        for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
            ck_assert_msg(json_object_get(st, members[i]), "missing %s", members[i]);
        }
        ck_assert(json_is_true(json_object_get(st, "account_invalid")));
        ck_assert_int_eq(json_array_size(json_object_get(st, "timed_stats")), 0);
    }
    json_decref(j);
    qapi_free_BlockStatsList(list);

    /* What a guest device takes when it attaches (a bare -drive takes nothing). */
    ck_assert_int_eq(
        blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &error_abort),
        0);
    ck_assert_int_eq(blk_pread(blk, 0, 1024, buf, 0), 0);
    ck_assert_int_eq(blk_pread(blk, 1024, 512, buf, 0), 0);
    ck_assert_int_eq(blk_pwrite(blk, 4096, 1000, buf, 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(blk_pwrite(blk, 8000, 1000, buf, 0), -EIO);

    list = qmp_query_blockstats(false, false, &error_abort);
    s = list->value->stats;
    ck_assert_int_eq(s->rd_bytes, 1536);
    ck_assert_int_eq(s->rd_operations, 2);
    ck_assert_int_eq(s->wr_bytes, 1000);
    ck_assert_int_eq(s->wr_operations, 1);
    ck_assert_int_eq(s->flush_operations, 1);
    ck_assert_int_eq(s->invalid_wr_operations, 1);
    ck_assert_int_eq(s->wr_highest_offset, 5096);
    ck_assert(s->has_idle_time_ns);
    ck_assert_int_ge(s->idle_time_ns, 0);
    ck_assert_str_eq(list->value->node_name, blk_bs(blk)->node_name);
    qapi_free_BlockStatsList(list);

    /* Nodes alone: their own (zero) counters, no backend flags. */
    list = qmp_query_blockstats(true, true, &error_abort);
    ck_assert(!list->value->has_device);
    ck_assert(!list->value->stats->account_invalid);
    ck_assert_int_eq(list->value->stats->wr_highest_offset, 5096);
    qapi_free_BlockStatsList(list);

    ck_assert(!blk_iostatus_is_enabled(blk));
    blk_iostatus_set_err(blk, EIO);
    blk_iostatus_enable(blk);
    ck_assert_int_eq(blk_iostatus(blk), BLOCK_DEVICE_IO_STATUS_OK);
    blk_iostatus_set_err(blk, ENOSPC);
    ck_assert_int_eq(blk_iostatus(blk), BLOCK_DEVICE_IO_STATUS_NOSPACE);
    blk_iostatus_set_err(blk, EIO);
    ck_assert_int_eq(blk_iostatus(blk), BLOCK_DEVICE_IO_STATUS_NOSPACE);
    blk_iostatus_reset(blk);
    blk_iostatus_set_err(blk, EIO);
    ck_assert_int_eq(blk_iostatus(blk), BLOCK_DEVICE_IO_STATUS_FAILED);
    {
        BlockInfoList *bl = qmp_query_block(&error_abort);

        ck_assert(bl->value->has_io_status);
        ck_assert_int_eq(bl->value->io_status, BLOCK_DEVICE_IO_STATUS_FAILED);
        qapi_free_BlockInfoList(bl);
    }
}
END_TEST

/* ---------------------------------------------------------------- -drive */

START_TEST(test_drive_ids_and_placement)
{
    static const char *const want[] = {"none0", "none1", "none5", "none2"};
    static const char *const specs[] = {"if=none", "if=none", "if=none,index=5", "if=none"};
    json_t *o;
    BlockBackend *blk;
    DriveInfo *d;

    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        blk = drive(specs[i], &error_abort);
        ck_assert_str_eq(blk_name(blk), want[i]);
        ck_assert_ptr_null(blk_bs(blk));
    }
    d = drive_get(IF_NONE, 0, 5);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->id, "none5");
    ck_assert_int_eq(d->index, 5);

    /* IDE: two units per bus, -hd/-cd in the name. */
    o = json_pack("{s:s}", "media", "cdrom");
    blk = drive_new(o, IF_IDE, &error_abort);
    json_decref(o);
    ck_assert_str_eq(blk_name(blk), "ide0-cd0");
    o = json_object();
    blk = drive_new(o, IF_IDE, &error_abort);
    ck_assert_str_eq(blk_name(blk), "ide0-hd1");
    blk = drive_new(o, IF_IDE, &error_abort);
    ck_assert_str_eq(blk_name(blk), "ide1-hd0");
    json_decref(o);
    ck_assert_int_eq(blk_legacy_dinfo(blk)->bus, 1);
    ck_assert_int_eq(blk_legacy_dinfo(blk)->type, IF_IDE);
    blk = drive("if=virtio", &error_abort);
    ck_assert_str_eq(blk_name(blk), "virtio0");
    ck_assert_ptr_eq(drive_next(NULL)->blk, blk_by_name("none0"));
}
END_TEST

START_TEST(test_drive_errors)
{
    static const struct {
        const char *spec, *error;
    } cases[] = {
        {"if=none,id=a", NULL},
        {"if=none,id=a", "Duplicate ID 'a' for drive"},
        {"if=none,id=1a", "Parameter 'id' expects an identifier"},
        {"if=foo", "unsupported bus type 'foo'"},
        {"if=none,media=foo", "'foo' invalid media"},
        {"if=none,aio=foo", "invalid aio option"},
        {"if=none,cache=foo", "invalid cache option"},
        {"if=none,werror=foo", "'foo' invalid write error action"},
        {"if=none,rerror=foo", "'foo' invalid read error action"},
        {"if=floppy,werror=stop", "werror is not supported by this bus type"},
        {"if=none,index=1,bus=0,unit=0", "index cannot be used with bus and unit"},
        {"if=ide,unit=2", "unit 2 too big (max is 1)"},
        {"if=none,index=7", NULL},
        {"if=none,index=7", "drive with bus=0, unit=7 (index=7) exists"},
        {"if=none,unit=7", "drive with bus=0, unit=7 (index=-1) exists"},
        {"if=none,readonly=x", "Parameter 'read-only' expects 'on' or 'off'"},
        {"if=none,bus=x", "Parameter 'bus' expects a number"},
        {"if=none,discard=unmap", "Must specify either driver or file"},
        {"if=none,snapshot=on", "snapshot=on is not supported by minivm"},
        {"driver=null-co,if=none,bogus=1",
         "Block protocol 'null-co' doesn't support the option 'bogus'"},
        {"driver=qcow3,if=none", "Unknown driver 'qcow3'"},
        {"driver=null-co,if=none,node-name=a", "node-name=a is conflicting with a device id"},
        {"driver=null-co,if=none,node-name=nn", NULL},
        {"if=none,id=nn", "Device name 'nn' conflicts with an existing node name"},
        {"driver=null-co,if=none,node-name=x y", "Invalid node-name: 'x y'"},
        {"driver=null-co,if=none,detect-zeroes=foo", "invalid parameter value: foo"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        Error *err = NULL;
        BlockBackend *blk = drive(cases[i].spec, &err);

        if (cases[i].error) {
            ck_assert_msg(!blk, "%s: accepted", cases[i].spec);
            ck_assert_msg(err, "%s: no error", cases[i].spec);
            ck_assert_str_eq(error_get_pretty(err), cases[i].error);
            error_free(err);
        } else {
            ck_assert_msg(blk, "%s: %s", cases[i].spec, err ? error_get_pretty(err) : "");
        }
    }
    /* Failed drives leave nothing behind. */
    ck_assert_ptr_nonnull(blk_by_name("a"));
    ck_assert_ptr_nonnull(bdrv_find_node("nn"));
    ck_assert_ptr_null(bdrv_next_node(bdrv_find_node("nn")));
}
END_TEST

START_TEST(test_drive_images)
{
    g_autofree char *top = path_of("top.qcow2");
    g_autofree char *spec = NULL;
    g_autofree char *spec2 = NULL;
    BlockBackend *blk, *ro;
    Error *err = NULL;
    BlockInfoList *list;
    BlockDeviceInfo *ins;

    qemu_img("create -q -f qcow2 base.qcow2 1M");
    qemu_img("create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M");

    spec = g_strdup_printf("file=%s,if=none,id=d0,cache=none,node-name=top,"
                           "file.node-name=topf,discard=unmap,detect-zeroes=unmap",
                           top);
    blk = drive(spec, &error_abort);
    ck_assert_str_eq(bdrv_get_format_name(blk_bs(blk)), "qcow2");
    ck_assert_str_eq(blk_bs(blk)->node_name, "top");
    ck_assert_ptr_eq(bdrv_find_node("topf"), blk_bs(blk)->file->bs);
    ck_assert(blk_enable_write_cache(blk));
    ck_assert(blk_bs(blk)->open_flags & BDRV_O_NOCACHE);
    ck_assert(blk_bs(blk)->file->bs->open_flags & BDRV_O_NOCACHE);

    /* The same image again for writing: the file lock refuses. */
    spec2 = g_strdup_printf("file=%s,if=none,id=d1", top);
    ck_assert_ptr_null(drive(spec2, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
    err = NULL;
    g_free(spec2);
    spec2 = g_strdup_printf("file=%s,if=none,id=d1,format=qcow2,bogus=on", top);
    ck_assert_ptr_null(drive(spec2, &err));
    bt_assert_error(err, "Block format 'qcow2' does not support the option 'bogus'");
    g_free(spec2);
    spec2 = g_strdup_printf("file=%s,if=none,id=d1,file.bogus=on", top);
    ck_assert_ptr_null(drive(spec2, &err));
    bt_assert_error(err, "Block protocol 'file' doesn't support the option 'bogus'");
    g_free(spec2);
    spec2 = g_strdup_printf("file=%s/base.qcow2,if=none,id=d2,readonly=on,cache=unsafe", tmpdir);
    ro = drive(spec2, &error_abort);
    ck_assert(blk_is_read_only(ro));

    list = qmp_query_block(&error_abort);
    ck_assert_str_eq(list->value->device, "d0");
    ck_assert_str_eq(list->value->type, "unknown");
    ck_assert(list->value->removable);
    ck_assert(!list->value->locked);
    ck_assert(!list->value->has_tray_open);
    ck_assert(!list->value->has_io_status);
    ck_assert(!list->value->has_qdev);
    ins = list->value->inserted;
    ck_assert_str_eq(ins->node_name, "top");
    ck_assert_str_eq(ins->file, top);
    ck_assert_int_eq(ins->backing_file_depth, 1);
    ck_assert(ins->cache->writeback && ins->cache->direct && !ins->cache->no_flush);
    ck_assert_int_eq(ins->detect_zeroes, BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP);
    ck_assert(list->next->value->inserted->ro);
    ck_assert(list->next->value->inserted->cache->no_flush);
    qapi_free_BlockInfoList(list);
}
END_TEST

START_TEST(test_blockdev_cmdline)
{
    json_error_t jerr;
    json_t *kv = json_pack("{s:s, s:s, s:s, s:s}", "driver", "null-co", "node-name", "kv", "size",
                           "4096", "read-zeroes", "on");
    json_t *js = json_loads("{\"driver\": \"raw\", \"node-name\": \"js\", \"file\": \"kv\", "
                            "\"size\": 512}",
                            0, &jerr);
    json_t *bad = json_pack("{s:s}", "driver", "null-co");
    Error *err = NULL;

    ck_assert(blockdev_add_cmdline(kv, &error_abort));
    ck_assert_int_eq(bdrv_getlength(bdrv_find_node("kv")), 4096);
    ck_assert(blockdev_add_cmdline(js, &error_abort));
    ck_assert_int_eq(bdrv_getlength(bdrv_find_node("js")), 512);
    ck_assert(!blockdev_add_cmdline(bad, &err));
    bt_assert_error(err, "'node-name' must be specified for the root node");
    json_decref(kv);
    json_decref(js);
    json_decref(bad);
}
END_TEST

/* libvirt's start: -blockdev per layer, as in its captured command line. */
START_TEST(test_libvirt_blockdev_chain)
{
    g_autofree char *base = path_of("base.qcow2");
    g_autofree char *top = path_of("top.qcow2");
    const char *specs[] = {
        "{\"driver\":\"file\",\"filename\":\"%s\",\"node-name\":\"libvirt-3-storage\","
        "\"auto-read-only\":true,\"discard\":\"unmap\"}",
        "{\"node-name\":\"libvirt-3-format\",\"read-only\":true,\"driver\":\"qcow2\","
        "\"file\":\"libvirt-3-storage\",\"backing\":null}",
        "{\"driver\":\"file\",\"filename\":\"%s\",\"node-name\":\"libvirt-2-storage\","
        "\"auto-read-only\":true,\"discard\":\"unmap\"}",
        "{\"node-name\":\"libvirt-2-format\",\"read-only\":false,\"driver\":\"qcow2\","
        "\"file\":\"libvirt-2-storage\",\"backing\":\"libvirt-3-format\"}",
    };
    BlockDeviceInfoList *list;
    BlockDriverState *fmt;
    BlockBackend *blk;

    qemu_img("create -q -f qcow2 base.qcow2 1M");
    /* libvirt's images name their backing file absolutely; with a relative
     * name the explicit backing link would make a json:{...} name (QEMU). */
    g_autofree char *create_top =
        g_strdup_printf("create -q -f qcow2 -b '%s' -F qcow2 top.qcow2 2M", base);

    qemu_img(create_top);
    for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
        g_autofree char *text = g_strdup_printf(specs[i], i == 0 ? base : top);
        json_t *j = json_loads(text, 0, NULL);

        ck_assert_ptr_nonnull(j);
        ck_assert(blockdev_add_cmdline(j, &error_abort));
        json_decref(j);
    }
    fmt = bdrv_find_node("libvirt-2-format");
    ck_assert_ptr_eq(bdrv_backing_bs(fmt), bdrv_find_node("libvirt-3-format"));
    /* The backing link is the one the header names: a plain file name. */
    ck_assert_str_eq(fmt->filename, top);
    ck_assert_str_eq(bdrv_find_node("libvirt-3-format")->filename, base);

    /* The device's backend writes through the chain. */
    blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE,
                  BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED);
    ck_assert(blk_insert_bs(blk, fmt, &error_abort));
    ck_assert_int_eq(blk_pwrite(blk, 65536, 5, "hello", 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);

    list = qmp_query_named_block_nodes(true, true, &error_abort);
    for (BlockDeviceInfoList *l = list; l; l = l->next) {
        BlockDeviceInfo *info = l->value;

        if (!strcmp(info->node_name, "libvirt-2-format")) {
            ck_assert(!info->ro);
            /* A flat listing does not follow the chain: QEMU says 0. */
            ck_assert_int_eq(info->backing_file_depth, 0);
            ck_assert_str_eq(info->backing_file, base);
            ck_assert(!info->image->has_backing_image);
        } else if (!strcmp(info->node_name, "libvirt-3-format")) {
            ck_assert(info->ro);
        } else if (!strcmp(info->node_name, "libvirt-3-storage")) {
            /* auto-read-only: writable node, read-only use */
            ck_assert(!info->ro);
            ck_assert_str_eq(info->drv, "file");
        }
    }
    qapi_free_BlockDeviceInfoList(list);
    blk_unref(blk);
    qmp_blockdev_del("libvirt-2-format", &error_abort);
    qmp_blockdev_del("libvirt-2-storage", &error_abort);
    qmp_blockdev_del("libvirt-3-format", &error_abort);
    qmp_blockdev_del("libvirt-3-storage", &error_abort);
    ck_assert_ptr_null(bdrv_next_all(NULL));
    /* What was written is there for Debian's tools. */
    qemu_img("check -q top.qcow2");
    {
        g_autofree char *cmd = g_strdup_printf("qemu-io -r -c 'read -P 0x68 65536 1' '%s' "
                                               "| grep -q 'read 1/1'",
                                               top);

        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* ---------------------------------------------------------------- block_resize */

START_TEST(test_block_resize)
{
    g_autofree char *top = path_of("img.qcow2");
    g_autofree char *spec = g_strdup_printf("file=%s,if=none,id=d0,node-name=fmt", top);
    BlockBackend *blk;
    Error *err = NULL;

    qemu_img("create -q -f qcow2 img.qcow2 1M");
    blk = drive(spec, &error_abort);
    qmp_block_resize(true, "d0", false, NULL, 4 << 20, &error_abort);
    ck_assert_int_eq(blk_getlength(blk), 4 << 20);
    qmp_block_resize(false, NULL, true, "fmt", 2 << 20, &error_abort);
    ck_assert_int_eq(blk_getlength(blk), 2 << 20);
    qmp_block_resize(false, NULL, true, "fmt", -1, &err);
    bt_assert_error(err, "Parameter 'size' expects a >0 size");
    qmp_block_resize(true, "d1", false, NULL, 1 << 20, &err);
    bt_assert_error(err, "Cannot find device='d1' nor node-name=''");
    qmp_block_resize(false, NULL, false, NULL, 1 << 20, &err);
    bt_assert_error(err, "Cannot find device='' nor node-name=''");

    bt_qmp_add("{\"driver\": \"null-co\", \"node-name\": \"n0\", \"read-only\": true}",
               &error_abort);
    qmp_block_resize(false, NULL, true, "n0", 1 << 20, &err);
    bt_assert_error(err, "Image is read-only");
    bt_qmp_add("{\"driver\": \"null-co\", \"node-name\": \"n1\"}", &error_abort);
    qmp_block_resize(false, NULL, true, "n1", 1 << 20, &err);
    bt_assert_error(err, "Image format driver does not support resize");
    /* The format holds the file against resizing by others. */
    {
        const char *f = blk_bs(blk)->file->bs->node_name;
        g_autofree char *text = g_strdup_printf(
            "Permission conflict on node '%s': permissions 'resize' are both required by an "
            "unnamed block device (uses node '%s' as 'root' child) and unshared by node 'fmt' "
            "(uses node '%s' as 'file' child).",
            f, f, f);

        qmp_block_resize(false, NULL, true, f, 1 << 20, &err);
        bt_assert_error(err, text);
    }
    /* A blocked resize. */
    {
        Error *blocker = NULL;

        error_setg(&blocker, "busy for the test");
        bdrv_op_block(blk_bs(blk), BLOCK_OP_TYPE_RESIZE, blocker);
        qmp_block_resize(true, "d0", false, NULL, 1 << 20, &err);
        bt_assert_error(err, "Device 'd0' is in use");
        bdrv_op_unblock(blk_bs(blk), BLOCK_OP_TYPE_RESIZE, blocker);
        error_free(blocker);
    }
}
END_TEST

/* ---------------------------------------------------------------- HMP text */

START_TEST(test_hmp_info_block_matches_qemu)
{
    g_autofree char *top = path_of("top.qcow2");
    g_autofree char *base = path_of("base.qcow2");
    g_autofree char *d0 = g_strdup_printf("file=%s,if=none,id=d0,node-name=top,"
                                          "file.node-name=topf",
                                          top);
    g_autofree char *d1 = g_strdup_printf("file=%s,if=none,id=d1,readonly=on,cache=directsync,"
                                          "node-name=base2,file.node-name=basef2,"
                                          "file.locking=off",
                                          base);
    static const char *const e0 = "if=none,id=e0";
    g_autofree char *drives = g_strdup_printf("%s;%s;%s", d0, e0, d1);
    static const char *const cmds[] = {
        "info block",       "info block d0",    "info block e0",
        "info block topf",  "info block -v d0", "info block -n -v basef2",
        "info block -n d1", "info blockstats",  NULL,
    };
    static const char *const args[] = {
        "{}",
        "{\"device\": \"d0\"}",
        "{\"device\": \"e0\"}",
        "{\"device\": \"topf\"}",
        "{\"device\": \"d0\", \"verbose\": true}",
        "{\"device\": \"basef2\", \"verbose\": true, \"nodes\": true}",
        "{\"device\": \"d1\", \"nodes\": true}",
        NULL,
    };
    GPtrArray *want;

    qemu_img("create -q -f qcow2 base.qcow2 1M");
    qemu_img("create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M");
    want = qemu_hmp(drives, cmds);
    ck_assert_ptr_nonnull(drive(d0, &error_abort));
    ck_assert_ptr_nonnull(drive(e0, &error_abort));
    ck_assert_ptr_nonnull(drive(d1, &error_abort));

    for (size_t i = 0; cmds[i]; i++) {
        g_autofree char *got = args[i] ? hmp_info("block", args[i]) : hmp_info("blockstats", "{}");
        const char *w = g_ptr_array_index(want, i);

        ck_assert_msg(!strcmp(w, got), "%s:\n--- QEMU\n%s--- minivm\n%s", cmds[i], w, got);
    }
    g_ptr_array_free(want, true);
}
END_TEST

START_TEST(test_hmp_info_block_nodes)
{
    char *text;

    bt_qmp_add("{\"driver\": \"null-co\", \"node-name\": \"n1\", \"size\": 1000000}", &error_abort);
    bt_qmp_add("{\"driver\": \"null-co\", \"node-name\": \"n2\", \"read-only\": true, "
               "\"detect-zeroes\": \"on\", \"cache\": {\"direct\": true, \"no-flush\": true}}",
               &error_abort);
    text = hmp_info("block", "{\"nodes\": true}");
    ck_assert_str_eq(text, "n2: null-co:// (null-co, read-only)\n"
                           "    Cache mode:       writeback, direct, ignore flushes\n"
                           "    Detect zeroes:    on\n"
                           "\n"
                           "n1: json:{\"driver\": \"null-co\", \"size\": 1000000} (null-co)\n"
                           "    Cache mode:       writeback\n");
    g_free(text);
    text = hmp_info("block", "{}");
    ck_assert_str_eq(text, "");
    g_free(text);
}
END_TEST

START_TEST(test_size_str)
{
    static const struct {
        uint64_t v;
        const char *s;
    } cases[] = {
        {0, "0 B"},          {512, "512 B"},         {999, "999 B"},
        {1000, "0.977 KiB"}, {200704, "196 KiB"},    {197120, "192 KiB"},
        {1 << 20, "1 MiB"},  {2097152, "2 MiB"},     {1073741824, "1 GiB"},
        {1536, "1.5 KiB"},   {UINT64_MAX, "16 EiB"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *s = hmp_size_str(cases[i].v);

        ck_assert_str_eq(s, cases[i].s);
    }
}
END_TEST

static Suite *backend_suite(void)
{
    Suite *s = suite_create("block-backend");
    TCase *tc = tcase_create("backend");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_aio_completes_from_main_loop);
    tcase_add_test(tc, test_queueing_and_bypass);
    tcase_add_test(tc, test_stats_and_iostatus);
    suite_add_tcase(s, tc);

    tc = tcase_create("cmdline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_drive_ids_and_placement);
    tcase_add_test(tc, test_drive_errors);
    tcase_add_test(tc, test_drive_images);
    tcase_add_test(tc, test_blockdev_cmdline);
    tcase_add_test(tc, test_libvirt_blockdev_chain);
    tcase_add_test(tc, test_block_resize);
    suite_add_tcase(s, tc);

    tc = tcase_create("hmp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_hmp_info_block_matches_qemu);
    tcase_add_test(tc, test_hmp_info_block_nodes);
    tcase_add_test(tc, test_size_str);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(backend_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
