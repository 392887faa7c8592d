#include "kernel/mm/vma_set.h"

#include <limits>

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
        a.shared != b.shared || a.max_prot != b.max_prot)
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

size_t VmaSet::first_ending_after(VirtAddr address) const {
    size_t low = 0;
    size_t high = m_vmas.size();
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (m_vmas[middle].end > address)
            high = middle;
        else
            low = middle + 1;
    }
    return low;
}

const Vma* VmaSet::find(VirtAddr address) const {
    size_t i = first_ending_after(address);
    if (i < m_vmas.size() && m_vmas[i].start <= address)
        return &m_vmas[i];
    return nullptr;
}

bool VmaSet::is_free(VirtAddr start, VirtAddr end) const {
    if (start >= end)
        return true;
    size_t i = first_ending_after(start);
    return i == m_vmas.size() || m_vmas[i].start >= end;
}

void VmaSet::insert_reserved(size_t index, const Vma& vma) {
    VERIFY(m_vmas.size() < m_vmas.capacity());
    auto result = m_vmas.try_insert(index, vma);  // cannot fail: no allocation
    VERIFY(!result.is_error());
}

void VmaSet::split_at(size_t i, VirtAddr address) {
    Vma whole = m_vmas[i];
    m_vmas[i] = vma_slice(whole, whole.start, address);
    insert_reserved(i + 1, vma_slice(whole, address, whole.end));
}

void VmaSet::merge_with_next(size_t i) {
    if (i + 1 < m_vmas.size() && can_merge(m_vmas[i], m_vmas[i + 1])) {
        m_vmas[i] = merged(m_vmas[i], m_vmas[i + 1]);
        m_vmas.remove(i + 1);
    }
}

ErrorOr<void> VmaSet::insert(const Vma& vma) {
    if (!is_page_aligned(vma.start) || !is_page_aligned(vma.end) || vma.start >= vma.end)
        return Error::Invalid;
    if (vma.file_bytes > vma.size() || (!vma.file && vma.file_bytes != 0))
        return Error::Invalid;
    // Every VMA before i ends at or below vma.start.
    size_t i = first_ending_after(vma.start);
    if (i < m_vmas.size() && m_vmas[i].start < vma.end)
        return Error::Exists;
    Vma added = vma;
    if (!added.file)
        added.file_offset = 0;  // meaningless without a file (mmap ignores it for MAP_ANONYMOUS)
    if (i > 0 && can_merge(m_vmas[i - 1], added)) {
        m_vmas[i - 1] = merged(m_vmas[i - 1], added);
        merge_with_next(i - 1);
        return {};
    }
    if (i < m_vmas.size() && can_merge(added, m_vmas[i])) {
        m_vmas[i] = merged(added, m_vmas[i]);
        return {};
    }
    return m_vmas.try_insert(i, added);
}

ErrorOr<void> VmaSet::prepare_removal(VirtAddr start, VirtAddr end) {
    if (!is_page_aligned(start) || !is_page_aligned(end) || start >= end)
        return Error::Invalid;
    // Only a VMA sticking out on both sides turns into two.
    size_t i = first_ending_after(start);
    if (i < m_vmas.size() && m_vmas[i].start < start && m_vmas[i].end > end)
        TRY(m_vmas.try_reserve(m_vmas.size() + 1));
    return {};
}

size_t VmaSet::cut(size_t i, VirtAddr start, VirtAddr end) {
    const Vma vma = m_vmas[i];
    bool keep_head = vma.start < start;
    bool keep_tail = vma.end > end;
    if (keep_head)
        m_vmas[i] = vma_slice(vma, vma.start, start);
    if (keep_tail) {
        if (keep_head) {
            insert_reserved(i + 1, vma_slice(vma, end, vma.end));
            return i + 2;
        }
        m_vmas[i] = vma_slice(vma, end, vma.end);
    }
    if (!keep_head && !keep_tail) {
        m_vmas.remove(i);
        return i;
    }
    return i + 1;
}

ErrorOr<void> VmaSet::protect_range(VirtAddr start, VirtAddr end, uint32_t prot) {
    if (!is_page_aligned(start) || !is_page_aligned(end) || start > end)
        return Error::Invalid;
    if (start == end)
        return {};
    size_t first = first_ending_after(start);
    size_t last = first;
    for (VirtAddr covered = start;; ++last) {
        if (last == m_vmas.size() || m_vmas[last].start > covered)
            return Error::NoMemory;  // a hole: Linux mprotect fails with ENOMEM
        covered = m_vmas[last].end;
        if (covered >= end)
            break;
    }
    bool split_first = m_vmas[first].start < start;
    bool split_last = m_vmas[last].end > end;
    TRY(m_vmas.try_reserve(m_vmas.size() + split_first + split_last));

    if (split_first) {
        split_at(first, start);
        ++first;
        ++last;
    }
    if (split_last)
        split_at(last, end);
    for (size_t i = first; i <= last; ++i)
        m_vmas[i].prot = prot;
    // Downwards, so merging (which removes i + 1) leaves lower indices valid.
    size_t lowest = first > 0 ? first - 1 : 0;
    for (size_t i = last + 1; i > lowest;)
        merge_with_next(--i);
    return {};
}

std::optional<VirtAddr> VmaSet::find_free(uint64_t size, VirtAddr minimum, VirtAddr limit, VirtAddr hint) const {
    auto first_fit = [&](uint64_t length, VirtAddr from) -> std::optional<VirtAddr> {
        auto candidate = page_round_up(from);
        if (!candidate)
            return std::nullopt;
        for (size_t i = first_ending_after(*candidate);; ++i) {
            if (*candidate > limit || limit - *candidate < length)
                return std::nullopt;
            if (i == m_vmas.size() || (m_vmas[i].start >= *candidate && m_vmas[i].start - *candidate >= length))
                return candidate;
            *candidate = m_vmas[i].end;  // VMA i overlaps: try just after it
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
    size_t i = first_ending_after(start_of_vma);
    if (i == m_vmas.size() || m_vmas[i].start != start_of_vma)
        return Error::NotFound;
    if (!is_page_aligned(new_end) || new_end <= start_of_vma)
        return Error::Invalid;
    if (i + 1 < m_vmas.size() && m_vmas[i + 1].start < new_end)
        return Error::Exists;
    Vma& vma = m_vmas[i];
    vma.end = new_end;
    if (vma.file_bytes > vma.size())
        vma.file_bytes = vma.size();
    return {};
}

ErrorOr<void> VmaSet::extend_down(const Vma* vma, VirtAddr new_start) {
    VERIFY(vma >= begin() && vma < end());
    size_t i = static_cast<size_t>(vma - begin());
    if (!is_page_aligned(new_start) || new_start > vma->start || vma->file)
        return Error::Invalid;
    if (i > 0 && m_vmas[i - 1].end > new_start)
        return Error::Exists;
    m_vmas[i].start = new_start;
    return {};
}

ErrorOr<VmaSet> VmaSet::clone() const { return VmaSet(TRY(m_vmas.try_clone())); }

}  // namespace akuma::mm
