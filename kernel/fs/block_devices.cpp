#include "kernel/fs/block_devices.h"

#include <new>
#include <optional>

#include "kernel/fs/file.h"
#include "kernel/mm/user_access.h"
#include "kernel/sched/mutex.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::fs {

namespace abi = linux_abi;

namespace {

constexpr size_t k_max_disks = 16;

// Written at boot only; entries never move or go away, so readers that saw
// the count may look at the entries below it without the lock.
constinit sched::Mutex g_lock {};
constinit BlockDeviceEntry g_disks[k_max_disks] {};
constinit size_t g_count = 0;

// Linux's <linux/fs.h> block ioctls.
constexpr uint32_t k_blkroget = 0x125e;     // int: read-only?
constexpr uint32_t k_blkgetsize = 0x1260;   // unsigned long: size in sectors
constexpr uint32_t k_blkflsbuf = 0x1261;    // flush
constexpr uint32_t k_blksszget = 0x1268;    // int: logical sector size
constexpr uint32_t k_blkpbszget = 0x127b;   // unsigned int: physical sector size
constexpr uint32_t k_blkgetsize64 = 0x80081272;  // u64: size in bytes

// Transfers go through one page of the description's own, a whole number of
// sectors at a time.
constexpr size_t k_bounce_bytes = 4096;

class BlockDeviceFile final : public File {
public:
    BlockDeviceFile(uint32_t flags, InodeRef node, drivers::BlockDevice& device)
        : File(flags, std::move(node)), m_device(device) {}

    ErrorOr<size_t> read_at(std::span<uint8_t> buffer, uint64_t offset, bool) override {
        uint64_t size = device_bytes();
        if (offset >= size || buffer.empty())
            return size_t { 0 };
        size_t count = buffer.size() < size - offset ? buffer.size() : static_cast<size_t>(size - offset);
        TRY(transfer(offset, count, false, [&](uint8_t* piece, size_t length, size_t done) {
            __builtin_memcpy(buffer.data() + done, piece, length);
        }));
        return count;
    }

    ErrorOr<size_t> write_at(std::span<const uint8_t> data, uint64_t& offset) override {
        if (m_device.read_only())
            return Error::NotPermitted;  // Linux's blkdev_write_iter on a read-only disk
        uint64_t size = device_bytes();
        if (offset >= size)
            return data.empty() ? ErrorOr<size_t>(size_t { 0 }) : ErrorOr<size_t>(Error::NoSpace);
        size_t count = data.size() < size - offset ? data.size() : static_cast<size_t>(size - offset);
        TRY(transfer(offset, count, true, [&](uint8_t* piece, size_t length, size_t done) {
            __builtin_memcpy(piece, data.data() + done, length);
        }));
        return count;  // the caller moves the position
    }

    ErrorOr<uint64_t> seek(int64_t offset, int whence) override {
        if (whence != abi::k_seek_end)
            return File::seek(offset, whence);
        int64_t target;
        if (__builtin_add_overflow(static_cast<int64_t>(device_bytes()), offset, &target))
            return Error::Overflow;
        if (target < 0)
            return Error::Invalid;
        position() = static_cast<uint64_t>(target);
        return position();
    }

    ErrorOr<void> sync() override { return m_device.flush(); }

    ErrorOr<void> ioctl(uint32_t request, uint64_t argument) override {
        switch (request) {
        case k_blkgetsize64: return mm::write_user(mm::UserPtr<uint64_t>(argument), device_bytes());
        case k_blkgetsize: return mm::write_user(mm::UserPtr<uint64_t>(argument), m_device.sector_count());
        case k_blksszget: return mm::write_user(mm::UserPtr<int32_t>(argument), int32_t { drivers::k_sector_size });
        case k_blkpbszget: return mm::write_user(mm::UserPtr<uint32_t>(argument), uint32_t { drivers::k_sector_size });
        case k_blkroget: return mm::write_user(mm::UserPtr<int32_t>(argument), int32_t { m_device.read_only() });
        case k_blkflsbuf: return m_device.flush();
        default: return Error::NotATty;  // Linux's blkdev_ioctl: ENOTTY for the unknown
        }
    }

private:
    uint64_t device_bytes() const { return m_device.sector_count() * drivers::k_sector_size; }

    // Walks [offset, offset+count) a bounce page at a time: reads the
    // sectors covering the piece (unless a write covers them whole), lets
    // `copy(bytes, length, done)` move the piece's bytes, and for a write
    // puts the sectors back.
    template <typename Copy>
    ErrorOr<void> transfer(uint64_t offset, size_t count, bool writes, Copy&& copy) {
        auto* bounce = new (std::nothrow) uint8_t[k_bounce_bytes];
        if (!bounce)
            return Error::NoMemory;
        std::optional<Error> failure;
        for (size_t done = 0; done < count;) {
            uint64_t first_sector = (offset + done) / drivers::k_sector_size;
            size_t at = static_cast<size_t>((offset + done) % drivers::k_sector_size);
            size_t length = count - done < k_bounce_bytes - at ? count - done : k_bounce_bytes - at;
            size_t sectors = (at + length + drivers::k_sector_size - 1) / drivers::k_sector_size;
            std::span<uint8_t> piece(bounce, sectors * drivers::k_sector_size);
            bool whole = at == 0 && length == piece.size();
            if (!(writes && whole)) {
                if (auto read = m_device.read_sectors(first_sector, piece); read.is_error()) {
                    failure = read.error();
                    break;
                }
            }
            copy(bounce + at, length, done);
            if (writes) {
                if (auto written = m_device.write_sectors(first_sector, piece); written.is_error()) {
                    failure = written.error();
                    break;
                }
            }
            done += length;
        }
        delete[] bounce;
        if (failure)
            return *failure;
        return {};
    }

    drivers::BlockDevice& m_device;
};

}  // namespace

ErrorOr<DeviceNumber> register_block_device(drivers::BlockDevice& device) {
    sched::MutexGuard guard(g_lock);
    if (g_count == k_max_disks)
        return Error::OutOfRange;
    DeviceNumber number { k_block_device_major, static_cast<uint32_t>(g_count * k_minors_per_disk) };
    g_disks[g_count] = { number, &device };
    __atomic_store_n(&g_count, g_count + 1, __ATOMIC_RELEASE);
    return number;
}

size_t block_device_count() { return __atomic_load_n(&g_count, __ATOMIC_ACQUIRE); }

BlockDeviceEntry block_device_at(size_t index) { return g_disks[index]; }

drivers::BlockDevice* block_device(DeviceNumber number) {
    for (size_t i = 0; i < block_device_count(); ++i) {
        if (g_disks[i].number == number)
            return g_disks[i].device;
    }
    return nullptr;
}

drivers::BlockDevice* block_device_named(std::string_view name) {
    if (name.starts_with("/dev/"))
        name.remove_prefix(5);
    for (size_t i = 0; i < block_device_count(); ++i) {
        if (g_disks[i].device->name() == name)
            return g_disks[i].device;
    }
    return nullptr;
}

ErrorOr<File*> open_block_device(const InodeRef& node, uint32_t flags) {
    drivers::BlockDevice* device = block_device(node->rdev());
    if (!device)
        return Error::NoDeviceOrAddress;  // as Linux's blkdev_open for a missing disk
    auto* file = new (std::nothrow) BlockDeviceFile(flags, node, *device);
    if (!file)
        return Error::NoMemory;
    return file;
}

}  // namespace akuma::fs
