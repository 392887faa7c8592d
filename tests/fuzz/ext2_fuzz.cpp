// libFuzzer target for ext2 (kernel/fs/ext2/): the input is a disk image.
// It is mounted read-only and walked (every directory listed, every name
// looked up, files read at their start and end, symlinks read), then a
// copy is mounted read-write and changed (create, write, mkdir, rename,
// truncate, unlink) and unmounted. Any answer is fine but a crash, a
// sanitizer report or a leak.
// Seed corpus: images made by mke2fs at build time (make_ext2_seeds.sh).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/drivers/block_device.h"
#include "kernel/fs/ext2/ext2_file_system.h"
#include "kernel/lib/kprint.h"

using namespace akuma;
using namespace akuma::fs;

namespace akuma {
namespace {
class NullSink final : public FormatSink {
public:
    void write(const char*, size_t) override { }
};
NullSink g_null_sink;
} // namespace
FormatSink& console_sink() {
    return g_null_sink;
}
} // namespace akuma

namespace {

class MemoryDevice final : public drivers::BlockDevice {
public:
    explicit MemoryDevice(std::vector<uint8_t>& bytes)
        : m_bytes(bytes) { }
    std::string_view name() const override { return "fuzz"; }
    uint64_t sector_count() const override { return m_bytes.size() / drivers::k_sector_size; }
    bool read_only() const override { return false; }
    ErrorOr<void> read_sectors(uint64_t first, std::span<uint8_t> buffer) override {
        if (!inside(first, buffer.size()))
            return Error::OutOfRange;
        std::memcpy(buffer.data(), m_bytes.data() + first * drivers::k_sector_size, buffer.size());
        return {};
    }
    ErrorOr<void> write_sectors(uint64_t first, std::span<const uint8_t> data) override {
        if (!inside(first, data.size()))
            return Error::OutOfRange;
        std::memcpy(m_bytes.data() + first * drivers::k_sector_size, data.data(), data.size());
        return {};
    }
    ErrorOr<void> flush() override { return {}; }

private:
    bool inside(uint64_t first, size_t size) const {
        return size % drivers::k_sector_size == 0 && first <= sector_count()
            && size / drivers::k_sector_size <= sector_count() - first;
    }
    std::vector<uint8_t>& m_bytes;
};

volatile uint64_t g_sum;

void walk(Ext2FileSystem& fs) {
    std::vector<InodeRef> stack { fs.root() };
    size_t visited = 0;
    std::vector<uint8_t> buffer(8192);
    while (!stack.empty() && visited < 300) {
        InodeRef directory = stack.back();
        stack.pop_back();
        for (size_t index = 0; index < 200; ++index) {
            auto entry = fs.directory_entry(directory, index);
            if (entry.is_error() || !entry.value())
                break;
            std::string name(entry.value()->name);
            if (name == "." || name == "..")
                continue;
            auto child = fs.lookup(directory, name);
            if (child.is_error())
                continue;
            ++visited;
            InodeRef inode = child.release_value();
            (void)fs.stat(inode);
            if (inode->is_directory()) {
                (void)fs.parent(inode);
                stack.push_back(inode);
            } else if (inode->type() == InodeType::Symlink) {
                auto target = fs.readlink(inode);
                if (!target.is_error())
                    g_sum = g_sum + target.value().size();
            } else if (inode->type() == InodeType::Regular) {
                auto read = fs.read(inode, 0, buffer);
                if (!read.is_error())
                    g_sum = g_sum + read.value();
                if (inode->size() > buffer.size())
                    (void)fs.read(inode, inode->size() - 100, buffer);
                (void)fs.cache_page(inode, 0, false);
            }
        }
    }
}

void change(Ext2FileSystem& fs) {
    InodeRef root = fs.root();
    static const uint8_t data[3000] = { 1, 2, 3 };
    auto file = fs.create_file(root, "fuzz-new", 0644, 0, 0);
    if (!file.is_error()) {
        (void)fs.write(file.value(), 5000, data);
        (void)fs.truncate(file.value(), 100);
    }
    (void)fs.mkdir(root, "fuzz-dir", 0755, 0, 0);
    (void)fs.symlink(root, "fuzz-link", "fuzz-new", 0, 0);
    for (size_t index = 2; index < 6; ++index) {
        auto entry = fs.directory_entry(root, index);
        if (entry.is_error() || !entry.value())
            break;
        std::string name(entry.value()->name);
        auto child = fs.lookup(root, name);
        if (child.is_error())
            continue;
        if (child.value()->type() == InodeType::Regular) {
            (void)fs.write(child.value(), 10, data);
            (void)fs.truncate(child.value(), 0);
            (void)fs.unlink(root, name);
        } else if (child.value()->is_directory()) {
            auto dir = fs.lookup(root, "fuzz-dir");
            if (!dir.is_error())
                (void)fs.rename(root, name, dir.value(), "moved");
        }
    }
    (void)fs.sync_file_system();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2048 || size > (1 << 20))
        return 0;
    std::vector<uint8_t> image(data, data + size / drivers::k_sector_size * drivers::k_sector_size);
    {
        MemoryDevice device(image);
        auto fs = Ext2FileSystem::mount(device, true);
        if (!fs.is_error())
            walk(*fs.value());
    }
    {
        MemoryDevice device(image);
        auto fs = Ext2FileSystem::mount(device, false);
        if (!fs.is_error()) {
            change(*fs.value());
            walk(*fs.value());
            (void)fs.value()->unmount();
        }
    }
    return 0;
}
