// VmaSet: the virtual memory areas of one user address space, kept in an
// AVL tree ordered by address (kernel/lib/avl_tree.h), one kmalloc'd node per
// VMA. Lookups, inserts and removals are O(log n); an operation over a range
// is O(log n + k) for the k VMAs it touches. Hardware independent: it records
// what each range should contain; mapping pages and handling faults is the
// address space's job.
//
// Invariants: every VMA is non-empty and page aligned, file_bytes <= its size,
// file_offset and file_bytes are 0 when file is null, VMAs are ordered and do
// not overlap, and an operation that adds VMAs leaves at most max_count()
// (k_max_vmas, Linux's vm.max_map_count).
//
// Every mutating operation is all-or-nothing: it either fails (NoMemory,
// Exists, Invalid, ...) and changes nothing, or does all of its work. The
// nodes an operation needs are allocated before anything changes. Adjacent
// VMAs with identical attributes are merged by insert() and protect_range();
// merging never changes what any page reads as.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "kernel/lib/error_or.h"
#include "kernel/lib/avl_tree.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_table.h"

namespace akuma::mm {

// Linux PROT_* bits (mmap/mprotect ABI).
constexpr uint32_t k_prot_none = 0;
constexpr uint32_t k_prot_read = 1;
constexpr uint32_t k_prot_write = 2;
constexpr uint32_t k_prot_exec = 4;

enum class VmaKind : uint8_t {
    Anonymous,
    File,   // mmap of a file (private or shared)
    Image,  // an ELF PT_LOAD segment
    Heap,   // the brk area
    Stack,
};

const char* vma_kind_name(VmaKind kind);

struct Vma {
    VirtAddr start;  // page aligned
    VirtAddr end;    // page aligned, exclusive
    uint32_t prot;   // k_prot_* bits
    VmaKind kind;
    // What backs the range (not owned; the address space keeps it alive): a
    // file for File and Image VMAs, the SharedMemory object of a shared one.
    const void* file;
    uint64_t file_offset;  // offset in the file (or object) of the byte at `start`
    uint64_t file_bytes;   // bytes from `start` read from the file; the rest reads as zeros
    // MAP_SHARED: the pages are never copied on write. Anonymous: they come
    // from the SharedMemory object in `file`, shared with the address spaces
    // forked from this one. File: they are the file's pages (the page cache).
    bool shared = false;
    // The protections mprotect may grant (Linux's VM_MAYREAD/WRITE/EXEC): a
    // MAP_SHARED file mapping through a descriptor not open for writing
    // cannot become writable.
    uint32_t max_prot = k_prot_read | k_prot_write | k_prot_exec;
    // mlock (Linux's VM_LOCKED, VM_LOCKONFAULT): the pages stay in memory,
    // and (unless on_fault) are all made when locked.
    bool locked = false;
    bool lock_on_fault = false;

    uint64_t size() const { return end - start; }
    bool contains(VirtAddr address) const { return address >= start && address < end; }
    bool operator==(const Vma&) const = default;
};

// The part of `vma` inside [from, to), with file_offset/file_bytes adjusted.
// The range must intersect the VMA.
Vma vma_slice(const Vma& vma, VirtAddr from, VirtAddr to);

// Linux's default vm.max_map_count (DEFAULT_MAX_MAP_COUNT, 65530): no address
// space holds more VMAs. An insert or a split that would leave more fails
// with NoMemory (mmap, munmap and mprotect return ENOMEM), as on Linux. It
// bounds the kernel memory one process can pin in VMA nodes (about 8 MiB).
// Like the sysctl, the limit is a property of the set (tests use small ones).
constexpr size_t k_max_vmas = 65530;

class VmaSet {
    struct Node : AvlNode {
        explicit Node(const Vma& v) : vma(v) {}
        Vma vma;
    };
    using Tree = AvlTree<Node>;

public:
    // Walks the VMAs in address order. Valid until the set changes.
    class Iterator {
    public:
        Iterator() = default;
        const Vma& operator*() const { return m_node->vma; }
        const Vma* operator->() const { return &m_node->vma; }
        Iterator& operator++() {
            m_node = Tree::next(m_node);
            return *this;
        }
        bool operator==(const Iterator&) const = default;

    private:
        friend class VmaSet;
        explicit Iterator(const Node* node) : m_node(node) {}
        const Node* m_node {nullptr};
    };

    VmaSet() = default;
    explicit VmaSet(size_t max_count) : m_max_count(max_count) {}
    VmaSet(VmaSet&&) = default;
    VmaSet& operator=(VmaSet&& other) {
        if (this != &other) {
            clear();
            m_tree = std::move(other.m_tree);
            m_max_count = other.m_max_count;
        }
        return *this;
    }
    ~VmaSet() { clear(); }

    // Exists if it overlaps a VMA; Invalid if unaligned, empty or wrapping, or
    // if file_bytes exceeds the size (or is non-zero without a file). Without
    // a file, file_offset is stored as 0. NoMemory if it merges with no
    // neighbour and the set is full (max_count()), or no node can be had.
    ErrorOr<void> insert(const Vma& vma);

