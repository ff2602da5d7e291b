/*
 * The command line: every option of the table, QEMU's error texts and
 * locations, the help outputs, monitor naming, and -daemonize/-pidfile.
 */
#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "system/cmdline.h"
#include "system/daemonize.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define MAX_ARGS 64

/* Parses the NULL-terminated words (argv[0] is supplied). */
static bool parse_words(const char *const *words, VmConfig *cfg, Error **errp)
{
    char *argv[MAX_ARGS];
    int argc = 0;

    argv[argc++] = (char *)"minivm";
    for (size_t i = 0; words[i]; i++) {
        ck_assert(argc < MAX_ARGS);
        argv[argc++] = (char *)words[i];
    }
    argv[argc] = NULL;
    return cmdline_parse(argc, argv, cfg, errp);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void parse_ok(const char *const *words, VmConfig *cfg)
{
    Error *err = NULL;

    if (!parse_words(words, cfg, &err)) {
        ck_abort_msg("%s ...: unexpected error: %s", words[0], error_get_pretty(err));
    }
}

/* ---- errors ---- */

static const struct {
    const char *const *args;
    const char *msg;
} error_cases[] = {
    /* the option walk */
    {ARGS("-foo"), "-foo: invalid option"},
    {ARGS("--foo"), "--foo: invalid option"},
    {ARGS("-"), "-: invalid option"},
    {ARGS("-m"), "-m: requires an argument"},
    {ARGS("-S", "-machine"), "-machine: requires an argument"},
    {ARGS("--qmp"), "--qmp: requires an argument"},
    /* -m */
    {ARGS("-m", "foo"), "-m foo: Parameter 'size' expects a non-negative number below 2^64"},
    {ARGS("-m", "1Z"), "-m 1Z: Parameter 'size' expects a non-negative number below 2^64"},
    {ARGS("-m", "1.5"), "-m 1.5: Parameter 'size' expects a non-negative number below 2^64"},
    {ARGS("-m", "size="), "-m size=: Parameter 'size' expects a non-negative number below 2^64"},
    {ARGS("-m", "99999999999999999999"),
     "-m 99999999999999999999: Value '99999999999999999999' is out of range for parameter "
     "'size'"},
    {ARGS("-m", "17E"), "-m 17E: Value '17E' is out of range for parameter 'size'"},
    {ARGS("-m", "20000000000000"), "Parameter 'memory.size' expects size"},
    {ARGS("-m", "1G,foo=1"), "-m 1G,foo=1: Invalid parameter 'foo'"},
    {ARGS("-m", "1G,slots=x"), "-m 1G,slots=x: Parameter 'slots' expects a number"},
    {ARGS("-m", "maxmem=x"),
     "-m maxmem=x: Parameter 'maxmem' expects a non-negative number below 2^64"},
    {ARGS("-m", "1G,slots=2"), "slots specified but no max-size"},
    {ARGS("-m", "256,maxmem=100M,slots=1"),
     "invalid value of maxmem: maximum memory size (0x6400000) must be at least the initial "
     "memory size (0x10000000)"},
    {ARGS("-m", "1G,maxmem=1G,slots=3"),
     "invalid value of maxmem: memory slots were specified but maximum memory size "
     "(0x40000000) is equal to the initial memory size (0x40000000)"},
    {ARGS("-m", "1G,maxmem=2G,slots=300"), "unsupported amount of memory slots: 300"},
    /* -machine, -accel */
    {ARGS("-machine", "foo"), "unsupported machine type"},
    {ARGS("-machine", "pc,foo=bar"), "Property 'pc-i440fx-7.2-machine.foo' not found"},
    {ARGS("-machine", "none,foo=bar"), "Property 'none-machine.foo' not found"},
    {ARGS("-machine", "type=pc,type=none,foo=1"), "Property 'none-machine.foo' not found"},
    {ARGS("-machine", "none,hpet=off"), "Property 'none-machine.hpet' not found"},
    {ARGS("-machine", "pc,usb=x"), "Parameter 'usb' expects 'on' or 'off'"},
    {ARGS("-machine", "pc,acpi=x"), "Parameter 'acpi' does not accept value 'x'"},
    {ARGS("-machine", "pc,x"), "-machine pc,x: Expected '=' after parameter 'x'"},
    {ARGS("-machine", "pc,help=1"), "Property 'pc-i440fx-7.2-machine.help' not found"},
    {ARGS("-accel", "foo"), "-accel foo: invalid accelerator foo"},
    {ARGS("-accel", "kvm,foo=1"), "-accel kvm,foo=1: Property 'kvm-accel.foo' not found"},
    {ARGS("-accel", "tcg,thread=single,x=1"),
     "-accel tcg,thread=single,x=1: Property 'tcg-accel.x' not found"},
    {ARGS("-machine", "accel=kvm", "-accel", "tcg"),
     "The -accel and \"-machine accel=\" options are incompatible"},
    {ARGS("-accel", "tcg", "-enable-kvm"),
     "The -accel and \"-machine accel=\" options are incompatible"},
    {ARGS("-machine", "accel="), "no accelerator found"},
    {ARGS("-machine", "accel=foo:bar"), "no accelerator found"},
    /* -smp */
    {ARGS("-smp", "foo"), "Parameter 'smp.cpus' expects integer"},
    {ARGS("-smp", "2,sockets=x"), "Parameter 'smp.sockets' expects integer"},
    {ARGS("-smp", "2,foo=1"), "Parameter 'smp.foo' is unexpected"},
    {ARGS("-smp", "300"), "Invalid SMP CPUs 300. The max CPUs supported by machine "
                          "'pc-i440fx-7.2' is 255"},
    {ARGS("-smp", "1,maxcpus=300"), "Invalid SMP CPUs 300. The max CPUs supported by machine "
                                    "'pc-i440fx-7.2' is 255"},
    {ARGS("-machine", "none", "-smp", "2"),
     "Invalid SMP CPUs 2. The max CPUs supported by machine 'none' is 1"},
    {ARGS("-machine", "none", "-smp", "-1"),
     "Invalid SMP CPUs -1. The max CPUs supported by machine 'none' is 1"},
    {ARGS("-smp", "4,sockets=3"),
     "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * dies "
     "(1) * cores (1) * threads (1) != maxcpus (4)"},
    {ARGS("-smp", "2,maxcpus=1"),
     "Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * dies "
     "(1) * cores (1) * threads (1) == maxcpus (1) < smp_cpus (2)"},
    {ARGS("-machine", "none", "-smp", "4,sockets=3"),
     "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (3) * cores "
     "(1) * threads (1) != maxcpus (4)"},
    {ARGS("-smp", "2,threads=3"),
     "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * dies "
     "(1) * cores (0) * threads (3) != maxcpus (2)"},
    {ARGS("-smp", "4,sockets=65536,threads=65536"),
     "Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (65536) * "
     "dies (1) * cores (0) * threads (65536) != maxcpus (4)"},
    {ARGS("-smp", "clusters=2"), "clusters not supported by this machine's CPU topology"},
    {ARGS("-machine", "none", "-smp", "dies=2"),
     "dies not supported by this machine's CPU topology"},
    /* -boot */
    {ARGS("-boot", "foo=1"), "Parameter 'boot.foo' is unexpected"},
    {ARGS("-boot", "menu=x"), "Parameter 'boot.menu' expects 'on' or 'off'"},
    {ARGS("-boot", "strict=x"), "Parameter 'boot.strict' expects 'on' or 'off'"},
    {ARGS("-boot", "splash-time=x"), "Parameter 'boot.splash-time' expects integer"},
    {ARGS("-boot", "reboot-timeout=x"), "Parameter 'boot.reboot-timeout' expects integer"},
    {ARGS("-boot", "reboot-timeout=-2"),
     "reboot timeout is invalid,it should be a value between -1 and 65535"},
    {ARGS("-boot", "reboot-timeout=70000"),
     "reboot timeout is invalid,it should be a value between -1 and 65535"},
    {ARGS("-boot", "order=z"), "Invalid boot device 'z'"},
    {ARGS("-boot", "once=z"), "Invalid boot device 'z'"},
    {ARGS("-boot", "cc"), "Boot device 'c' was given twice"},
    /* identity */
    {ARGS("-uuid", "xx"), "-uuid xx: failed to parse UUID string: wrong format"},
    {ARGS("-uuid", "{12345678-1234-1234-1234-123456789abc}"),
     "-uuid {12345678-1234-1234-1234-123456789abc}: failed to parse UUID string: wrong format"},
    {ARGS("-uuid", "123456781234123412341234567890ab"),
     "-uuid 123456781234123412341234567890ab: failed to parse UUID string: wrong format"},
    {ARGS("-uuid", "12345678-1234-1234-1234-123456789abg"),
     "-uuid 12345678-1234-1234-1234-123456789abg: failed to parse UUID string: wrong format"},
    {ARGS("-name", "guest=a,foo=1"), "-name guest=a,foo=1: Invalid parameter 'foo'"},
    {ARGS("-name", "a,debug-threads=x"),
     "-name a,debug-threads=x: Parameter 'debug-threads' expects 'on' or 'off'"},
    /* misc settings */
    {ARGS("-msg", "timestamp=x"), "-msg timestamp=x: Parameter 'timestamp' expects 'on' or 'off'"},
    {ARGS("-msg", "timestamp=1"), "-msg timestamp=1: Parameter 'timestamp' expects 'on' or 'off'"},
    {ARGS("-msg", "foo=1"), "-msg foo=1: Invalid parameter 'foo'"},
    {ARGS("-overcommit", "mem-lock=x"),
     "-overcommit mem-lock=x: Parameter 'mem-lock' expects 'on' or 'off'"},
    {ARGS("-overcommit", "foo=1"), "-overcommit foo=1: Invalid parameter 'foo'"},
    {ARGS("-rtc", "foo=1"), "-rtc foo=1: Invalid parameter 'foo'"},
    {ARGS("-rtc", "base=foo"), "invalid datetime format"},
    {ARGS("-rtc", "clock=foo"), "invalid option value 'foo'"},
    {ARGS("-rtc", "driftfix=foo"), "invalid option value 'foo'"},
    {ARGS("-sandbox", "x"), "-sandbox x: Parameter 'enable' expects 'on' or 'off'"},
    {ARGS("-sandbox", "on,foo=1"), "-sandbox on,foo=1: Invalid parameter 'foo'"},
    {ARGS("-sandbox", "on,spawn=x"), "-sandbox on,spawn=x: invalid argument for spawn"},
    {ARGS("-sandbox", "on,elevateprivileges=x"),
     "-sandbox on,elevateprivileges=x: invalid argument for elevateprivileges"},
    /* display */
    {ARGS("-display", "sdl"), "-display sdl: minivm has no display; only '-display none' is "
                              "supported"},
    {ARGS("-display", "gtk"), "-display gtk: minivm has no display; only '-display none' is "
                              "supported"},
    {ARGS("-display", "foo"), "-display foo: Parameter 'type' does not accept value 'foo'"},
    {ARGS("-display", "none,foo=1"), "-display none,foo=1: Parameter 'foo' is unexpected"},
    {ARGS("-display", ""), "-display : Parameter 'type' is missing"},
    {ARGS("-vga", "std"), "-vga std: minivm has no display; only '-vga none' is supported"},
    {ARGS("-vga", "foo"), "unknown vga type: foo"},
    /* backends and devices */
    {ARGS("-chardev", "null,id=1a"), "-chardev null,id=1a: Parameter 'id' expects an identifier"},
    {ARGS("-chardev", "null,id=a", "-chardev", "null,id=a"),
     "-chardev null,id=a: Duplicate ID 'a' for chardev"},
    {ARGS("-drive", "if=none,id=a", "-drive", "if=none,id=a"),
     "-drive if=none,id=a: Duplicate ID 'a' for drive"},
    {ARGS("-device", "foo,id=1a"), "-device foo,id=1a: Parameter 'id' expects an identifier"},
    {ARGS("-device", "virtio-blk-pci,id=a", "-device", "virtio-blk-pci,id=a"),
     "-device virtio-blk-pci,id=a: Duplicate ID 'a' for device"},
    {ARGS("-device", "id=x"), "-device id=x: Parameter 'driver' is missing"},
    {ARGS("-device", "{\"id\":\"x\"}"), "-device {\"id\":\"x\"}: Parameter 'driver' is missing"},
    {ARGS("-device", "{\"driver\":"), "-device {\"driver\":: JSON parse error, premature EOI"},
    {ARGS("-blockdev", "driver=null-co,y"),
     "-blockdev driver=null-co,y: Expected '=' after parameter 'y'"},
    {ARGS("-blockdev", "=x"), "-blockdev =x: Invalid parameter ''"},
    {ARGS("-blockdev", ""), "-blockdev : Parameter 'driver' is missing"},
    {ARGS("-blockdev", "help"), "-blockdev help: Help is not available for this option"},
    {ARGS("-blockdev", "{\"driver\":\"x\"} x"),
     "-blockdev {\"driver\":\"x\"} x: Expecting at most one JSON value"},
    {ARGS("-blockdev", "a=1,a.b=2"), "-blockdev a=1,a.b=2: Parameters 'a.*' used inconsistently"},
    {ARGS("-object", "iothread"), "-object iothread: Parameter 'id' is missing"},
    {ARGS("-object", "{\"qom-type\":\"iothread\"}"),
     "-object {\"qom-type\":\"iothread\"}: Parameter 'id' is missing"},
    {ARGS("-object", "id=x"), "-object id=x: Parameter 'qom-type' is missing"},
    {ARGS("-object", "iothread,id=1x"),
     "-object iothread,id=1x: Parameter 'id' expects an identifier"},
    {ARGS("-audiodev", "none"), "-audiodev none: Parameter 'id' is missing"},
    {ARGS("-global", "foo"), "-global foo: Invalid parameter 'foo'"},
    {ARGS("-global", "a=b"), "-global a=b: Invalid parameter 'a'"},
    {ARGS("-global", ".bar=1"), "-global .bar=1: Invalid parameter '.bar'"},
    {ARGS("-global", "foo.=1"), "-global foo.=1: Invalid parameter 'foo.'"},
    {ARGS("-global", "driver=a,property=b"),
     "-global driver=a,property=b: options 'driver', 'property', and 'value' are required"},
    /* monitors */
    {ARGS("-mon", "chardev=x,mode=foo"),
     "-mon chardev=x,mode=foo: Parameter 'mode' does not accept value 'foo'"},
    {ARGS("-mon", "a,pretty=x"), "-mon a,pretty=x: Parameter 'pretty' expects 'on' or 'off'"},
    {ARGS("-mon", "a,foo=x"), "-mon a,foo=x: Invalid parameter 'foo'"},
    {ARGS("-mon", "mode=control"), "-mon mode=control: Parameter 'chardev' is missing"},
    {ARGS("-mon", "a,id=m", "-mon", "b,id=m"), "-mon b,id=m: Duplicate ID 'm' for mon"},
    {ARGS("-qmp", "none"), "-qmp none: 'none' is not a valid char driver"},
    {ARGS("-nographic", "-daemonize"), "-nographic cannot be used with -daemonize"},
    {ARGS("-nographic", "-daemonize", "-serial", "null"),
     "-nographic cannot be used with -daemonize"},
    {ARGS("-nographic", "-daemonize", "-monitor", "none"),
     "-nographic cannot be used with -daemonize"},
    /* a later error wins over an earlier help request */
    {ARGS("-device", "help", "-foo"), "-foo: invalid option"},
};

START_TEST(test_errors)
{
    VmConfig cfg;
    Error *err = NULL;
    const char *const *args = error_cases[_i].args;

    ck_assert_msg(!parse_words(args, &cfg, &err), "%s %s: accepted", args[0],
                  args[1] ? args[1] : "");
    ck_assert_msg(err, "no error for %s", args[0]);
    ck_assert_str_eq(error_get_pretty(err), error_cases[_i].msg);
    error_free(err);
    vmconfig_free(&cfg);
}
END_TEST

/* ---- every option of the table ---- */

static const struct {
    const char *name;
    const char *arg;
} sample_args[] = {
    {"machine", "pc,usb=off"},
    {"M", "none"},
    {"accel", "kvm"},
    {"m", "256"},
    {"smp", "2"},
    {"cpu", "qemu64"},
    {"kernel", "/boot/vmlinuz"},
    {"initrd", "/boot/initrd"},
    {"append", "console=ttyS0"},
    {"bios", "bios.bin"},
    {"L", "/usr/share/qemu"},
    {"k", "en-us"},
    {"boot", "strict=on"},
    {"drive", "if=none,id=d0,file=/x"},
    {"hda", "/a.img"},
    {"hdb", "/b.img"},
    {"hdc", "/c.img"},
    {"hdd", "/d.img"},
    {"cdrom", "/cd.iso"},
    {"blockdev", "driver=null-co,node-name=n0"},
    {"device", "virtio-blk-pci,drive=n0"},
    {"global", "ide-hd.physical_block_size=4096"},
    {"object", "iothread,id=io0"},
    {"chardev", "null,id=c0"},
    {"audiodev", "{\"id\":\"audio1\",\"driver\":\"none\"}"},
    {"serial", "pty"},
    {"mon", "chardev=c0,mode=control"},
    {"qmp", "unix:/tmp/q.sock,server=on,wait=off"},
    {"qmp-pretty", "stdio"},
    {"monitor", "none"},
    {"qtest", "unix:/tmp/qt.sock"},
    {"qtest-log", "/dev/null"},
    {"pidfile", "/tmp/minivm.pid"},
    {"display", "none"},
    {"vga", "none"},
    {"name", "guest=vm1,debug-threads=on"},
    {"uuid", "95216eb9-a42a-4f93-bd9a-e5c3bd6cbc86"},
    {"msg", "timestamp=on"},
    {"overcommit", "mem-lock=off,cpu-pm=off"},
    {"rtc", "base=utc,clock=host,driftfix=slew"},
    {"sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"},
    {"D", "/tmp/minivm.log"},
    {"d", "guest_errors"},
};

static const char *sample_arg(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(sample_args); i++) {
        if (!strcmp(sample_args[i].name, name)) {
            return sample_args[i].arg;
        }
    }
    return NULL;
}

