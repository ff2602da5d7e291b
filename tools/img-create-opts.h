/*
 * The image creation options of minivm-img create / convert (-o): which
 * options each format takes (qemu-img's names, types, help texts and
 * defaults), their validation, the "Formatting ..." listing and the
 * translation into a blockdev-create request.
 */
#ifndef TOOLS_IMG_CREATE_OPTS_H
#define TOOLS_IMG_CREATE_OPTS_H

#include "tools/img-common.h"

/* "Format driver 'x' does not support image creation" unless fmt creates. */
bool img_create_fmt_check(const char *fmt, Error **errp);
/* Prints the options of fmt (merged with the protocol's when filename is given). */
int img_create_opts_help(const char *fmt, const char *filename);
/*
 * Checks every option of l is one fmt takes, with a value of its type
 * ("Invalid parameter 'x'", "Parameter 'x' expects a number", ...).
 */
bool img_create_opts_validate(const char *fmt, const ImgOptList *l, Error **errp);
/* "name=value" pairs as qemu-img lists them after "fmt=<fmt> ". */
char *img_create_opts_string(const char *fmt, const ImgOptList *l);
/*
 * The size option as a number: -1 when it is not set.  Call after
 * img_create_opts_validate.
 */
int64_t img_create_opts_size(const ImgOptList *l);
/*
 * Creates the image: the file first, then the format on it.  Returns 0 or
 * -errno with *errp set (-EFBIG: the size does not fit the format).
 */
int img_create_image(const char *filename, const char *fmt, const ImgOptList *l, Error **errp);

#endif
