/*
 * The node graph: opening null-co and raw nodes from options, node names,
 * references and refcounts, lookups, the permission model (exact conflict
 * texts, atomic updates including driver lock refusals, read-only,
 * force-share), blockdev-add/blockdev-del, backing chains, node
 * replacement, frozen links, op blockers and the query views.
 */
#include "block-test-util.h"

/* ---------------------------------------------------------------- test driver */

/* A format-like node that counts the permission callbacks it gets. */
typedef struct TestFmt {
    int check_calls, set_calls, abort_calls;
    bool refuse_write;
    uint64_t last_set_perm;
} TestFmt;

static int tfmt_check_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared, Error **errp)
{
    TestFmt *s = bs->opaque;

    s->check_calls++;
    if (s->refuse_write && (perm & BLK_PERM_WRITE)) {
        error_setg(errp, "Failed to get \"write\" lock");
        return -EAGAIN;
    }
    return 0;
}

static void tfmt_set_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    TestFmt *s = bs->opaque;

    s->set_calls++;
    s->last_set_perm = perm;
}

static void tfmt_abort_perm(BlockDriverState *bs)
{
    TestFmt *s = bs->opaque;

    s->abort_calls++;
}

static int64_t tfmt_getlength(BlockDriverState *bs)
{
    return 1 << 20;
}

static int tfmt_change_backing_file(BlockDriverState *bs, const char *file, const char *fmt)
{
    return 0;
}

static const BlockDriver tfmt_drv = {
    .format_name = "testfmt",
    .instance_size = sizeof(TestFmt),
    .is_format = true,
    .supports_backing = true,
    .bdrv_check_perm = tfmt_check_perm,
    .bdrv_set_perm = tfmt_set_perm,
    .bdrv_abort_perm_update = tfmt_abort_perm,
    .bdrv_getlength = tfmt_getlength,
    .bdrv_change_backing_file = tfmt_change_backing_file,
};

static TestFmt *tfmt(BlockDriverState *bs)
{
    return bs->opaque;
}

static BdrvChild *attach_file(BlockDriverState *parent, BlockDriverState *child, unsigned role,
                              Error **errp)
{
    BdrvChild *c = bdrv_attach_child(parent, child, "file", role, errp);

    if (c) {
        parent->file = c;
    }
    return c;
}

static void setup(void)
{
    main_loop_init();
}

static void teardown(void)
{
}

/* ---------------------------------------------------------------- opening */

START_TEST(test_null_open)
{
    BlockDriverState *bs =
        bt_open("{\"driver\": \"null-co\", \"node-name\": \"n0\"}", &error_abort);
    BlockDriverState *sized;

    ck_assert_ptr_eq(bdrv_find_node("n0"), bs);
    ck_assert_str_eq(bdrv_get_node_name(bs), "n0");
    ck_assert_str_eq(bdrv_get_format_name(bs), "null-co");
    ck_assert_str_eq(bs->filename, "null-co://");
    ck_assert_int_eq(bdrv_getlength(bs), 1 << 30);
    ck_assert(!bdrv_is_read_only(bs));
    ck_assert_int_eq(bs->refcnt, 1);

    sized = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n1\", \"size\": 1000000, "
                    "\"read-only\": true}",
                    &error_abort);
    ck_assert_str_eq(sized->filename, "json:{\"driver\": \"null-co\", \"size\": 1000000}");
    ck_assert_int_eq(bdrv_getlength(sized), 1000448); /* whole sectors, as QEMU */
    ck_assert(bdrv_is_read_only(sized));

    /* json: names list the options that change the data, in QEMU's order. */
    {
        BlockDriverState *z = bt_open("{\"driver\": \"null-co\", \"node-name\": \"z\", "
                                      "\"size\": 4096, \"read-zeroes\": true, "
                                      "\"latency-ns\": 5}",
                                      &error_abort);
        BlockDriverState *l = bt_open("{\"driver\": \"null-co\", \"latency-ns\": 5}", &error_abort);
        BlockDriverState *w = bt_open("{\"driver\": \"raw\", \"node-name\": \"w\", "
                                      "\"file\": \"n0\", \"offset\": 512, \"size\": 4096}",
                                      &error_abort);

        ck_assert_str_eq(z->filename,
                         "json:{\"read-zeroes\": true, \"driver\": \"null-co\", \"size\": 4096}");
        ck_assert_str_eq(l->filename, "null-co://");
        ck_assert_str_eq(w->filename, "json:{\"offset\": 512, \"driver\": \"raw\", \"size\": 4096, "
                                      "\"file\": {\"driver\": \"null-co\"}}");
        bdrv_unref(w);
        bdrv_unref(l);
        bdrv_unref(z);
    }
    bdrv_unref(sized);
    bdrv_unref(bs);
    ck_assert_ptr_null(bdrv_find_node("n0"));
    ck_assert_ptr_null(bdrv_find_node("n1"));
}
END_TEST

