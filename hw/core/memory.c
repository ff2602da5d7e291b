/*
 * Guest physical memory: RAM blocks and the dispatch of port I/O and MMIO
 * to device regions.  See memory.h for the threading rules.
 */
#include <assert.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "hw/core/memory.h"
#include "util/main-loop.h"

struct IORegion {
    IOSpace space;
    char *name;
    uint64_t base, size;
    const MemoryOps *ops;
    void *opaque;
    bool mapped;
    uint64_t map_seq; /* later mappings hide earlier ones */
};

struct IONotifier {
    IOSpace space;
    uint64_t addr;
    unsigned size;
    bool match_data;
    uint64_t data;
    void (*fn)(void *opaque);
    void *opaque;
    int fd;     /* the ioeventfd, or -1 when io_dispatch() matches */
    QEMUBH *bh; /* for dispatcher-matched writes */
};

#define RAM_MAX_BLOCKS 2

static struct {
    GPtrArray *regions[IO_SPACE_MAX]; /* mapped IORegion *, any order */
    uint64_t map_seq;
    GPtrArray *notifiers;             /* IONotifier * */
    IONotifierBackend *notifier_backend;
    RamBlock ram[RAM_MAX_BLOCKS];
    unsigned ram_blocks;
} mem;

IORegion *ioregion_new(IOSpace space, const char *name, uint64_t size, const MemoryOps *ops,
                       void *opaque)
{
    IORegion *r = g_new0(IORegion, 1);

    assert(space < IO_SPACE_MAX && size > 0);
    r->space = space;
    r->name = g_strdup(name);
    r->size = size;
    r->ops = ops;
    r->opaque = opaque;
    return r;
}

void ioregion_map(IORegion *r, uint64_t base)
{
    if (!mem.regions[r->space]) {
        mem.regions[r->space] = g_ptr_array_new();
    }
    if (!r->mapped) {
        g_ptr_array_add(mem.regions[r->space], r);
    }
    r->base = base;
    r->mapped = true;
    r->map_seq = ++mem.map_seq;
}

void ioregion_unmap(IORegion *r)
{
    if (r->mapped) {
        g_ptr_array_remove(mem.regions[r->space], r);
        r->mapped = false;
    }
}

bool ioregion_is_mapped(const IORegion *r)
{
    return r->mapped;
}

uint64_t ioregion_base(const IORegion *r)
{
    return r->base;
}

uint64_t ioregion_size(const IORegion *r)
{
    return r->size;
}

void ioregion_free(IORegion *r)
{
    if (r) {
        ioregion_unmap(r);
        g_free(r->name);
        g_free(r);
    }
}

/* The visible region containing addr: the most recently mapped one. */
static IORegion *ioregion_lookup(IOSpace space, uint64_t addr)
{
    GPtrArray *regions = mem.regions[space];
    IORegion *best = NULL;

    for (guint i = 0; regions && i < regions->len; i++) {
        IORegion *r = g_ptr_array_index(regions, i);

        if (addr >= r->base && addr - r->base < r->size &&
            (!best || r->map_seq > best->map_seq)) {
            best = r;
        }
    }
    return best;
}

static void io_notifier_bh(void *opaque)
{
    IONotifier *n = opaque;

    n->fn(n->opaque);
}

static bool io_notifier_match(IOSpace space, uint64_t addr, const void *data, unsigned size)
{
    uint64_t value = 0;

    memcpy(&value, data, size);
    for (guint i = 0; mem.notifiers && i < mem.notifiers->len; i++) {
        IONotifier *n = g_ptr_array_index(mem.notifiers, i);

        if (n->space == space && n->addr == addr && n->size == size &&
            (!n->match_data || n->data == value)) {
            qemu_bh_schedule(n->bh);
            return true;
        }
    }
    return false;
}

bool io_dispatch(IOSpace space, uint64_t addr, void *data, unsigned size, bool is_write)
{
    IORegion *r;
    uint64_t value = 0;

    assert(size == 1 || size == 2 || size == 4 || size == 8);
    if (is_write && io_notifier_match(space, addr, data, size)) {
        return true;
    }
    r = ioregion_lookup(space, addr);
    if (!r || r->size - (addr - r->base) < size) {
        if (!is_write) {
            memset(data, 0xff, size);
        }
        return false;
    }
    if (is_write) {
        memcpy(&value, data, size);
        if (r->ops->write) {
            r->ops->write(r->opaque, addr - r->base, value, size);
        }
    } else {
        value = r->ops->read ? r->ops->read(r->opaque, addr - r->base, size) : ~0ULL;
        memcpy(data, &value, size);
    }
    return true;
}

static void io_notifier_fd_read(void *opaque)
{
    IONotifier *n = opaque;
    uint64_t count;

    if (read(n->fd, &count, sizeof(count)) == sizeof(count)) {
        n->fn(n->opaque);
    }
}

