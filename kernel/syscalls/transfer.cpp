#include "kernel/syscalls/transfer.h"

#include "kernel/syscalls/syscall.h"

namespace akuma::sys {

namespace abi = linux_abi;

namespace {

size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

// How much of a read(2) buffer can take part: Linux caps a transfer and
// stops at the first byte it cannot write (a buffer running into an
// unmapped page gets what fits); no accessible byte at all is EFAULT.
ErrorOr<size_t> writable_length(uint64_t address, size_t count) {
    if (count == 0)
        return size_t { 0 };
    size_t accessible = current().space->accessible_prefix(address, smaller(count, k_max_transfer), true);
    if (accessible == 0)
        return Error::Fault;
    return accessible;
}

}  // namespace

UserWriteSource::UserWriteSource(const abi::Iovec* vectors, size_t count) : m_vectors(vectors), m_count(count) {
    for (size_t i = 0; i < count; ++i)
        m_total += smaller(vectors[i].len, k_max_transfer - m_total);
}

bool UserWriteSource::in_user_range() const {
    for (size_t i = 0; i < m_count; ++i) {
        if (!mm::is_user_range(m_vectors[i].base, m_vectors[i].len))
            return false;
    }
    return true;
}

size_t UserWriteSource::readable() const {
    size_t result = 0;
    for (size_t i = 0; i < m_count && result < m_total; ++i) {
        size_t length = smaller(m_vectors[i].len, m_total - result);
        size_t accessible = current().space->accessible_prefix(m_vectors[i].base, length, false);
        result += accessible;
        if (accessible < length)
            break;
    }
    return result;
}

ErrorOr<void> UserWriteSource::copy_next(uint8_t* to, size_t size) {
    while (size > 0) {
        const abi::Iovec& vector = m_vectors[m_index];
        size_t step = smaller(size, vector.len - m_offset);
        if (step > 0)
            TRY(mm::copy_from_user(to, mm::UserPtr<const void>(vector.base + m_offset), step));
        to += step;
        size -= step;
        m_offset += step;
        if (m_offset == vector.len) {
            ++m_index;
            m_offset = 0;
        }
    }
    return {};
}

namespace {

// Each kind of file takes the bytes of a write the way Linux's does
// (File::write_from).
ErrorOr<size_t> write_from(fs::File& file, UserWriteSource& source, std::optional<uint64_t> offset) {
    if (!file.is_writable())
        return Error::BadFd;
    if (!source.in_user_range())
        return Error::Fault;
    if (source.total() == 0)
        return size_t { 0 };
    return fs::write_from_source(file, source, offset);
}

}  // namespace

// Moves up to `count` bytes from the file to user memory through a kernel
// bounce buffer; an `offset` means pread (the file offset is left alone).
//
// How a read goes on once bytes arrived (`continuing`: an earlier iovec of
// the same readv got some): files and the memory devices fill the request;
// a pipe adds only what is already buffered, as Linux's pipe_read; the
// console delivers one line (or what VMIN/VTIME gave) per call.
ErrorOr<size_t> read_to_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset,
                             bool continuing) {
    address = mm::untag_user_address(address);
    count = TRY(writable_length(address, count));
    // Files whose bytes are in the page cache go straight to the user.
    if (auto direct = fs::read_direct(file, address, count, offset);
        direct.is_error() ? direct.error() != Error::NotSupported : true)
        return direct;
    Bounce bounce(count);
    if (!bounce.data())
        return Error::NoMemory;
    size_t done = 0;
    while (done < count) {
        bool more = continuing || done > 0;
        if (more && file.read_continuation() == fs::ReadContinuation::OneCall)
            break;
        bool only_buffered = more && file.read_continuation() == fs::ReadContinuation::TakeBuffered;
        size_t step = smaller(bounce.size(), count - done);
        std::span<uint8_t> chunk { bounce.data(), step };
        ErrorOr<size_t> moved = offset          ? fs::pread(file, chunk, *offset + done)
                                : only_buffered ? fs::read_nonblocking(file, chunk)
                                                : fs::read(file, chunk);
        if (moved.is_error()) {
            if (only_buffered && moved.error() == Error::TryAgain)
                break;
            return partial(done, moved.error());
        }
        if (moved.value() == 0)
            break;
        if (mm::copy_to_user(mm::UserPtr<void>(address + done), chunk.data(), moved.value()).is_error())
            return partial(done, Error::Fault);
        done += moved.value();
        if (moved.value() < step)
            break;
    }
    return done;
}

ErrorOr<size_t> read_vectors(fs::OpenFile& file, mm::UserPtr<const abi::Iovec> vectors, uint64_t count,
                             std::optional<uint64_t> offset) {
    return import_vectors(vectors, count, [&](const abi::Iovec* array, uint64_t size) -> ErrorOr<size_t> {
        size_t total = 0;
        for (uint64_t i = 0; i < size && total < k_max_transfer; ++i) {
            if (array[i].len == 0)
                continue;
            size_t wanted = smaller(array[i].len, k_max_transfer - total);  // Linux caps the whole call
            std::optional<uint64_t> at = offset ? std::optional<uint64_t>(*offset + total) : std::nullopt;
            auto done = read_to_user(file, array[i].base, wanted, at, total > 0);
            if (done.is_error())
                return partial(total, done.error());
            total += done.value();
            if (done.value() < wanted)
                break;
        }
        return total;
    });
}

ErrorOr<size_t> write_from_user(fs::OpenFile& file, uint64_t address, size_t count, std::optional<uint64_t> offset) {
    abi::Iovec vector { mm::untag_user_address(address), count };
    UserWriteSource source(&vector, 1);
    return write_from(file, source, offset);
}

// The segments are one stream, so a pipe or the console sees one write
// (PIPE_BUF atomicity holds for the total).
ErrorOr<size_t> write_vectors(fs::OpenFile& file, mm::UserPtr<const abi::Iovec> vectors, uint64_t count,
                              std::optional<uint64_t> offset) {
    if (!file.is_writable())
        return Error::BadFd;
    return import_vectors(vectors, count, [&](const abi::Iovec* array, uint64_t size) {
        UserWriteSource source(array, size);
        return write_from(file, source, offset);
    });
}

}  // namespace akuma::sys
