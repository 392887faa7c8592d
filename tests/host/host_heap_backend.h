// A HeapBackend for host tests and the heap fuzz target: blocks come from
// aligned_alloc, filled with garbage like reused PMM pages, and a map from
// block base to {kind, order} answers block_info.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>

#include "kernel/mm/heap/heap.h"

namespace akuma {

class HostHeapBackend : public HeapBackend {
public:
    // Called when the heap frees a block this backend never handed out.
    using InvalidFreeHandler = void (*)(void* block);

    explicit HostHeapBackend(InvalidFreeHandler on_invalid_free) : m_on_invalid_free(on_invalid_free) {}
    ~HostHeapBackend() {
        for (auto& [base, block] : m_blocks)
            std::free(reinterpret_cast<void*>(base));
    }

    void* allocate_block(unsigned order, BlockKind kind) override {
        size_t pages = size_t(1) << order;
        if (order > max_order || m_pages + pages > page_limit)
            return nullptr;
        size_t bytes = k_heap_page_size << order;
        void* block = std::aligned_alloc(bytes, bytes);
        if (!block)
            return nullptr;
        std::memset(block, 0xEE, bytes);
        m_blocks[reinterpret_cast<uintptr_t>(block)] = { kind, order };
        m_pages += pages;
        allocations++;
        return block;
    }

    void free_block(void* block) override {
        auto it = m_blocks.find(reinterpret_cast<uintptr_t>(block));
        if (it == m_blocks.end()) {
            m_on_invalid_free(block);
            return;
        }
        m_pages -= size_t(1) << it->second.order;
        m_blocks.erase(it);
        std::free(block);
    }

    std::optional<BlockInfo> block_info(const void* address) const override {
        auto key = reinterpret_cast<uintptr_t>(address);
        auto it = m_blocks.upper_bound(key);
        if (it == m_blocks.begin())
            return std::nullopt;
        --it;
        if (key >= it->first + (k_heap_page_size << it->second.order))
            return std::nullopt;
        return BlockInfo { it->second.kind, reinterpret_cast<void*>(it->first), it->second.order };
    }

    size_t live_blocks() const { return m_blocks.size(); }
    size_t live_blocks(BlockKind kind) const {
        return size_t(std::count_if(m_blocks.begin(), m_blocks.end(),
                                    [kind](const auto& entry) { return entry.second.kind == kind; }));
    }
    size_t live_pages() const { return m_pages; }

    unsigned max_order = 63;
    size_t page_limit = SIZE_MAX;
    size_t allocations = 0;

private:
    struct Block {
        BlockKind kind;
        unsigned order;
    };
    InvalidFreeHandler m_on_invalid_free;
    std::map<uintptr_t, Block> m_blocks;
    size_t m_pages = 0;
};

}  // namespace akuma
