// In-kernel tests of the ramfs's file pages (kernel/fs/file_pages.h): they
// come from the PMM as written, a sparse file takes none, truncation gives
// them back, and a small instance's size limit ends writes with NoSpace.
#include "kernel/fs/ramfs.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_sharing.h"
#include "kernel/mm/pmm.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::fs;

namespace {

std::span<const uint8_t> bytes_of(std::string_view text) {
    return { reinterpret_cast<const uint8_t*>(text.data()), text.size() };
}

uint64_t free_pages() { return mm::pmm_stats().free_pages; }

// A zeroed kmalloc buffer for the scope.
struct Buffer {
    explicit Buffer(size_t size)
        : data(static_cast<uint8_t*>(mm::kzalloc(size))), size(size) {}
    ~Buffer() { mm::kfree(data); }
    std::span<const uint8_t> span() const { return { data, size }; }
    uint8_t* data;
    size_t size;
};

}  // namespace

KTEST(ramfs_pages_from_the_pmm, "Ramfs: file data in PMM pages as written; 64 MiB of hole takes none") {
    auto created = Ramfs::create();
    KEXPECT(!created.is_error());
    auto fs = created.release_value();
    {
        InodeRef file = fs->create_file(fs->root(), "f", 0644).release_value();
        uint64_t before = free_pages();
        KEXPECT(!fs->truncate(file, 64ull << 20).is_error());
        KEXPECT_EQ(free_pages(), before);  // no allocation at all
        KEXPECT_EQ(fs->stats().owned_data_bytes, 0u);

        // One page at 60 MiB: that page and three 512-byte nodes on the heap
        // (which may take a fresh slab for them), not 15360 pages.
        KEXPECT_EQ(fs->write(file, 60ull << 20, bytes_of("sixty")).value(), 5u);
        KEXPECT_EQ(static_cast<RamfsInode&>(*file).page_count(), 1u);
        KEXPECT_EQ(fs->stats().index_bytes, 3 * FilePages::k_node_size);
        uint64_t used = before - free_pages();
        if (used < 1 || used > 16)
            KFAIL("one page written at 60 MiB took {} PMM pages", used);
        uint8_t buffer[16];
        KEXPECT_EQ(fs->read(file, (60ull << 20) - 8, buffer).value(), 16u);
        for (size_t i = 0; i < 8; ++i)
            KEXPECT_EQ(buffer[i], 0u);
        KEXPECT_EQ(buffer[8], uint8_t('s'));

        // Two hundred more pages, each a PMM page; shrinking frees them.
        Buffer chunk(4096);
        KEXPECT(chunk.data);
        uint64_t with_one = free_pages();
        for (uint64_t page = 0; page < 200; ++page)
            KEXPECT_EQ(fs->write(file, page * 4096, chunk.span()).value(), 4096u);
        KEXPECT(with_one - free_pages() >= 200);
        KEXPECT_EQ(fs->stats().owned_data_bytes, 201u * 4096);
        KEXPECT(!fs->truncate(file, 0).is_error());
        KEXPECT_EQ(fs->stats().owned_data_bytes, 0u);
        KEXPECT_EQ(fs->stats().index_bytes, 0u);
        KEXPECT(!fs->unlink(fs->root(), "f").is_error());
    }
    fs.reset();
}

KTEST(ramfs_size_limit, "Ramfs: a 64 KiB instance takes 16 pages, then a short write, then NoSpace") {
    auto created = Ramfs::create(64 * 1024);
    KEXPECT(!created.is_error());
    auto fs = created.release_value();
    KEXPECT_EQ(fs->size_limit(), 64u * 1024);
    {
        InodeRef file = fs->create_file(fs->root(), "f", 0644).release_value();
        Buffer data(20 * 4096);
        KEXPECT(data.data);
        auto written = fs->write(file, 0, data.span());
        KEXPECT(!written.is_error());
        KEXPECT_EQ(written.value(), 64u * 1024);  // what fitted
        auto full = fs->write(file, 64 * 1024, bytes_of("x"));
        KEXPECT(full.is_error());
        KEXPECT_EQ(full.error(), Error::NoSpace);
        KEXPECT(!fs->truncate(file, 1ull << 30).is_error());  // a hole: no page needed
        KEXPECT(!fs->unlink(fs->root(), "f").is_error());
    }
    fs.reset();
}

namespace {

// One life of a page-cache page shared with a mapping (the test below runs
// it twice).
void cache_page_share_round(ktest::TestContext& ktest_context) {
    auto fs = Ramfs::create().release_value();
    auto file = fs->create_file(fs->root(), "text", 0755).release_value();
    KEXPECT_EQ(fs->write(file, 0, bytes_of("code")).value(), 4u);
    uint8_t* page = fs->cache_page(file, 0, false).release_value();
    mm::PhysAddr frame = mm::linear_virt_to_phys(page);
    // A mapping takes its share and synchronises the caches once.
    mm::add_sharer(frame);
    KEXPECT(!mm::icache_clean(frame));
    mm::set_icache_clean(frame);
    KEXPECT(mm::icache_clean(frame));
    KEXPECT_EQ(mm::extra_sharers(frame), 1u);  // the flag does not disturb the count
    // A write through the file makes it dirty again.
    KEXPECT_EQ(fs->write(file, 1, bytes_of("O")).value(), 1u);
    KEXPECT(!mm::icache_clean(frame));
    KEXPECT_EQ(mm::extra_sharers(frame), 1u);
    // The file goes; the mapping's share keeps the page and its bytes.
    KEXPECT(!fs->unlink(fs->root(), "text").is_error());
    file.reset();
    KEXPECT(page[0] == 'c' && page[1] == 'O');
    mm::set_icache_clean(frame);
    mm::drop_sharer(frame);  // the last holder: freed, clean bit and all
}

}  // namespace

KTEST(ramfs_cache_page_shares, "Ramfs: a page-cache page outlives its file while mapped; its I-cache state follows writes") {
    // Once first, so that the heap's own pages for these objects exist
    // before counting (where its slabs grow depends on everything that ran
    // before: the count is about the page-cache page, not the heap).
    cache_page_share_round(ktest_context);
    uint64_t before = free_pages();
    cache_page_share_round(ktest_context);
    KEXPECT_EQ(free_pages(), before);
}
