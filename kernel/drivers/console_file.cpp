#include "kernel/drivers/console_file.h"

#include <new>

#include "kernel/drivers/console_tty.h"
#include "kernel/fs/char_devices.h"
#include "kernel/fs/vfs.h"
#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::console {

namespace abi = linux_abi;

namespace {

constexpr size_t k_tty_chunk = 2048;
constexpr fs::DeviceNumber k_console_number { 5, 1 };

// The ioctl argument as a user pointer.
template <typename T>
mm::UserPtr<T> user(uint64_t argument) {
    return mm::UserPtr<T>(argument);
}

ErrorOr<fs::File*> open_node(const fs::InodeRef& node, uint32_t flags) {
    auto* file = new (std::nothrow) ConsoleFile(flags, node);
    if (!file)
        return Error::NoMemory;
    return file;
}

}  // namespace

ErrorOr<size_t> ConsoleFile::read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) {
    return tty_read({ reinterpret_cast<char*>(buffer.data()), buffer.size() }, nonblocking);
}

ErrorOr<size_t> ConsoleFile::write_at(std::span<const uint8_t> data, uint64_t&) {
    return tty_write({ reinterpret_cast<const char*>(data.data()), data.size() });
}

ErrorOr<size_t> ConsoleFile::write_from(fs::WriteSource& source, uint64_t& offset) {
    return fs::write_in_whole_chunks(*this, source, k_tty_chunk, offset);
}

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

uint16_t ConsoleFile::poll_events() {
    return static_cast<uint16_t>(abi::k_pollout | abi::k_pollwrnorm |
                                 (tty_poll_readable() ? abi::k_pollin | abi::k_pollrdnorm : 0));
}

fs::PollQueue* ConsoleFile::poll_queue() { return &tty_poll_queue(); }

ErrorOr<void> ConsoleFile::ioctl(uint32_t request, uint64_t argument) {
    switch (request) {
    case abi::k_tcgets: return mm::write_user(user<tty::Termios>(argument), tty_termios());
    case abi::k_tcsets:
    case abi::k_tcsetsw:  // output is never queued: nothing to drain
    case abi::k_tcsetsf:
        return tty_set_termios(TRY(mm::read_user(user<const tty::Termios>(argument))),
                               request == abi::k_tcsetsf);
    case abi::k_tcsbrk: return {};  // tcdrain (and a break, which a serial console has no use for)
    case abi::k_tcflsh: return tty_flush(static_cast<uint32_t>(argument));
    case abi::k_tiocgwinsz: return mm::write_user(user<tty::Winsize>(argument), tty_winsize());
    case abi::k_tiocswinsz: tty_set_winsize(TRY(mm::read_user(user<const tty::Winsize>(argument)))); return {};
    case abi::k_fionread:
        return mm::write_user(user<int32_t>(argument), static_cast<int32_t>(tty_bytes_available()));
    case abi::k_tiocgpgrp: return mm::write_user(user<int32_t>(argument), TRY(tty_foreground_group()));
    case abi::k_tiocspgrp: {
        // Linux checks the terminal before reading the argument.
        TRY(tty_foreground_group());
        return tty_set_foreground_group(TRY(mm::read_user(user<const int32_t>(argument))));
    }
    case abi::k_tiocgsid: return mm::write_user(user<int32_t>(argument), TRY(tty_session()));
    case abi::k_tiocsctty: return tty_make_controlling(static_cast<int>(argument) == 1);
    case abi::k_tiocnotty: return tty_give_up_controlling();
    default: return Error::NotATty;
    }
}

ErrorOr<void> register_console_devices() {
    TRY(fs::register_char_device({ k_console_number, "console", 0600, open_node }));
    TRY(fs::register_char_device({ { 5, 0 }, "tty", 0666, open_node }));
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
