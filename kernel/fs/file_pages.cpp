#include "kernel/fs/file_pages.h"

#include <utility>

#include "kernel/lib/assert.h"
#include "kernel/mm/kmalloc.h"

namespace akuma::fs {

namespace {

// The slot of `index` in a node at `level` (1: the nodes holding pages).
size_t digit(uint64_t index, unsigned level) {
    return (index >> (FilePages::k_bits * (level - 1))) & (FilePages::k_fanout - 1);
}

} // namespace

FilePages::FilePages(FilePages&& other)
    : m_usage(other.m_usage)
    , m_root(std::exchange(other.m_root, nullptr))
    , m_height(std::exchange(other.m_height, 0))
    , m_page_count(std::exchange(other.m_page_count, 0))
    , m_node_count(std::exchange(other.m_node_count, 0)) { }

FilePages& FilePages::operator=(FilePages&& other) {
    if (this != &other) {
        VERIFY(m_usage == other.m_usage);
        clear();
        m_root = std::exchange(other.m_root, nullptr);
        m_height = std::exchange(other.m_height, 0);
        m_page_count = std::exchange(other.m_page_count, 0);
        m_node_count = std::exchange(other.m_node_count, 0);
    }
    return *this;
}

bool FilePages::is_empty(const Node& node) {
    for (void* slot : node.slots) {
        if (slot)
            return false;
    }
    return true;
}

FilePages::Node* FilePages::allocate_node() {
    auto* node = static_cast<Node*>(mm::kzalloc(sizeof(Node), alignof(Node)));
    if (node) {
        ++m_node_count;
        if (m_usage)
            __atomic_add_fetch(&m_usage->nodes, 1, __ATOMIC_RELAXED);
    }
    return node;
}

void FilePages::free_node(Node* node) {
    --m_node_count;
    if (m_usage)
        __atomic_sub_fetch(&m_usage->nodes, 1, __ATOMIC_RELAXED);
    mm::kfree(node);
}

uint8_t* FilePages::find(uint64_t index) const {
    if (index >= capacity(m_height))
        return nullptr;
    void* slot = m_root;
    for (unsigned level = m_height; level > 0 && slot; --level)
        slot = static_cast<Node*>(slot)->slots[digit(index, level)];
    return static_cast<uint8_t*>(slot);
}

void FilePages::collect_range(uint64_t first, uint64_t end, uint8_t** pages) const {
    if (end > capacity(m_height))
        end = capacity(m_height);
    if (m_height == 0) {
        if (first == 0 && end > 0 && m_root)
            pages[0] = static_cast<uint8_t*>(m_root);
        return;
    }
    uint64_t index = first;
    while (index < end) {
        // The leaf node (level 1) holding `index`, and where its indices end.
        void* slot = m_root;
        for (unsigned level = m_height; level > 1 && slot; --level)
            slot = static_cast<Node*>(slot)->slots[digit(index, level)];
        uint64_t node_end = (index | (k_fanout - 1)) + 1;
        uint64_t stop = node_end < end ? node_end : end;
        if (slot) {
            auto& leaf = *static_cast<Node*>(slot);
            for (; index < stop; ++index) {
                if (void* page = leaf.slots[digit(index, 1)])
                    pages[index - first] = static_cast<uint8_t*>(page);
            }
        }
        index = stop;
    }
}

ErrorOr<void> FilePages::insert(uint64_t index, uint8_t* page) {
    VERIFY(index < k_max_index && page);
    unsigned height = m_height;
    while (index >= capacity(height))
        ++height;
    if (!m_root) {
        m_height = height; // nothing to keep below a new root
    }
    while (m_height < height) {
        // The old tree becomes the first child of a new root: no copying.
        Node* node = allocate_node();
        if (!node) {
            shrink();
            return Error::NoMemory;
        }
        node->slots[0] = m_root;
        m_root = node;
        ++m_height;
    }
    void** slot = &m_root;
    for (unsigned level = m_height; level > 0; --level) {
        if (!*slot) {
            Node* node = allocate_node();
            if (!node) {
                prune(index);
                shrink();
                return Error::NoMemory;
            }
            *slot = node;
        }
        slot = &static_cast<Node*>(*slot)->slots[digit(index, level)];
    }
    VERIFY(!*slot);
    *slot = page;
    ++m_page_count;
    if (m_usage)
        __atomic_add_fetch(&m_usage->pages, 1, __ATOMIC_RELAXED);
    return {};
}

void FilePages::prune(uint64_t index) {
    void** path[k_max_height];
    unsigned depth = 0;
    void** slot = &m_root;
    for (unsigned level = m_height; level > 0 && *slot; --level) {
        path[depth++] = slot;
        slot = &static_cast<Node*>(*slot)->slots[digit(index, level)];
    }
    while (depth > 0) {
        void** node_slot = path[--depth];
        auto* node = static_cast<Node*>(*node_slot);
        if (!is_empty(*node))
            break;
        free_node(node);
        *node_slot = nullptr;
    }
}

void FilePages::shrink() {
    while (m_height > 0 && m_root) {
        auto* root = static_cast<Node*>(m_root);
        for (size_t i = 1; i < k_fanout; ++i) {
            if (root->slots[i])
                return;
        }
        m_root = root->slots[0];
        free_node(root);
        --m_height;
    }
    if (!m_root)
        m_height = 0;
}

void FilePages::remove_below(void*& slot, unsigned height, uint64_t base, uint64_t first) {
    if (!slot)
        return;
    if (height == 0) {
        if (base >= first) {
            free_data_page(slot);
            slot = nullptr;
            --m_page_count;
            if (m_usage)
                __atomic_sub_fetch(&m_usage->pages, 1, __ATOMIC_RELAXED);
        }
        return;
    }
    auto* node = static_cast<Node*>(slot);
    uint64_t child_capacity = capacity(height - 1);
    for (size_t i = 0; i < k_fanout; ++i) {
        uint64_t child_base = base + i * child_capacity;
        if (child_base + child_capacity > first)
            remove_below(node->slots[i], height - 1, child_base, first);
    }
    if (is_empty(*node)) {
        free_node(node);
        slot = nullptr;
    }
}

void FilePages::remove_from(uint64_t first) {
    if (m_root && first < capacity(m_height))
        remove_below(m_root, m_height, 0, first);
    shrink();
}

} // namespace akuma::fs
