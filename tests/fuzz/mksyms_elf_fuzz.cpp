// libFuzzer target: the mksyms ELF symbol reader. Whatever it accepts must
// turn into a blob the kernel-side SymbolTable validates.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "kernel/lib/symbol_table.h"
#include "tools/mksyms/elf_symbols.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string error;
    auto symbols = akuma::mksyms::read_code_symbols(std::span<const uint8_t>(data, size), error);
    if (!symbols) {
        if (error.empty())
            std::abort();
        return 0;
    }
    auto entries = akuma::mksyms::prepare_symbols(symbols->symbols);
    auto blob = akuma::mksyms::write_symbol_blob(entries);
    auto table = akuma::SymbolTable::from_bytes(blob);
    if (table.is_error() || table.value().size() != entries.size())
        std::abort();
    // Every entry is found at its start, except a last size-0 one (possible
    // only when the symbol lies outside its section).
    for (size_t i = 0; i < entries.size(); ++i) {
        auto found = table.value().lookup(entries[i].address);
        bool unbounded = i + 1 == entries.size() && entries[i].size == 0;
        if (unbounded ? found.has_value() : !found || found->start != entries[i].address)
            std::abort();
    }
    return 0;
}