START_TEST(test_every_option)
{
    size_t n = cmdline_option_count();

    ck_assert_uint_gt(n, 40);
    ck_assert_ptr_null(cmdline_option_name(n));
    for (size_t i = 0; i < n; i++) {
        const char *name = cmdline_option_name(i);
        char *one = g_strdup_printf("-%s", name);
        char *two = g_strdup_printf("--%s", name);
        const char *arg = NULL;

        ck_assert_ptr_nonnull(name);
        if (cmdline_option_has_arg(i)) {
            arg = sample_arg(name);
            ck_assert_msg(arg, "no sample argument for -%s", name);
        }
        for (int dashes = 1; dashes <= 2; dashes++) {
            const char *words[] = {dashes == 1 ? one : two, arg, NULL};
            VmConfig cfg;
            Error *err = NULL;

            if (!parse_words(words, &cfg, &err)) {
                ck_abort_msg("%s %s: %s", words[0], arg ? arg : "", error_get_pretty(err));
            }
            vmconfig_free(&cfg);
        }
        if (arg) {
            /* Without its argument, the option is refused. */
            const char *words[] = {one, NULL};
            VmConfig cfg;
            Error *err = NULL;
            char *msg = g_strdup_printf("%s: requires an argument", one);

            ck_assert(!parse_words(words, &cfg, &err));
            ck_assert_str_eq(error_get_pretty(err), msg);
            g_free(msg);
            error_free(err);
            vmconfig_free(&cfg);
        }
        g_free(one);
        g_free(two);
    }
}
END_TEST

