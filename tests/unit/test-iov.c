/*
 * QEMUIOVector helpers: building, slicing, copying in and out, filling,
 * zero detection and comparison.
 */
#include <check.h>

#include "util/iov.h"

/* A vector over 'buf' cut into pieces of the given lengths. */
static void build(QEMUIOVector *q, uint8_t *buf, const size_t *lens, int n)
{
    size_t off = 0;

    qemu_iovec_init(q, 1);
    for (int i = 0; i < n; i++) {
        qemu_iovec_add(q, buf + off, lens[i]);
        off += lens[i];
    }
}

START_TEST(test_init_add_grow)
{
    uint8_t buf[100];
    QEMUIOVector q;

    qemu_iovec_init(&q, 0);
    ck_assert_int_eq(q.niov, 0);
    ck_assert_uint_eq(q.size, 0);
    for (int i = 0; i < 10; i++) {
        qemu_iovec_add(&q, buf + 10 * i, 10);
    }
    ck_assert_int_eq(q.niov, 10);
    ck_assert_uint_eq(q.size, 100);
    ck_assert(q.nalloc >= 10);
    ck_assert_ptr_eq(q.iov[9].iov_base, buf + 90);
    qemu_iovec_reset(&q);
    ck_assert_int_eq(q.niov, 0);
    ck_assert_uint_eq(q.size, 0);
    qemu_iovec_destroy(&q);
    ck_assert_ptr_null(q.iov);
}
END_TEST

START_TEST(test_init_buf)
{
    uint8_t buf[64];
    QEMUIOVector q;

    qemu_iovec_init_buf(&q, buf, sizeof(buf));
    ck_assert_int_eq(q.niov, 1);
    ck_assert_int_eq(q.nalloc, -1);
    ck_assert_uint_eq(q.size, 64);
    ck_assert_ptr_eq(q.iov, &q.local);
    ck_assert_ptr_eq(q.iov[0].iov_base, buf);
    qemu_iovec_destroy(&q); /* must not free the local entry */
}
END_TEST

START_TEST(test_to_from_buf)
{
    uint8_t backing[30], flat[30], out[30];
    static const size_t lens[] = {7, 1, 0, 12, 10};
    QEMUIOVector q;

    build(&q, backing, lens, 5);
    for (int i = 0; i < 30; i++) {
        flat[i] = (uint8_t)(i * 7 + 1);
    }
    ck_assert_uint_eq(qemu_iovec_from_buf(&q, 0, flat, 30), 30);
    ck_assert_mem_eq(backing, flat, 30);

    memset(out, 0, sizeof(out));
    ck_assert_uint_eq(qemu_iovec_to_buf(&q, 5, out, 10), 10);
    ck_assert_mem_eq(out, flat + 5, 10);

    /* Past the end only what exists is copied. */
    ck_assert_uint_eq(qemu_iovec_to_buf(&q, 25, out, 10), 5);
    ck_assert_uint_eq(qemu_iovec_to_buf(&q, 30, out, 10), 0);
    ck_assert_uint_eq(qemu_iovec_from_buf(&q, 28, flat, 10), 2);
    ck_assert_uint_eq(backing[28], flat[0]);
    ck_assert_uint_eq(backing[29], flat[1]);
    qemu_iovec_destroy(&q);
}
END_TEST

START_TEST(test_memset)
{
    uint8_t backing[20];
    static const size_t lens[] = {3, 9, 8};
    QEMUIOVector q;

    memset(backing, 0xaa, sizeof(backing));
    build(&q, backing, lens, 3);
    ck_assert_uint_eq(qemu_iovec_memset(&q, 2, 0x11, 11), 11);
    for (int i = 0; i < 20; i++) {
        ck_assert_uint_eq(backing[i], (i >= 2 && i < 13) ? 0x11 : 0xaa);
    }
    ck_assert_uint_eq(qemu_iovec_memset(&q, 15, 0, 100), 5);
    qemu_iovec_destroy(&q);
}
END_TEST

