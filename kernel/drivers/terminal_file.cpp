#include "kernel/drivers/terminal_file.h"

#include "kernel/mm/user_access.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::tty {

namespace abi = linux_abi;

namespace {

constexpr size_t k_tty_chunk = 2048;

// The ioctl argument as a user pointer.
template <typename T>
mm::UserPtr<T> user(uint64_t argument) {
    return mm::UserPtr<T>(argument);
}

}  // namespace

ErrorOr<size_t> TerminalFile::read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) {
    return m_terminal.read({ reinterpret_cast<char*>(buffer.data()), buffer.size() }, nonblocking);
}

ErrorOr<size_t> TerminalFile::write_at(std::span<const uint8_t> data, uint64_t&) {
    return m_terminal.write({ reinterpret_cast<const char*>(data.data()), data.size() }, is_nonblocking());
}

ErrorOr<size_t> TerminalFile::write_from(fs::WriteSource& source, uint64_t& offset) {
    return fs::write_in_whole_chunks(*this, source, k_tty_chunk, offset);
}

uint16_t TerminalFile::poll_events() {
    uint16_t events = 0;
    if (m_terminal.poll_readable())
        events |= abi::k_pollin | abi::k_pollrdnorm;
    if (m_terminal.poll_writable())
        events |= abi::k_pollout | abi::k_pollwrnorm;
    if (m_terminal.hung_up())
        events |= abi::k_pollhup;
    return events;
}

ErrorOr<void> terminal_ioctl(Terminal& terminal, uint32_t request, uint64_t argument) {
    switch (request) {
    case abi::k_tcgets: return mm::write_user(user<Termios>(argument), terminal.termios());
    case abi::k_tcsets:
    case abi::k_tcsetsw:  // output is never queued: nothing to drain
    case abi::k_tcsetsf:
        return terminal.set_termios(TRY(mm::read_user(user<const Termios>(argument))), request == abi::k_tcsetsf);
    case abi::k_tcsbrk: return {};  // tcdrain (and a break, which has no use here)
    case abi::k_tcflsh: return terminal.flush(static_cast<uint32_t>(argument));
    case abi::k_tiocgwinsz: return mm::write_user(user<Winsize>(argument), terminal.winsize());
    case abi::k_tiocswinsz: terminal.set_winsize(TRY(mm::read_user(user<const Winsize>(argument)))); return {};
    case abi::k_fionread:
        return mm::write_user(user<int32_t>(argument), static_cast<int32_t>(terminal.bytes_available()));
    case abi::k_tiocgpgrp: return mm::write_user(user<int32_t>(argument), TRY(terminal.foreground_group()));
    case abi::k_tiocspgrp: {
        // Linux checks the terminal before reading the argument.
        TRY(terminal.foreground_group());
        return terminal.set_foreground_group(TRY(mm::read_user(user<const int32_t>(argument))));
    }
    case abi::k_tiocgsid: return mm::write_user(user<int32_t>(argument), TRY(terminal.session()));
    case abi::k_tiocsctty: return terminal.make_controlling(static_cast<int>(argument) == 1);
    case abi::k_tiocnotty: return terminal.give_up_controlling();
    default: return Error::NotATty;
    }
}

}  // namespace akuma::tty
