/*
 * Unit tests for util/error.c: setting, propagating, prepending, classes.
 */
#include <check.h>
#include <signal.h>

#include "util/error.h"

START_TEST(test_setg_sets_generic)
{
    Error *err = NULL;

    error_setg(&err, "Parameter '%s' is missing", "device");
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(error_get_pretty(err), "Parameter 'device' is missing");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_GENERIC_ERROR);
    error_free(err);
}
END_TEST

START_TEST(test_set_class)
{
    Error *err = NULL;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", "x");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
    ck_assert_str_eq(error_class_name(error_get_class(err)), "DeviceNotFound");
    error_free(err);
}
END_TEST

START_TEST(test_class_names)
{
    ck_assert_str_eq(error_class_name(ERROR_CLASS_GENERIC_ERROR), "GenericError");
    ck_assert_str_eq(error_class_name(ERROR_CLASS_COMMAND_NOT_FOUND), "CommandNotFound");
    ck_assert_str_eq(error_class_name(ERROR_CLASS_DEVICE_NOT_ACTIVE), "DeviceNotActive");
    ck_assert_str_eq(error_class_name(ERROR_CLASS_KVM_MISSING_CAP), "KVMMissingCap");
    ck_assert_str_eq(error_class_name((ErrorClass)99), "GenericError");
}
END_TEST

START_TEST(test_errno_suffix)
{
    Error *err = NULL;

    error_setg_errno(&err, ENOENT, "Could not open '%s'", "a.img");
    ck_assert_str_eq(error_get_pretty(err), "Could not open 'a.img': No such file or directory");
    error_free(err);
}
END_TEST

START_TEST(test_null_errp_ignores)
{
    error_setg(NULL, "ignored");
    error_propagate(NULL, NULL);
}
END_TEST

START_TEST(test_propagate_first_wins)
{
    Error *dst = NULL, *a = NULL, *b = NULL;

    error_setg(&a, "first");
    error_setg(&b, "second");
    error_propagate(&dst, a);
    error_propagate(&dst, b);
    ck_assert_str_eq(error_get_pretty(dst), "first");
    error_free(dst);
}
END_TEST

START_TEST(test_prepend)
{
    Error *err = NULL, *dst = NULL;

    error_setg(&err, "No such file");
    error_prepend(&err, "Could not open '%s': ", "x");
    ck_assert_str_eq(error_get_pretty(err), "Could not open 'x': No such file");
    error_propagate_prepend(&dst, err, "%s", "node: ");
    ck_assert_str_eq(error_get_pretty(dst), "node: Could not open 'x': No such file");
    error_free(dst);
}
END_TEST

START_TEST(test_copy)
{
    Error *err = NULL, *copy;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_ACTIVE, "inactive");
    error_append_hint(&err, "hint\n");
    copy = error_copy(err);
    error_free(err);
    ck_assert_str_eq(error_get_pretty(copy), "inactive");
    ck_assert_int_eq(error_get_class(copy), ERROR_CLASS_DEVICE_NOT_ACTIVE);
    error_free(copy);
}
END_TEST

START_TEST(test_abort)
{
    error_setg(&error_abort, "boom");
}
END_TEST

START_TEST(test_fatal)
{
    error_setg(&error_fatal, "fatal");
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_setg_sets_generic);
    tcase_add_test(tc, test_set_class);
    tcase_add_test(tc, test_class_names);
    tcase_add_test(tc, test_errno_suffix);
    tcase_add_test(tc, test_null_errp_ignores);
    tcase_add_test(tc, test_propagate_first_wins);
    tcase_add_test(tc, test_prepend);
    tcase_add_test(tc, test_copy);
    tcase_add_test_raise_signal(tc, test_abort, SIGABRT);
    tcase_add_exit_test(tc, test_fatal, 1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(error_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
