#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernel/lib/symbol_table.h"
#include "tools/mksyms/elf_symbols.h"

using akuma::SymbolTable;
using namespace akuma::mksyms;

namespace {

// Builds a minimal linked AArch64 ELF64 image with sections
// [0] null, [1] .text (AX), [2] .data (WA), [3] .symtab, [4] .strtab.
struct TestSymbol {
    std::string name;
    uint64_t value;
    uint64_t size;
    uint8_t type;     // STT_*
    uint8_t binding;  // STB_*
    uint16_t section;
};

constexpr uint8_t k_notype = 0, k_object = 1, k_func = 2, k_file = 4;
constexpr uint8_t k_local = 0, k_global = 1, k_weak = 2;
constexpr uint16_t k_text = 1, k_data = 2;
constexpr size_t k_shoff_field = 40;

struct TestElf {
    std::vector<uint8_t> bytes;
    size_t section_headers;
    size_t symtab_offset;
    size_t strtab_offset;
    size_t strtab_size;
};

void put(std::vector<uint8_t>& out, size_t offset, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i)
        out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

TestElf build_elf(const std::vector<TestSymbol>& symbols) {
    std::string strtab(1, '\0');
    std::vector<uint8_t> symtab(24, 0);  // null symbol
    for (const auto& symbol : symbols) {
        size_t at = symtab.size();
        symtab.resize(at + 24);
        put(symtab, at, strtab.size(), 4);
        symtab[at + 4] = static_cast<uint8_t>(symbol.binding << 4 | symbol.type);
        put(symtab, at + 6, symbol.section, 2);
        put(symtab, at + 8, symbol.value, 8);
        put(symtab, at + 16, symbol.size, 8);
        strtab += symbol.name;
        strtab.push_back('\0');
    }

    TestElf elf;
    size_t text_offset = 64, text_size = 0x100;
    size_t data_offset = text_offset + text_size, data_size = 0x10;
    elf.symtab_offset = data_offset + data_size;
    elf.strtab_offset = elf.symtab_offset + symtab.size();
    elf.strtab_size = strtab.size();
    elf.section_headers = (elf.strtab_offset + strtab.size() + 7) & ~size_t { 7 };
    auto& out = elf.bytes;
    out.assign(elf.section_headers + 5 * 64, 0);

    const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    std::copy(std::begin(ident), std::end(ident), out.begin());
    put(out, 16, 2, 2);          // ET_EXEC
    put(out, 18, 183, 2);        // EM_AARCH64
    put(out, 20, 1, 4);          // EV_CURRENT
    put(out, 24, 0x1000, 8);     // e_entry
    put(out, k_shoff_field, elf.section_headers, 8);
    put(out, 52, 64, 2);         // e_ehsize
    put(out, 58, 64, 2);         // e_shentsize
    put(out, 60, 5, 2);          // e_shnum
    std::copy(symtab.begin(), symtab.end(), out.begin() + elf.symtab_offset);
    std::copy(strtab.begin(), strtab.end(), out.begin() + elf.strtab_offset);

    auto section = [&](size_t index, uint32_t type, uint64_t flags, uint64_t addr, uint64_t offset,
                       uint64_t size, uint32_t link, uint64_t entsize) {
        size_t at = elf.section_headers + index * 64;
        put(out, at + 4, type, 4);
        put(out, at + 8, flags, 8);
        put(out, at + 16, addr, 8);
        put(out, at + 24, offset, 8);
        put(out, at + 32, size, 8);
        put(out, at + 40, link, 4);
        put(out, at + 56, entsize, 8);
    };
    section(1, 1, 0x6, 0x1000, text_offset, text_size, 0, 0);  // PROGBITS, ALLOC|EXECINSTR
    section(2, 1, 0x3, 0x2000, data_offset, data_size, 0, 0);  // PROGBITS, WRITE|ALLOC
    section(3, 2, 0, 0, elf.symtab_offset, symtab.size(), 4, 24);
    section(4, 3, 0, 0, elf.strtab_offset, strtab.size(), 0, 0);
    return elf;
}

std::vector<TestSymbol> kernel_like_symbols() {
    return {
        { "$x", 0x1000, 0, k_notype, k_local, k_text },
        { "__kernel_start", 0x1000, 0, k_notype, k_global, k_text },  // linker-script marker
        { "_start", 0x1000, 0, k_notype, k_global, k_text },
        { ".Ltmp3", 0x1008, 0, k_notype, k_local, k_text },
        { "el1_sync_vector", 0x1040, 0, k_notype, k_local, k_text },
        { "kernel_main_alias", 0x1080, 0, k_notype, k_global, k_text },
        { "local_copy", 0x1080, 0x40, k_func, k_local, k_text },
        { "kernel_main", 0x1080, 0x40, k_func, k_global, k_text },
        { "_ZN5akuma7Console5writeEPKcm", 0x10c0, 0x24, k_func, k_weak, k_text },
        { "_ZL6helperi", 0x10f0, 0x10, k_func, k_local, k_text },
        { "fixture.cpp", 0, 0, k_file, k_local, 0xfff1 },
        { "counter", 0x2000, 4, k_object, k_global, k_data },
        { "data_func", 0x2004, 4, k_func, k_global, k_data },  // not executable
        { "undefined_func", 0, 0, k_func, k_global, 0 },
        { "absolute_func", 0x3000, 4, k_func, k_global, 0xfff1 },  // SHN_ABS
        { "bad_section_func", 0x3000, 4, k_func, k_global, 77 },
        { "zero_func", 0, 4, k_func, k_global, k_text },
        { "", 0x1030, 4, k_func, k_local, k_text },
    };
}

std::vector<std::string> names_of(const std::vector<ElfSymbol>& symbols) {
    std::vector<std::string> names;
    for (const auto& symbol : symbols)
        names.push_back(symbol.name);
    return names;
}

std::string read_error(const std::vector<uint8_t>& bytes) {
    std::string error;
    EXPECT_FALSE(read_code_symbols(bytes, error).has_value());
    EXPECT_FALSE(error.empty());
    return error;
}

}  // namespace

