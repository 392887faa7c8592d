// Block devices: what a disk driver (virtio-blk) offers the file systems
// (ext2) and the block special files in /dev. Sectors are 512 bytes, as
// Linux counts them whatever the device's own block size; transfers are
// whole sectors between a kernel buffer and the disk. The calls may sleep
// (the driver waits for the device's interrupt), so no spinlock may be
// held across them; several callers may have requests in flight at once.
// Hardware-independent: host tests implement it over memory or an image
// file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma::drivers {

constexpr size_t k_sector_size = 512;

class BlockDevice {
public:
    virtual ~BlockDevice() = default;

    // The device's name in /dev ("vda").
    virtual std::string_view name() const = 0;
    virtual uint64_t sector_count() const = 0;
    // The disk refuses writes (virtio-blk's VIRTIO_BLK_F_RO, a read-only
    // image): writes are ReadOnlyFs (EROFS).
    virtual bool read_only() const = 0;

    // `buffer.size()` is a multiple of k_sector_size. OutOfRange past the
    // end of the disk, IoError when the device reports a failure.
    virtual ErrorOr<void> read_sectors(uint64_t first_sector, std::span<uint8_t> buffer) = 0;
    virtual ErrorOr<void> write_sectors(uint64_t first_sector, std::span<const uint8_t> data) = 0;
    // Consecutive sectors from `first_sector` into several buffers in turn
    // (each a whole number of sectors): page-cache pages, which are not
    // contiguous in memory, filled by one request where the device can
    // (virtio-blk: up to 64 KiB). By default one read per buffer.
    virtual ErrorOr<void> read_sectors_scattered(uint64_t first_sector, std::span<const std::span<uint8_t>> buffers) {
        for (auto buffer : buffers) {
            TRY(read_sectors(first_sector, buffer));
            first_sector += buffer.size() / k_sector_size;
        }
        return {};
    }
    // The same for writing: several buffers to consecutive sectors
    // (write-back of page-cache pages). By default one write per buffer.
    virtual ErrorOr<void> write_sectors_scattered(uint64_t first_sector,
                                                  std::span<const std::span<const uint8_t>> buffers) {
        for (auto buffer : buffers) {
            TRY(write_sectors(first_sector, buffer));
            first_sector += buffer.size() / k_sector_size;
        }
        return {};
    }
    // Everything written so far is on stable storage when this returns
    // (virtio-blk's FLUSH; a no-op for a device without a volatile cache).
    virtual ErrorOr<void> flush() = 0;
};

}  // namespace akuma::drivers