START_TEST(test_open_errors)
{
    Error *err = NULL;

    ck_assert_ptr_null(bt_open("{\"driver\": \"null-co\", \"size\": -1}", &err));
    bt_assert_error(err, "Parameter 'size' expects a non-negative number below 2^64");
    ck_assert_ptr_null(bt_open("{\"driver\": \"null-co\", \"detect-zeroes\": \"unmap\"}", &err));
    bt_assert_error(err, "setting detect-zeroes to unmap is not allowed without setting "
                         "discard operation to unmap");
    ck_assert_ptr_null(bt_open("{\"driver\": \"null-co\", \"force-share\": true}", &err));
    bt_assert_error(err, "force-share=on can only be used with read-only images");
    ck_assert_ptr_null(bt_open("{\"driver\": \"raw\", \"file\": \"nosuch\"}", &err));
    bt_assert_error(err, "Cannot find device='nosuch' nor node-name='nosuch'");
    /* A failed open leaves nothing behind. */
    ck_assert_ptr_null(bdrv_next_all(NULL));
}
END_TEST

START_TEST(test_node_names)
{
    static const char *const bad[] = {"a b", "1abc", "#abc", "", "x/y"};
    char name[64];
    Error *err = NULL;
    BlockDriverState *a, *b, *c;
    BlockBackend *blk;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        g_autofree char *json =
            g_strdup_printf("{\"driver\": \"null-co\", \"node-name\": \"%s\"}", bad[i]);
        g_autofree char *text = g_strdup_printf("Invalid node-name: '%s'", bad[i]);

        ck_assert_ptr_null(bt_open(json, &err));
        bt_assert_error(err, text);
    }
    memset(name, 'a', 32);
    name[32] = 0;
    {
        g_autofree char *json =
            g_strdup_printf("{\"driver\": \"null-co\", \"node-name\": \"%s\"}", name);

        ck_assert_ptr_null(bt_open(json, &err));
        bt_assert_error(err, "Node name too long");
    }
    name[31] = 0;
    {
        g_autofree char *json =
            g_strdup_printf("{\"driver\": \"null-co\", \"node-name\": \"%s\"}", name);

        a = bt_open(json, &error_abort);
        ck_assert_str_eq(a->node_name, name);
        bdrv_unref(a);
    }
    a = bt_open("{\"driver\": \"null-co\", \"node-name\": \"x-1.y_z\"}", &error_abort);
    ck_assert_ptr_null(bt_open("{\"driver\": \"null-co\", \"node-name\": \"x-1.y_z\"}", &err));
    bt_assert_error(err, "Duplicate nodes with node-name='x-1.y_z'");

    /* Node names and device names share one namespace. */
    blk = blk_new(0, BLK_PERM_ALL);
    ck_assert(monitor_add_blk(blk, "dev0", &error_abort));
    ck_assert_ptr_null(bt_open("{\"driver\": \"null-co\", \"node-name\": \"dev0\"}", &err));
    bt_assert_error(err, "node-name=dev0 is conflicting with a device id");
    {
        BlockBackend *blk2 = blk_new(0, BLK_PERM_ALL);

        ck_assert(!monitor_add_blk(blk2, "dev0", &err));
        bt_assert_error(err, "Device with id 'dev0' already exists");
        ck_assert(!monitor_add_blk(blk2, "x-1.y_z", &err));
        bt_assert_error(err, "Device name 'x-1.y_z' conflicts with an existing node name");
        ck_assert(!monitor_add_blk(blk2, "0bad", &err));
        bt_assert_error(err, "Invalid device name");
        blk_unref(blk2);
    }
    monitor_remove_blk(blk);
    blk_unref(blk);

    /* Generated names: "#block" and digits, all different. */
    b = bt_open("{\"driver\": \"null-co\"}", &error_abort);
    c = bt_open("{\"driver\": \"null-co\"}", &error_abort);
    ck_assert(g_regex_match_simple("^#block[0-9]{3,}$", b->node_name, 0, 0));
    ck_assert(g_regex_match_simple("^#block[0-9]{3,}$", c->node_name, 0, 0));
    ck_assert_str_ne(b->node_name, c->node_name);
    ck_assert_ptr_eq(bdrv_find_node(b->node_name), b);

    /* bdrv_next_node walks them in the order they got their names. */
    ck_assert_ptr_eq(bdrv_next_node(NULL), a);
    ck_assert_ptr_eq(bdrv_next_node(a), b);
    ck_assert_ptr_eq(bdrv_next_node(b), c);
    ck_assert_ptr_null(bdrv_next_node(c));
    bdrv_unref(a);
    bdrv_unref(b);
    bdrv_unref(c);
}
END_TEST

