// libFuzzer target for the initramfs loader: arbitrary bytes loaded as a
// cpio archive into a fresh Ramfs, once normally and once with an allocation
// failure injected part-way (the count derives from the input size). Then
// the tree is walked and checked for consistency, and destroying the Ramfs
// must free every allocation.
// Seed corpus: tests/fuzz/corpus/cpio/ (small archives made by GNU cpio).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "kernel/fs/initrd_loader.h"
#include "kernel/fs/ramfs.h"
#include "tests/host/host_kmalloc.h"

using namespace akuma;
using namespace akuma::fs;

namespace {

volatile uint64_t g_sink;

void check(bool condition) {
    if (!condition)
        abort();
}

// Every entry looks up to itself, files read to their size, symlinks have
// targets, and directories resolve back from their path.
void check_tree(Ramfs& ramfs) {
    uint64_t sum = 0;
    std::vector<InodeRef> stack { ramfs.root() };
    while (!stack.empty()) {
        InodeRef directory = stack.back();
        stack.pop_back();
        char path[k_max_path];
        auto length = ramfs.path_of(directory, path);
        check(!length.is_error() || length.error() == Error::OutOfRange);
        if (!length.is_error()) {
            auto back = ramfs.resolve(ramfs.root(), std::string_view(path, length.value() - 1), false);
            check(!back.is_error() && back.value() == directory);
        }
        check(ramfs.directory_entry(directory, 0).value()->ino == directory->ino());
        for (size_t index = 2;; ++index) {
            auto entry = ramfs.directory_entry(directory, index);
            check(!entry.is_error());
            if (!entry.value())
                break;
            InodeRef inode = ramfs.lookup(directory, entry.value()->name).release_value();
            check(inode->ino() == entry.value()->ino && inode->type() == entry.value()->type);
            switch (inode->type()) {
            case InodeType::Directory:
                stack.push_back(inode);
                break;
            case InodeType::Regular: {
                std::vector<uint8_t> data(inode->size());
                check(ramfs.read(inode, 0, data).value() == data.size());
                for (uint8_t byte : data)
                    sum += byte;
                break;
            }
            case InodeType::Symlink:
                check(!ramfs.readlink(inode).value().empty());
                break;
            case InodeType::CharDevice:
            case InodeType::BlockDevice:
                sum += inode->rdev().major;
                break;
            case InodeType::Fifo:
            case InodeType::Socket:
                break;
            }
        }
    }
    g_sink = sum;
}

void load_once(std::span<const uint8_t> archive, long fail_after) {
    size_t baseline = test::host_kmalloc_live_objects();
    {
        auto created = Ramfs::create();
        check(!created.is_error());
        auto ramfs = created.release_value();
        const char* reason = nullptr;
        test::host_kmalloc_fail_after(fail_after);
        auto result = load_initrd(*ramfs, archive, &reason);
        test::host_kmalloc_fail_after(-1);
        check(!result.is_error() || reason != nullptr);
        check_tree(*ramfs);
    }
    check(test::host_kmalloc_live_objects() == baseline);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> archive(data, size);
    load_once(archive, -1);
    load_once(archive, static_cast<long>(size % 64));
    return 0;
}
