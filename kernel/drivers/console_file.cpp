#include "kernel/drivers/console_file.h"

#include <new>

#include "kernel/drivers/console_tty.h"
#include "kernel/drivers/pty.h"
#include "kernel/fs/char_devices.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::console {

namespace abi = linux_abi;

namespace {

constexpr fs::DeviceNumber k_console_number { 5, 1 };

ErrorOr<fs::File*> open_node(const fs::InodeRef& node, uint32_t flags) {
    auto* file = new (std::nothrow) ConsoleFile(flags, node);
    if (!file)
        return Error::NoMemory;
    return file;
}

// /dev/tty: the caller's controlling terminal. A pty's slave if its session
// has one; otherwise the console (Linux would say ENXIO without a
// controlling terminal; programs the kernel starts have none and expect
// the console).
ErrorOr<fs::File*> open_controlling_terminal(const fs::InodeRef& node, uint32_t flags) {
    if (auto pty = tty::open_controlling_pty(node, flags); !pty.is_error() || pty.error() != Error::NotFound)
        return pty;
    return open_node(node, flags);
}

}  // namespace

ConsoleFile::ConsoleFile(uint32_t flags, fs::InodeRef node)
    : TerminalFile(console_terminal(), flags, std::move(node)) {}

ErrorOr<fs::InodeStat> ConsoleFile::stat() {
    if (inode())
        return File::stat();
    fs::InodeStat result {};
    result.mode = abi::k_s_ifchr | 0620;
    result.nlink = 1;
    result.rdev = fs::encode_device(k_console_number);
    result.blksize = 1024;
    return result;
}

ErrorOr<void> register_console_devices() {
    TRY(fs::register_char_device({ k_console_number, "console", 0600, open_node }));
    TRY(fs::register_char_device({ { 5, 0 }, "tty", 0666, open_controlling_terminal }));
    return {};
}

// Processes started by the kernel get the console through its /dev node, as
// Linux's init gets /dev/console (fstat and /proc then show the node).
ErrorOr<fs::File*> open_console() {
    auto directory = fs::resolve_path(fs::root_directory(), "/dev", true);
    auto node = directory.is_error() ? ErrorOr<fs::InodeRef>(directory.error())
                                     : fs::resolve_path(directory.value(), "console", true);
    fs::File* file = TRY(open_node(node.is_error() ? fs::InodeRef() : node.value(), abi::k_o_rdwr));
    if (!node.is_error()) {
        if (auto named = file->set_opened_as(directory.value(), "console"); named.is_error()) {
            fs::release(file);
            return named.error();
        }
    }
    return file;
}

}  // namespace akuma::console