START_TEST(test_refs_and_children)
{
    BlockDriverState *n = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\"}", &error_abort);
    BlockDriverState *r, *r2;

    /* A child given by reference gets one more reference. */
    r = bt_open("{\"driver\": \"raw\", \"node-name\": \"r\", \"file\": \"n\"}", &error_abort);
    ck_assert_int_eq(n->refcnt, 2);
    ck_assert_ptr_eq(r->file->bs, n);
    ck_assert_str_eq(r->file->name, "file");
    ck_assert_ptr_eq(n->parents->data, r->file);
    ck_assert_str_eq(r->filename, "null-co://");
    bdrv_ref(r);
    ck_assert_int_eq(r->refcnt, 2);
    bdrv_unref(r);
    bdrv_unref(r);
    ck_assert_int_eq(n->refcnt, 1);
    ck_assert_ptr_null(n->parents);

    /* An inline child belongs to its parent edge. */
    r2 = bt_open("{\"driver\": \"raw\", \"node-name\": \"r2\", "
                 "\"file\": {\"driver\": \"null-co\", \"node-name\": \"inl\"}}",
                 &error_abort);
    ck_assert_int_eq(bdrv_find_node("inl")->refcnt, 1);
    ck_assert_ptr_eq(r2->file->bs, bdrv_find_node("inl"));
    /* A format's storage inherits its access flags; discard defaults to
     * unmap below a format (QEMU opens "file" before the format decides
     * the child's role). */
    ck_assert(!bdrv_find_node("inl")->read_only);
    ck_assert(bdrv_find_node("inl")->open_flags & BDRV_O_UNMAP);
    bdrv_unref(r2);
    ck_assert_ptr_null(bdrv_find_node("inl"));

    /* A read-only parent makes inline storage read-only unless told otherwise. */
    r2 = bt_open("{\"driver\": \"raw\", \"node-name\": \"r3\", \"read-only\": true, "
                 "\"file\": {\"driver\": \"null-co\", \"node-name\": \"inl2\"}}",
                 &error_abort);
    ck_assert(bdrv_find_node("inl2")->read_only);
    bdrv_unref(r2);
    bdrv_unref(n);
    ck_assert_ptr_null(bdrv_next_all(NULL));
}
END_TEST

START_TEST(test_lookup)
{
    BlockDriverState *n = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\"}", &error_abort);
    BlockBackend *full = blk_new(0, BLK_PERM_ALL), *empty = blk_new(0, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert(blk_insert_bs(full, n, &error_abort));
    ck_assert(monitor_add_blk(full, "d0", &error_abort));
    ck_assert(monitor_add_blk(empty, "e0", &error_abort));

    ck_assert_ptr_eq(bdrv_lookup_bs("d0", NULL, &error_abort), n);
    ck_assert_ptr_eq(bdrv_lookup_bs(NULL, "n", &error_abort), n);
    ck_assert_ptr_eq(bdrv_lookup_bs("n", "n", &error_abort), n);
    ck_assert_ptr_null(bdrv_lookup_bs("e0", NULL, &err));
    bt_assert_error(err, "Device 'e0' has no medium");
    ck_assert_ptr_null(bdrv_lookup_bs("x", NULL, &err));
    bt_assert_error(err, "Cannot find device='x' nor node-name=''");
    ck_assert_ptr_null(bdrv_lookup_bs(NULL, NULL, &err));
    bt_assert_error(err, "Cannot find device='' nor node-name=''");

    ck_assert_ptr_eq(blk_by_root(n), full);
    ck_assert_ptr_eq(blk_by_name("d0"), full);
    ck_assert_ptr_eq(blk_next(NULL), full);
    ck_assert_ptr_eq(blk_next(full), empty);
    ck_assert_ptr_null(blk_next(empty));
    ck_assert_str_eq(blk_name(empty), "e0");

    monitor_remove_blk(full);
    monitor_remove_blk(empty);
    ck_assert_ptr_null(blk_by_name("d0"));
    blk_unref(full);
    blk_unref(empty);
    ck_assert_int_eq(n->refcnt, 1);
    bdrv_unref(n);
}
END_TEST

/* ---------------------------------------------------------------- permissions */

