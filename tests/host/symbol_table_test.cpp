#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "kernel/lib/symbol_table.h"
#include "tools/mksyms/symbol_blob_writer.h"

using akuma::Error;
using akuma::SymbolTable;
using akuma::mksyms::SymbolBlobEntry;
using akuma::mksyms::write_symbol_blob;

namespace {

std::vector<uint8_t> sample_blob() {
    std::vector<SymbolBlobEntry> symbols = {
        { 0x3000, 8, "d" },
        { 0x1000, 0x10, "a" },
        { 0x1010, 0x20, "akuma::Console::write(char const*, unsigned long)" },
        { 0x2000, 0, "c_label" },
        { 0x4000, 0, "last_label" },
    };
    return write_symbol_blob(symbols);
}

SymbolTable parse(const std::vector<uint8_t>& blob) {
    auto table = SymbolTable::from_bytes(blob);
    EXPECT_FALSE(table.is_error());
    return table.is_error() ? SymbolTable() : table.value();
}

void expect_symbol(const SymbolTable& table, uint64_t address, std::string_view name, uint64_t offset) {
    auto found = table.lookup(address);
    ASSERT_TRUE(found.has_value()) << std::hex << address;
    EXPECT_EQ(found->name, name);
    EXPECT_EQ(found->offset, offset);
    EXPECT_EQ(found->start, address - offset);
}

void put_u32(std::vector<uint8_t>& blob, size_t offset, uint32_t value) {
    for (size_t i = 0; i < 4; ++i)
        blob[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

void put_u64(std::vector<uint8_t>& blob, size_t offset, uint64_t value) {
    for (size_t i = 0; i < 8; ++i)
        blob[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

Error error_of(const std::vector<uint8_t>& blob) {
    auto table = SymbolTable::from_bytes(blob);
    EXPECT_TRUE(table.is_error());
    return table.is_error() ? table.error() : Error::Exists;
}

constexpr size_t k_entries = akuma::k_symbol_table_header_size;
constexpr size_t k_entry = akuma::k_symbol_table_entry_size;

// Exercises every lookup path; ASan/UBSan catch any out-of-bounds read.
void probe(const SymbolTable& table, std::span<const uint8_t> blob) {
    for (uint64_t address : { uint64_t { 0 }, uint64_t { 0x1000 }, uint64_t { 0x2fff }, uint64_t { 0x4000 },
             std::numeric_limits<uint64_t>::max() }) {
        if (auto found = table.lookup(address)) {
            EXPECT_LE(found->start, address);
            EXPECT_EQ(found->offset, address - found->start);
            auto name_begin = reinterpret_cast<const uint8_t*>(found->name.data());
            EXPECT_GE(name_begin, blob.data());
            EXPECT_LE(name_begin + found->name.size(), blob.data() + blob.size());
        }
    }
    (void)table.address_of("a");
}

}  // namespace

TEST(SymbolTable, EmptyBlobIsValidAndEmpty) {
    auto table = SymbolTable::from_bytes({});
    ASSERT_FALSE(table.is_error());
    EXPECT_EQ(table.value().size(), 0u);
    EXPECT_FALSE(table.value().lookup(0x1000).has_value());
    EXPECT_FALSE(table.value().address_of("a").has_value());
}

TEST(SymbolTable, HeaderOnlyTableHasNoEntries) {
    auto blob = write_symbol_blob({});
    EXPECT_EQ(blob.size(), akuma::k_symbol_table_header_size);
    auto table = parse(blob);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_FALSE(table.lookup(0).has_value());
    EXPECT_FALSE(table.lookup(std::numeric_limits<uint64_t>::max()).has_value());
}

TEST(SymbolTable, LookupWithinSizedSymbols) {
    auto blob = sample_blob();
    auto table = parse(blob);
    EXPECT_EQ(table.size(), 5u);
    expect_symbol(table, 0x1000, "a", 0);
    expect_symbol(table, 0x1008, "a", 8);
    expect_symbol(table, 0x100f, "a", 0xf);
    expect_symbol(table, 0x1010, "akuma::Console::write(char const*, unsigned long)", 0);
    expect_symbol(table, 0x102f, "akuma::Console::write(char const*, unsigned long)", 0x1f);
    expect_symbol(table, 0x3007, "d", 7);
}

TEST(SymbolTable, LookupMissesOutsideSymbols) {
    auto blob = sample_blob();
    auto table = parse(blob);
    EXPECT_FALSE(table.lookup(0).has_value());
    EXPECT_FALSE(table.lookup(0xfff).has_value());
    EXPECT_FALSE(table.lookup(0x1030).has_value());  // gap after a sized symbol
    EXPECT_FALSE(table.lookup(0x1fff).has_value());
    EXPECT_FALSE(table.lookup(0x3008).has_value());
    EXPECT_FALSE(table.lookup(std::numeric_limits<uint64_t>::max()).has_value());
}

TEST(SymbolTable, SizeZeroSymbolExtendsToNextSymbol) {
    auto blob = sample_blob();
    auto table = parse(blob);
    expect_symbol(table, 0x2000, "c_label", 0);
    expect_symbol(table, 0x2fff, "c_label", 0xfff);
    expect_symbol(table, 0x3000, "d", 0);
    // The last size-0 symbol has no known end.
    EXPECT_FALSE(table.lookup(0x4000).has_value());
    EXPECT_FALSE(table.lookup(0x4001).has_value());
}

TEST(SymbolTable, LookupAtTopOfAddressSpace) {
    std::vector<SymbolBlobEntry> symbols = {
        { 0xffffffff80000000, 0x100, "kernel_main" },
        { 0xffffffffffff0000, 0x10000, "top" },
    };
    auto blob = write_symbol_blob(symbols);
    auto table = parse(blob);
    expect_symbol(table, 0xffffffff80000034, "kernel_main", 0x34);
    expect_symbol(table, 0xffffffffffffffff, "top", 0xffff);
    EXPECT_FALSE(table.lookup(0xffffffff80000100).has_value());
}

TEST(SymbolTable, AddressOfFindsExactNamesOnly) {
    auto blob = sample_blob();
    auto table = parse(blob);
    EXPECT_EQ(table.address_of("a"), 0x1000u);
    EXPECT_EQ(table.address_of("last_label"), 0x4000u);
    EXPECT_EQ(table.address_of("akuma::Console::write(char const*, unsigned long)"), 0x1010u);
    EXPECT_FALSE(table.address_of("akuma::Console::write").has_value());
    EXPECT_FALSE(table.address_of("").has_value());
    EXPECT_FALSE(table.address_of("missing").has_value());
}

TEST(SymbolTable, LookupSweepsManySymbols) {
    std::vector<SymbolBlobEntry> symbols;
    auto open_ended = [](uint64_t i) { return i % 3 == 0 && i != 999; };  // size 0
    for (uint64_t i = 0; i < 1000; ++i)
        symbols.push_back({ 0x10000 + i * 0x40, open_ended(i) ? 0u : 0x20u, "f" + std::to_string(i) });
    auto blob = write_symbol_blob(symbols);
    auto table = parse(blob);
    ASSERT_EQ(table.size(), 1000u);
    for (uint64_t i = 0; i < 1000; ++i) {
        uint64_t start = 0x10000 + i * 0x40;
        std::string name = "f" + std::to_string(i);
        expect_symbol(table, start, name, 0);
        expect_symbol(table, start + 0x1f, name, 0x1f);
        EXPECT_EQ(table.lookup(start + 0x3f).has_value(), open_ended(i)) << i;
        EXPECT_EQ(table.address_of(name), start);
    }
}

TEST(SymbolBlobWriter, SortsDeduplicatesAndSharesNames) {
    std::vector<SymbolBlobEntry> symbols = {
        { 0x20, 4, "b" },
        { 0x10, 4, "static_helper" },
        { 0x20, 8, "b_alias" },  // same address: the first one wins
        { 0x30, 4, "static_helper" },
    };
    auto blob = write_symbol_blob(symbols);
    auto table = parse(blob);
    EXPECT_EQ(table.size(), 3u);
    expect_symbol(table, 0x23, "b", 3);
    EXPECT_FALSE(table.lookup(0x24).has_value());
    expect_symbol(table, 0x12, "static_helper", 2);
    expect_symbol(table, 0x32, "static_helper", 2);
    EXPECT_FALSE(table.address_of("b_alias").has_value());
    // "b\0static_helper\0": the repeated name is stored once.
    EXPECT_EQ(blob.size(), k_entries + 3 * k_entry + 2 + 14);
}

TEST(SymbolBlobWriter, IsDeterministicAndOrderIndependent) {
    std::vector<SymbolBlobEntry> forward = { { 1, 1, "x" }, { 2, 1, "y" }, { 3, 1, "z" } };
    std::vector<SymbolBlobEntry> backward = { { 3, 1, "z" }, { 2, 1, "y" }, { 1, 1, "x" } };
    EXPECT_EQ(write_symbol_blob(forward), write_symbol_blob(forward));
    EXPECT_EQ(write_symbol_blob(forward), write_symbol_blob(backward));
}

TEST(SymbolBlobWriter, CutsNamesAtInnerNul) {
    std::vector<SymbolBlobEntry> symbols = { { 0x10, 4, std::string("ab\0cd", 5) } };
    auto blob = write_symbol_blob(symbols);
    auto table = parse(blob);
    expect_symbol(table, 0x10, "ab", 0);
}

TEST(SymbolTableMalformed, TruncatedHeader) {
    auto blob = sample_blob();
    blob.resize(akuma::k_symbol_table_header_size - 1);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
}

TEST(SymbolTableMalformed, BadMagic) {
    auto blob = sample_blob();
    blob[0] = 'a';
    EXPECT_EQ(error_of(blob), Error::Invalid);
    blob = sample_blob();
    blob[4] = 'N';
    EXPECT_EQ(error_of(blob), Error::Invalid);
}

TEST(SymbolTableMalformed, BadVersionOrReservedFields) {
    auto blob = sample_blob();
    blob[6] = 2;
    EXPECT_EQ(error_of(blob), Error::Invalid);
    blob = sample_blob();
    blob[7] = 1;
    EXPECT_EQ(error_of(blob), Error::Invalid);
    blob = sample_blob();
    blob[5] = 1;
    EXPECT_EQ(error_of(blob), Error::Invalid);
    blob = sample_blob();
    put_u32(blob, 12, 1);
    EXPECT_EQ(error_of(blob), Error::Invalid);
}

TEST(SymbolTableMalformed, CountPastEnd) {
    auto blob = sample_blob();
    put_u32(blob, 8, 0xffffffff);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
}

TEST(SymbolTableMalformed, StringTableOverlapsEntries) {
    auto blob = sample_blob();
    put_u32(blob, 16, k_entries + k_entry);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
}

TEST(SymbolTableMalformed, StringTablePastEnd) {
    auto blob = sample_blob();
    put_u32(blob, 20, 0xffffffff);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
    blob = sample_blob();
    put_u32(blob, 16, 0xfffffff0);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
    blob = sample_blob();
    blob.pop_back();
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
}

TEST(SymbolTableMalformed, NameNotNulTerminated) {
    auto blob = sample_blob();
    blob.back() = 'x';
    EXPECT_EQ(error_of(blob), Error::Invalid);
}

TEST(SymbolTableMalformed, NameOffsetOutOfRange) {
    auto blob = sample_blob();
    uint32_t strings_size = blob[20] | blob[21] << 8 | blob[22] << 16 | blob[23] << 24;
    put_u32(blob, k_entries + 2 * k_entry + 12, strings_size);
    EXPECT_EQ(error_of(blob), Error::OutOfRange);
}

TEST(SymbolTableMalformed, UnsortedOrDuplicateAddresses) {
    auto blob = sample_blob();
    put_u64(blob, k_entries + k_entry, 0x0fff);  // second entry below the first
    EXPECT_EQ(error_of(blob), Error::Invalid);
    blob = sample_blob();
    put_u64(blob, k_entries + k_entry, 0x1000);  // equal to the first
    EXPECT_EQ(error_of(blob), Error::Invalid);
}

TEST(SymbolTableMalformed, EveryTruncationIsRejectedSafely) {
    auto blob = sample_blob();
    for (size_t length = 1; length < blob.size(); ++length) {
        std::vector<uint8_t> truncated(blob.begin(), blob.begin() + length);
        EXPECT_TRUE(SymbolTable::from_bytes(truncated).is_error()) << length;
    }
}

TEST(SymbolTableMalformed, BitFlipSweepNeverCrashes) {
    auto blob = sample_blob();
    size_t accepted = 0;
    for (size_t byte = 0; byte < blob.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            auto mutated = blob;
            mutated[byte] ^= static_cast<uint8_t>(1u << bit);
            auto table = SymbolTable::from_bytes(mutated);
            if (table.is_error())
                continue;
            ++accepted;
            probe(table.value(), mutated);
        }
        for (uint8_t value : { uint8_t { 0 }, uint8_t { 0xff }, uint8_t { 0x80 } }) {
            auto mutated = blob;
            mutated[byte] = value;
            auto table = SymbolTable::from_bytes(mutated);
            if (!table.is_error())
                probe(table.value(), mutated);
        }
    }
    // Flips inside addresses, sizes and names still give valid tables.
    EXPECT_GT(accepted, 0u);
}
