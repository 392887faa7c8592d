#include "kernel/mm/vma_set.h"

#include <limits>

#include "kernel/lib/allocator.h"
#include "kernel/lib/assert.h"

namespace akuma::mm {

namespace {

constexpr uint64_t k_page_mask = k_page_size - 1;

bool is_page_aligned(uint64_t value) { return (value & k_page_mask) == 0; }

std::optional<uint64_t> page_round_up(uint64_t value) {
    if (value > std::numeric_limits<uint64_t>::max() - k_page_mask)
        return std::nullopt;
    return (value + k_page_mask) & ~k_page_mask;
}

// Whether a followed by b reads exactly like one VMA: same attributes, the
// file continues where a's file part ends, and no zero gap is followed by
// file bytes (a fully file-backed, or b without file bytes).
bool can_merge(const Vma& a, const Vma& b) {
    if (a.end != b.start || a.prot != b.prot || a.kind != b.kind || a.file != b.file ||
        a.shared != b.shared || a.max_prot != b.max_prot || a.locked != b.locked ||
        a.lock_on_fault != b.lock_on_fault)
        return false;
    if (!a.file)
        return true;
    return b.file_offset == a.file_offset + a.size() && (a.file_bytes == a.size() || b.file_bytes == 0);
}

Vma merged(const Vma& a, const Vma& b) {
    Vma result = a;
    result.end = b.end;
    result.file_bytes = a.file_bytes + b.file_bytes;
    return result;
}

}  // namespace

const char* vma_kind_name(VmaKind kind) {
    switch (kind) {
    case VmaKind::Anonymous: return "anonymous";
    case VmaKind::File: return "file";
    case VmaKind::Image: return "image";
    case VmaKind::Heap: return "heap";
    case VmaKind::Stack: return "stack";
    }
    return "?";
}

Vma vma_slice(const Vma& vma, VirtAddr from, VirtAddr to) {
    Vma piece = vma;
    piece.start = from > vma.start ? from : vma.start;
    piece.end = to < vma.end ? to : vma.end;
    VERIFY(piece.start < piece.end);
    uint64_t skipped = piece.start - vma.start;
    if (vma.file)
        piece.file_offset = vma.file_offset + skipped;
    uint64_t remaining = vma.file_bytes > skipped ? vma.file_bytes - skipped : 0;
    piece.file_bytes = remaining < piece.size() ? remaining : piece.size();
    return piece;
}

ErrorOr<VmaSet::Node*> VmaSet::allocate_node(const Vma& vma) {
    void* memory = HeapAllocator::allocate(sizeof(Node), alignof(Node));
    if (!memory)
        return Error::NoMemory;
    return construct_in_place<Node>(memory, vma);
}

void VmaSet::free_node(Node* node) {
    node->~Node();
    HeapAllocator::deallocate(node, sizeof(Node), alignof(Node));
}

void VmaSet::remove_node(Node* node) {
    m_tree.remove(*node);
    free_node(node);
}

void VmaSet::clear() {
    m_tree.clear([](Node* node) { free_node(node); });
}

VmaSet::Node* VmaSet::first_node_ending_after(VirtAddr address) const {
    return m_tree.lower_bound([address](const Node& node) { return node.vma.end > address; });
}

VmaSet::Node* VmaSet::node_starting_at(VirtAddr address) const {
    Node* node = first_node_ending_after(address);
    return node && node->vma.start == address ? node : nullptr;
}

const Vma* VmaSet::find(VirtAddr address) const {
    Node* node = first_node_ending_after(address);
    if (node && node->vma.start <= address)
        return &node->vma;
    return nullptr;
}

bool VmaSet::is_free(VirtAddr start, VirtAddr end) const {
    if (start >= end)
        return true;
    Node* node = first_node_ending_after(start);
    return !node || node->vma.start >= end;
}

void VmaSet::split_at(Node* node, VirtAddr address, Node* spare) {
    Vma whole = node->vma;
    node->vma = vma_slice(whole, whole.start, address);
    spare->vma = vma_slice(whole, address, whole.end);
    m_tree.insert_after(node, *spare);
}

bool VmaSet::merge_with_next(Node* node) {
    Node* next = Tree::next(node);
    if (!next || !can_merge(node->vma, next->vma))
        return false;
    node->vma = merged(node->vma, next->vma);
    remove_node(next);
    return true;
}

ErrorOr<void> VmaSet::insert(const Vma& vma) {
    if (!is_page_aligned(vma.start) || !is_page_aligned(vma.end) || vma.start >= vma.end)
        return Error::Invalid;
    if (vma.file_bytes > vma.size() || (!vma.file && vma.file_bytes != 0))
        return Error::Invalid;
    // Every VMA before `after` ends at or below vma.start.
    Node* after = first_node_ending_after(vma.start);
    if (after && after->vma.start < vma.end)
        return Error::Exists;
    Node* before = after ? Tree::prev(after) : m_tree.last();
    Vma added = vma;
    if (!added.file)
        added.file_offset = 0;  // meaningless without a file (mmap ignores it for MAP_ANONYMOUS)
    if (before && can_merge(before->vma, added)) {
        before->vma = merged(before->vma, added);
        merge_with_next(before);
        return {};
    }
    if (after && can_merge(added, after->vma)) {
        after->vma = merged(added, after->vma);
        return {};
    }
    if (size() >= m_max_count)
        return Error::NoMemory;
    m_tree.insert_after(before, *TRY(allocate_node(added)));
    return {};
}

ErrorOr<VmaSet::Node*> VmaSet::prepare_removal(VirtAddr start, VirtAddr end) {
    if (!is_page_aligned(start) || !is_page_aligned(end) || start >= end)
        return Error::Invalid;
    // Only a VMA sticking out on both sides turns into two.
    Node* node = first_node_ending_after(start);
    if (!node || node->vma.start >= start || node->vma.end <= end)
        return nullptr;
    if (size() >= m_max_count)
        return Error::NoMemory;
    return allocate_node(node->vma);
}

VmaSet::Node* VmaSet::cut(Node* node, VirtAddr start, VirtAddr end, Node* spare) {
    const Vma vma = node->vma;
    bool keep_head = vma.start < start;
    bool keep_tail = vma.end > end;
    if (keep_head && keep_tail) {
        VERIFY(spare);  // prepare_removal() allocated it
        split_at(node, end, spare);
        node->vma = vma_slice(vma, vma.start, start);
        return Tree::next(spare);
    }
    if (keep_head || keep_tail) {
        node->vma = keep_head ? vma_slice(vma, vma.start, start) : vma_slice(vma, end, vma.end);
        return Tree::next(node);
    }
    Node* next = Tree::next(node);
    remove_node(node);
    return next;
}

ErrorOr<void> VmaSet::protect_range(VirtAddr start, VirtAddr end, uint32_t prot) {
    return update_range(
        start, end, [](Vma& vma, const void* context) { vma.prot = *static_cast<const uint32_t*>(context); }, &prot);
}

void VmaSet::update_all(VmaChange change, const void* context) {
    for (Node* node = m_tree.first(); node; node = Tree::next(node))
        change(node->vma, context);
}

ErrorOr<void> VmaSet::update_range(VirtAddr start, VirtAddr end, VmaChange change, const void* context) {
    auto changed = [&](const Vma& vma) {
        Vma copy = vma;
        change(copy, context);
        return copy;
    };
    if (!is_page_aligned(start) || !is_page_aligned(end) || start > end)
        return Error::Invalid;
    if (start == end)
        return {};
    Node* first = first_node_ending_after(start);
    Node* last = first;
    for (VirtAddr covered = start;; last = Tree::next(last)) {
        if (!last || last->vma.start > covered)
            return Error::NoMemory;  // a hole: Linux mprotect fails with ENOMEM
        covered = last->vma.end;
        if (covered >= end)
            break;
    }
    // A VMA the change leaves as it is, is not split (Linux neither): its
    // pages read the same either way.
    bool split_first = first->vma.start < start && !(changed(first->vma) == first->vma);
    bool split_last = last->vma.end > end && !(changed(last->vma) == last->vma);
    Node* before = split_first ? nullptr : Tree::prev(first);
    Node* after = Tree::next(last);

    // Counts the merges first, on copies: the limit applies to what is left
    // afterwards. The sequence is the one the merge loop at the end walks:
    // the head (or the VMA before), the protected pieces, the tail (or the
    // VMA after).
    size_t merges = 0;
    std::optional<Vma> previous;
    if (split_first)
        previous = vma_slice(first->vma, first->vma.start, start);
    else if (before)
        previous = before->vma;
    auto feed = [&](const Vma& piece) {
        if (previous && can_merge(*previous, piece)) {
            previous = merged(*previous, piece);
            ++merges;
        } else {
            previous = piece;
        }
    };
    for (Node* node = first;; node = Tree::next(node)) {
        Vma piece = vma_slice(node->vma, node == first && split_first ? start : node->vma.start,
            node == last && split_last ? end : node->vma.end);
        change(piece, context);
        feed(piece);
        if (node == last)
            break;
    }
    if (split_last)
        feed(vma_slice(last->vma, end, last->vma.end));
    else if (after)
        feed(after->vma);
    size_t splits = size_t {split_first} + size_t {split_last};
    if (splits > merges && size() + splits - merges > m_max_count)
        return Error::NoMemory;

    Node* spares[2] {};
    for (size_t i = 0; i < splits; ++i) {
        auto node = allocate_node(first->vma);
        if (node.is_error()) {
            if (i > 0)
                free_node(spares[0]);
            return node.error();
        }
        spares[i] = node.value();
    }
    size_t expected_size = size() + splits - merges;
    Node** spare = spares;

    if (split_first) {
        Node* head = first;
        split_at(head, start, *spare++);
        if (last == first)
            last = Tree::next(head);
        first = Tree::next(head);
        before = head;
    }
    if (split_last)
        split_at(last, end, *spare++);
    for (Node* node = first;; node = Tree::next(node)) {
        change(node->vma, context);
        if (node == last)
            break;
    }
    // Merge pairwise from the VMA before the range to the one after it.
    Node* stop = Tree::next(last);  // the tail or `after`
    for (Node* node = before ? before : first; node;) {
        Node* next = Tree::next(node);
        if (!next)
            break;
        bool was_stop = next == stop;
        if (!merge_with_next(node))
            node = next;
        if (was_stop)
            break;
    }
    VERIFY(size() == expected_size);
    return {};
}

std::optional<VirtAddr> VmaSet::find_free(uint64_t size, VirtAddr minimum, VirtAddr limit, VirtAddr hint) const {
    auto first_fit = [&](uint64_t length, VirtAddr from) -> std::optional<VirtAddr> {
        auto candidate = page_round_up(from);
        if (!candidate)
            return std::nullopt;
        for (Node* node = first_node_ending_after(*candidate);; node = Tree::next(node)) {
            if (*candidate > limit || limit - *candidate < length)
                return std::nullopt;
            if (!node || (node->vma.start >= *candidate && node->vma.start - *candidate >= length))
                return candidate;
            *candidate = node->vma.end;  // this VMA overlaps: try just after it
        }
    };
    auto length = page_round_up(size);
    if (size == 0 || !length)
        return std::nullopt;
    if (hint > minimum) {
        if (auto found = first_fit(*length, hint))
            return found;
    }
    return first_fit(*length, minimum);
}

ErrorOr<void> VmaSet::resize_end(VirtAddr start_of_vma, VirtAddr new_end) {
    Node* node = node_starting_at(start_of_vma);
    if (!node)
        return Error::NotFound;
    if (!is_page_aligned(new_end) || new_end <= start_of_vma)
        return Error::Invalid;
    if (Node* next = Tree::next(node); next && next->vma.start < new_end)
        return Error::Exists;
    Vma& vma = node->vma;
    vma.end = new_end;
    if (vma.file_bytes > vma.size())
        vma.file_bytes = vma.size();
    return {};
}

ErrorOr<void> VmaSet::extend_down(const Vma* vma, VirtAddr new_start) {
    // Only a VMA of this set; finding it again also gives its node.
    Node* node = node_starting_at(vma->start);
    VERIFY(node && &node->vma == vma);
    if (!is_page_aligned(new_start) || new_start > vma->start || vma->file)
        return Error::Invalid;
    if (Node* prev = Tree::prev(node); prev && prev->vma.end > new_start)
        return Error::Exists;
    node->vma.start = new_start;
    return {};
}

ErrorOr<VmaSet> VmaSet::clone() const {
    // Appended in order; a failure destroys the partial copy with its nodes.
    VmaSet copy(m_max_count);
    for (Node* node = m_tree.first(); node; node = Tree::next(node))
        copy.m_tree.insert_after(copy.m_tree.last(), *TRY(allocate_node(node->vma)));
    return copy;
}

}  // namespace akuma::mm