/* ---- accepted command lines and the resulting VmConfig ---- */

START_TEST(test_defaults)
{
    VmConfig cfg;

    parse_ok(ARGS("-S"), &cfg);
    ck_assert_str_eq(cfg.machine_type, "pc-i440fx-7.2");
    ck_assert_int_eq(json_object_size(cfg.machine_opts), 0);
    ck_assert_uint_eq(cfg.accels->len, 1);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    ck_assert(!cfg.accel_given);
    ck_assert_uint_eq(cfg.ram_size, 128 * MiB);
    ck_assert_uint_eq(cfg.smp.cpus, 1);
    ck_assert_uint_eq(cfg.smp.maxcpus, 1);
    ck_assert_uint_eq(cfg.smp.sockets, 1);
    ck_assert(cfg.start_paused);
    ck_assert(!cfg.daemonize && !cfg.no_shutdown && !cfg.nodefaults);
    ck_assert(cfg.default_monitor && cfg.default_serial);
    ck_assert_ptr_null(cfg.name);
    ck_assert(!cfg.uuid_set);
    ck_assert_ptr_null(cfg.exit_text);
    vmconfig_free(&cfg);

    parse_ok(ARGS("-nodefaults"), &cfg);
    ck_assert(!cfg.default_monitor && !cfg.default_serial);
    vmconfig_free(&cfg);
}
END_TEST

