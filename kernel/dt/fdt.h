// Reader for flattened device trees (devicetree specification v0.4, chapter
// 5: FDT v17, big-endian). The bytes are untrusted: Fdt::from_bytes validates
// the header and the whole structure block once, and every accessor still
// bounds-checks, so no input can make a read go out of bounds or loop
// forever. Nothing allocates; nodes and properties point into the blob.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "kernel/lib/error_or.h"

namespace akuma {

class Fdt;

namespace fdt_detail {

// Byte-wise loads: the blob may sit at any alignment (host tests, fuzzing).
constexpr uint32_t load_be32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

constexpr uint64_t load_be64(const uint8_t* p) {
    return (uint64_t(load_be32(p)) << 32) | load_be32(p + 4);
}

// Calls a visitor; a visitor may return bool (false stops the walk) or void.
template <typename F, typename... Args> bool visit(F& f, Args&&... args) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, Args...>, bool>) {
        return f(std::forward<Args>(args)...);
    } else {
        f(std::forward<Args>(args)...);
        return true;
    }
}

} // namespace fdt_detail

struct MemoryReservation {
    uint64_t address;
    uint64_t size;
};

struct RegEntry {
    uint64_t address;
    uint64_t size;
};

class FdtProperty {
public:
    std::string_view name;
    std::span<const uint8_t> data;

    // Exact-length reads: a property of another size is malformed for them.
    std::optional<uint32_t> as_u32() const;
    std::optional<uint64_t> as_u64() const;
    // One or two cells, e.g. linux,initrd-start (either width is in use).
    std::optional<uint64_t> as_u32_or_u64() const;
    // The data up to its terminating NUL; nullopt unless the last byte is NUL
    // and there is no earlier one.
    std::optional<std::string_view> as_string() const;

    size_t cell_count() const { return data.size() / 4; }
    std::optional<uint32_t> cell(size_t index) const;

    // Visits each string of a NUL-separated list (`compatible`). An
    // unterminated tail is malformed and is not visited.
    template <typename F> void for_each_string(F&& f) const {
        size_t start = 0;
        for (size_t i = 0; i < data.size(); ++i) {
            if (data[i] != 0)
                continue;
            std::string_view string(reinterpret_cast<const char*>(data.data()) + start, i - start);
            if (!fdt_detail::visit(f, string))
                return;
            start = i + 1;
        }
    }

    bool contains_string(std::string_view wanted) const;
};

// One structure-block token, decoded and bounds-checked (Fdt::token_at).
struct FdtToken {
    enum class Kind : uint32_t { BeginNode = 1, EndNode = 2, Property = 3, Nop = 4, End = 9 };
    Kind kind;
    size_t offset; // of the token, within the structure block
    size_t next; // offset of the following token
    std::string_view name; // node name or property name
    std::span<const uint8_t> data; // property value
};

// A handle to a node: its BEGIN_NODE offset plus its parent's (needed for
// `reg`, whose cell counts live in the parent). Must not outlive its Fdt.
class FdtNode {
public:
    static constexpr size_t k_no_parent = SIZE_MAX;

    FdtNode(const Fdt& fdt, size_t offset, size_t parent_offset)
        : m_fdt(&fdt)
        , m_offset(offset)
        , m_parent_offset(parent_offset) { }

    size_t offset() const { return m_offset; }
    size_t parent_offset() const { return m_parent_offset; }
    bool operator==(const FdtNode& other) const { return m_fdt == other.m_fdt && m_offset == other.m_offset; }

    // Full unit name, e.g. "pl011@9000000"; empty for the root.
    std::string_view name() const;
    bool is_root() const { return m_parent_offset == k_no_parent; }
    // Costs a walk from the root (to learn the grandparent).
    std::optional<FdtNode> parent() const;

    std::optional<FdtProperty> property(std::string_view name) const;
    std::optional<FdtNode> child(std::string_view name) const;
    bool is_compatible(std::string_view compatible) const;
    // `status` absent, "okay" or "ok" (devicetree spec 2.3.4).
    bool is_enabled() const;

    // #address-cells / #size-cells this node declares for its children,
    // with the spec defaults (2 and 1) when absent.
    uint32_t child_address_cells() const;
    uint32_t child_size_cells() const;

    // `reg` decoded with the parent's cell counts. Errors: NotFound (no reg
    // or no parent), NotImplemented (a cell count above 2 or both zero),
    // Invalid (length not a whole number of entries), OutOfRange (index).
    ErrorOr<size_t> reg_count() const;
    ErrorOr<RegEntry> reg(size_t index) const;

    template <typename F> void for_each_property(F&& f) const;
    template <typename F> void for_each_child(F&& f) const;

private:
    size_t first_inner_offset() const;

    const Fdt* m_fdt;
    size_t m_offset;
    size_t m_parent_offset;
};

class Fdt {
public:
    static constexpr uint32_t k_magic = 0xd00dfeed;
    static constexpr size_t k_header_size = 40; // v17 header
    static constexpr size_t k_max_depth = 64; // root is depth 1