TEST(ElfSymbols, KeepsOnlyCodeSymbols) {
    auto elf = build_elf(kernel_like_symbols());
    std::string error;
    auto result = read_code_symbols(elf.bytes, error);
    ASSERT_TRUE(result.has_value()) << error;
    EXPECT_EQ(result->entry, 0x1000u);
    std::vector<std::string> expected = { "__kernel_start", "_start", "el1_sync_vector", "kernel_main_alias", "local_copy",
        "kernel_main", "_ZN5akuma7Console5writeEPKcm", "_ZL6helperi" };
    EXPECT_EQ(names_of(result->symbols), expected);
    EXPECT_TRUE(result->symbols[5].is_function);
    EXPECT_TRUE(result->symbols[5].is_global);
    EXPECT_FALSE(result->symbols[4].is_global);
    EXPECT_FALSE(result->symbols[1].is_function);
    EXPECT_EQ(result->symbols[5].size, 0x40u);
    EXPECT_EQ(result->symbols[5].section_end, 0x1100u);
}

TEST(ElfSymbols, GeneratesLookupableBlob) {
    auto elf = build_elf(kernel_like_symbols());
    std::string error;
    auto blob = generate_symbol_blob(elf.bytes, error);
    ASSERT_TRUE(blob.has_value()) << error;
    auto table = SymbolTable::from_bytes(*blob);
    ASSERT_FALSE(table.is_error());
    EXPECT_EQ(table.value().size(), 5u);

    auto expect = [&](uint64_t address, std::string_view name, uint64_t offset) {
        auto found = table.value().lookup(address);
        ASSERT_TRUE(found.has_value()) << std::hex << address;
        EXPECT_EQ(found->name, name);
        EXPECT_EQ(found->offset, offset);
    };
    expect(0x1000, "_start", 0);  // beats __kernel_start
    expect(0x1008, "_start", 8);  // .Ltmp3 is not a symbol of its own
    expect(0x1044, "el1_sync_vector", 4);
    expect(0x1080, "kernel_main", 0);  // global function beats label and local
    expect(0x10bc, "kernel_main", 0x3c);
    expect(0x10c0, "akuma::Console::write", 0);
    expect(0x10ff, "helper", 0xf);
    EXPECT_FALSE(table.value().lookup(0x10e4).has_value());  // gap
    EXPECT_FALSE(table.value().lookup(0x2000).has_value());
    EXPECT_FALSE(table.value().lookup(0xfff).has_value());
    EXPECT_EQ(table.value().address_of("kernel_main"), 0x1080u);
    EXPECT_FALSE(table.value().address_of("kernel_main_alias").has_value());
    EXPECT_FALSE(table.value().address_of("counter").has_value());
}