START_TEST(test_perm_conflicts)
{
    BlockDriverState *f = bt_open("{\"driver\": \"null-co\", \"node-name\": \"f\"}", &error_abort);
    BlockDriverState *a = bt_node(&tfmt_drv, "a", true);
    BlockDriverState *b = bt_node(&tfmt_drv, "b", true);
    BlockDriverState *ro = bt_node(&tfmt_drv, "ro", false);
    BlockBackend *blk;
    Error *err = NULL;

    ck_assert(attach_file(a, f, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, &error_abort));
    /* A writable format takes read, write and resize on its file and lets
     * nobody else write or resize it. */
    ck_assert_uint_eq(a->file->perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_RESIZE);
    ck_assert_uint_eq(a->file->shared_perm,
                      BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_GRAPH_MOD);

    ck_assert_ptr_null(attach_file(b, f, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, &err));
    bt_assert_error(err, "Permission conflict on node 'f': permissions 'write, resize' are both "
                         "required by node 'a' (uses node 'f' as 'file' child) and unshared by "
                         "node 'b' (uses node 'f' as 'file' child).");
    ck_assert_ptr_null(b->children);
    ck_assert_int_eq(g_list_length(f->parents), 1);
    ck_assert_int_eq(f->refcnt, 2);

    /* Read-only users still refuse writers below them. */
    ck_assert_ptr_null(attach_file(ro, f, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, &err));
    bt_assert_error(err, "Permission conflict on node 'f': permissions 'write, resize' are both "
                         "required by node 'a' (uses node 'f' as 'file' child) and unshared by "
                         "node 'ro' (uses node 'f' as 'file' child).");

    /* Backends are described by name, or as unnamed. */
    blk = blk_new(BLK_PERM_RESIZE, BLK_PERM_ALL);
    ck_assert(!blk_insert_bs(blk, f, &err));
    bt_assert_error(err, "Permission conflict on node 'f': permissions 'resize' are both "
                         "required by an unnamed block device (uses node 'f' as 'root' child) "
                         "and unshared by node 'a' (uses node 'f' as 'file' child).");
    ck_assert(monitor_add_blk(blk, "drive0", &error_abort));
    ck_assert(!blk_insert_bs(blk, f, &err));
    bt_assert_error(err, "Permission conflict on node 'f': permissions 'resize' are both "
                         "required by block device 'drive0' (uses node 'f' as 'root' child) "
                         "and unshared by node 'a' (uses node 'f' as 'file' child).");
    /* A reader that allows everything is fine; a reader that forbids
     * writing conflicts with the writer already there. */
    ck_assert(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &error_abort) == 0);
    ck_assert(blk_insert_bs(blk, f, &error_abort));
    ck_assert_int_eq(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_CONSISTENT_READ, &err),
                     -EPERM);
    bt_assert_error(err, "Permission conflict on node 'f': permissions 'write, resize' are both "
                         "required by node 'a' (uses node 'f' as 'file' child) and unshared by "
                         "block device 'drive0' (uses node 'f' as 'root' child).");
    monitor_remove_blk(blk);
    blk_unref(blk);

    bdrv_unref(a);
    bdrv_unref(b);
    bdrv_unref(ro);
    ck_assert_int_eq(f->refcnt, 1);
    ck_assert_uint_eq(f->committed_perm, 0);
    bdrv_unref(f);
}
END_TEST

