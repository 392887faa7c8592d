// The kernel's own symbol table (generated at build time by tools/mksyms,
// embedded in .ksyms) for symbolized crash reports and backtraces.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/lib/format.h"

namespace akuma::debug {

struct ResolvedSymbol {
    std::string_view name;
    uint64_t start;
    uint64_t offset;
};

std::optional<ResolvedSymbol> resolve_kernel_symbol(uint64_t address);
std::optional<uint64_t> kernel_symbol_address(std::string_view name);
size_t kernel_symbol_count();

// Formats as "0xffffffff80001234 <name+0x34>" (or just the address).
struct SymbolizedAddress {
    uint64_t address;
};
void format_value(FormatSink& sink, const FormatSpec& spec, const SymbolizedAddress& value);

}  // namespace akuma::debug