TEST(ElfSymbols, OutputIsIndependentOfSymtabOrder) {
    auto symbols = kernel_like_symbols();
    auto reversed = symbols;
    std::reverse(reversed.begin(), reversed.end());
    std::string error;
    auto first = generate_symbol_blob(build_elf(symbols).bytes, error);
    auto again = generate_symbol_blob(build_elf(symbols).bytes, error);
    auto second = generate_symbol_blob(build_elf(reversed).bytes, error);
    ASSERT_TRUE(first && again && second);
    EXPECT_EQ(*first, *again);
    EXPECT_EQ(*first, *second);
}

TEST(ElfSymbols, Demangles) {
    EXPECT_EQ(demangle("_ZN5akuma7Console5writeEPKcm"), "akuma::Console::write");
    EXPECT_EQ(demangle("_ZL6helperi"), "helper");
    EXPECT_EQ(demangle("kernel_main"), "kernel_main");
    EXPECT_EQ(demangle("_Z"), "_Z");  // not valid: kept as is
    std::string long_name(1000, 'x');
    auto cut = demangle(long_name);
    EXPECT_EQ(cut.size(), akuma::k_symbol_table_max_name);
    EXPECT_TRUE(cut.ends_with("..."));
    EXPECT_TRUE(cut.starts_with("xxxx"));
}

TEST(ElfSymbols, ParameterListsAndQualifiersGo) {
    EXPECT_EQ(without_parameters("a::f(int) const"), "a::f");
    EXPECT_EQ(without_parameters("a::B::operator()(int) const &&"), "a::B::operator()");
    EXPECT_EQ(without_parameters("a::g(void (*)(int), char) [clone .cold]"), "a::g [clone .cold]");
    EXPECT_EQ(without_parameters("a::(anonymous namespace)::h(a::X<int>)"), "a::(anonymous namespace)::h");
    EXPECT_EQ(without_parameters("a::f()::{lambda(int)#1}::operator()(int) const"),
              "a::f()::{lambda(int)#1}::operator()");
    EXPECT_EQ(without_parameters("void a::t<int>(int) noexcept"), "void a::t<int>");
    EXPECT_EQ(without_parameters("plain"), "plain");
    EXPECT_EQ(without_parameters("(unbalanced"), "(unbalanced");
}

TEST(ElfSymbols, PrepareClampsHugeSizes) {
    std::vector<ElfSymbol> symbols = { { "f", 0x10, uint64_t { 1 } << 40, true, true, 0x20 } };
    auto entries = prepare_symbols(symbols);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].size, 0xffffffffu);
}

TEST(ElfSymbols, OnlyTheLastLabelIsSizedToItsSectionEnd) {
    std::vector<TestSymbol> symbols = {
        { "_start", 0x1000, 0, k_notype, k_global, k_text },
        { "vector_tail", 0x10e0, 0, k_notype, k_local, k_text },  // .text ends at 0x1100
    };
    std::string error;
    auto blob = generate_symbol_blob(build_elf(symbols).bytes, error);
    ASSERT_TRUE(blob.has_value()) << error;
    auto table = SymbolTable::from_bytes(*blob);
    ASSERT_FALSE(table.is_error());
    auto entries = prepare_symbols(read_code_symbols(build_elf(symbols).bytes, error)->symbols);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].size, 0u);
    EXPECT_EQ(entries[1].size, 0x20u);
    EXPECT_EQ(table.value().lookup(0x10df)->name, "_start");
    EXPECT_EQ(table.value().lookup(0x10ff)->name, "vector_tail");
    EXPECT_FALSE(table.value().lookup(0x1100).has_value());
}