/* The command line libvirt 9.0 starts QEMU 7.2 with. */
START_TEST(test_libvirt_start)
{
    VmConfig cfg;
    static const uint8_t uuid[16] = {0x95, 0x21, 0x6e, 0xb9, 0xa4, 0x2a, 0x4f, 0x93,
                                     0xbd, 0x9a, 0xe5, 0xc3, 0xbd, 0x6c, 0xbc, 0x86};
    MonitorConfig *mon;

    parse_ok(ARGS("-name", "guest=mini,debug-threads=on", "-S", "-object",
                  "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":"
                  "\"/var/lib/libvirt/qemu/domain-2-mini/master-key.aes\"}",
                  "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
                  "-accel", "kvm", "-cpu", "qemu64", "-m", "128", "-object",
                  "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":134217728}",
                  "-overcommit", "mem-lock=off", "-smp", "1,sockets=1,cores=1,threads=1", "-uuid",
                  "95216eb9-a42a-4f93-bd9a-e5c3bd6cbc86", "-display", "none", "-no-user-config",
                  "-nodefaults", "-chardev", "socket,id=charmonitor,fd=29,server=on,wait=off",
                  "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc",
                  "-no-shutdown", "-boot", "strict=on", "-blockdev",
                  "{\"driver\":\"file\",\"filename\":\"/images/base.qcow2\",\"node-name\":"
                  "\"libvirt-3-storage\",\"auto-read-only\":true,\"discard\":\"unmap\"}",
                  "-blockdev",
                  "{\"node-name\":\"libvirt-3-format\",\"read-only\":true,\"driver\":\"qcow2\","
                  "\"file\":\"libvirt-3-storage\",\"backing\":null}",
                  "-device",
                  "{\"driver\":\"virtio-blk-pci\",\"bus\":\"pci.0\",\"addr\":\"0x2\",\"drive\":"
                  "\"libvirt-3-format\",\"id\":\"virtio-disk0\",\"bootindex\":1}",
                  "-chardev", "pty,id=charserial0", "-device",
                  "{\"driver\":\"isa-serial\",\"chardev\":\"charserial0\",\"id\":\"serial0\","
                  "\"index\":0}",
                  "-audiodev", "{\"id\":\"audio1\",\"driver\":\"none\"}", "-sandbox",
                  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-msg",
                  "timestamp=on"),
             &cfg);
    ck_assert_str_eq(cfg.name, "mini");
    ck_assert(cfg.debug_threads);
    ck_assert(cfg.start_paused && cfg.no_shutdown && cfg.nodefaults && cfg.no_user_config);
    ck_assert_str_eq(cfg.machine_type, "pc-i440fx-7.2");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.machine_opts, "usb")), "off");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.machine_opts, "memory-backend")),
                     "pc.ram");
    ck_assert_int_eq(json_object_size(cfg.machine_opts), 3);
    ck_assert(cfg.accel_given);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    ck_assert_str_eq(cfg.cpu_model, "qemu64");
    ck_assert_uint_eq(cfg.ram_size, 128 * MiB);
    ck_assert(!cfg.mem_lock);
    ck_assert_uint_eq(cfg.smp.cpus, 1);
    ck_assert(cfg.uuid_set);
    ck_assert_mem_eq(cfg.uuid, uuid, 16);
    ck_assert(cfg.display_none);
    ck_assert_uint_eq(cfg.objects->len, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(g_ptr_array_index(cfg.objects, 1), "size")),
                     134217728);
    ck_assert_uint_eq(cfg.chardevs->len, 2);
    ck_assert_str_eq(
        json_string_value(json_object_get(g_ptr_array_index(cfg.chardevs, 0), "backend")),
        "socket");
    ck_assert_uint_eq(cfg.monitors->len, 1);
    mon = g_ptr_array_index(cfg.monitors, 0);
    ck_assert_str_eq(mon->chardev_id, "charmonitor");
    ck_assert_str_eq(mon->id, "monitor");
    ck_assert_ptr_null(mon->compat_spec);
    ck_assert(mon->qmp && !mon->pretty);
    ck_assert_str_eq(cfg.rtc_base, "utc");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.boot_opts, "strict")), "on");
    ck_assert_uint_eq(cfg.blockdevs->len, 2);
    ck_assert(json_is_null(json_object_get(g_ptr_array_index(cfg.blockdevs, 1), "backing")));
    ck_assert_uint_eq(cfg.devices->len, 2);
    ck_assert_uint_eq(cfg.audiodevs->len, 1);
    ck_assert_ptr_nonnull(cfg.sandbox_opts);
    ck_assert(cfg.msg_timestamp);
    ck_assert(!cfg.default_monitor && !cfg.default_serial);
    vmconfig_free(&cfg);
}
END_TEST

