#include "tools/mksyms/symbol_blob_writer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>

#include "kernel/lib/symbol_table.h"

namespace akuma::mksyms {

namespace {

void put_le(std::vector<uint8_t>& out, size_t offset, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i)
        out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t checked_u32(size_t value) {
    if (value > std::numeric_limits<uint32_t>::max())
        throw std::length_error("symbol table exceeds 4 GiB");
    return static_cast<uint32_t>(value);
}

}  // namespace

std::vector<uint8_t> write_symbol_blob(std::span<const SymbolBlobEntry> symbols) {
    std::vector<const SymbolBlobEntry*> sorted;
    for (const auto& symbol : symbols)
        sorted.push_back(&symbol);
    std::stable_sort(sorted.begin(), sorted.end(),
        [](auto* a, auto* b) { return a->address < b->address; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                     [](auto* a, auto* b) { return a->address == b->address; }),
        sorted.end());

    // Strings in first-use order, identical names shared.
    std::string strings;
    std::map<std::string_view, uint32_t> string_offsets;
    std::vector<uint32_t> name_offsets;
    for (auto* symbol : sorted) {
        std::string_view name = symbol->name.c_str();  // cut at an inner NUL
        auto [it, inserted] = string_offsets.try_emplace(name, 0);
        if (inserted) {
            it->second = checked_u32(strings.size());
            strings.append(name);
            strings.push_back('\0');
        }
        name_offsets.push_back(it->second);
    }

    size_t strings_offset = k_symbol_table_header_size + sorted.size() * k_symbol_table_entry_size;
    std::vector<uint8_t> out(strings_offset + strings.size(), 0);
    std::copy(k_symbol_table_magic.begin(), k_symbol_table_magic.end(), out.begin());
    put_le(out, 6, k_symbol_table_version, 2);
    put_le(out, 8, checked_u32(sorted.size()), 4);
    put_le(out, 16, checked_u32(strings_offset), 4);
    put_le(out, 20, checked_u32(strings.size()), 4);
    checked_u32(out.size());

    for (size_t i = 0; i < sorted.size(); ++i) {
        size_t offset = k_symbol_table_header_size + i * k_symbol_table_entry_size;
        put_le(out, offset, sorted[i]->address, 8);
        put_le(out, offset + 8, sorted[i]->size, 4);
        put_le(out, offset + 12, name_offsets[i], 4);
    }
    std::copy(strings.begin(), strings.end(), out.begin() + strings_offset);
    return out;
}

}  // namespace akuma::mksyms