TEST(ElfSymbolsMalformed, RejectsWrongFileKinds) {
    auto base = build_elf(kernel_like_symbols());
    EXPECT_EQ(read_error({}), "file too small for an ELF header");
    auto elf = base.bytes;
    elf[1] = 'X';
    EXPECT_EQ(read_error(elf), "not an ELF file (bad magic)");
    elf = base.bytes;
    elf[4] = 1;  // ELFCLASS32
    EXPECT_EQ(read_error(elf), "not a 64-bit little-endian ELF file");
    elf = base.bytes;
    elf[5] = 2;  // big-endian
    EXPECT_EQ(read_error(elf), "not a 64-bit little-endian ELF file");
    elf = base.bytes;
    put(elf, 16, 1, 2);  // ET_REL
    EXPECT_NE(read_error(elf).find("relocatable"), std::string::npos);
    elf = base.bytes;
    put(elf, 16, 4, 2);  // ET_CORE
    EXPECT_EQ(read_error(elf), "not an executable ELF file");
    elf = base.bytes;
    put(elf, 18, 62, 2);  // EM_X86_64
    EXPECT_EQ(read_error(elf), "not an AArch64 ELF file");
}

TEST(ElfSymbolsMalformed, RejectsBadSectionTables) {
    auto base = build_elf(kernel_like_symbols());
    auto elf = base.bytes;
    put(elf, k_shoff_field, 0, 8);
    EXPECT_EQ(read_error(elf), "no section header table");
    elf = base.bytes;
    put(elf, k_shoff_field, elf.size() - 32, 8);
    EXPECT_EQ(read_error(elf), "section header table out of bounds");
    elf = base.bytes;
    put(elf, 60, 6, 2);  // one more section than the file holds
    EXPECT_EQ(read_error(elf), "section header table out of bounds");
    elf = base.bytes;
    put(elf, 60, 0, 2);  // extended count taken from section 0's sh_size
    put(elf, base.section_headers + 32, uint64_t { 1 } << 60, 8);
    EXPECT_EQ(read_error(elf), "section header table out of bounds");
    elf = base.bytes;
    put(elf, 58, 40, 2);
    EXPECT_EQ(read_error(elf), "unexpected section header size");
}

TEST(ElfSymbolsMalformed, AcceptsExtendedSectionCount) {
    auto base = build_elf(kernel_like_symbols());
    auto elf = base.bytes;
    put(elf, 60, 0, 2);
    put(elf, base.section_headers + 32, 5, 8);
    std::string error;
    auto result = read_code_symbols(elf, error);
    ASSERT_TRUE(result.has_value()) << error;
    EXPECT_EQ(result->symbols.size(), 8u);
}

TEST(ElfSymbolsMalformed, RejectsBadSymbolTables) {
    auto base = build_elf(kernel_like_symbols());
    size_t symtab_header = base.section_headers + 3 * 64;
    size_t strtab_header = base.section_headers + 4 * 64;

    auto elf = base.bytes;
    put(elf, symtab_header + 4, 1, 4);  // no longer SHT_SYMTAB
    EXPECT_EQ(read_error(elf), "no .symtab section (stripped?)");
    elf = base.bytes;
    put(elf, symtab_header + 56, 16, 8);
    EXPECT_EQ(read_error(elf), "malformed .symtab section");
    elf = base.bytes;
    put(elf, symtab_header + 32, 0xffffffffffffffe8, 8);  // huge sh_size, multiple of 24
    EXPECT_EQ(read_error(elf), "malformed .symtab section");
    elf = base.bytes;
    put(elf, symtab_header + 24, elf.size(), 8);
    EXPECT_EQ(read_error(elf), "malformed .symtab section");
    elf = base.bytes;
    put(elf, symtab_header + 40, 9, 4);
    EXPECT_EQ(read_error(elf), ".symtab has no linked string table");
    elf = base.bytes;
    put(elf, symtab_header + 40, 0, 4);
    EXPECT_EQ(read_error(elf), ".symtab has no linked string table");
    elf = base.bytes;
    put(elf, symtab_header + 40, 2, 4);  // linked to .data
    EXPECT_EQ(read_error(elf), "malformed .strtab section");
    elf = base.bytes;
    put(elf, strtab_header + 32, elf.size(), 8);
    EXPECT_EQ(read_error(elf), "malformed .strtab section");
}

