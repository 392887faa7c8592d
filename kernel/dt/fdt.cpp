#include "kernel/dt/fdt.h"

#include <algorithm>

namespace akuma {

using fdt_detail::load_be32;
using fdt_detail::load_be64;

namespace {

// Header field offsets (devicetree spec 5.2).
constexpr size_t k_off_magic = 0;
constexpr size_t k_off_totalsize = 4;
constexpr size_t k_off_dt_struct = 8;
constexpr size_t k_off_dt_strings = 12;
constexpr size_t k_off_mem_rsvmap = 16;
constexpr size_t k_off_version = 20;
constexpr size_t k_off_last_comp_version = 24;
constexpr size_t k_off_boot_cpuid_phys = 28;
constexpr size_t k_off_size_dt_strings = 32;
constexpr size_t k_off_size_dt_struct = 36;

constexpr uint32_t k_oldest_version = 16; // v16 lacks size_dt_struct
constexpr uint32_t k_newest_compatible_version = 17;
constexpr size_t k_v16_header_size = 36;
constexpr size_t k_reservation_entry_size = 16;

constexpr size_t align4(size_t value) {
    return (value + 3) & ~size_t(3);
}

// Index of the first NUL in bytes[start, end), if any.
std::optional<size_t> find_nul(std::span<const uint8_t> bytes, size_t start) {
    for (size_t i = start; i < bytes.size(); ++i) {
        if (bytes[i] == 0)
            return i;
    }
    return std::nullopt;
}

std::string_view as_view(std::span<const uint8_t> bytes, size_t start, size_t length) {
    return std::string_view(reinterpret_cast<const char*>(bytes.data()) + start, length);
}

// Index of `c` in `text` at or after `start`, else text.size(). (The
// std::string_view members that could do this throw or call memchr, which
// the freestanding kernel does not provide.)
size_t index_of(std::string_view text, char c, size_t start = 0) {
    for (size_t i = start; i < text.size(); ++i) {
        if (text[i] == c)
            return i;
    }
    return text.size();
}

} // namespace

// ---- FdtProperty ----

std::optional<uint32_t> FdtProperty::as_u32() const {
    if (data.size() != 4)
        return std::nullopt;
    return load_be32(data.data());
}

std::optional<uint64_t> FdtProperty::as_u64() const {
    if (data.size() != 8)
        return std::nullopt;
    return load_be64(data.data());
}

std::optional<uint64_t> FdtProperty::as_u32_or_u64() const {
    if (data.size() == 4)
        return load_be32(data.data());
    return as_u64();
}

std::optional<std::string_view> FdtProperty::as_string() const {
    if (data.empty())
        return std::nullopt;
    auto nul = find_nul(data, 0);
    if (!nul || *nul != data.size() - 1)
        return std::nullopt;
    return as_view(data, 0, *nul);
}

std::optional<uint32_t> FdtProperty::cell(size_t index) const {
    if (index >= cell_count())
        return std::nullopt;
    return load_be32(data.data() + index * 4);
}

bool FdtProperty::contains_string(std::string_view wanted) const {
    bool found = false;
    for_each_string([&](std::string_view string) {
        found = string == wanted;
        return !found;
    });
    return found;
}

// ---- FdtNode ----

size_t FdtNode::first_inner_offset() const {
    auto token = m_fdt->token_at(m_offset);
    // An offset that never decodes makes every walk stop immediately.
    return token ? token->next : SIZE_MAX;
}

std::string_view FdtNode::name() const {
    auto token = m_fdt->token_at(m_offset);
    if (!token || token->kind != FdtToken::Kind::BeginNode)
        return {};
    return token->name;
}

std::optional<FdtNode> FdtNode::parent() const {
    if (is_root())
        return std::nullopt;
    return FdtNode(*m_fdt, m_parent_offset, m_fdt->parent_offset_of(m_parent_offset));
}

std::optional<FdtProperty> FdtNode::property(std::string_view name) const {
    std::optional<FdtProperty> found;
    for_each_property([&](const FdtProperty& property) {
        if (property.name != name)
            return true;
        found = property;
        return false;
    });
    return found;
}

std::optional<FdtNode> FdtNode::child(std::string_view name) const {
    // Without a unit address in `name`, "name@anything" matches too.
    bool match_unit = index_of(name, '@') == name.size();
    std::optional<FdtNode> found;
    for_each_child([&](FdtNode node) {
        std::string_view node_name = node.name();
        bool match = node_name == name;
        if (!match && match_unit && node_name.size() > name.size())
            match = std::string_view(node_name.data(), name.size()) == name && node_name[name.size()] == '@';
        if (match)
            found = node;
        return !match;
    });
    return found;
}

bool FdtNode::is_compatible(std::string_view compatible) const {
    auto property = this->property("compatible");
    return property && property->contains_string(compatible);
}

bool FdtNode::is_enabled() const {
    auto status = property("status");
    if (!status)
        return true;
    auto value = status->as_string();
    return value && (*value == "okay" || *value == "ok");
}

uint32_t FdtNode::child_address_cells() const {
    auto cells = property("#address-cells");
    auto value = cells ? cells->as_u32() : std::nullopt;
    return value ? *value : 2;
}

uint32_t FdtNode::child_size_cells() const {
    auto cells = property("#size-cells");
    auto value = cells ? cells->as_u32() : std::nullopt;
    return value ? *value : 1;
}

namespace {

struct RegLayout {
    FdtProperty property;
    uint32_t address_cells;
    uint32_t size_cells;
    size_t entry_size;
};

ErrorOr<RegLayout> reg_layout(const Fdt& fdt, size_t offset, size_t parent_offset) {
    if (parent_offset == FdtNode::k_no_parent)
        return Error::NotFound;
    auto property = FdtNode(fdt, offset, parent_offset).property("reg");
    if (!property)
        return Error::NotFound;
    // The parent's own parent is irrelevant to reading its cell counts.
    FdtNode parent(fdt, parent_offset, FdtNode::k_no_parent);
    uint32_t address_cells = parent.child_address_cells();
    uint32_t size_cells = parent.child_size_cells();
    // Only 64-bit quantities are supported; 0/0 would make entries empty.
    if (address_cells > 2 || size_cells > 2 || address_cells + size_cells == 0)
        return Error::NotImplemented;
    size_t entry_size = (address_cells + size_cells) * 4;
    if (property->data.size() % entry_size != 0)
        return Error::Invalid;
    return RegLayout { *property, address_cells, size_cells, entry_size };
}

uint64_t read_cells(const uint8_t* p, uint32_t cells) {
    if (cells == 0)
        return 0;
    return cells == 1 ? load_be32(p) : load_be64(p);
}

} // namespace

ErrorOr<size_t> FdtNode::reg_count() const {
    auto layout = TRY(reg_layout(*m_fdt, m_offset, m_parent_offset));
    return layout.property.data.size() / layout.entry_size;
}

ErrorOr<RegEntry> FdtNode::reg(size_t index) const {
    auto layout = TRY(reg_layout(*m_fdt, m_offset, m_parent_offset));
    if (index >= layout.property.data.size() / layout.entry_size)
        return Error::OutOfRange;
    const uint8_t* entry = layout.property.data.data() + index * layout.entry_size;
    return RegEntry {
        read_cells(entry, layout.address_cells),
        read_cells(entry + layout.address_cells * 4, layout.size_cells),
    };
}

// ---- Fdt ----

std::optional<uint32_t> Fdt::total_size_from_header(const void* header_bytes) {
    auto* header = static_cast<const uint8_t*>(header_bytes);
    if (load_be32(header + k_off_magic) != k_magic)
        return std::nullopt;
    uint32_t total_size = load_be32(header + k_off_totalsize);
    if (total_size < k_header_size)
        return std::nullopt;
    return total_size;
}

ErrorOr<Fdt> Fdt::from_bytes(std::span<const uint8_t> bytes) {
    if (bytes.size() < k_v16_header_size)
        return Error::OutOfRange;
    const uint8_t* header = bytes.data();
    if (load_be32(header + k_off_magic) != k_magic)
        return Error::Invalid;

    uint32_t version = load_be32(header + k_off_version);
    uint32_t last_compatible = load_be32(header + k_off_last_comp_version);
    if (version < k_oldest_version || last_compatible > k_newest_compatible_version)
        return Error::NotImplemented;
    size_t header_size = version >= 17 ? k_header_size : k_v16_header_size;

    // All arithmetic is done in 64 bits so no sum of 32-bit fields can wrap.
    uint64_t total_size = load_be32(header + k_off_totalsize);
    if (total_size < header_size || total_size > bytes.size())
        return Error::OutOfRange;

    uint64_t struct_offset = load_be32(header + k_off_dt_struct);
    uint64_t strings_offset = load_be32(header + k_off_dt_strings);
    uint64_t reservations_offset = load_be32(header + k_off_mem_rsvmap);
    uint64_t strings_size = load_be32(header + k_off_size_dt_strings);
    uint64_t struct_size = version >= 17
        ? load_be32(header + k_off_size_dt_struct)
        : total_size - (struct_offset < total_size ? struct_offset : total_size);

    // Spec 5.1: the reservation block is 8-aligned, the structure block 4-aligned.
    if (struct_offset % 4 != 0 || reservations_offset % 8 != 0)
        return Error::Invalid;
    if (struct_offset < header_size || strings_offset < header_size || reservations_offset < header_size)
        return Error::Invalid;
    if (struct_offset + struct_size > total_size || strings_offset + strings_size > total_size)
        return Error::OutOfRange;

    Fdt fdt;
    fdt.m_bytes = bytes.first(total_size);
    fdt.m_struct = fdt.m_bytes.subspan(struct_offset, struct_size);
    fdt.m_strings = fdt.m_bytes.subspan(strings_offset, strings_size);
    fdt.m_reservations_offset = reservations_offset;
    fdt.m_version = version;
    fdt.m_boot_cpuid_phys = load_be32(header + k_off_boot_cpuid_phys);

    // The reservation list must end with its (0, 0) entry inside the blob.
    for (uint64_t offset = reservations_offset;; offset += k_reservation_entry_size) {
        if (offset + k_reservation_entry_size > total_size)
            return Error::OutOfRange;
        if (load_be64(header + offset) == 0 && load_be64(header + offset + 8) == 0) {
            uint64_t used = std::max({ uint64_t(header_size), offset + k_reservation_entry_size,
                                       struct_offset + struct_size, strings_offset + strings_size });
            fdt.m_used_size = uint32_t(used);
            break;
        }
    }

    TRY(fdt.validate_structure());
    return fdt;
}

std::optional<std::string_view> Fdt::string_at(uint32_t offset) const {
    auto nul = find_nul(m_strings, offset);
    if (!nul)
        return std::nullopt;
    return as_view(m_strings, offset, *nul - offset);
}

std::optional<FdtToken> Fdt::token_at(size_t offset) const {
    if (offset % 4 != 0 || offset >= m_struct.size() || m_struct.size() - offset < 4)
        return std::nullopt;
    const uint8_t* base = m_struct.data();
    FdtToken token { FdtToken::Kind(load_be32(base + offset)), offset, offset + 4, {}, {} };
    switch (token.kind) {
    case FdtToken::Kind::BeginNode: {
        auto nul = find_nul(m_struct, offset + 4);
        if (!nul)
            return std::nullopt;
        token.name = as_view(m_struct, offset + 4, *nul - (offset + 4));
        token.next = align4(*nul + 1);
        return token;
    }
    case FdtToken::Kind::Property: {
        size_t data_start = offset + 12;
        if (m_struct.size() < data_start)
            return std::nullopt;
        uint32_t length = load_be32(base + offset + 4);
        auto name = string_at(load_be32(base + offset + 8));
        if (length > m_struct.size() - data_start || !name)
            return std::nullopt;
        token.name = *name;
        token.data = m_struct.subspan(data_start, length);
        token.next = align4(data_start + length);
        return token;
    }
    case FdtToken::Kind::EndNode:
    case FdtToken::Kind::Nop:
    case FdtToken::Kind::End:
        return token;
    }
    return std::nullopt;
}

ErrorOr<void> Fdt::validate_structure() {
    // One pass over every token: exactly one root, properties before
    // subnodes, balanced nesting within k_max_depth, FDT_END last.
    size_t depth = 0;
    bool seen_root = false;
    bool properties_allowed = false;
    size_t offset = 0;
    for (;;) {
        auto token = token_at(offset);
        if (!token)
            return Error::Invalid;
        switch (token->kind) {
        case FdtToken::Kind::BeginNode:
            if (depth == 0) {
                if (seen_root)
                    return Error::Invalid;
                seen_root = true;
                m_root_offset = offset;
            }
            if (++depth > k_max_depth)
                return Error::Invalid;
            properties_allowed = true;
            break;
        case FdtToken::Kind::EndNode:
            if (depth == 0)
                return Error::Invalid;
            --depth;
            properties_allowed = false;
            break;
        case FdtToken::Kind::Property:
            if (depth == 0 || !properties_allowed)
                return Error::Invalid;
            break;
        case FdtToken::Kind::Nop:
            break;
        case FdtToken::Kind::End:
            if (depth != 0 || !seen_root)
                return Error::Invalid;
            return {};
        }
        offset = token->next;
    }
}

std::optional<size_t> Fdt::skip_node(size_t offset) const {
    size_t depth = 0;
    while (auto token = token_at(offset)) {
        if (token->kind == FdtToken::Kind::BeginNode) {
            ++depth;
        } else if (token->kind == FdtToken::Kind::EndNode) {
            if (depth == 0)
                return std::nullopt;
            if (--depth == 0)
                return token->next;
        } else if (token->kind == FdtToken::Kind::End) {
            return std::nullopt;
        }
        if (depth == 0)
            return std::nullopt; // `offset` was not a BEGIN_NODE
        offset = token->next;
    }
    return std::nullopt;
}

std::optional<MemoryReservation> Fdt::memory_reservation(size_t index) const {
    size_t available = (m_bytes.size() - m_reservations_offset) / k_reservation_entry_size;
    if (index >= available)
        return std::nullopt;
    const uint8_t* entry = m_bytes.data() + m_reservations_offset + index * k_reservation_entry_size;
    MemoryReservation reservation { load_be64(entry), load_be64(entry + 8) };
    if (reservation.address == 0 && reservation.size == 0)
        return std::nullopt;
    return reservation;
}

size_t Fdt::parent_offset_of(size_t node_offset) const {
    size_t parent = FdtNode::k_no_parent;
    for_each_node([&](FdtNode node, size_t) {
        if (node.offset() != node_offset)
            return true;
        parent = node.parent_offset();
        return false;
    });
    return parent;
}

std::optional<FdtNode> Fdt::find_node(std::string_view path) const {
    if (path.empty() || path[0] != '/')
        return std::nullopt;
    FdtNode node = root();
    size_t position = 1;
    while (position < path.size()) {
        size_t end = index_of(path, '/', position);
        std::string_view component(path.data() + position, end - position);
        if (!component.empty()) {
            auto child = node.child(component);
            if (!child)
                return std::nullopt;
            node = *child;
        }
        position = end + 1;
    }
    return node;
}

std::optional<FdtNode> Fdt::find_by_phandle(uint32_t phandle) const {
    // 0 and 0xffffffff are never valid phandles (spec 2.3.3).
    if (phandle == 0 || phandle == 0xffffffff)
        return std::nullopt;
    std::optional<FdtNode> found;
    for_each_node([&](FdtNode node, size_t) {
        auto property = node.property("phandle");
        if (!property)
            property = node.property("linux,phandle");
        if (property && property->as_u32() == phandle)
            found = node;
        return !found;
    });
    return found;
}

} // namespace akuma