START_TEST(test_concat)
{
    uint8_t backing[40];
    static const size_t lens[] = {10, 10, 10, 10};
    QEMUIOVector src, dst;
    uint8_t out[40];

    for (int i = 0; i < 40; i++) {
        backing[i] = (uint8_t)i;
    }
    build(&src, backing, lens, 4);
    qemu_iovec_init(&dst, 1);
    qemu_iovec_concat(&dst, &src, 5, 22);
    ck_assert_uint_eq(dst.size, 22);
    ck_assert_int_eq(dst.niov, 3);
    ck_assert_ptr_eq(dst.iov[0].iov_base, backing + 5); /* no copy of the data */
    ck_assert_uint_eq(qemu_iovec_to_buf(&dst, 0, out, 22), 22);
    ck_assert_mem_eq(out, backing + 5, 22);

    /* Appending keeps what was there. */
    qemu_iovec_concat(&dst, &src, 0, 3);
    ck_assert_uint_eq(dst.size, 25);
    ck_assert_ptr_eq(dst.iov[dst.niov - 1].iov_base, backing);

    /* A zero-length slice adds nothing. */
    qemu_iovec_concat(&dst, &src, 40, 0);
    ck_assert_uint_eq(dst.size, 25);
    qemu_iovec_destroy(&dst);
    qemu_iovec_destroy(&src);
}
END_TEST

START_TEST(test_is_zero)
{
    uint8_t *backing = g_malloc0(4113);
    static const size_t lens[] = {1, 4000, 112};
    QEMUIOVector q;

    build(&q, backing, lens, 3);
    ck_assert(qemu_iovec_is_zero(&q, 0, q.size));
    backing[4100] = 1;
    ck_assert(!qemu_iovec_is_zero(&q, 0, q.size));
    ck_assert(qemu_iovec_is_zero(&q, 0, 4100));
    ck_assert(!qemu_iovec_is_zero(&q, 4100, 1));
    ck_assert(qemu_iovec_is_zero(&q, 4101, 12));
    qemu_iovec_destroy(&q);
    g_free(backing);
}
END_TEST

START_TEST(test_buffer_is_zero)
{
    uint8_t buf[300];

    memset(buf, 0, sizeof(buf));
    ck_assert(buffer_is_zero(buf, 0));
    ck_assert(buffer_is_zero(buf, sizeof(buf)));
    /* Every position matters, at every alignment. */
    for (size_t start = 0; start < 9; start++) {
        for (size_t pos = start; pos < sizeof(buf); pos++) {
            buf[pos] = 0x80;
            ck_assert(!buffer_is_zero(buf + start, sizeof(buf) - start));
            ck_assert(buffer_is_zero(buf + start, pos - start));
            buf[pos] = 0;
        }
    }
}
END_TEST

START_TEST(test_compare)
{
    uint8_t a[50], b[50];
    static const size_t la[] = {5, 20, 25};
    static const size_t lb[] = {17, 33};
    QEMUIOVector qa, qb;

    for (int i = 0; i < 50; i++) {
        a[i] = b[i] = (uint8_t)(i * 3);
    }
    build(&qa, a, la, 3);
    build(&qb, b, lb, 2);
    ck_assert_int_eq(qemu_iovec_compare(&qa, &qb), -1);
    b[31] ^= 1;
    ck_assert_int_eq(qemu_iovec_compare(&qa, &qb), 31);
    a[2] ^= 4;
    ck_assert_int_eq(qemu_iovec_compare(&qa, &qb), 2);
    qemu_iovec_destroy(&qa);
    qemu_iovec_destroy(&qb);
}
END_TEST

static Suite *iov_suite(void)
{
    Suite *s = suite_create("iov");
    TCase *tc = tcase_create("iov");

    tcase_add_test(tc, test_init_add_grow);
    tcase_add_test(tc, test_init_buf);
    tcase_add_test(tc, test_to_from_buf);
    tcase_add_test(tc, test_memset);
    tcase_add_test(tc, test_concat);
    tcase_add_test(tc, test_is_zero);
    tcase_add_test(tc, test_buffer_is_zero);
    tcase_add_test(tc, test_compare);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(iov_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
