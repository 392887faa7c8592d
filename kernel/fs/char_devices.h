// Character devices: drivers register a device number, a name (its node in
// /dev) and how to open it; opening a character device node anywhere (the
// /dev file system, or a node made with mknod) asks this registry, so a new
// device never touches the file layer. Registration happens at boot, in
// the explicit init order of kernel/main.cpp, before /dev is populated.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/fs/inode.h"
#include "kernel/lib/error_or.h"

namespace akuma::fs {

class File;

// Opens the device for `node` (its inode: fstat and /proc show it) with
// open(2)'s kept flags and O_NOCTTY (a terminal opened without it may
// become the caller's controlling terminal). NoMemory.
using CharDeviceOpen = ErrorOr<File*> (*)(const InodeRef& node, uint32_t flags);

struct CharDevice {
    DeviceNumber number;
    const char* name;   // the node's name in /dev (nullptr: no node, e.g. pty slaves)
    uint32_t mode;      // its permission bits there
    CharDeviceOpen open;
    uint32_t minor_count { 1 };  // the minors from number.minor on that it serves
};

// OutOfRange when the table is full, Exists for a number already taken.
ErrorOr<void> register_char_device(const CharDevice& device);
// NoDeviceOrAddress (ENXIO) for a number without a driver, as Linux's chrdev_open.
ErrorOr<File*> open_char_device(const InodeRef& node, uint32_t flags);

template <typename F>
void for_each_char_device(F&& f);

namespace detail {
size_t char_device_count();
const CharDevice& char_device_at(size_t index);
}  // namespace detail

template <typename F>
void for_each_char_device(F&& f) {
    for (size_t i = 0; i < detail::char_device_count(); ++i)
        f(detail::char_device_at(i));
}

}  // namespace akuma::fs