START_TEST(test_perm_atomic)
{
    BlockDriverState *n = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\"}", &error_abort);
    BlockDriverState *r =
        bt_open("{\"driver\": \"raw\", \"node-name\": \"r\", \"file\": \"n\"}", &error_abort);
    BlockBackend *top = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    BlockBackend *reader = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL & ~BLK_PERM_WRITE);
    uint64_t perm, shared, edge_perm, edge_shared;
    Error *err = NULL;

    ck_assert(blk_insert_bs(top, r, &error_abort));
    ck_assert(blk_insert_bs(reader, n, &error_abort));
    edge_perm = r->file->perm;
    edge_shared = r->file->shared_perm;
    ck_assert_uint_eq(edge_perm, BLK_PERM_CONSISTENT_READ);

    /* raw passes the write down, where the other reader forbids it. */
    ck_assert_int_eq(
        blk_set_perm(top, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &err), -EPERM);
    bt_assert_error(err, "Permission conflict on node 'n': permissions 'write' are both required "
                         "by node 'r' (uses node 'n' as 'file' child) and unshared by an unnamed "
                         "block device (uses node 'n' as 'root' child).");
    /* Nothing moved: the backend, its edge and the edge below. */
    blk_get_perm(top, &perm, &shared);
    ck_assert_uint_eq(perm, BLK_PERM_CONSISTENT_READ);
    ck_assert_uint_eq(shared, BLK_PERM_ALL);
    ck_assert_uint_eq(blk_bs(top)->parents ? ((BdrvChild *)r->parents->data)->perm : 0,
                      BLK_PERM_CONSISTENT_READ);
    ck_assert_uint_eq(r->file->perm, edge_perm);
    ck_assert_uint_eq(r->file->shared_perm, edge_shared);
    ck_assert_uint_eq(n->committed_perm, BLK_PERM_CONSISTENT_READ);

    blk_unref(reader);
    ck_assert_int_eq(
        blk_set_perm(top, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &error_abort),
        0);
    ck_assert_uint_eq(r->file->perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    ck_assert_uint_eq(n->committed_perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    blk_unref(top);
    /* Permissions fall back when the user leaves. */
    ck_assert_uint_eq(r->file->perm, 0);
    bdrv_unref(r);
    bdrv_unref(n);
}
END_TEST

START_TEST(test_perm_driver_refusal)
{
    BlockDriverState *upper = bt_node(&tfmt_drv, "upper", true);
    BlockDriverState *lower = bt_node(&tfmt_drv, "lower", true);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;

    /* upper passes its users' permissions straight down (a filter). */
    ck_assert(attach_file(upper, lower, BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, &error_abort));
    ck_assert(blk_insert_bs(blk, upper, &error_abort));
    ck_assert_int_eq(tfmt(upper)->set_calls, 1);
    ck_assert_int_eq(tfmt(lower)->set_calls, 1);
    ck_assert_uint_eq(tfmt(lower)->last_set_perm, BLK_PERM_CONSISTENT_READ);

    tfmt(lower)->refuse_write = true;
    ck_assert_int_lt(
        blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &err), 0);
    bt_assert_error(err, "Failed to get \"write\" lock");
    /* upper had been checked: it is told to forget; nothing was set. */
    ck_assert_int_eq(tfmt(upper)->abort_calls, 1);
    ck_assert_int_eq(tfmt(upper)->set_calls, 1);
    ck_assert_int_eq(tfmt(lower)->set_calls, 1);
    ck_assert_uint_eq(upper->file->perm, BLK_PERM_CONSISTENT_READ);
    ck_assert_uint_eq(upper->committed_perm, BLK_PERM_CONSISTENT_READ);

    tfmt(lower)->refuse_write = false;
    ck_assert_int_eq(
        blk_set_perm(blk, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL, &error_abort),
        0);
    ck_assert_int_eq(tfmt(lower)->set_calls, 2);
    ck_assert_uint_eq(tfmt(lower)->last_set_perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    blk_unref(blk);
    bdrv_unref(upper);
    bdrv_unref(lower);
}
END_TEST

START_TEST(test_perm_read_only_and_force_share)
{
    BlockDriverState *ro = bt_open("{\"driver\": \"null-co\", \"node-name\": \"ro\", "
                                   "\"read-only\": true}",
                                   &error_abort);
    BlockDriverState *fs = bt_open("{\"driver\": \"null-co\", \"node-name\": \"fs\", "
                                   "\"read-only\": true, \"force-share\": true}",
                                   &error_abort);
    BlockDriverState *user = bt_node(&tfmt_drv, "user", false);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert(!blk_insert_bs(blk, ro, &err));
    bt_assert_error(err, "Block node is read-only");
    ck_assert_ptr_null(ro->parents);
    blk_unref(blk);
    blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED, BLK_PERM_ALL);
    ck_assert(!blk_insert_bs(blk, ro, &err));
    bt_assert_error(err, "Block node is read-only");
    blk_unref(blk);

    /* A format on a force-shared node shares everything there. */
    ck_assert(attach_file(user, fs, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, &error_abort));
    ck_assert_uint_eq(user->file->shared_perm, BLK_PERM_ALL);
    ck_assert_uint_eq(user->file->perm, BLK_PERM_CONSISTENT_READ);
    bdrv_unref(user);
    bdrv_unref(ro);
    bdrv_unref(fs);
}
END_TEST

START_TEST(test_perm_names)
{
    g_autofree char *all = bdrv_perm_names(BLK_PERM_ALL);
    g_autofree char *none = bdrv_perm_names(0);

    ck_assert_str_eq(all, "consistent read, write, write unchanged, resize, change children");
    ck_assert_str_eq(none, "");
}
END_TEST

/* ---------------------------------------------------------------- QMP */

START_TEST(test_blockdev_add_del)
{
    Error *err = NULL;
    BlockBackend *blk;
    Error *blocker = NULL;

    bt_qmp_add("{\"driver\": \"null-co\"}", &err);
    bt_assert_error(err, "'node-name' must be specified for the root node");
    bt_qmp_add("{\"driver\": \"null-co\", \"node-name\": \"n1\"}", &error_abort);
    bt_qmp_add("{\"driver\": \"raw\", \"node-name\": \"r1\", \"file\": \"n1\"}", &error_abort);
    bt_qmp_add("{\"driver\": \"raw\", \"node-name\": \"r3\", "
               "\"file\": {\"driver\": \"null-co\", \"node-name\": \"inl\"}}",
               &error_abort);

    qmp_blockdev_del("nosuch", &err);
    bt_assert_error(err, "Failed to find node with node-name='nosuch'");
    qmp_blockdev_del("n1", &err);
    bt_assert_error(err, "Block device n1 is in use");
    qmp_blockdev_del("inl", &err);
    bt_assert_error(err, "Node inl is not owned by the monitor");

    blk = blk_new(0, BLK_PERM_ALL);
    ck_assert(blk_insert_bs(blk, bdrv_find_node("r1"), &error_abort));
    qmp_blockdev_del("r1", &err);
    bt_assert_error(err, "Node r1 is in use");
    blk_unref(blk);
    qmp_blockdev_del("r1", &error_abort);
    ck_assert_ptr_null(bdrv_find_node("r1"));

    error_setg(&blocker, "block device is in use by a test");
    bdrv_op_block(bdrv_find_node("n1"), BLOCK_OP_TYPE_DRIVE_DEL, blocker);
    qmp_blockdev_del("n1", &err);
    bt_assert_error(err, "Node 'n1' is busy: block device is in use by a test");
    bdrv_op_unblock(bdrv_find_node("n1"), BLOCK_OP_TYPE_DRIVE_DEL, blocker);
    error_free(blocker);
    qmp_blockdev_del("n1", &error_abort);
    qmp_blockdev_del("r3", &error_abort);
    ck_assert_ptr_null(bdrv_find_node("inl"));
    ck_assert_ptr_null(bdrv_next_all(NULL));
}
END_TEST

