/*
 * minivm-img: qemu-img's commands on minivm's block layer.
 *
 * The command line is qemu-img's: "minivm-img [-V|--version|-h|--help]
 * command [command options]"; each command keeps qemu-img's options,
 * output and exit codes, so scripts written for qemu-img work unchanged.
 */
#include "tools/img-common.h"

#include "config-host.h"

static const struct {
    const char *name;
    ImgCommandFn *fn;
    const char *syntax;
} img_commands[] = {
    {"bench", img_bench,
     "bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-i aio] [-n] "
     "[--no-drain] [-o offset] [--pattern=pattern] [-q] [-s buffer_size] [-S step_size] "
     "[-t cache] [-w] [-U] filename"},
    {"check", img_check,
     "check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] filename"},
    {"commit", img_commit,
     "commit [-q] [-f fmt] [-t cache] [-b base] [-r rate_limit] [-d] [-p] "
     "filename"},
    {"compare", img_compare,
     "compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 filename2"},
    {"convert", img_convert,
     "convert [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt] "
     "[-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size] [-r rate_limit] "
     "[-m num_coroutines] [-W] [-U] filename [filename2 [...]] output_filename"},
    {"create", img_create,
     "create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename "
     "[size]"},
    {"info", img_info, "info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename"},
    {"map", img_map,
     "map [-f fmt] [--output=ofmt] [--start-offset=offset] [--max-length=len] [-U] filename"},
    {"rebase", img_rebase,
     "rebase [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] [-U] -b backing_file "
     "[-F backing_fmt] filename"},
    {"resize", img_resize,
     "resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size"},
};

void img_help(void)
{
    printf("minivm-img version " MINIVM_VERSION "\n"
           "usage: %s [standard options] command [command options]\n"
           "Disk image utility (qemu-img's commands on the minivm block layer)\n"
           "\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n"
           "\n"
           "Command syntax:\n",
           error_get_progname());
    for (size_t i = 0; i < ARRAY_SIZE(img_commands); i++) {
        printf("  %s\n", img_commands[i].syntax);
    }
    printf("\n"
           "Command parameters:\n"
           "  'filename' is a disk image filename\n"
           "  'fmt' is the disk image format (raw or qcow2). It is guessed automatically in "
           "most cases\n"
           "  'cache' is the cache mode used to write the output disk image, the valid\n"
           "    options are: 'none', 'writeback' (default, except for convert), "
           "'writethrough',\n"
           "    'directsync' and 'unsafe' (default for convert)\n"
           "  'size' is the disk image size in bytes. Optional suffixes\n"
           "    'k' or 'K' (kilobyte, 1024), 'M' (megabyte, 1024k), 'G' (gigabyte, 1024M),\n"
           "    'T' (terabyte, 1024G), 'P' (petabyte, 1024T) and 'E' (exabyte, 1024P)  are\n"
           "    supported. 'b' is ignored.\n"
           "\n"
           "Supported formats: blkdebug file null-co qcow2 raw\n");
    exit(EXIT_SUCCESS);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    g_autofree char *progname = g_path_get_basename(argv[0]);
    const char *cmd;
    int c;

    error_set_progname(progname);
    main_loop_init();
    bdrv_init();

    if (argc < 2) {
        img_error_exit("Not enough arguments");
    }
    /* Standard options stop at the command name. */
    while ((c = getopt_long(argc, argv, "+:hVT:", longopts, NULL)) != -1) {
        switch (c) {
        case 'V':
            printf("minivm-img version " MINIVM_VERSION "\n");
            return 0;
        case 'T':
            /* Tracing is not implemented; accepted for compatibility. */
            break;
        default:
            img_bad_option(c, argv);
        }
    }
    cmd = argv[optind];
    if (!cmd) {
        img_error_exit("Not enough arguments");
    }
    /* Each command parses its own options from argv[0] = command. */
    argc -= optind;
    argv += optind;
    optind = 0;
    for (size_t i = 0; i < ARRAY_SIZE(img_commands); i++) {
        if (!strcmp(cmd, img_commands[i].name)) {
            int ret = img_commands[i].fn(argc, argv);

            fflush(stdout);
            return ret;
        }
    }
    img_error_exit("Command not found: %s", cmd);
}