/* The capability probe libvirt runs. */
START_TEST(test_libvirt_probe)
{
    VmConfig cfg;
    MonitorConfig *mon;

    parse_ok(ARGS("-S", "-no-user-config", "-nodefaults", "-nographic", "-machine",
                  "none,accel=kvm:tcg", "-qmp",
                  "unix:/var/lib/libvirt/qemu/qmp.monitor,server=on,"
                  "wait=off",
                  "-pidfile", "/var/lib/libvirt/qemu/qmp.pid", "-daemonize"),
             &cfg);
    ck_assert_str_eq(cfg.machine_type, "none");
    ck_assert_uint_eq(cfg.accels->len, 2);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 1), "tcg");
    ck_assert_int_eq(json_object_size(cfg.machine_opts), 0);
    ck_assert(cfg.nographic && cfg.display_none && cfg.daemonize);
    ck_assert(!cfg.default_monitor && !cfg.default_serial);
    ck_assert_str_eq(cfg.pidfile, "/var/lib/libvirt/qemu/qmp.pid");
    mon = g_ptr_array_index(cfg.monitors, 0);
    ck_assert_str_eq(mon->chardev_id, "compat_monitor0");
    ck_assert_str_eq(mon->compat_spec, "unix:/var/lib/libvirt/qemu/qmp.monitor,server=on,wait=off");
    ck_assert(mon->qmp);
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_compat_monitors)
{
    VmConfig cfg;
    MonitorConfig *m;

    parse_ok(ARGS("-qmp", "unix:/a,server=on,wait=off", "-chardev", "null,id=c", "-mon", "c",
                  "-monitor", "stdio", "-monitor", "none", "-qmp-pretty", "tcp::4444,server=on",
                  "--qmp", "chardev:c", "-qmp", "null"),
             &cfg);
    ck_assert_uint_eq(cfg.monitors->len, 6);
    m = g_ptr_array_index(cfg.monitors, 0);
    ck_assert_str_eq(m->chardev_id, "compat_monitor0");
    ck_assert_str_eq(m->compat_spec, "unix:/a,server=on,wait=off");
    ck_assert(m->qmp && !m->pretty);
    ck_assert_str_eq(vmconfig_location(&cfg, m), "-qmp unix:/a,server=on,wait=off");
    m = g_ptr_array_index(cfg.monitors, 1);
    ck_assert_str_eq(m->chardev_id, "c");
    ck_assert_ptr_null(m->compat_spec);
    ck_assert(!m->qmp); /* -mon defaults to readline */
    m = g_ptr_array_index(cfg.monitors, 2);
    ck_assert_str_eq(m->chardev_id, "compat_monitor1");
    ck_assert_str_eq(m->compat_spec, "stdio");
    ck_assert(!m->qmp);
    /* -monitor none takes no number */
    m = g_ptr_array_index(cfg.monitors, 3);
    ck_assert_str_eq(m->chardev_id, "compat_monitor2");
    ck_assert(m->qmp && m->pretty);
    /* chardev:ID uses that chardev but still counts */
    m = g_ptr_array_index(cfg.monitors, 4);
    ck_assert_str_eq(m->chardev_id, "c");
    ck_assert_ptr_null(m->compat_spec);
    ck_assert_str_eq(vmconfig_location(&cfg, m), "--qmp chardev:c");
    m = g_ptr_array_index(cfg.monitors, 5);
    ck_assert_str_eq(m->chardev_id, "compat_monitor4");
    ck_assert(!cfg.default_monitor);
    vmconfig_free(&cfg);

    parse_ok(ARGS("-nographic", "-daemonize", "-serial", "null", "-monitor", "none"), &cfg);
    vmconfig_free(&cfg);

    parse_ok(ARGS("-monitor", "none"), &cfg);
    ck_assert_uint_eq(cfg.monitors->len, 0);
    ck_assert(!cfg.default_monitor);
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_memory)
{
    static const struct {
        const char *arg;
        uint64_t size, maxmem;
        unsigned slots;
    } cases[] = {
        {"512", 512 * MiB, 0, 0},
        {"1G", GiB, 0, 0},
        {"size=2G", 2 * GiB, 0, 0},
        {"1G,size=2G", 2 * GiB, 0, 0},
        {"0", 128 * MiB, 0, 0},
        {"", 128 * MiB, 0, 0},
        {"1k", 8192, 0, 0},
        {"1b", 8192, 0, 0},
        {"1.5G", GiB + GiB / 2, 0, 0},
        {"1.0", MiB, 0, 0},
        {"0x10", 16 * MiB, 0, 0},
        {"010", 10 * MiB, 0, 0},
        {"256,maxmem=1G", 256 * MiB, GiB, 0},
        {"256,slots=2,maxmem=1G", 256 * MiB, GiB, 2},
        {"1G,maxmem=1G,slots=0", GiB, GiB, 0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        VmConfig cfg;

        parse_ok(ARGS("-m", cases[i].arg), &cfg);
        ck_assert_msg(cfg.ram_size == cases[i].size, "-m %s: %" PRIu64, cases[i].arg, cfg.ram_size);
        ck_assert_uint_eq(cfg.maxmem, cases[i].maxmem);
        ck_assert_uint_eq(cfg.ram_slots, cases[i].slots);
        vmconfig_free(&cfg);
    }
    {
        /* -m options merge, later keys win */
        VmConfig cfg;

        parse_ok(ARGS("-m", "1G,maxmem=4G", "-m", "2G"), &cfg);
        ck_assert_uint_eq(cfg.ram_size, 2 * GiB);
        ck_assert_uint_eq(cfg.maxmem, 4 * GiB);
        vmconfig_free(&cfg);
    }
}
END_TEST

START_TEST(test_smp)
{
    static const struct {
        const char *arg;
        SmpConfig smp;
    } cases[] = {
        {"4", {4, 1, 1, 4, 1, 4}},
        {"cpus=4", {4, 1, 1, 4, 1, 4}},
        {"4,sockets=2", {4, 2, 1, 2, 1, 4}},
        {"4,cores=2", {4, 2, 1, 2, 1, 4}},
        {"4,threads=2", {4, 1, 1, 2, 2, 4}},
        {"sockets=2,cores=2", {4, 2, 1, 2, 1, 4}},
        {"2,maxcpus=8", {2, 1, 1, 8, 1, 8}},
        {"1,sockets=1,cores=1,threads=1", {1, 1, 1, 1, 1, 1}},
        {"4,dies=2", {4, 1, 2, 2, 1, 4}},
        {"4,clusters=1,dies=1,sockets=1,cores=2,threads=2,maxcpus=4", {4, 1, 1, 2, 2, 4}},
        {"0,sockets=0", {1, 1, 1, 1, 1, 1}},
        {"", {1, 1, 1, 1, 1, 1}},
        {"0x4", {4, 1, 1, 4, 1, 4}},
        {"010", {8, 1, 1, 8, 1, 8}},
        {"2,sockets=1,cores=1", {2, 1, 1, 1, 2, 2}},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        VmConfig cfg;

        parse_ok(ARGS("-smp", cases[i].arg), &cfg);
        ck_assert_msg(!memcmp(&cfg.smp, &cases[i].smp, sizeof(SmpConfig)),
                      "-smp %s: cpus %u sockets %u dies %u cores %u threads %u max %u",
                      cases[i].arg, cfg.smp.cpus, cfg.smp.sockets, cfg.smp.dies, cfg.smp.cores,
                      cfg.smp.threads, cfg.smp.maxcpus);
        vmconfig_free(&cfg);
    }
    {
        /* a later -smp replaces an earlier one; -machine smp.X too */
        VmConfig cfg;

        parse_ok(ARGS("-smp", "4,sockets=2", "-smp", "2"), &cfg);
        ck_assert_uint_eq(cfg.smp.sockets, 1);
        ck_assert_uint_eq(cfg.smp.cpus, 2);
        vmconfig_free(&cfg);
        parse_ok(ARGS("-machine", "pc,smp.cpus=3"), &cfg);
        ck_assert_uint_eq(cfg.smp.cpus, 3);
        vmconfig_free(&cfg);
    }
}
END_TEST

START_TEST(test_machine_and_accel)
{
    VmConfig cfg;

    parse_ok(ARGS("-machine", "pc,accel=kvm"), &cfg);
    ck_assert_str_eq(cfg.machine_type, "pc-i440fx-7.2");
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    ck_assert(cfg.accel_given);
    ck_assert_int_eq(json_object_size(cfg.machine_opts), 0);
    vmconfig_free(&cfg);

    parse_ok(
        ARGS("-M", "none", "--machine", "type=pc,hpet=off", "-machine", "kernel-irqchip=split"),
        &cfg);
    ck_assert_str_eq(cfg.machine_type, "pc-i440fx-7.2");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.machine_opts, "hpet")), "off");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.machine_opts, "kernel-irqchip")),
                     "split");
    vmconfig_free(&cfg);

    /* -qtest makes qtest the default accelerator */
    parse_ok(ARGS("-qtest", "unix:/tmp/q", "-qtest-log", "/dev/null", "-machine", "none"), &cfg);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "qtest");
    ck_assert(!cfg.accel_given);
    ck_assert_str_eq(cfg.qtest, "unix:/tmp/q");
    ck_assert_str_eq(cfg.qtest_log, "/dev/null");
    vmconfig_free(&cfg);

    parse_ok(ARGS("-accel", "qtest", "-accel", "kvm,kernel-irqchip=on"), &cfg);
    ck_assert_uint_eq(cfg.accels->len, 2);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 1), "kvm");
    ck_assert_str_eq(
        json_string_value(json_object_get(g_ptr_array_index(cfg.accel_opts, 1), "kernel-irqchip")),
        "on");
    ck_assert_int_eq(json_object_size(g_ptr_array_index(cfg.accel_opts, 0)), 0);
    vmconfig_free(&cfg);

    /* -enable-kvm is -machine accel=kvm; the last one wins */
    parse_ok(ARGS("-enable-kvm", "-machine", "accel=qtest"), &cfg);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "qtest");
    vmconfig_free(&cfg);
    parse_ok(ARGS("-machine", "accel=tcg", "-enable-kvm"), &cfg);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    ck_assert_uint_eq(cfg.accels->len, 1);
    vmconfig_free(&cfg);
    /* unknown names in the list are skipped */
    parse_ok(ARGS("-machine", "accel=foo:kvm:"), &cfg);
    ck_assert_uint_eq(cfg.accels->len, 1);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    vmconfig_free(&cfg);
    parse_ok(ARGS("-accel", "accel=kvm"), &cfg);
    ck_assert_str_eq(g_ptr_array_index(cfg.accels, 0), "kvm");
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_kernel_bios)
{
    VmConfig cfg;

    parse_ok(ARGS("-machine", "pc,kernel=/k1", "-kernel", "/k2", "-initrd", "/i", "-append",
                  "console=ttyS0 a,b", "-bios", "/bios.bin", "-L", "/d1", "-L", "/d2"),
             &cfg);
    ck_assert_str_eq(cfg.kernel, "/k2");
    ck_assert_str_eq(cfg.initrd, "/i");
    ck_assert_str_eq(cfg.append, "console=ttyS0 a,b");
    ck_assert_str_eq(cfg.bios, "/bios.bin");
    ck_assert_uint_eq(cfg.firmware_dirs->len, 2);
    ck_assert_str_eq(g_ptr_array_index(cfg.firmware_dirs, 1), "/d2");
    ck_assert_int_eq(json_object_size(cfg.machine_opts), 0);
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_drives)
{
    VmConfig cfg;
    json_t *d;

    parse_ok(ARGS("disk0.img", "-hdb", "/b.img", "-cdrom", "/cd.iso", "-hdd", "/d,x.img", "-drive",
                  "file=/x,,y,if=none,id=drv0,read-only", "-snapshot"),
             &cfg);
    ck_assert_uint_eq(cfg.drives->len, 5);
    d = g_ptr_array_index(cfg.drives, 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "file")), "disk0.img");
    ck_assert_str_eq(json_string_value(json_object_get(d, "index")), "0");
    ck_assert_str_eq(json_string_value(json_object_get(d, "media")), "disk");
    d = g_ptr_array_index(cfg.drives, 1);
    ck_assert_str_eq(json_string_value(json_object_get(d, "index")), "1");
    d = g_ptr_array_index(cfg.drives, 2);
    ck_assert_str_eq(json_string_value(json_object_get(d, "index")), "2");
    ck_assert_str_eq(json_string_value(json_object_get(d, "media")), "cdrom");
    d = g_ptr_array_index(cfg.drives, 3);
    ck_assert_str_eq(json_string_value(json_object_get(d, "file")), "/d,x.img");
    ck_assert_str_eq(json_string_value(json_object_get(d, "index")), "3");
    d = g_ptr_array_index(cfg.drives, 4);
    ck_assert_str_eq(json_string_value(json_object_get(d, "file")), "/x,y");
    ck_assert_str_eq(json_string_value(json_object_get(d, "read-only")), "on");
    ck_assert_str_eq(vmconfig_location(&cfg, d), "-drive file=/x,,y,if=none,id=drv0,read-only");
    ck_assert_str_eq(vmconfig_location(&cfg, g_ptr_array_index(cfg.drives, 1)), "-hdb /b.img");
    ck_assert(cfg.snapshot);
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_backends_devices)
{
    VmConfig cfg;
    json_t *o;

    parse_ok(ARGS("-blockdev", "null-co,node-name=n0,size=1M", "-blockdev",
                  "driver=qcow2,node-name=q,file.driver=file,file.filename=/a.qcow2", "-device",
                  "virtio-blk-pci,drive=n0,id=vd0", "-device",
                  "{\"driver\":\"ide-hd\",\"bus\":\"ide.0\",\"unit\":0}", "-object",
                  "iothread,id=io0", "-object", "{\"qom-type\":\"secret\",\"id\":\"s0\"}",
                  "-chardev", "socket,id=c0,path=/tmp/s,server=on,wait=off", "-global",
                  "ide-hd.ver=1", "-global", "driver=isa-serial,property=x,value=y", "-serial",
                  "pty", "-serial", "none", "-serial", "unix:/tmp/ser,server=on"),
             &cfg);
    o = g_ptr_array_index(cfg.blockdevs, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "driver")), "null-co");
    ck_assert_str_eq(json_string_value(json_object_get(o, "size")), "1M");
    o = g_ptr_array_index(cfg.blockdevs, 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "file"), "filename")),
                     "/a.qcow2");
    o = g_ptr_array_index(cfg.devices, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "driver")), "virtio-blk-pci");
    o = g_ptr_array_index(cfg.devices, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "unit")), 0);
    o = g_ptr_array_index(cfg.objects, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "qom-type")), "iothread");
    o = g_ptr_array_index(cfg.chardevs, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "backend")), "socket");
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")), "/tmp/s");
    ck_assert_str_eq(vmconfig_location(&cfg, o),
                     "-chardev socket,id=c0,path=/tmp/s,server=on,wait=off");
    o = g_ptr_array_index(cfg.globals, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "driver")), "ide-hd");
    ck_assert_str_eq(json_string_value(json_object_get(o, "property")), "ver");
    ck_assert_str_eq(json_string_value(json_object_get(o, "value")), "1");
    o = g_ptr_array_index(cfg.globals, 1);
    ck_assert_str_eq(json_string_value(json_object_get(o, "driver")), "isa-serial");
    /* -serial none takes no index */
    ck_assert_uint_eq(cfg.serials->len, 2);
    ck_assert_str_eq(g_ptr_array_index(cfg.serials, 1), "unix:/tmp/ser,server=on");
    ck_assert_str_eq(vmconfig_location(&cfg, g_ptr_array_index(cfg.serials, 0)), "-serial pty");
    ck_assert(!cfg.default_serial);
    ck_assert_ptr_null(vmconfig_location(&cfg, &cfg));
    vmconfig_free(&cfg);

    /* the same id in different lists is fine */
    parse_ok(ARGS("-chardev", "null,id=a", "-drive", "if=none,id=a", "-device", "ide-hd,id=a"),
             &cfg);
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_identity_and_misc)
{
    VmConfig cfg;
    static const uint8_t uuid[16] = {0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x12, 0x34,
                                     0x12, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};

    parse_ok(ARGS("-name", "foo,,bar", "-uuid", "12345678-1234-1234-1234-123456789ABC", "-msg",
                  "timestamp", "-overcommit", "mem-lock=on", "-overcommit", "cpu-pm=on", "-rtc",
                  "base=2006-06-17T16:01", "-rtc", "clock=vm", "-pidfile", "/p1", "-pidfile", "/p2",
                  "-D", "/log", "-d", "int", "-k", "de", "-no-reboot", "-no-hpet", "-display",
                  "none", "-vga", "none"),
             &cfg);
    ck_assert_str_eq(cfg.name, "foo,bar");
    ck_assert(!cfg.debug_threads);
    ck_assert(cfg.uuid_set);
    ck_assert_mem_eq(cfg.uuid, uuid, 16);
    ck_assert(cfg.msg_timestamp);
    ck_assert(cfg.mem_lock && cfg.cpu_pm);
    ck_assert_str_eq(cfg.rtc_base, "2006-06-17T16:01");
    ck_assert_str_eq(cfg.rtc_clock, "vm");
    ck_assert_ptr_null(cfg.rtc_driftfix);
    ck_assert_str_eq(cfg.pidfile, "/p2");
    ck_assert_str_eq(cfg.log_file, "/log");
    ck_assert_str_eq(cfg.log_items, "int");
    ck_assert_str_eq(cfg.keyboard_layout, "de");
    ck_assert(cfg.no_reboot && cfg.no_hpet && cfg.display_none && cfg.vga_none);
    ck_assert(!cfg.nographic);
    vmconfig_free(&cfg);

    /* -name options merge */
    parse_ok(ARGS("-name", "a", "-name", "debug-threads=on,process=proc"), &cfg);
    ck_assert_str_eq(cfg.name, "a");
    ck_assert_str_eq(cfg.process_name, "proc");
    ck_assert(cfg.debug_threads);
    vmconfig_free(&cfg);
    parse_ok(ARGS("-name", "a,guest=b"), &cfg);
    ck_assert_str_eq(cfg.name, "b");
    vmconfig_free(&cfg);
    parse_ok(ARGS("-name", ""), &cfg);
    ck_assert_ptr_null(cfg.name);
    vmconfig_free(&cfg);

    parse_ok(ARGS("-boot", "order=cd,menu=on,reboot-timeout=-1", "-rtc", "base=localtime"), &cfg);
    ck_assert_str_eq(json_string_value(json_object_get(cfg.boot_opts, "order")), "cd");
    ck_assert_str_eq(json_string_value(json_object_get(cfg.boot_opts, "menu")), "on");
    ck_assert_str_eq(cfg.rtc_base, "localtime");
    vmconfig_free(&cfg);

    parse_ok(ARGS("-sandbox", "off"), &cfg);
    ck_assert_str_eq(json_string_value(json_object_get(cfg.sandbox_opts, "enable")), "off");
    vmconfig_free(&cfg);
}
END_TEST