START_TEST(test_op_blockers)
{
    BlockDriverState *n = bt_open("{\"driver\": \"null-co\", \"node-name\": \"n\"}", &error_abort);
    BlockBackend *blk = blk_new(0, BLK_PERM_ALL);
    Error *r1 = NULL, *r2 = NULL, *err = NULL;

    error_setg(&r1, "first reason");
    error_setg(&r2, "second reason");
    ck_assert(!bdrv_op_is_blocked(n, BLOCK_OP_TYPE_RESIZE, &error_abort));
    bdrv_op_block_all(n, r1);
    ck_assert(bdrv_op_is_blocked(n, BLOCK_OP_TYPE_RESIZE, &err));
    bt_assert_error(err, "Node 'n' is busy: first reason");
    bdrv_op_block(n, BLOCK_OP_TYPE_RESIZE, r2);
    ck_assert(bdrv_op_is_blocked(n, BLOCK_OP_TYPE_RESIZE, &err));
    bt_assert_error(err, "Node 'n' is busy: second reason");
    /* A node under a named backend is called by the backend's name. */
    ck_assert(blk_insert_bs(blk, n, &error_abort));
    ck_assert(monitor_add_blk(blk, "disk", &error_abort));
    ck_assert(bdrv_op_is_blocked(n, BLOCK_OP_TYPE_STREAM, &err));
    bt_assert_error(err, "Node 'disk' is busy: first reason");
    bdrv_op_unblock(n, BLOCK_OP_TYPE_RESIZE, r2);
    bdrv_op_unblock_all(n, r1);
    ck_assert(!bdrv_op_is_blocked(n, BLOCK_OP_TYPE_RESIZE, NULL));
    monitor_remove_blk(blk);
    blk_unref(blk);
    bdrv_unref(n);
    error_free(r1);
    error_free(r2);
}
END_TEST

/* ---------------------------------------------------------------- chains */

START_TEST(test_backing_links)
{
    BlockDriverState *base = bt_node(&tfmt_drv, "base", false);
    BlockDriverState *mid = bt_node(&tfmt_drv, "mid", false);
    BlockDriverState *top = bt_node(&tfmt_drv, "top", true);
    BlockDriverState *over = bt_node(&tfmt_drv, "over", true);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert_int_eq(bdrv_set_backing_hd(mid, base, &error_abort), 0);
    ck_assert_int_eq(bdrv_set_backing_hd(top, mid, &error_abort), 0);
    /* The backing file is only read, whatever the overlay's users do. */
    ck_assert_uint_eq(top->backing->perm, 0);
    ck_assert(blk_insert_bs(blk, top, &error_abort));
    ck_assert_uint_eq(top->backing->perm, BLK_PERM_CONSISTENT_READ);
    ck_assert_str_eq(top->backing->name, "backing");
    ck_assert(top->backing->role & BDRV_CHILD_COW);
    ck_assert_int_eq(base->refcnt, 2);

    ck_assert_ptr_eq(bdrv_backing_bs(top), mid);
    ck_assert_ptr_eq(bdrv_find_base(top), base);
    ck_assert_ptr_eq(bdrv_find_overlay(top, base), mid);
    ck_assert_ptr_eq(bdrv_find_overlay(top, mid), top);
    ck_assert(bdrv_chain_contains(top, base));
    ck_assert(bdrv_chain_contains(top, top));
    ck_assert(!bdrv_chain_contains(mid, top));

    ck_assert_int_lt(bdrv_set_backing_hd(base, top, &err), 0);
    bt_assert_error(err, "Making 'top' a backing child of 'base' would create a cycle");

    ck_assert_int_eq(bdrv_freeze_backing_chain(top, base, &error_abort), 0);
    ck_assert_int_lt(bdrv_freeze_backing_chain(top, base, &err), 0);
    bt_assert_error(err, "Cannot change 'backing' link from 'top' to 'mid'");
    ck_assert_int_lt(bdrv_set_backing_hd(mid, NULL, &err), 0);
    bt_assert_error(err, "Cannot change 'backing' link from 'mid' to 'base'");
    bdrv_unfreeze_backing_chain(top, base);

    /* Snapshot: 'over' goes on top of 'top' for every user of 'top'. */
    ck_assert_int_eq(bdrv_append(over, top, &error_abort), 0);
    ck_assert_ptr_eq(blk_bs(blk), over);
    ck_assert_ptr_eq(bdrv_backing_bs(over), top);
    ck_assert_ptr_null(blk_by_root(top));

    /* Commit-like: drop top and mid, over now backs on base. */
    ck_assert_int_eq(bdrv_drop_intermediate(top, base, NULL, &error_abort), 0);
    ck_assert_ptr_eq(bdrv_backing_bs(over), base);
    ck_assert_ptr_null(top->parents);

    /* Replace: the backend now uses base directly. */
    ck_assert_int_eq(bdrv_replace_node(over, base, &err), -EPERM);
    bt_assert_error(err, "Block node is read-only");
    ck_assert_ptr_eq(blk_bs(blk), over);
    ck_assert_int_eq(bdrv_reopen_set_read_only(base, false, &error_abort), 0);
    ck_assert(!base->read_only);
    ck_assert_int_eq(bdrv_replace_node(over, base, &error_abort), 0);
    ck_assert_ptr_eq(blk_bs(blk), base);

    blk_unref(blk);
    bdrv_unref(over);
    bdrv_unref(top);
    bdrv_unref(mid);
    ck_assert_int_eq(base->refcnt, 1);
    bdrv_unref(base);
    ck_assert_ptr_null(bdrv_next_all(NULL));
}
END_TEST

