// tee(2) and vmsplice(2): copies between pipes, and between a pipe and user
// memory, with Linux's argument checks and waits (fs/splice.c). Akuma's
// pipes hold copies, not page references, so both copy; what user space
// can see is the same. At most one bounce buffer (fs/bounce.h) moves per
// call: like Linux's, the counts may be partial.
#include "kernel/fs/bounce.h"
#include "kernel/fs/pipe.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/linux_abi.h"
#include "kernel/syscalls/transfer.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

constexpr uint64_t k_splice_f_nonblock = 2;
constexpr uint64_t k_splice_f_all = 0xf;

// Puts `data` into `pipe` as Linux's splice into a pipe does: waits (unless
// `nonblocking`) only until there is some room, then takes what fits.
ErrorOr<size_t> put_what_fits(fs::Pipe& pipe, std::span<const uint8_t> data, bool nonblocking) {
    size_t room = pipe.capacity() - pipe.bytes_available();
    if (room == 0) {
        if (nonblocking)
            return Error::TryAgain;
        // A blocking write of at most a page returns once it is in: the
        // wait for room, then as much as one page.
        size_t first = data.size() < mm::k_page_size ? data.size() : mm::k_page_size;
        size_t done = TRY(pipe.write(data.first(first), false));
        if (done < data.size()) {
            auto more = pipe.write(data.subspan(done), true);
            if (!more.is_error())
                done += more.value();
        }
        return done;
    }
    return pipe.write(data.first(data.size() < room ? data.size() : room), true);
}

ErrorOr<size_t> tee(const SyscallArgs& args) {
    uint64_t flags = args.a[3];
    if (flags & ~k_splice_f_all)
        return Error::Invalid;
    if (args.a[2] == 0)
        return size_t { 0 };
    auto in = TRY(FileRef::from_fd(args.fd(0)));
    auto out = TRY(FileRef::from_fd(args.fd(1)));
    if (!in->is_readable() || !out->is_writable())
        return Error::BadFd;
    fs::Pipe* in_pipe = in->pipe();
    fs::Pipe* out_pipe = out->pipe();
    if (!in_pipe || !out_pipe || in_pipe == out_pipe)
        return Error::Invalid;
    bool nonblocking = flags & k_splice_f_nonblock;  // only the flag counts, as Linux's
    fs::Bounce bounce(args.a[2] < k_max_transfer ? args.a[2] : k_max_transfer);
    if (!bounce.data())
        return Error::NoMemory;
    size_t got = TRY(in_pipe->peek({ bounce.data(), bounce.size() }, nonblocking));
    if (got == 0)
        return size_t { 0 };  // empty, and no writer left
    return put_what_fits(*out_pipe, { bounce.data(), got }, nonblocking);
}

// vmsplice into a pipe's write end: the iovecs' bytes, in order, as much as
// fits. Out of a read end: what the pipe holds, into the iovecs.
ErrorOr<size_t> vmsplice(const SyscallArgs& args) {
    uint64_t flags = args.a[3];
    if (flags & ~k_splice_f_all)
        return Error::Invalid;
    auto file = TRY(FileRef::from_fd(args.fd(0)));
    fs::Pipe* pipe = file->pipe();
    if (!pipe)
        return Error::BadFd;
    bool nonblocking = flags & k_splice_f_nonblock;
    bool into_pipe = file->is_writable();
    if (!into_pipe && !file->is_readable())
        return Error::BadFd;
    return import_vectors(args.ptr<const abi::Iovec>(1), args.a[2], [&](const abi::Iovec* array,
                                                                         uint64_t count) -> ErrorOr<size_t> {
        size_t total = 0;
        for (uint64_t i = 0; i < count; ++i)
            total += array[i].len < k_max_transfer - total ? array[i].len : k_max_transfer - total;
        if (total == 0)
            return size_t { 0 };
        fs::Bounce bounce(total);
        if (!bounce.data())
            return Error::NoMemory;
        size_t size = total < bounce.size() ? total : bounce.size();
        if (into_pipe) {
            UserWriteSource source(array, count);
            if (!source.in_user_range())
                return Error::Fault;
            TRY(source.copy_next(bounce.data(), size));
            return put_what_fits(*pipe, { bounce.data(), size }, nonblocking);
        }
        // Only as much as the iovecs can take from their start: what is
        // read from the pipe is gone from it.
        size_t writable = 0;
        for (uint64_t i = 0; i < count && writable < size; ++i) {
            size_t wanted = array[i].len < size - writable ? array[i].len : size - writable;
            if (!mm::is_user_range(array[i].base, wanted))
                break;
            size_t accessible = current().space->accessible_prefix(array[i].base, wanted, true);
            writable += accessible;
            if (accessible < wanted)
                break;
        }
        if (writable == 0)
            return Error::Fault;
        size_t got = TRY(pipe->read({ bounce.data(), writable }, nonblocking));
        size_t copied = 0;
        for (uint64_t i = 0; i < count && copied < got; ++i) {
            size_t step = array[i].len < got - copied ? array[i].len : got - copied;
            TRY(mm::copy_to_user(mm::UserPtr<void>(array[i].base), bounce.data() + copied, step));
            copied += step;
        }
        return copied;
    });
}

}  // namespace

int64_t sys_tee(const SyscallArgs& args) { return to_result(tee(args)); }
int64_t sys_vmsplice(const SyscallArgs& args) { return to_result(vmsplice(args)); }

}  // namespace akuma::sys