    // Validates the header, the reservation block and the whole structure
    // block. The span may be longer than the tree (totalsize wins).
    static ErrorOr<Fdt> from_bytes(std::span<const uint8_t> bytes);
    // Reads only the magic and totalsize of a header (at least 8 readable
    // bytes), so boot code knows how much to map before validating.
    static std::optional<uint32_t> total_size_from_header(const void* header_bytes);

    std::span<const uint8_t> bytes() const { return m_bytes; }
    uint32_t total_size() const { return uint32_t(m_bytes.size()); }
    // Bytes up to the end of the last block (header, reservations,
    // structure, strings): the rest of totalsize is free space left for
    // in-place editing, which Akuma never does. QEMU's blob is 1 MiB with
    // a few KiB used, so the PMM keeps only this much reserved.
    uint32_t used_size() const { return m_used_size; }
    uint32_t version() const { return m_version; }
    uint32_t boot_cpuid_phys() const { return m_boot_cpuid_phys; }

    FdtNode root() const { return FdtNode(*this, m_root_offset, FdtNode::k_no_parent); }
    // Absolute path such as "/chosen" or "/cpus/cpu@0"; a component without
    // a unit address also matches "name@unit" (first such node wins).
    std::optional<FdtNode> find_node(std::string_view path) const;
    std::optional<FdtNode> find_by_phandle(uint32_t phandle) const;

    // Visits every node in document order as f(FdtNode, size_t depth),
    // root at depth 0.
    template <typename F> void for_each_node(F&& f) const;
    // Visits every node whose `compatible` list contains the string.
    template <typename F> void find_compatible(std::string_view compatible, F&& f) const;
    // Visits the /memreserve/ entries.
    template <typename F> void for_each_memory_reservation(F&& f) const;

    // Low-level walking primitives used by the templates above.
    std::optional<FdtToken> token_at(size_t offset) const;
    // Offset just past the END_NODE matching the BEGIN_NODE at `offset`.
    std::optional<size_t> skip_node(size_t offset) const;
    std::optional<MemoryReservation> memory_reservation(size_t index) const;
    size_t parent_offset_of(size_t node_offset) const;

private:
    Fdt() = default;
    ErrorOr<void> validate_structure();
    std::optional<std::string_view> string_at(uint32_t offset) const;

    std::span<const uint8_t> m_bytes;
    std::span<const uint8_t> m_struct;
    std::span<const uint8_t> m_strings;
    size_t m_reservations_offset { 0 };
    size_t m_root_offset { 0 };
    uint32_t m_version { 0 };
    uint32_t m_used_size { 0 };
    uint32_t m_boot_cpuid_phys { 0 };
};

template <typename F> void FdtNode::for_each_property(F&& f) const {
    // Properties precede subnodes (validated), so stop at the first non-property.
    size_t offset = first_inner_offset();
    while (auto token = m_fdt->token_at(offset)) {
        if (token->kind == FdtToken::Kind::Property) {
            if (!fdt_detail::visit(f, FdtProperty { token->name, token->data }))
                return;
        } else if (token->kind != FdtToken::Kind::Nop) {
            return;
        }
        offset = token->next;
    }
}

template <typename F> void FdtNode::for_each_child(F&& f) const {
    size_t offset = first_inner_offset();
    while (auto token = m_fdt->token_at(offset)) {
        if (token->kind == FdtToken::Kind::BeginNode) {
            if (!fdt_detail::visit(f, FdtNode(*m_fdt, token->offset, m_offset)))
                return;
            auto after = m_fdt->skip_node(token->offset);
            if (!after)
                return;
            offset = *after;
            continue;
        }
        if (token->kind == FdtToken::Kind::EndNode || token->kind == FdtToken::Kind::End)
            return;
        offset = token->next;
    }
}

template <typename F> void Fdt::for_each_node(F&& f) const {
    // Offsets of the open BEGIN_NODEs, so each node knows its parent.
    std::array<size_t, k_max_depth> open {};
    size_t depth = 0;
    size_t offset = m_root_offset;
    while (auto token = token_at(offset)) {
        if (token->kind == FdtToken::Kind::BeginNode) {
            if (depth == k_max_depth)
                return;
            size_t parent = depth == 0 ? FdtNode::k_no_parent : open[depth - 1];
            open[depth++] = token->offset;
            if (!fdt_detail::visit(f, FdtNode(*this, token->offset, parent), depth - 1))
                return;
        } else if (token->kind == FdtToken::Kind::EndNode) {
            if (depth <= 1)
                return; // the root closed: the walk is complete
            --depth;
        } else if (token->kind == FdtToken::Kind::End) {
            return;
        }
        offset = token->next;
    }
}

template <typename F> void Fdt::find_compatible(std::string_view compatible, F&& f) const {
    for_each_node([&](FdtNode node, size_t) {
        if (node.is_compatible(compatible))
            return fdt_detail::visit(f, node);
        return true;
    });
}

template <typename F> void Fdt::for_each_memory_reservation(F&& f) const {
    for (size_t index = 0;; ++index) {
        auto reservation = memory_reservation(index);
        if (!reservation || !fdt_detail::visit(f, *reservation))
            return;
    }
}

} // namespace akuma
