#include "kernel/lib/symbol_table.h"

namespace akuma {

namespace {

uint64_t read_le(std::span<const uint8_t> bytes, size_t offset, size_t width) {
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i)
        value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
    return value;
}

uint32_t read_u32(std::span<const uint8_t> bytes, size_t offset) {
    return static_cast<uint32_t>(read_le(bytes, offset, 4));
}

}  // namespace

ErrorOr<SymbolTable> SymbolTable::from_bytes(std::span<const uint8_t> bytes) {
    SymbolTable table;
    if (bytes.empty())
        return table;
    if (bytes.size() < k_symbol_table_header_size)
        return Error::OutOfRange;

    for (size_t i = 0; i < k_symbol_table_magic.size(); ++i) {
        if (bytes[i] != static_cast<uint8_t>(k_symbol_table_magic[i]))
            return Error::Invalid;
    }
    if (bytes[5] != 0 || read_u32(bytes, 12) != 0)
        return Error::Invalid;
    if (read_le(bytes, 6, 2) != k_symbol_table_version)
        return Error::Invalid;

    // 64-bit arithmetic: a 32-bit count/offset/size cannot overflow it.
    uint64_t count = read_u32(bytes, 8);
    uint64_t strings_offset = read_u32(bytes, 16);
    uint64_t strings_size = read_u32(bytes, 20);
    uint64_t entries_end = k_symbol_table_header_size + count * k_symbol_table_entry_size;
    if (entries_end > bytes.size() || strings_offset < entries_end
        || strings_offset + strings_size > bytes.size())
        return Error::OutOfRange;

    // A NUL as the table's last byte terminates every name inside it.
    if (strings_size > 0 && bytes[strings_offset + strings_size - 1] != 0)
        return Error::Invalid;

    table.m_bytes = bytes;
    table.m_count = count;
    table.m_strings_offset = strings_offset;
    table.m_strings_size = strings_size;

    for (size_t i = 0; i < count; ++i) {
        Entry current = table.entry(i);
        if (current.name >= strings_size)
            return Error::OutOfRange;
        if (i > 0 && table.entry(i - 1).address >= current.address)
            return Error::Invalid;
    }
    return table;
}

SymbolTable::Entry SymbolTable::entry(size_t index) const {
    size_t offset = k_symbol_table_header_size + index * k_symbol_table_entry_size;
    return Entry {
        .address = read_le(m_bytes, offset, 8),
        .size = read_u32(m_bytes, offset + 8),
        .name = read_u32(m_bytes, offset + 12),
    };
}

std::string_view SymbolTable::name_at(uint32_t offset) const {
    auto chars = reinterpret_cast<const char*>(m_bytes.data() + m_strings_offset);
    size_t length = 0;
    // Bounded by the terminating NUL checked in from_bytes.
    while (offset + length < m_strings_size && chars[offset + length] != '\0')
        ++length;
    return std::string_view(chars + offset, length);
}

std::optional<SymbolLookup> SymbolTable::lookup(uint64_t address) const {
    // Find the first entry starting above `address`; its predecessor is the
    // only candidate.
    size_t low = 0;
    size_t high = m_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (entry(middle).address <= address)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return std::nullopt;

    Entry candidate = entry(low - 1);
    uint64_t offset = address - candidate.address;
    bool inside = candidate.size != 0 ? offset < candidate.size : low < m_count;
    if (!inside)
        return std::nullopt;
    return SymbolLookup { name_at(candidate.name), candidate.address, offset };
}

std::optional<uint64_t> SymbolTable::address_of(std::string_view name) const {
    for (size_t i = 0; i < m_count; ++i) {
        Entry current = entry(i);
        if (name_at(current.name) == name)
            return current.address;
    }
    return std::nullopt;
}

}  // namespace akuma