IONotifier *io_notifier_add(IOSpace space, uint64_t addr, unsigned size, bool match_data,
                            uint64_t data, void (*fn)(void *opaque), void *opaque)
{
    IONotifier *n = g_new0(IONotifier, 1);

    *n = (IONotifier){ .space = space, .addr = addr, .size = size, .match_data = match_data,
                       .data = data, .fn = fn, .opaque = opaque, .fd = -1 };
    n->bh = qemu_bh_new(io_notifier_bh, n);
    if (mem.notifier_backend) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

        if (fd >= 0 && mem.notifier_backend(space, addr, size, match_data, data, fd, true) == 0) {
            n->fd = fd;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (n->fd >= 0) {
        /* The kernel signals the eventfd; read it empty, then notify. */
        qemu_set_fd_handler(n->fd, io_notifier_fd_read, NULL, n);
    }
    if (!mem.notifiers) {
        mem.notifiers = g_ptr_array_new();
    }
    g_ptr_array_add(mem.notifiers, n);
    return n;
}

void io_notifier_del(IONotifier *n)
{
    if (!n) {
        return;
    }
    if (n->fd >= 0) {
        qemu_set_fd_handler(n->fd, NULL, NULL, NULL);
        mem.notifier_backend(n->space, n->addr, n->size, n->match_data, n->data, n->fd, false);
        close(n->fd);
    }
    g_ptr_array_remove(mem.notifiers, n);
    qemu_bh_delete(n->bh);
    g_free(n);
}

void io_notifier_set_backend(IONotifierBackend *fn)
{
    mem.notifier_backend = fn;
}

bool guest_ram_init(uint64_t below_4g, uint64_t above_4g, Error **errp)
{
    const uint64_t gpas[RAM_MAX_BLOCKS] = { 0, 1ULL << 32 };
    const uint64_t sizes[RAM_MAX_BLOCKS] = { below_4g, above_4g };

    assert(mem.ram_blocks == 0);
    for (unsigned i = 0; i < RAM_MAX_BLOCKS; i++) {
        void *host;

        if (!sizes[i]) {
            continue;
        }
        host = mmap(NULL, sizes[i], PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (host == MAP_FAILED) {
            error_setg_errno(errp, errno, "cannot set up guest memory 'pc.ram'");
            guest_ram_cleanup();
            return false;
        }
        /* Guest RAM is useless in a core dump and huge. */
        madvise(host, sizes[i], MADV_DONTDUMP);
        mem.ram[mem.ram_blocks++] = (RamBlock){ .gpa = gpas[i], .size = sizes[i], .host = host };
    }
    return true;
}

void guest_ram_cleanup(void)
{
    for (unsigned i = 0; i < mem.ram_blocks; i++) {
        munmap(mem.ram[i].host, mem.ram[i].size);
    }
    mem.ram_blocks = 0;
}

unsigned guest_ram_block_count(void)
{
    return mem.ram_blocks;
}

const RamBlock *guest_ram_block(unsigned i)
{
    return i < mem.ram_blocks ? &mem.ram[i] : NULL;
}

uint64_t guest_ram_size(void)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < mem.ram_blocks; i++) {
        total += mem.ram[i].size;
    }
    return total;
}

void *guest_ram_ptr(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem.ram_blocks; i++) {
        const RamBlock *b = &mem.ram[i];

        if (gpa >= b->gpa && gpa - b->gpa <= b->size && len <= b->size - (gpa - b->gpa)) {
            return b->host + (gpa - b->gpa);
        }
    }
    return NULL;
}

/* Length of the RAM run starting at gpa (0 if gpa is not RAM). */
static uint64_t guest_ram_run(uint64_t gpa)
{
    for (unsigned i = 0; i < mem.ram_blocks; i++) {
        const RamBlock *b = &mem.ram[i];

        if (gpa >= b->gpa && gpa - b->gpa < b->size) {
            return b->size - (gpa - b->gpa);
        }
    }
    return 0;
}

int guest_memory_rw(uint64_t gpa, void *buf, uint64_t len, bool is_write)
{
    uint8_t *p = buf;
    int ret = 0;

    if (gpa + len < gpa) {
        return -EFAULT;
    }
    while (len) {
        uint64_t run = guest_ram_run(gpa);

        if (run) {
            uint64_t n = MIN(run, len);
            uint8_t *host = guest_ram_ptr(gpa, n);

            if (is_write) {
                memcpy(host, p, n);
            } else {
                memcpy(p, host, n);
            }
            gpa += n;
            p += n;
            len -= n;
            continue;
        }
        /* MMIO: the largest naturally aligned access that fits. */
        unsigned size = 8;
        while (size > 1 && ((gpa & (size - 1)) || size > len)) {
            size >>= 1;
        }
        if (!io_dispatch(IO_SPACE_MMIO, gpa, p, size, is_write)) {
            ret = -EFAULT;
        }
        gpa += size;
        p += size;
        len -= size;
    }
    return ret;
}