START_TEST(test_reopen_read_only)
{
    BlockDriverState *f = bt_open("{\"driver\": \"null-co\", \"node-name\": \"f\"}", &error_abort);
    BlockDriverState *fmt = bt_node(&tfmt_drv, "fmt", true);
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE, BLK_PERM_ALL);
    Error *err = NULL;

    ck_assert(attach_file(fmt, f, BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, &error_abort));
    ck_assert(blk_insert_bs(blk, fmt, &error_abort));
    /* A writer above: the node cannot become read-only. */
    ck_assert_int_lt(bdrv_reopen_set_read_only(fmt, true, &err), 0);
    bt_assert_error(err, "Block node is read-only");
    ck_assert(!fmt->read_only);
    ck_assert(fmt->open_flags & BDRV_O_RDWR);
    ck_assert(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &error_abort) == 0);
    ck_assert_int_eq(bdrv_reopen_set_read_only(fmt, true, &error_abort), 0);
    ck_assert(fmt->read_only);
    /* A read-only format no longer writes its file. */
    ck_assert_uint_eq(fmt->file->perm, BLK_PERM_CONSISTENT_READ);
    ck_assert_int_eq(bdrv_reopen_set_read_only(fmt, false, &error_abort), 0);
    ck_assert(fmt->file->perm & BLK_PERM_WRITE);
    blk_unref(blk);
    bdrv_unref(fmt);
    bdrv_unref(f);
}
END_TEST

/* ---------------------------------------------------------------- images */

static char *tmpdir;

static void qemu_img(const char *args)
{
    g_autofree char *cmd = g_strdup_printf("cd '%s' && qemu-img %s >/dev/null", tmpdir, args);

    ck_assert_int_eq(system(cmd), 0);
}

