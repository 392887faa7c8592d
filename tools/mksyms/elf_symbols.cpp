#include "tools/mksyms/elf_symbols.h"

#include <algorithm>
#include <cstdlib>
#include <cxxabi.h>
#include <limits>
#include <memory>
#include <tuple>

#include "kernel/lib/symbol_table.h"

namespace akuma::mksyms {

namespace {

// ELF constants (System V gABI, "ELF for the Arm 64-bit Architecture").
constexpr size_t k_ehdr_size = 64;
constexpr size_t k_shdr_size = 64;
constexpr size_t k_sym_size = 24;
constexpr uint8_t k_class64 = 2;
constexpr uint8_t k_data_lsb = 1;
constexpr uint16_t k_type_rel = 1;
constexpr uint16_t k_type_exec = 2;
constexpr uint16_t k_type_dyn = 3;
constexpr uint16_t k_machine_aarch64 = 183;
constexpr uint32_t k_sht_symtab = 2;
constexpr uint32_t k_sht_strtab = 3;
constexpr uint32_t k_sht_nobits = 8;
constexpr uint64_t k_shf_execinstr = 0x4;
constexpr uint16_t k_shn_loreserve = 0xff00;
constexpr uint8_t k_stt_notype = 0;
constexpr uint8_t k_stt_func = 2;
constexpr uint8_t k_stb_local = 0;

class Reader {
public:
    explicit Reader(std::span<const uint8_t> bytes) : m_bytes(bytes) {}

    bool contains(uint64_t offset, uint64_t size) const {
        return offset <= m_bytes.size() && size <= m_bytes.size() - offset;
    }

    // Callers check bounds with contains() first.
    uint64_t le(uint64_t offset, size_t width) const {
        uint64_t value = 0;
        for (size_t i = 0; i < width; ++i)
            value |= static_cast<uint64_t>(m_bytes[offset + i]) << (8 * i);
        return value;
    }
    uint8_t u8(uint64_t offset) const { return m_bytes[offset]; }
    uint16_t u16(uint64_t offset) const { return static_cast<uint16_t>(le(offset, 2)); }
    uint32_t u32(uint64_t offset) const { return static_cast<uint32_t>(le(offset, 4)); }
    uint64_t u64(uint64_t offset) const { return le(offset, 8); }

