// Reads the code symbols of a linked ELF64 little-endian AArch64 image and
// turns them into symbol-table entries. Host only; parses the ELF itself
// (no nm/objdump) and treats the input as untrusted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/mksyms/symbol_blob_writer.h"

namespace akuma::mksyms {

struct ElfSymbol {
    std::string name;  // as in .strtab (mangled)
    uint64_t address;
    uint64_t size;
    bool is_function;  // STT_FUNC (else STT_NOTYPE)
    bool is_global;    // STB_GLOBAL or STB_WEAK
    uint64_t section_end;  // sh_addr + sh_size of its section (saturating)
};

struct ElfCodeSymbols {
    uint64_t entry;  // e_entry
    std::vector<ElfSymbol> symbols;
};

// Symbols worth naming in a backtrace: non-zero STT_FUNC symbols, and
// STT_NOTYPE ones (assembly labels such as `_start`) except mapping symbols
// (`$x`, `$d`) and local labels (`.L...`), all defined in SHF_EXECINSTR
// sections. Symbols come in .symtab order. On malformed input returns
// nullopt and sets `error`.
std::optional<ElfCodeSymbols> read_code_symbols(std::span<const uint8_t> elf, std::string& error);

// Demangled without the parameter list and its qualifiers (as kallsyms
// names a function: the address picks the overload; gdb has the rest),
// cut to k_symbol_table_max_name bytes (ending in "..."). The lists were
// half of the table's strings, which live in the kernel image that a
// 3 MiB machine bounds.
std::string demangle(std::string_view name);
// A demangled function name's parameter list and qualifiers removed
// ("a::f(int) const [clone .cold]" -> "a::f [clone .cold]").
std::string without_parameters(std::string_view name);

// One entry per address, sorted: prefers a function over a label, a global
// over a local, a name not starting with "__", then the smaller name; names demangled, sizes clamped to 32
// bits. Size-0 symbols stay size 0 (the lookup extends them to the next
// symbol), except the last one, which has no next symbol: it is sized up to
// its section's end.
std::vector<SymbolBlobEntry> prepare_symbols(std::span<const ElfSymbol> symbols);

// read_code_symbols + prepare_symbols + write_symbol_blob.
std::optional<std::vector<uint8_t>> generate_symbol_blob(std::span<const uint8_t> elf, std::string& error);

}  // namespace akuma::mksyms