/* ---- help and version ---- */

static char *first_line(const char *text)
{
    return g_strndup(text, strcspn(text, "\n"));
}

static const struct {
    const char *const *args;
    const char *first;
    const char *contains; /* NULL: nothing more checked */
} help_cases[] = {
    {ARGS("-version"), "QEMU emulator version 7.2.0 (minivm 0.1.0)", "Copyright (c)"},
    {ARGS("--version", "-foo"), "QEMU emulator version 7.2.0 (minivm 0.1.0)", NULL},
    {ARGS("-help"), "QEMU emulator version 7.2.0 (minivm 0.1.0)",
     "\nusage: minivm [options] [disk_image]\n"},
    {ARGS("-h", "-foo"), "QEMU emulator version 7.2.0 (minivm 0.1.0)", "\n-qmp dev"},
    {ARGS("-machine", "help"), "Supported machines are:",
     "Supported machines are:\n"
     "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n"
     "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)\n"
     "none                 empty machine\n"},
    {ARGS("-M", "?", "-foo"), "Supported machines are:", NULL},
    {ARGS("-machine", "type=help"), "Supported machines are:", NULL},
    {ARGS("-device", "help"), "Storage devices:",
     "Storage devices:\nname \"ide-hd\", bus IDE, desc \"virtual IDE disk\"\n"
     "name \"piix3-ide\", bus PCI\nname \"virtio-blk-pci\", bus PCI, alias \"virtio-blk\"\n\n"
     "Input devices:\nname \"isa-serial\", bus ISA\n\n"
     "Misc devices:\nname \"isa-debugcon\", bus ISA\n"},
    {ARGS("-drive", "format=help"), "Supported formats: blkdebug file null-co qcow2 raw",
     "\nSupported formats (read-only): blkdebug file null-co qcow2 raw\n"},
    {ARGS("-drive", "file=x,format=?"), "Supported formats: blkdebug file null-co qcow2 raw", NULL},
    {ARGS("-accel", "help"),
     "Accelerators supported in QEMU binary:", "Accelerators supported in QEMU binary:\nkvm\n"},
    {ARGS("-accel", ""), "Accelerators supported in QEMU binary:", NULL},
    {ARGS("-chardev", "help"), "Available chardev backend types: ", "\n  socket\n"},
    {ARGS("-object", "help"), "List of user creatable objects:", "\n  iothread\n"},
    {ARGS("-display", "help"),
     "Available display backend types:", "Available display backend types:\nnone\n"},
    {ARGS("-vga", "help"), "none                 no graphic card", NULL},
    /* the first request is answered; an error in the whole is not looked for */
    {ARGS("-device", "help", "-drive", "format=help", "-machine", "foo"), "Storage devices:", NULL},
};