    std::span<const uint8_t> slice(uint64_t offset, uint64_t size) const {
        return m_bytes.subspan(offset, size);
    }

private:
    std::span<const uint8_t> m_bytes;
};

struct Section {
    uint32_t type;
    uint64_t flags;
    uint64_t addr;
    uint64_t offset;
    uint64_t size;
    uint32_t link;
    uint64_t entsize;
};

std::optional<ElfCodeSymbols> fail(std::string& error, std::string message) {
    error = std::move(message);
    return std::nullopt;
}

}  // namespace

std::optional<ElfCodeSymbols> read_code_symbols(std::span<const uint8_t> elf, std::string& error) {
    Reader reader(elf);
    if (!reader.contains(0, k_ehdr_size))
        return fail(error, "file too small for an ELF header");
    if (reader.u32(0) != 0x464c457f)  // "\x7fELF"
        return fail(error, "not an ELF file (bad magic)");
    if (reader.u8(4) != k_class64 || reader.u8(5) != k_data_lsb)
        return fail(error, "not a 64-bit little-endian ELF file");
    uint16_t type = reader.u16(16);
    if (type == k_type_rel)
        return fail(error, "relocatable object: symbol addresses are not final; link it first");
    if (type != k_type_exec && type != k_type_dyn)
        return fail(error, "not an executable ELF file");
    if (reader.u16(18) != k_machine_aarch64)
        return fail(error, "not an AArch64 ELF file");

    uint64_t section_table = reader.u64(40);
    uint64_t section_count = reader.u16(60);
    if (section_table == 0)
        return fail(error, "no section header table");
    if (reader.u16(58) != k_shdr_size)
        return fail(error, "unexpected section header size");
    if (!reader.contains(section_table, k_shdr_size))
        return fail(error, "section header table out of bounds");
    if (section_count == 0)  // More sections than e_shnum holds: see section 0's sh_size.
        section_count = reader.u64(section_table + 32);
    if (section_count > elf.size() / k_shdr_size
        || !reader.contains(section_table, section_count * k_shdr_size))
        return fail(error, "section header table out of bounds");

    auto section = [&](uint64_t index) {
        uint64_t at = section_table + index * k_shdr_size;
        return Section {
            .type = reader.u32(at + 4),
            .flags = reader.u64(at + 8),
            .addr = reader.u64(at + 16),
            .offset = reader.u64(at + 24),
            .size = reader.u64(at + 32),
            .link = reader.u32(at + 40),
            .entsize = reader.u64(at + 56),
        };
    };

    std::optional<Section> symtab;
    for (uint64_t i = 0; i < section_count && !symtab; ++i) {
        if (section(i).type == k_sht_symtab)
            symtab = section(i);
    }
    if (!symtab)
        return fail(error, "no .symtab section (stripped?)");
    if (symtab->entsize != k_sym_size || symtab->size % k_sym_size != 0
        || !reader.contains(symtab->offset, symtab->size))
        return fail(error, "malformed .symtab section");
    if (symtab->link == 0 || symtab->link >= section_count)
        return fail(error, ".symtab has no linked string table");
    Section strtab = section(symtab->link);
    if (strtab.type != k_sht_strtab || !reader.contains(strtab.offset, strtab.size))
        return fail(error, "malformed .strtab section");
    auto strings = reader.slice(strtab.offset, strtab.size);

    ElfCodeSymbols result { .entry = reader.u64(24), .symbols = {} };
    // Entry 0 is the reserved null symbol.
    for (uint64_t at = symtab->offset + k_sym_size; at < symtab->offset + symtab->size; at += k_sym_size) {
        uint32_t name_offset = reader.u32(at);
        uint8_t info = reader.u8(at + 4);
        uint16_t section_index = reader.u16(at + 6);
        uint64_t value = reader.u64(at + 8);
        uint8_t symbol_type = info & 0xf;
        uint8_t binding = info >> 4;

        if (symbol_type != k_stt_func && symbol_type != k_stt_notype)
            continue;
        if (value == 0 || section_index == 0 || section_index >= k_shn_loreserve
            || section_index >= section_count)
            continue;
        Section home = section(section_index);
        if (!(home.flags & k_shf_execinstr) || home.type == k_sht_nobits)
            continue;

        if (name_offset >= strings.size())
            return fail(error, "symbol name offset out of bounds");
        auto name_bytes = strings.subspan(name_offset);
        auto end = std::find(name_bytes.begin(), name_bytes.end(), uint8_t { 0 });
        if (end == name_bytes.end())
            return fail(error, "symbol name not NUL-terminated");
        std::string name(name_bytes.begin(), end);
        if (name.empty())
            continue;
        if (symbol_type == k_stt_notype && (name.starts_with('$') || name.starts_with(".L")))
            continue;

        result.symbols.push_back(ElfSymbol {
            .name = std::move(name),
            .address = value,
            .size = reader.u64(at + 16),
            .is_function = symbol_type == k_stt_func,
            .is_global = binding != k_stb_local,
            .section_end = home.addr + std::min(home.size, ~home.addr),
        });
    }
    return result;
}

std::string without_parameters(std::string_view name) {
    // GCC's clone suffixes (" [clone .cold]") stay after the name.
    std::string_view clone;
    if (size_t at = name.find(" [clone "); at != std::string_view::npos) {
        clone = name.substr(at);
        name = name.substr(0, at);
    }
    for (bool trimmed = true; trimmed;) {
        trimmed = false;
        for (std::string_view qualifier : { " const", " volatile", " &&", " &", " noexcept" }) {
            if (name.ends_with(qualifier)) {
                name.remove_suffix(qualifier.size());
                trimmed = true;
            }
        }
    }
    if (name.ends_with(')')) {
        // The parameter list: from the '(' matching the last ')'.
        int depth = 0;
        for (size_t i = name.size(); i-- > 0;) {
            if (name[i] == ')')
                ++depth;
            else if (name[i] == '(' && --depth == 0) {
                if (i > 0)
                    name = name.substr(0, i);
                break;
            }
        }
    }
    return std::string(name) + std::string(clone);
}

std::string demangle(std::string_view name) {
    std::string result(name);
    if (name.starts_with("_Z")) {
        int status = 0;
        std::unique_ptr<char, decltype(&std::free)> demangled(
            abi::__cxa_demangle(result.c_str(), nullptr, nullptr, &status), &std::free);
        if (status == 0 && demangled)
            result = without_parameters(demangled.get());
    }
    if (result.size() > k_symbol_table_max_name) {
        result.resize(k_symbol_table_max_name - 3);
        result += "...";
    }
    return result;
}

std::vector<SymbolBlobEntry> prepare_symbols(std::span<const ElfSymbol> symbols) {
    std::vector<const ElfSymbol*> ordered;
    for (const auto& symbol : symbols)
        ordered.push_back(&symbol);
    // Best candidate first within each address; `__` names (linker-script
    // markers such as __kernel_start) lose to real code names. The full key
    // keeps the output independent of .symtab order.
    auto key = [](const ElfSymbol* s) {
        return std::tuple(s->address, !s->is_function, !s->is_global, s->name.starts_with("__"), s->name,
            s->size, s->section_end);
    };
    std::sort(ordered.begin(), ordered.end(), [&](auto* a, auto* b) { return key(a) < key(b); });
    ordered.erase(std::unique(ordered.begin(), ordered.end(),
                      [](auto* a, auto* b) { return a->address == b->address; }),
        ordered.end());

    auto clamp = [](uint64_t size) {
        return static_cast<uint32_t>(std::min<uint64_t>(size, std::numeric_limits<uint32_t>::max()));
    };
    std::vector<SymbolBlobEntry> entries;
    for (auto* symbol : ordered) {
        uint64_t size = symbol->size;
        if (size == 0 && symbol == ordered.back() && symbol->section_end > symbol->address)
            size = symbol->section_end - symbol->address;
        entries.push_back(SymbolBlobEntry {
            .address = symbol->address,
            .size = clamp(size),
            .name = demangle(symbol->name),
        });
    }
    return entries;
}

std::optional<std::vector<uint8_t>> generate_symbol_blob(std::span<const uint8_t> elf, std::string& error) {
    auto symbols = read_code_symbols(elf, error);
    if (!symbols)
        return std::nullopt;
    auto entries = prepare_symbols(symbols->symbols);
    return write_symbol_blob(entries);
}

}  // namespace akuma::mksyms
