// libFuzzer target: SymbolTable::from_bytes and lookups on arbitrary blobs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "kernel/lib/symbol_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> bytes(data, size);
    auto table = akuma::SymbolTable::from_bytes(bytes);
    if (table.is_error())
        return 0;

    // Probe with addresses taken from the input itself, so entry addresses
    // and their neighbours are hit.
    for (size_t i = 0; i + 8 <= size && i < 512; i += 4) {
        uint64_t address = 0;
        for (size_t b = 0; b < 8; ++b)
            address |= static_cast<uint64_t>(data[i + b]) << (8 * b);
        for (uint64_t probe : { address, address - 1, address + 1 }) {
            auto found = table.value().lookup(probe);
            if (!found)
                continue;
            if (found->start > probe || found->offset != probe - found->start)
                std::abort();
            auto begin = reinterpret_cast<const uint8_t*>(found->name.data());
            if (begin < data || begin + found->name.size() > data + size)
                std::abort();
            auto again = table.value().address_of(found->name);
            if (!again || !table.value().lookup(*again))
                std::abort();
        }
    }
    return 0;
}
