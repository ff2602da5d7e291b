/*
 * The guest's physical address space: RAM blocks, and the port-I/O and MMIO
 * regions devices register.  The accelerator (accel/kvm, accel/qtest) turns
 * guest accesses into io_dispatch() calls and maps the RAM blocks.
 *
 * Threads: io_dispatch() runs on a vCPU thread or the main thread, always
 * with the BQL held (util/bql.h), so device handlers are serialised with the
 * main loop.  Handlers must not block and must not call the block layer
 * directly (it is main-thread only): they schedule a bottom half.  Guest RAM
 * itself may be read and written from any thread without the BQL.
 */
#ifndef HW_CORE_MEMORY_H
#define HW_CORE_MEMORY_H

#include "util/error.h"
#include "util/osdep.h"

typedef enum IOSpace {
    IO_SPACE_PIO,  /* x86 port I/O: addresses 0..0xffff */
    IO_SPACE_MMIO, /* physical memory addresses not backed by RAM */
    IO_SPACE_MAX,
} IOSpace;

/*
 * A device's registers.  'offset' is relative to the region's base; size is
 * 1, 2, 4 or 8 and the access never crosses the region's end (the
 * dispatcher splits or drops such accesses).  Reads of unmapped addresses
 * return all ones; writes there are ignored.
 */
typedef struct MemoryOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} MemoryOps;

typedef struct IORegion IORegion;

/* A region of 'size' bytes, not yet mapped.  'name' is for debugging. */
IORegion *ioregion_new(IOSpace space, const char *name, uint64_t size, const MemoryOps *ops,
                       void *opaque);
/*
 * Maps (or moves) the region to 'base'.  A region mapped later hides the
 * ones it overlaps (PCI BARs a guest programs over each other).  Main thread
 * or BQL.
 */
void ioregion_map(IORegion *r, uint64_t base);
void ioregion_unmap(IORegion *r);
bool ioregion_is_mapped(const IORegion *r);
uint64_t ioregion_base(const IORegion *r);
uint64_t ioregion_size(const IORegion *r);
void ioregion_free(IORegion *r);

/*
 * One guest access of 'size' (1, 2, 4, 8) bytes at 'addr'; 'data' is
 * little-endian.  Returns false when nothing is mapped there (reads then
 * fill 'data' with 0xff).  BQL held.
 */
bool io_dispatch(IOSpace space, uint64_t addr, void *data, unsigned size, bool is_write);

/*
 * Doorbells: a guest write of 'size' bytes at 'addr' (equal to 'data' when
 * match_data) calls fn(opaque) on the main thread, from a bottom half.
 * Under KVM this is an ioeventfd, so the vCPU does not even exit to
 * userspace; otherwise io_dispatch() recognises the write before the
 * region's handler (which then does not see it).
 */
typedef struct IONotifier IONotifier;
IONotifier *io_notifier_add(IOSpace space, uint64_t addr, unsigned size, bool match_data,
                            uint64_t data, void (*fn)(void *opaque), void *opaque);
void io_notifier_del(IONotifier *n);
/* The accelerator's ioeventfd hook (KVM): returns 0 or -errno. */
typedef int IONotifierBackend(IOSpace space, uint64_t addr, unsigned size, bool match_data,
                              uint64_t data, int fd, bool assign);
void io_notifier_set_backend(IONotifierBackend *fn);

/*
 * Guest RAM: one or two blocks (below 4 GiB, and above 4 GiB when the
 * machine's RAM does not fit below its PCI hole), anonymous memory that
 * costs nothing until touched.
 */
typedef struct RamBlock {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
} RamBlock;

/* Creates RAM: 'below_4g' bytes at 0, 'above_4g' bytes at 4 GiB. */
bool guest_ram_init(uint64_t below_4g, uint64_t above_4g, Error **errp);
void guest_ram_cleanup(void);
unsigned guest_ram_block_count(void);
const RamBlock *guest_ram_block(unsigned i);
uint64_t guest_ram_size(void);

/*
 * A host pointer to guest RAM [gpa, gpa + len), or NULL when any part of it
 * is not RAM (or the range overflows).  The one way devices reach guest
 * memory directly: a NULL here is a guest error, never a crash.
 */
void *guest_ram_ptr(uint64_t gpa, uint64_t len);

/*
 * Copies between 'buf' and guest physical memory, RAM or MMIO (split into
 * naturally aligned accesses).  Returns 0, or -EFAULT when part of the
 * range is neither (reads fill that part with 0xff).  BQL held when the
 * range may touch MMIO.
 */
int guest_memory_rw(uint64_t gpa, void *buf, uint64_t len, bool is_write);
static inline int guest_memory_read(uint64_t gpa, void *buf, uint64_t len)
{
    return guest_memory_rw(gpa, buf, len, false);
}
static inline int guest_memory_write(uint64_t gpa, const void *buf, uint64_t len)
{
    return guest_memory_rw(gpa, (void *)buf, len, true);
}

#endif
