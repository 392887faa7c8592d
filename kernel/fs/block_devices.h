// Block devices in the file layer: disks register here (virtio-blk at boot,
// before the VFS), get a device number (major 254 as Linux's virtblk,
// minor 16 per disk, room for partitions) and a node in /dev, and a block
// special file anywhere (the /dev node, a mknod'ed one) opens the disk as a
// file: bytes at any offset (read-modify-write of partial sectors),
// lseek(SEEK_END) to its size, fsync to flush its cache, and Linux's
// BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKPBSZGET, BLKROGET, BLKFLSBUF
// ioctls. File systems on disks (ext2) find theirs by number or name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/drivers/block_device.h"
#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

class File;

constexpr uint32_t k_block_device_major = 254;
constexpr uint32_t k_minors_per_disk = 16;

// OutOfRange when the table is full.
ErrorOr<DeviceNumber> register_block_device(drivers::BlockDevice& device);
// Null for a number without a disk.
drivers::BlockDevice* block_device(DeviceNumber number);
// By /dev name ("vda") or path ("/dev/vda"); null if there is none.
drivers::BlockDevice* block_device_named(std::string_view name);
// NoDeviceOrAddress (ENXIO) for a number without a disk.
ErrorOr<File*> open_block_device(const InodeRef& node, uint32_t flags);

struct BlockDeviceEntry {
    DeviceNumber number;
    drivers::BlockDevice* device;
};
size_t block_device_count();
BlockDeviceEntry block_device_at(size_t index);

}  // namespace akuma::fs