TEST(ElfSymbolsMalformed, RejectsBadSymbolNames) {
    auto base = build_elf(kernel_like_symbols());
    size_t second_symbol = base.symtab_offset + 2 * 24;  // "_start"
    auto elf = base.bytes;
    put(elf, second_symbol, base.strtab_size, 4);
    EXPECT_EQ(read_error(elf), "symbol name offset out of bounds");
    elf = base.bytes;
    elf[base.strtab_offset + base.strtab_size - 1] = 'x';  // last name loses its NUL
    put(elf, second_symbol, base.strtab_size - 1, 4);
    EXPECT_EQ(read_error(elf), "symbol name not NUL-terminated");
}

TEST(ElfSymbolsMalformed, TruncationsAndBitFlipsNeverCrash) {
    auto base = build_elf(kernel_like_symbols()).bytes;
    std::string error;
    for (size_t length = 0; length < base.size(); ++length) {
        std::vector<uint8_t> truncated(base.begin(), base.begin() + length);
        EXPECT_FALSE(generate_symbol_blob(truncated, error).has_value()) << length;
    }
    for (size_t byte = 0; byte < base.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            auto mutated = base;
            mutated[byte] ^= static_cast<uint8_t>(1u << bit);
            if (auto blob = generate_symbol_blob(mutated, error))
                EXPECT_FALSE(SymbolTable::from_bytes(*blob).is_error());
        }
    }
}

// End to end on a real linked AArch64 image (for example the kernel's first
// link pass), given by the build as AKUMA_MKSYMS_TEST_ELF.
TEST(ElfSymbols, RealAArch64Image) {
#ifndef AKUMA_MKSYMS_TEST_ELF
    GTEST_SKIP() << "AKUMA_MKSYMS_TEST_ELF not defined";
#else
    std::ifstream input(AKUMA_MKSYMS_TEST_ELF, std::ios::binary);
    ASSERT_TRUE(input) << AKUMA_MKSYMS_TEST_ELF;
    std::vector<uint8_t> elf((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());

    std::string error;
    auto symbols = read_code_symbols(elf, error);
    ASSERT_TRUE(symbols.has_value()) << error;
    auto blob = generate_symbol_blob(elf, error);
    ASSERT_TRUE(blob.has_value()) << error;
    EXPECT_EQ(*blob, *generate_symbol_blob(elf, error));
    auto table = SymbolTable::from_bytes(*blob);
    ASSERT_FALSE(table.is_error());
    ASSERT_GT(table.value().size(), 0u);

    // The entry point (`_start`) is a code symbol.
    auto entry = table.value().lookup(symbols->entry);
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->offset, 0u);

    size_t checked = 0;
    for (const auto& symbol : symbols->symbols) {
        EXPECT_FALSE(symbol.name.starts_with("$") || symbol.name.starts_with(".L")) << symbol.name;
        if (!symbol.is_function || !symbol.is_global || symbol.size < 8)
            continue;
        auto found = table.value().lookup(symbol.address + 4);
        ASSERT_TRUE(found.has_value()) << symbol.name;
        EXPECT_EQ(found->start, symbol.address);
        EXPECT_EQ(found->offset, 4u);
        EXPECT_EQ(found->name, demangle(symbol.name));
        EXPECT_FALSE(found->name.starts_with("_Z")) << found->name;
        EXPECT_EQ(table.value().lookup(*table.value().address_of(found->name))->name, found->name);
        ++checked;
    }
    EXPECT_GT(checked, 0u);
#endif
}