    // The VMA containing address, or nullptr. Valid until the next change.
    const Vma* find(VirtAddr address) const;
    // The first VMA that ends above address (end() if none): the one
    // containing it, or else the next one up.
    Iterator first_ending_after(VirtAddr address) const { return Iterator(first_node_ending_after(address)); }
    // True if no VMA intersects [start, end).
    bool is_free(VirtAddr start, VirtAddr end) const;

    // munmap: removes [start, end) from every VMA it intersects (holes are
    // fine), splitting partly covered ones, and calls on_removed(const Vma&)
    // with each removed piece, in address order, before returning. Invalid if
    // unaligned or empty; NoMemory (nothing changed, nothing reported) if the
    // one VMA it splits in two would exceed max_count() or no node can be had.
    template <typename F>
    ErrorOr<void> remove_range(VirtAddr start, VirtAddr end, F&& on_removed) {
        Node* spare = TRY(prepare_removal(start, end));
        for (Node* node = first_node_ending_after(start); node && node->vma.start < end;) {
            Vma piece = vma_slice(node->vma, start, end);
            node = cut(node, start, end, spare);
            on_removed(static_cast<const Vma&>(piece));
        }
        return {};
    }
    ErrorOr<void> remove_range(VirtAddr start, VirtAddr end) {
        return remove_range(start, end, [](const Vma&) {});
    }

    // mprotect: sets prot on [start, end), splitting at both ends. Every page
    // must be inside a VMA, else NoMemory (Linux ENOMEM) and nothing changes;
    // NoMemory too if the VMAs left after splitting and merging would exceed
    // max_count(), or no node can be had. Invalid if unaligned; an empty range
    // succeeds without doing anything.
    ErrorOr<void> protect_range(VirtAddr start, VirtAddr end, uint32_t prot);
    // The same walk for any change of attributes (mlock's flags):
    // change(vma, context) is applied to every piece in [start, end); a VMA
    // the change leaves as it is, is not split.
    using VmaChange = void (*)(Vma& vma, const void* context);
    ErrorOr<void> update_range(VirtAddr start, VirtAddr end, VmaChange change, const void* context);
    // Applies `change` to every VMA, splitting and merging nothing (fork's
    // copy drops the mlock flags: pieces that then read alike stay apart,
    // as on Linux).
    void update_all(VmaChange change, const void* context);

    // mmap without MAP_FIXED: the lowest page-aligned start >= max(hint,
    // minimum) with [start, start + size) free and ending <= limit; if there is
    // none above a non-zero hint, the lowest from minimum. size is rounded up
    // to whole pages; nullopt if it is 0 or nothing fits. Walks the gaps from
    // the first VMA above the start.
    std::optional<VirtAddr> find_free(uint64_t size, VirtAddr minimum, VirtAddr limit, VirtAddr hint = 0) const;

    // Moves the end of the VMA starting exactly at start_of_vma (brk).
    // NotFound if there is none; Invalid if new_end is unaligned or would
    // leave it empty; Exists if growing would overlap the next VMA. Shrinking
    // clips file_bytes; the caller unmaps [new_end, old end).
    ErrorOr<void> resize_end(VirtAddr start_of_vma, VirtAddr new_end);

    // Grows an anonymous VMA of this set (the stack) down to new_start.
    // Invalid if unaligned, above its start, or the VMA has a file; Exists if
    // it would overlap the previous VMA.
    ErrorOr<void> extend_down(const Vma* vma, VirtAddr new_start);

    // For fork: a copy with its own nodes (and limit), or NoMemory and no copy.
    ErrorOr<VmaSet> clone() const;
    void clear();

    size_t size() const { return m_tree.size(); }
    // At most this many VMAs (k_max_vmas unless set otherwise). Lowering it
    // below size() only makes the operations that would grow the set fail.
    size_t max_count() const { return m_max_count; }
    void set_max_count(size_t max_count) { m_max_count = max_count; }
    bool is_empty() const { return m_tree.is_empty(); }
    Iterator begin() const { return Iterator(m_tree.first()); }
    Iterator end() const { return Iterator(); }

    // The tree's height and a full structural check, for tests.
    unsigned tree_height() const { return m_tree.height(); }
    bool tree_is_valid() const { return m_tree.is_valid(); }

private:
    static ErrorOr<Node*> allocate_node(const Vma& vma);
    static void free_node(Node* node);

    Node* first_node_ending_after(VirtAddr address) const;
    Node* node_starting_at(VirtAddr address) const;
    void remove_node(Node* node);
    // Validates the range and allocates the node a split of one VMA in two
    // needs (nullptr if it needs none).
    ErrorOr<Node*> prepare_removal(VirtAddr start, VirtAddr end);
    // Removes [start, end) from node's VMA; returns the next node.
    Node* cut(Node* node, VirtAddr start, VirtAddr end, Node* spare);
    // Splits node's VMA at address (strictly inside it) into node and spare.
    void split_at(Node* node, VirtAddr address, Node* spare);
    // Merges node's successor into node while they can merge; returns
    // whether it did.
    bool merge_with_next(Node* node);

    Tree m_tree;
    size_t m_max_count {k_max_vmas};
};

}  // namespace akuma::mm
