// FilePages: the data pages of one ramfs regular file, by page index. A
// radix tree of 64-way nodes whose height grows with the highest index
// present (as Linux's xarray holds the page cache): a lookup walks at most
// 9 nodes for any index below 2^54, a page is allocated only where the file
// was written (holes take nothing, so a sparse 64 GiB file costs a few
// nodes), and growing the tree adds a root above the old one without copying
// anything. A file of one page is just that page (height 0, no node).
//
// Not synchronised: the ramfs caller (the VFS lock) serialises.
// Data pages come from allocate_data_page() and go back through
// free_data_page(); nodes are kmalloc'd (512 bytes each). A file system's
// files add their pages and nodes up in one Usage (its size limit counts the
// pages).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/error_or.h"

namespace akuma::fs {

constexpr size_t k_data_page_size = 4096;

// One zeroed, 4 KiB-aligned page of file data, or nullptr when memory is
// out. The kernel takes pages from the PMM (kernel/fs/data_pages.cpp); host
// tests from their kmalloc stand-in, so leaks and failures are counted.
void* allocate_data_page();
void free_data_page(void* page);
// Whether anything besides its file holds the page (a mapping: the page
// cache's pages are mapped into processes). Host tests: never.
bool data_page_in_use(const void* page);
// The kernel is about to write into the page: code mapped from it must be
// synchronised again (mm::set_icache_dirty). Host tests: nothing.
void data_page_written(void* page);

class FilePages {
public:
    // Updated atomically: an unreachable inode frees its pages without the
    // file system's lock (FileSystem::destroy_inode).
    struct Usage {
        uint64_t pages;
        uint64_t nodes;
    };

    // `usage` (optional) must outlive the object.
    explicit FilePages(Usage* usage = nullptr)
        : m_usage(usage) { }
    // Only between objects sharing one Usage.
    FilePages(FilePages&& other);
    FilePages& operator=(FilePages&& other);
    FilePages(const FilePages&) = delete;
    FilePages& operator=(const FilePages&) = delete;
    ~FilePages() { clear(); }

    // The page at `index`, or nullptr for a hole.
    uint8_t* find(uint64_t index) const;
    // pages[index - first] = the page at each index in [first, end) that is
    // present (holes are left as they are): one walk per 64 indices, not per
    // page (fault-around looks at up to 64 neighbours at each fault).
    void collect_range(uint64_t first, uint64_t end, uint8_t** pages) const;
    // Puts `page` (from allocate_data_page) at `index`, which must be a hole
    // below k_max_index. NoMemory if a node cannot be allocated: then
    // nothing changed and the caller still owns the page.
    ErrorOr<void> insert(uint64_t index, uint8_t* page);
    // Frees every page at `first` or above and the nodes left empty.
    void remove_from(uint64_t first);
    void clear() { remove_from(0); }

    uint64_t page_count() const { return m_page_count; }
    uint64_t node_count() const { return m_node_count; }

    // Calls visit(page) for every page, in index order, while it returns true;
    // false if a visit did.
    template <typename F>
    bool for_each_page(F&& visit) const {
        return !m_root || visit_below(m_root, m_height, visit);
    }

    // Calls visit(index, page) for every page, in index order, while it
    // returns true; false if a visit did.
    template <typename F>
    bool for_each_indexed_page(F&& visit) const {
        return !m_root || visit_indexed_below(m_root, m_height, 0, visit);
    }

    static constexpr unsigned k_bits = 6;
    static constexpr size_t k_fanout = size_t { 1 } << k_bits;
    static constexpr unsigned k_max_height = 9;
    static constexpr uint64_t k_max_index = uint64_t { 1 } << (k_bits * k_max_height);
    static constexpr size_t k_node_size = k_fanout * sizeof(void*);

private:
    struct Node {
        void* slots[k_fanout];
    };
    static_assert(sizeof(Node) == k_node_size);

    // Indices below this fit a tree of `height`.
    static constexpr uint64_t capacity(unsigned height) { return uint64_t { 1 } << (k_bits * height); }
    static bool is_empty(const Node& node);
    Node* allocate_node();
    void free_node(Node* node);
    // Frees the pages at `first` or above under `slot` (a subtree of
    // `height` starting at index `base`); a node left empty goes too.
    void remove_below(void*& slot, unsigned height, uint64_t base, uint64_t first);
    // Drops empty nodes on the path to `index` (after a failed insert).
    void prune(uint64_t index);
    // Lowers the tree while its root holds only slot 0.
    void shrink();
    template <typename F>
    static bool visit_below(void* slot, unsigned height, F& visit) {
        if (height == 0)
            return visit(static_cast<uint8_t*>(slot));
        for (void* child : static_cast<Node*>(slot)->slots) {
            if (child && !visit_below(child, height - 1, visit))
                return false;
        }
        return true;
    }

    template <typename F>
    static bool visit_indexed_below(void* slot, unsigned height, uint64_t base, F& visit) {
        if (height == 0)
            return visit(base, static_cast<uint8_t*>(slot));
        uint64_t span = capacity(height - 1);
        for (size_t i = 0; i < k_fanout; ++i) {
            void* child = static_cast<Node*>(slot)->slots[i];
            if (child && !visit_indexed_below(child, height - 1, base + i * span, visit))
                return false;
        }
        return true;
    }

    Usage* m_usage;
    void* m_root { nullptr }; // height 0: the page at index 0
    unsigned m_height { 0 };
    uint64_t m_page_count { 0 };
    uint64_t m_node_count { 0 };
};

} // namespace akuma::fs
