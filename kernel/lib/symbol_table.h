// Embedded kernel symbol table: the blob format written by tools/mksyms and
// the lookup the kernel uses to print `name+0xoff` in crash reports.
//
// Blob format, version 1. All integers little-endian; the reader decodes
// byte by byte, so the blob needs no particular alignment.
//
//   offset  size  field
//   0       5     magic "AKSYM"
//   5       1     reserved, 0
//   6       2     version (k_symbol_table_version)
//   8       4     count: number of entries
//   12      4     reserved, 0
//   16      4     strings_offset: byte offset of the string table
//   20      4     strings_size: byte size of the string table
//   24      16*count entries, sorted by strictly increasing address:
//                   0  u64 address   symbol start
//                   8  u32 size      byte size; 0 = unknown (see lookup)
//                   12 u32 name      offset into the string table
//   strings_offset  NUL-terminated names, already demangled by the generator
//                   without parameter lists (e.g. `akuma::Console::write`,
//                   as kallsyms names functions); names longer than
//                   k_symbol_table_max_name are cut and end in "...").
//                   Identical names may share one string.
//
// An empty blob (0 bytes) is a valid table with no entries: the first link
// pass embeds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"

namespace akuma {

inline constexpr std::string_view k_symbol_table_magic = "AKSYM";
inline constexpr uint16_t k_symbol_table_version = 1;
inline constexpr size_t k_symbol_table_header_size = 24;
inline constexpr size_t k_symbol_table_entry_size = 16;
// Long enough for a function's qualified name and the start of its
// parameters; template-heavy names are cut (the table lives in the kernel
// image, which a 3 MiB machine bounds: docs/ARCHITECTURE.md).
inline constexpr size_t k_symbol_table_max_name = 120;

struct SymbolLookup {
    std::string_view name;
    uint64_t start;
    uint64_t offset;  // address - start
};

class SymbolTable {
public:
    // Validates the whole blob once, so lookups need no further checks.
    // Errors: Error::Invalid (bad magic, version, reserved fields, unsorted
    // entries, name without terminating NUL), Error::OutOfRange (an offset or
    // count reaching past the blob).
    static ErrorOr<SymbolTable> from_bytes(std::span<const uint8_t> bytes);

    SymbolTable() = default;

    size_t size() const { return m_count; }

    // The symbol containing `address`: [start, start + size), or for a
    // size-0 symbol [start, next symbol's start). A size-0 last symbol has
    // no known end and matches nothing.
    std::optional<SymbolLookup> lookup(uint64_t address) const;

    // Start address of the first symbol named exactly `name` (linear scan).
    std::optional<uint64_t> address_of(std::string_view name) const;

private:
    struct Entry {
        uint64_t address;
        uint32_t size;
        uint32_t name;
    };

    Entry entry(size_t index) const;
    std::string_view name_at(uint32_t offset) const;

    std::span<const uint8_t> m_bytes;
    size_t m_count { 0 };
    size_t m_strings_offset { 0 };
    size_t m_strings_size { 0 };
};

}  // namespace akuma