START_TEST(test_help)
{
    VmConfig cfg;
    char *first;

    parse_ok(help_cases[_i].args, &cfg);
    ck_assert_ptr_nonnull(cfg.exit_text);
    first = first_line(cfg.exit_text);
    ck_assert_str_eq(first, help_cases[_i].first);
    g_free(first);
    if (help_cases[_i].contains) {
        ck_assert_msg(strstr(cfg.exit_text, help_cases[_i].contains), "%s lacks %s", cfg.exit_text,
                      help_cases[_i].contains);
    }
    ck_assert(g_str_has_suffix(cfg.exit_text, "\n"));
    vmconfig_free(&cfg);
}
END_TEST

START_TEST(test_help_lists_every_option)
{
    VmConfig cfg;

    parse_ok(ARGS("-help"), &cfg);
    for (size_t i = 0; i < cmdline_option_count(); i++) {
        char *needle = g_strdup_printf("\n-%s ", cmdline_option_name(i));
        char *needle2 = g_strdup_printf("\n-%s\n", cmdline_option_name(i));

        ck_assert_msg(strstr(cfg.exit_text, needle) || strstr(cfg.exit_text, needle2),
                      "-help lacks -%s", cmdline_option_name(i));
        g_free(needle);
        g_free(needle2);
    }
    vmconfig_free(&cfg);
}
END_TEST

