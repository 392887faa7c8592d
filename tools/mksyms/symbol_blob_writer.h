// Serializes symbols into the blob format documented in
// kernel/lib/symbol_table.h. Host only; shared by mksyms and the host tests.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace akuma::mksyms {

struct SymbolBlobEntry {
    uint64_t address;
    uint32_t size;
    std::string name;  // already demangled
};

// Sorts by address and keeps the first entry (in input order) of each
// address, so the output always validates. Deterministic: the same input
// gives the same bytes. Names containing NUL are cut at the NUL.
// Throws std::length_error if the blob would exceed the format's 32-bit
// offsets.
std::vector<uint8_t> write_symbol_blob(std::span<const SymbolBlobEntry> symbols);

}  // namespace akuma::mksyms
