#include "kernel/debug/symbols.h"

#include <span>

#include "kernel/lib/symbol_table.h"

extern "C" const uint8_t __ksyms_start[], __ksyms_end[];

namespace akuma::debug {

namespace {

// Validated on first use; the table is read-only data in the image, so there
// is nothing to initialise at boot and crash reports work from the start.
const SymbolTable* kernel_table() {
    static SymbolTable table;
    static bool checked = false;
    static bool valid = false;
    if (!checked) {
        checked = true;
        auto parsed = SymbolTable::from_bytes({ __ksyms_start, static_cast<size_t>(__ksyms_end - __ksyms_start) });
        if (!parsed.is_error()) {
            table = parsed.release_value();
            valid = true;
        }
    }
    return valid ? &table : nullptr;
}

}  // namespace

std::optional<ResolvedSymbol> resolve_kernel_symbol(uint64_t address) {
    auto* table = kernel_table();
    if (!table)
        return std::nullopt;
    auto found = table->lookup(address);
    if (!found)
        return std::nullopt;
    return ResolvedSymbol { found->name, found->start, found->offset };
}

std::optional<uint64_t> kernel_symbol_address(std::string_view name) {
    auto* table = kernel_table();
    return table ? table->address_of(name) : std::nullopt;
}

size_t kernel_symbol_count() {
    auto* table = kernel_table();
    return table ? table->size() : 0;
}

void format_value(FormatSink& sink, const FormatSpec&, const SymbolizedAddress& value) {
    format_to(sink, "{:#018x}", value.address);
    if (auto symbol = resolve_kernel_symbol(value.address))
        format_to(sink, " <{}+{:#x}>", symbol->name, symbol->offset);
}

}  // namespace akuma::debug