/* ---- daemonize and pidfile ---- */

static char *tmp_path(const char *name)
{
    return g_strdup_printf("%s/minivm-test-cmdline-%d-%s", g_get_tmp_dir(), (int)getpid(), name);
}

static char *read_file(const char *path)
{
    char *text = NULL;

    g_file_get_contents(path, &text, NULL, NULL);
    return text;
}

START_TEST(test_pidfile)
{
    char *path = tmp_path("pid");
    char *text, *want;
    Error *err = NULL;
    struct stat st;
    pid_t child;
    int status;

    ck_assert(pidfile_create(path, &error_abort));
    text = read_file(path);
    want = g_strdup_printf("%d\n", (int)getpid());
    ck_assert_str_eq(text, want);
    g_free(text);
    g_free(want);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    /* Another process cannot take it while we hold it. */
    child = fork();
    if (child == 0) {
        Error *cerr = NULL;
        bool ok;

        pidfile_remove(); /* not ours: must not unlink */
        ok = pidfile_create(path, &cerr);
        _exit(!ok && !strcmp(error_get_pretty(cerr), "cannot create PID file: Cannot lock pid "
                                                     "file: Resource temporarily unavailable")
                  ? 0
                  : 1);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(access(path, F_OK), 0);

    pidfile_remove();
    ck_assert_int_ne(access(path, F_OK), 0);
    pidfile_remove(); /* idempotent */

    /* a relative path is still removed after a change of directory */
    {
        char *dir = tmp_path("dir");
        char *old_cwd = g_get_current_dir();
        char *file;

        ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
        ck_assert_int_eq(chdir(dir), 0);
        ck_assert(pidfile_create("rel.pid", &error_abort));
        ck_assert_int_eq(chdir("/"), 0);
        file = g_build_filename(dir, "rel.pid", NULL);
        ck_assert_int_eq(access(file, F_OK), 0);
        pidfile_remove();
        ck_assert_int_ne(access(file, F_OK), 0);
        ck_assert_int_eq(chdir(old_cwd), 0);
        rmdir(dir);
        g_free(file);
        g_free(old_cwd);
        g_free(dir);
    }

    /* a directory that does not exist */
    ck_assert(!pidfile_create("/nonexistent-dir/p.pid", &err));
    ck_assert_str_eq(error_get_pretty(err), "cannot create PID file: Could not create "
                                            "'/nonexistent-dir/p.pid': No such file or directory");
    error_free(err);

    /* removed at exit */
    child = fork();
    if (child == 0) {
        exit(pidfile_create(path, NULL) ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_ne(access(path, F_OK), 0);
    g_free(path);
}
END_TEST

static void write_text(const char *path, const char *text)
{
    g_file_set_contents(path, text, -1, NULL);
}

/*
 * Runs os_daemonize() in a child and returns the exit status of the
 * foreground process.  The daemon writes 'pre' before it reports readiness
 * and 'post' (cwd, isatty(0)) after; with 'fail' it exits before either.
 */
static int run_daemon(const char *pre, const char *post, bool fail)
{
    int status;
    pid_t fg = fork();

    if (fg == 0) {
        char cwd[256] = "";
        char *text;

        os_daemonize();
        /* in the daemon now */
        if (fail || !os_is_daemonized()) {
            _exit(3);
        }
        usleep(200 * 1000); /* the foreground must wait for us */
        text = g_strdup_printf("%d %d\n", (int)getpid(), (int)getsid(0));
        write_text(pre, text);
        g_free(text);
        os_setup_post();
        if (!getcwd(cwd, sizeof(cwd))) {
            _exit(4);
        }
        text = g_strdup_printf("%s %d\n", cwd, isatty(STDIN_FILENO));
        write_text(post, text);
        g_free(text);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(fg, &status, 0), fg);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_daemonize)
{
    char *pre = tmp_path("pre");
    char *post = tmp_path("post");
    char *text = NULL;
    int pid = 0, sid = 0, tty = 1;
    char cwd[256] = "";

    unlink(pre);
    unlink(post);
    ck_assert_int_eq(run_daemon(pre, post, false), 0);
    /* The foreground exited only after the daemon got this far. */
    text = read_file(pre);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(sscanf(text, "%d %d", &pid, &sid), 2);
    ck_assert_int_ne(pid, sid); /* not a session leader */
    g_free(text);

    for (int i = 0; i < 250 && !(text = read_file(post)); i++) {
        usleep(20 * 1000);
    }
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(sscanf(text, "%255s %d", cwd, &tty), 2);
    ck_assert_str_eq(cwd, "/");
    ck_assert_int_eq(tty, 0);
    g_free(text);
    unlink(pre);
    unlink(post);

    /* a daemon that dies before it is ready makes the foreground exit 1 */
    ck_assert_int_eq(run_daemon(pre, post, true), 1);
    ck_assert_int_ne(access(pre, F_OK), 0);
    g_free(pre);
    g_free(post);
}
END_TEST

START_TEST(test_not_daemonized)
{
    char cwd[256];

    ck_assert(!os_is_daemonized());
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    os_setup_post(); /* no-op */
    {
        char cwd2[256];

        ck_assert_ptr_nonnull(getcwd(cwd2, sizeof(cwd2)));
        ck_assert_str_eq(cwd, cwd2);
    }
    os_set_proc_name("minivm-test-process-name");
}
END_TEST

static Suite *cmdline_suite(void)
{
    Suite *s = suite_create("cmdline");
    TCase *tc = tcase_create("parse");
    TCase *td = tcase_create("daemonize");

    tcase_add_loop_test(tc, test_errors, 0, ARRAY_SIZE(error_cases));
    tcase_add_test(tc, test_every_option);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_libvirt_start);
    tcase_add_test(tc, test_libvirt_probe);
    tcase_add_test(tc, test_compat_monitors);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_smp);
    tcase_add_test(tc, test_machine_and_accel);
    tcase_add_test(tc, test_kernel_bios);
    tcase_add_test(tc, test_drives);
    tcase_add_test(tc, test_backends_devices);
    tcase_add_test(tc, test_identity_and_misc);
    tcase_add_loop_test(tc, test_help, 0, ARRAY_SIZE(help_cases));
    tcase_add_test(tc, test_help_lists_every_option);
    suite_add_tcase(s, tc);

    tcase_add_test(td, test_pidfile);
    tcase_add_test(td, test_daemonize);
    tcase_add_test(td, test_not_daemonized);
    suite_add_tcase(s, td);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cmdline_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