static void images_setup(void)
{
    main_loop_init();
    tmpdir = g_dir_make_tmp("test-block-graph-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void images_teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

START_TEST(test_backing_chain_open)
{
    g_autofree char *top_path = g_build_filename(tmpdir, "top.qcow2", NULL);
    g_autofree char *base_path = g_build_filename(tmpdir, "base.qcow2", NULL);
    BlockDriverState *top, *base;
    Error *err = NULL;

    qemu_img("create -q -f qcow2 base.qcow2 1M");
    qemu_img("create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 2M");
    qemu_img("create -q -f qcow2 -u -b nosuch.qcow2 -F qcow2 broken.qcow2 2M");

    /* Probed, with the chain from the header, relative to the overlay. */
    top = bdrv_open_image(top_path, NULL, NULL, BDRV_O_RDWR, &error_abort);
    ck_assert_str_eq(bdrv_get_format_name(top), "qcow2");
    ck_assert_str_eq(top->filename, top_path);
    ck_assert_str_eq(top->backing_file, "base.qcow2");
    base = bdrv_backing_bs(top);
    ck_assert_ptr_nonnull(base);
    ck_assert_str_eq(base->filename, base_path);
    ck_assert(base->read_only);
    ck_assert(base->file->bs->read_only);
    ck_assert(!top->read_only);
    /* Named in QEMU's order: storage, format, then the backing chain. */
    ck_assert_ptr_eq(bdrv_next_node(NULL), top->file->bs);
    ck_assert_ptr_eq(bdrv_next_node(top->file->bs), top);
    ck_assert_ptr_eq(bdrv_next_node(top), base->file->bs);
    ck_assert_ptr_eq(bdrv_next_node(base->file->bs), base);
    ck_assert_ptr_eq(bdrv_find_backing_image(top, "base.qcow2"), base);
    ck_assert_ptr_eq(bdrv_find_backing_image(top, base_path), base);
    ck_assert_ptr_null(bdrv_find_backing_image(top, "other.qcow2"));
    {
        BlockDeviceInfo *info = bdrv_block_device_info(top, false, &error_abort);

        ck_assert_str_eq(info->drv, "qcow2");
        ck_assert_int_eq(info->backing_file_depth, 1);
        ck_assert_str_eq(info->backing_file, base_path);
        ck_assert_int_eq(info->image->virtual_size, 2 << 20);
        ck_assert_str_eq(info->image->backing_filename, "base.qcow2");
        ck_assert_str_eq(info->image->full_backing_filename, base_path);
        ck_assert_str_eq(info->image->backing_filename_format, "qcow2");
        ck_assert(info->image->has_backing_image);
        ck_assert_int_eq(info->image->backing_image->virtual_size, 1 << 20);
        qapi_free_BlockDeviceInfo(info);
        info = bdrv_block_device_info(top, true, &error_abort);
        ck_assert(!info->image->has_backing_image);
        qapi_free_BlockDeviceInfo(info);
    }
    bdrv_unref(top);
    ck_assert_ptr_null(bdrv_next_all(NULL));

    /* "backing": null keeps the chain closed. */
    {
        g_autofree char *json =
            g_strdup_printf("{\"driver\": \"qcow2\", \"node-name\": \"t\", \"backing\": null, "
                            "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
                            top_path);

        g_autofree char *name = g_strdup_printf(
            "json:{\"backing\": null, \"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", "
            "\"filename\": \"%s\"}}",
            top_path);

        top = bt_open(json, &error_abort);
        ck_assert_ptr_null(top->backing);
        /* The header names a backing file that is not used: a json: name. */
        ck_assert_str_eq(top->filename, name);
        bdrv_unref(top);
    }

    /* A missing backing file fails the whole open. */
    {
        g_autofree char *broken = g_build_filename(tmpdir, "broken.qcow2", NULL);
        g_autofree char *missing = g_build_filename(tmpdir, "nosuch.qcow2", NULL);
        g_autofree char *text = g_strdup_printf(
            "Could not open backing file: Could not open '%s': No such file or directory", missing);

        ck_assert_ptr_null(bdrv_open_image(broken, "qcow2", NULL, BDRV_O_RDWR, &err));
        bt_assert_error(err, text);
        ck_assert_ptr_null(bdrv_next_all(NULL));
    }
}
END_TEST

START_TEST(test_query_named_nodes)
{
    BlockDeviceInfoList *list;
    BlockDriverState *a, *b;

    a = bt_open("{\"driver\": \"null-co\", \"node-name\": \"a\", \"size\": 4096}", &error_abort);
    b = bt_open("{\"driver\": \"raw\", \"node-name\": \"b\", \"file\": \"a\", "
                "\"cache\": {\"direct\": true, \"no-flush\": true}, "
                "\"detect-zeroes\": \"on\", \"read-only\": true}",
                &error_abort);
    list = qmp_query_named_block_nodes(false, false, &error_abort);
    /* Newest first. */
    ck_assert_str_eq(list->value->node_name, "b");
    ck_assert_str_eq(list->value->drv, "raw");
    ck_assert(list->value->ro);
    ck_assert(list->value->cache->direct);
    ck_assert(list->value->cache->no_flush);
    ck_assert(list->value->cache->writeback);
    ck_assert_int_eq(list->value->detect_zeroes, BLOCKDEV_DETECT_ZEROES_OPTIONS_ON);
    ck_assert_str_eq(list->value->image->format, "raw");
    ck_assert_int_eq(list->value->image->virtual_size, 4096);
    ck_assert_str_eq(list->next->value->node_name, "a");
    ck_assert_str_eq(list->next->value->file, "json:{\"driver\": \"null-co\", \"size\": 4096}");
    ck_assert(list->next->value->image->has_actual_size);
    ck_assert_int_eq(list->next->value->image->actual_size, 0);
    ck_assert(!list->next->value->image->has_dirty_flag);
    ck_assert_ptr_null(list->next->next);
    qapi_free_BlockDeviceInfoList(list);
    bdrv_unref(b);
    bdrv_unref(a);
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("block-graph");
    TCase *tc = tcase_create("nodes");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_null_open);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_node_names);
    tcase_add_test(tc, test_refs_and_children);
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_blockdev_add_del);
    tcase_add_test(tc, test_op_blockers);
    tcase_add_test(tc, test_query_named_nodes);
    suite_add_tcase(s, tc);

    tc = tcase_create("perm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_perm_conflicts);
    tcase_add_test(tc, test_perm_atomic);
    tcase_add_test(tc, test_perm_driver_refusal);
    tcase_add_test(tc, test_perm_read_only_and_force_share);
    tcase_add_test(tc, test_perm_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("chain");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_backing_links);
    tcase_add_test(tc, test_reopen_read_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("images");
    tcase_add_checked_fixture(tc, images_setup, images_teardown);
    tcase_add_test(tc, test_backing_chain_open);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(graph_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
