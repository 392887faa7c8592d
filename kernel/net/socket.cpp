#include "kernel/net/socket.h"

#include "kernel/arch/aarch64/timer.h"
#include "kernel/lib/format.h"
#include "kernel/net/interfaces.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/time/duration.h"

namespace akuma::net {

namespace abi = linux_abi;

namespace {
// sockfs inode numbers: apart from the pipes' and the file systems'.
constinit uint64_t g_next_ino = uint64_t { 3 } << 32;

// A send that met a closed or shut-down connection: SIGPIPE to the sender,
// unless MSG_NOSIGNAL (Linux's sk_stream_error / unix_*_sendmsg).
ErrorOr<size_t> signal_broken_pipe(ErrorOr<size_t> result, int flags) {
    if (result.is_error() && result.error() == Error::BrokenPipe && !(flags & k_msg_nosignal))
        (void)proc::deliver_signal(*proc::current_process(), abi::k_sigpipe);
    return result;
}
}  // namespace

Socket::Socket(uint32_t flags) : File(flags, {}), m_ino(__atomic_fetch_add(&g_next_ino, 1, __ATOMIC_RELAXED)) {}

ErrorOr<void> Socket::bind(const SocketAddress&) { return Error::NotSupported; }
ErrorOr<void> Socket::listen(int) { return Error::NotSupported; }
ErrorOr<Socket*> Socket::accept(bool, uint32_t) { return Error::NotSupported; }
ErrorOr<void> Socket::connect(const SocketAddress&, bool) { return Error::NotSupported; }
ErrorOr<size_t> Socket::send(OutgoingMessage&, bool) { return Error::NotSupported; }
ErrorOr<void> Socket::receive(IncomingMessage&, bool) { return Error::NotSupported; }
ErrorOr<void> Socket::shutdown(int) { return Error::NotSupported; }
SocketAddress Socket::local_address() {
    SocketAddress address;
    address.length = 2;
    address.bytes[0] = static_cast<uint8_t>(domain());
    address.bytes[1] = static_cast<uint8_t>(domain() >> 8);
    return address;
}
ErrorOr<SocketAddress> Socket::peer_address() { return Error::NotConnected; }
ErrorOr<void> Socket::set_option(int, int, std::span<const uint8_t>) { return Error::NoProtocolOption; }
ErrorOr<size_t> Socket::get_option(int, int, std::span<uint8_t>) { return Error::NoProtocolOption; }

ErrorOr<size_t> Socket::read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) {
    IncomingMessage message;
    message.buffer = buffer;
    TRY(receive(message, nonblocking));
    // Rights that came with the bytes are dropped: read(2) has no control
    // buffer (Linux closes them too).
    for (size_t i = 0; i < message.right_count; ++i)
        fs::release(message.rights[i]);
    mm::kfree(message.rights);
    return message.size;
}

namespace {
// A kernel span as the bytes of a send (sendfile, splice-like callers).
class SpanSource final : public fs::WriteSource {
public:
    explicit SpanSource(std::span<const uint8_t> data) : m_data(data) {}
    size_t total() const override { return m_data.size(); }
    size_t readable() const override { return m_data.size(); }
    ErrorOr<void> copy_next(uint8_t* to, size_t size) override {
        __builtin_memcpy(to, m_data.data() + m_done, size);
        m_done += size;
        return {};
    }

private:
    std::span<const uint8_t> m_data;
    size_t m_done { 0 };
};
}  // namespace

ErrorOr<size_t> Socket::write_at(std::span<const uint8_t> data, uint64_t&) {
    SpanSource source(data);
    OutgoingMessage message { source };
    return signal_broken_pipe(send(message, is_nonblocking()), 0);
}

ErrorOr<size_t> Socket::write_from(fs::WriteSource& source, uint64_t&) {
    OutgoingMessage message { source };
    return signal_broken_pipe(send(message, is_nonblocking()), 0);
}

ErrorOr<fs::InodeStat> Socket::stat() {
    fs::InodeStat result {};
    result.ino = m_ino;
    result.mode = abi::k_s_ifsock | 0777;
    result.nlink = 1;
    result.blksize = 4096;
    return result;
}

ErrorOr<size_t> Socket::anonymous_name(std::span<char> buffer) {
    BufferSink sink(buffer.data(), buffer.size());
    format_to(sink, "socket:[{}]", m_ino);
    if (sink.truncated())
        return Error::OutOfRange;
    return sink.view().size();
}

namespace {
struct Timeval {  // the 64-bit struct timeval
    int64_t sec;
    int64_t usec;
};
}  // namespace

ErrorOr<uint64_t> socket_timeout_from(std::span<const uint8_t> value) {
    if (value.size() < sizeof(Timeval))
        return Error::Invalid;
    Timeval tv;
    __builtin_memcpy(&tv, value.data(), sizeof tv);
    if (tv.usec < 0 || tv.usec >= 1000000)
        return Error::OutOfDomain;
    if (tv.sec < 0)
        return k_timeout_immediately;
    if (tv.sec == 0 && tv.usec == 0)
        return uint64_t { 0 };
    return time::saturating_add(time::saturating_mul(static_cast<uint64_t>(tv.sec), time::k_ns_per_second),
                                static_cast<uint64_t>(tv.usec) * 1000);
}

size_t put_socket_timeout(std::span<uint8_t> value, uint64_t ns) {
    Timeval tv {};
    if (ns > k_timeout_immediately) {
        tv.sec = static_cast<int64_t>(ns / time::k_ns_per_second);
        tv.usec = static_cast<int64_t>((ns % time::k_ns_per_second) / 1000);
    }
    size_t length = value.size() < sizeof tv ? value.size() : sizeof tv;
    __builtin_memcpy(value.data(), &tv, length);
    return sizeof tv;
}

uint64_t socket_deadline(uint64_t timeout_ns) {
    if (timeout_ns == 0)
        return 0;
    if (timeout_ns == k_timeout_immediately)
        return 1;  // long past
    return time::deadline_after(arch::monotonic_ns(), timeout_ns);
}

ErrorOr<void> Socket::ioctl(uint32_t request, uint64_t argument) { return interface_ioctl(request, argument); }

int socket_buffer_size(int name, int requested) {
    constexpr int k_max_buffer = 212992;  // net.core.[rw]mem_max
    int64_t doubled = 2 * static_cast<int64_t>(requested < 0 ? 0 : requested > k_max_buffer ? k_max_buffer : requested);
    int minimum = name == k_so_sndbuf ? 4608 : 2304;
    return doubled < minimum ? minimum : static_cast<int>(doubled);
}

ErrorOr<int> option_int(std::span<const uint8_t> value) {
    if (value.size() < sizeof(int))
        return Error::Invalid;
    int number;
    __builtin_memcpy(&number, value.data(), sizeof number);
    return number;
}

size_t put_option_int(std::span<uint8_t> value, int number) {
    size_t length = value.size() < sizeof number ? value.size() : sizeof number;
    __builtin_memcpy(value.data(), &number, length);
    return sizeof number;
}

ErrorOr<size_t> send_signalling(Socket& socket, OutgoingMessage& message, bool nonblocking) {
    return signal_broken_pipe(socket.send(message, nonblocking), message.flags);
}

}  // namespace akuma::net
