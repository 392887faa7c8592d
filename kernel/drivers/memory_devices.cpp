#include "kernel/drivers/memory_devices.h"

#include <new>

#include "kernel/fs/char_devices.h"
#include "kernel/fs/file.h"
#include "kernel/crypto/random.h"

namespace akuma::drivers {

namespace {

// Linux's memory devices take any position and report 0 for every seek
// (null_lseek and friends); reads ignore the offset.
class MemoryDevice : public fs::File {
public:
    MemoryDevice(uint32_t flags, fs::InodeRef node) : File(flags, std::move(node)) {}
    ErrorOr<uint64_t> seek(int64_t, int) override {
        position() = 0;
        return uint64_t { 0 };
    }
};

// Reads: end of file. Writes: swallowed without reading the buffer
// (Linux's write_null returns the count as is).
class NullDevice final : public MemoryDevice {
public:
    using MemoryDevice::MemoryDevice;
    ErrorOr<size_t> read_at(std::span<uint8_t>, uint64_t, bool) override { return size_t { 0 }; }
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t&) override { return data.size(); }
    ErrorOr<size_t> write_from(fs::WriteSource& source, uint64_t&) override { return source.total(); }
};

// Reads: zeros. Writes: as /dev/null.
class ZeroDevice final : public MemoryDevice {
public:
    using MemoryDevice::MemoryDevice;
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool) override {
        __builtin_memset(buffer.data(), 0, buffer.size());
        return buffer.size();
    }
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t&) override { return data.size(); }
    ErrorOr<size_t> write_from(fs::WriteSource& source, uint64_t&) override { return source.total(); }
};

// Reads: zeros. Writes: ENOSPC, always (Linux's write_full).
class FullDevice final : public MemoryDevice {
public:
    using MemoryDevice::MemoryDevice;
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool) override {
        __builtin_memset(buffer.data(), 0, buffer.size());
        return buffer.size();
    }
    ErrorOr<size_t> write_at(std::span<const uint8_t>, uint64_t&) override { return Error::NoSpace; }
    ErrorOr<size_t> write_from(fs::WriteSource&, uint64_t&) override { return Error::NoSpace; }
};

// Reads: the kernel's generator (kernel/crypto/random.h). Like Linux 5.18+,
// /dev/random waits for the generator to be seeded (EAGAIN if non-blocking)
// and /dev/urandom never does; past that they are the same. Writes are
// mixed into the input pool and credited nothing, as Linux's random_write
// (crediting takes the RNDADDENTROPY ioctl, which Akuma does not have).
template <bool WaitsForSeed>
class RandomDevice final : public MemoryDevice {
public:
    using MemoryDevice::MemoryDevice;
    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t, bool nonblocking) override {
        if (WaitsForSeed && !random_ready()) {
            if (nonblocking)
                return Error::TryAgain;
            TRY(random_wait_until_ready());
        }
        random_fill(buffer);
        return buffer.size();
    }
    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t&) override {
        random_add_input(data);
        return data.size();
    }
};

template <typename Device>
ErrorOr<fs::File*> open_device(const fs::InodeRef& node, uint32_t flags) {
    auto* file = new (std::nothrow) Device(flags, node);
    if (!file)
        return Error::NoMemory;
    return file;
}

}  // namespace

ErrorOr<void> register_memory_devices() {
    TRY(fs::register_char_device({ { 1, 3 }, "null", 0666, open_device<NullDevice> }));
    TRY(fs::register_char_device({ { 1, 5 }, "zero", 0666, open_device<ZeroDevice> }));
    TRY(fs::register_char_device({ { 1, 7 }, "full", 0666, open_device<FullDevice> }));
    TRY(fs::register_char_device({ { 1, 8 }, "random", 0666, open_device<RandomDevice<true>> }));
    TRY(fs::register_char_device({ { 1, 9 }, "urandom", 0666, open_device<RandomDevice<false>> }));
    return {};
}

}  // namespace akuma::drivers
