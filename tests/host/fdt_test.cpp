// Host tests for the device tree reader (kernel/dt/fdt.*, platform_info.*).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "kernel/dt/fdt.h"
#include "kernel/dt/platform_info.h"

#ifndef AKUMA_TEST_DATA_DIR
#error "AKUMA_TEST_DATA_DIR must name tests/host/data"
#endif

namespace akuma {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- A tiny FDT writer, able to produce malformed trees on purpose ----

void put_be32(Bytes& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(uint8_t(value >> shift));
}

void put_be64(Bytes& out, uint64_t value) {
    put_be32(out, uint32_t(value >> 32));
    put_be32(out, uint32_t(value));
}

void set_be32(Bytes& out, size_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[offset + i] = uint8_t(value >> (24 - 8 * i));
}

uint32_t get_be32(const Bytes& in, size_t offset) {
    return fdt_detail::load_be32(in.data() + offset);
}

Bytes cells(std::initializer_list<uint32_t> values) {
    Bytes out;
    for (uint32_t value : values)
        put_be32(out, value);
    return out;
}

// NUL-terminated strings back to back, as in `compatible`.
Bytes strings(std::initializer_list<std::string> values) {
    Bytes out;
    for (const auto& value : values) {
        out.insert(out.end(), value.begin(), value.end());
        out.push_back(0);
    }
    return out;
}

class FdtWriter {
public:
    FdtWriter& begin(const std::string& name) {
        token(1);
        m_struct.insert(m_struct.end(), name.begin(), name.end());
        m_struct.push_back(0);
        pad();
        return *this;
    }
    FdtWriter& end() { return token(2); }
    FdtWriter& nop() { return token(4); }
    FdtWriter& finish() { return token(9); }
    FdtWriter& token(uint32_t value) {
        put_be32(m_struct, value);
        return *this;
    }
    FdtWriter& prop(const std::string& name, const Bytes& value) {
        return raw_prop(string_offset(name), uint32_t(value.size()), value);
    }
    FdtWriter& prop(const std::string& name, std::initializer_list<uint32_t> values) {
        return prop(name, cells(values));
    }
    FdtWriter& prop_string(const std::string& name, const std::string& value) {
        return prop(name, strings({ value }));
    }
    // A property with arbitrary length/nameoff fields (for malformed trees).
    FdtWriter& raw_prop(uint32_t name_offset, uint32_t length, const Bytes& value) {
        token(3);
        put_be32(m_struct, length);
        put_be32(m_struct, name_offset);
        m_struct.insert(m_struct.end(), value.begin(), value.end());
        pad();
        return *this;
    }
    FdtWriter& reserve(uint64_t address, uint64_t size) {
        m_reservations.emplace_back(address, size);
        return *this;
    }
    uint32_t string_offset(const std::string& name) {
        std::string all(m_strings.begin(), m_strings.end());
        size_t found = all.find(name + '\0');
        if (found != std::string::npos)
            return uint32_t(found);
        uint32_t offset = uint32_t(m_strings.size());
        m_strings.insert(m_strings.end(), name.begin(), name.end());
        m_strings.push_back(0);
        return offset;
    }
    void append_strings_raw(const Bytes& raw) { m_strings.insert(m_strings.end(), raw.begin(), raw.end()); }

    // Header (40 bytes), reservation block, structure block, strings block.
    Bytes build() const {
        Bytes out;
        uint32_t reservations_offset = 40;
        uint32_t struct_offset = reservations_offset + uint32_t(16 * (m_reservations.size() + 1));
        uint32_t strings_offset = struct_offset + uint32_t(m_struct.size());
        uint32_t total = strings_offset + uint32_t(m_strings.size());
        for (uint32_t field : { Fdt::k_magic, total, struct_offset, strings_offset, reservations_offset, 17u,
                 16u, 0u, uint32_t(m_strings.size()), uint32_t(m_struct.size()) })
            put_be32(out, field);
        for (auto [address, size] : m_reservations) {
            put_be64(out, address);
            put_be64(out, size);
        }
        put_be64(out, 0);
        put_be64(out, 0);
        out.insert(out.end(), m_struct.begin(), m_struct.end());
        out.insert(out.end(), m_strings.begin(), m_strings.end());
        return out;
    }

private:
    void pad() {
        while (m_struct.size() % 4 != 0)
            m_struct.push_back(0);
    }

    Bytes m_struct;
    Bytes m_strings;
    std::vector<std::pair<uint64_t, uint64_t>> m_reservations;
};

// Header field offsets.
constexpr size_t k_totalsize = 4, k_off_struct = 8, k_off_strings = 12, k_off_rsvmap = 16, k_version = 20,
                 k_last_comp = 24, k_size_strings = 32, k_size_struct = 36;

Bytes minimal_tree() {
    FdtWriter writer;
    writer.begin("").prop("#address-cells", { 2 }).prop("#size-cells", { 1 }).end().finish();
    return writer.build();
}

bool parses(const Bytes& bytes) {
    return !Fdt::from_bytes(bytes).is_error();
}

Bytes load_fixture(const std::string& name) {
    std::ifstream file(std::string(AKUMA_TEST_DATA_DIR) + "/" + name, std::ios::binary);
    EXPECT_TRUE(file.good()) << name;
    return Bytes(std::istreambuf_iterator<char>(file), {});
}

std::vector<std::string> child_names(FdtNode node) {
    std::vector<std::string> names;
    node.for_each_child([&](FdtNode child) { names.emplace_back(child.name()); });
    return names;
}

// Touches every part of the API; used on corrupted input, where only
// "returns without crashing" is asserted (ASan/UBSan do the checking).
size_t exercise(std::span<const uint8_t> bytes) {
    size_t work = 0;
    if (bytes.size() >= 8)
        work += Fdt::total_size_from_header(bytes.data()).value_or(0);
    auto parsed = Fdt::from_bytes(bytes);
    if (parsed.is_error())
        return work;
    const Fdt& fdt = parsed.value();
    fdt.for_each_memory_reservation([&](MemoryReservation) { ++work; });
    fdt.for_each_node([&](FdtNode node, size_t) {
        work += node.name().size();
        node.for_each_property([&](const FdtProperty& property) {
            work += property.name.size() + property.as_u32().value_or(0) + property.as_u64().value_or(0);
            work += property.as_string().has_value() + property.as_u32_or_u64().value_or(0);
            property.for_each_string([&](std::string_view string) { work += string.size(); });
        });
        auto count = node.reg_count();
        if (!count.is_error()) {
            for (size_t i = 0; i < count.value(); ++i)
                work += node.reg(i).value().size;
        }
        work += node.is_enabled() + node.child_address_cells();
    });
    for (const char* path : { "/", "/chosen", "/cpus/cpu@0", "/memory", "/reserved-memory" })
        work += fdt.find_node(path).has_value();
    auto info = parse_platform_info(fdt);
    if (!info.is_error())
        work += info.value().total_memory + info.value().virtio_slot_count;
    return work;
}

// ---- Header validation ----

TEST(FdtHeader, MinimalTreeParses) {
    auto bytes = minimal_tree();
    auto fdt = Fdt::from_bytes(bytes);
    ASSERT_FALSE(fdt.is_error());
    EXPECT_EQ(fdt.value().total_size(), bytes.size());
    EXPECT_EQ(fdt.value().version(), 17u);
    EXPECT_EQ(fdt.value().root().name(), "");
    EXPECT_TRUE(fdt.value().root().is_root());
}

TEST(FdtHeader, SpanMayBeLongerThanTotalSize) {
    auto bytes = minimal_tree();
    size_t size = bytes.size();
    bytes.resize(size + 100, 0xee);
    auto fdt = Fdt::from_bytes(bytes);
    ASSERT_FALSE(fdt.is_error());
    EXPECT_EQ(fdt.value().bytes().size(), size);
}

TEST(FdtHeader, EachCorruptedFieldIsRejected) {
    const Bytes good = minimal_tree();
    ASSERT_TRUE(parses(good));
    auto with = [&](size_t field, uint32_t value) {
        Bytes bytes = good;
        set_be32(bytes, field, value);
        return bytes;
    };
    uint32_t total = get_be32(good, k_totalsize);
    uint32_t struct_offset = get_be32(good, k_off_struct);
    uint32_t strings_offset = get_be32(good, k_off_strings);

    EXPECT_EQ(Fdt::from_bytes(with(0, 0xedfe0dd0)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_totalsize, total + 1)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_totalsize, 0xffffffff)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_totalsize, 39)).error(), Error::OutOfRange);
    EXPECT_TRUE(Fdt::from_bytes(with(k_totalsize, total - 1)).is_error()); // strings block sticks out
    EXPECT_EQ(Fdt::from_bytes(with(k_version, 15)).error(), Error::NotImplemented);
    EXPECT_EQ(Fdt::from_bytes(with(k_last_comp, 18)).error(), Error::NotImplemented);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_struct, struct_offset + 2)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_struct, 0)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_struct, 0xfffffffc)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_size_struct, 0xffffffff)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_size_struct, total)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_strings, 0xffffffff)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_strings, 4)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_size_strings, 0xffffffff)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_size_strings, total - strings_offset + 1)).error(), Error::OutOfRange);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_rsvmap, 44)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_rsvmap, 8)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(with(k_off_rsvmap, 0xfffffff8)).error(), Error::OutOfRange);
    // A struct block shorter than the tree loses FDT_END.
    EXPECT_EQ(
        Fdt::from_bytes(with(k_size_struct, get_be32(good, k_size_struct) - 4)).error(), Error::Invalid);
}

TEST(FdtHeader, ShortSpansAreRejected) {
    const Bytes good = minimal_tree();
    for (size_t length = 0; length < good.size(); ++length)
        EXPECT_TRUE(Fdt::from_bytes(std::span(good).first(length)).is_error()) << length;
}

TEST(FdtHeader, ReservationBlockNeedsItsTerminator) {
    Bytes bytes = FdtWriter().reserve(0x1000, 0x2000).begin("").end().finish().build();
    ASSERT_TRUE(parses(bytes));
    // Point the reservation block at the last 16 bytes: no (0, 0) entry fits.
    Bytes moved = bytes;
    uint32_t total = get_be32(bytes, k_totalsize);
    set_be32(moved, k_off_rsvmap, (total - 8) & ~7u);
    std::fill(moved.end() - 8, moved.end(), 0xff);
    EXPECT_TRUE(Fdt::from_bytes(moved).is_error());
}

TEST(FdtHeader, Version16IsAccepted) {
    Bytes bytes = minimal_tree();
    set_be32(bytes, k_version, 16);
    set_be32(bytes, k_size_struct, 0xdeadbeef); // not a v16 field
    auto fdt = Fdt::from_bytes(bytes);
    ASSERT_FALSE(fdt.is_error());
    EXPECT_EQ(fdt.value().version(), 16u);
    EXPECT_TRUE(fdt.value().root().property("#size-cells").has_value());
}

TEST(FdtHeader, UsedSizeEndsAtTheLastBlock) {
    // QEMU hands over a 1 MiB blob with a few KiB of tree in it: the free
    // space after the blocks is part of totalsize but not of used_size.
    Bytes bytes = minimal_tree();
    size_t tree_size = bytes.size();
    bytes.resize(tree_size + 64 * 1024, 0);
    set_be32(bytes, k_totalsize, uint32_t(bytes.size()));
    auto fdt = Fdt::from_bytes(bytes);
    ASSERT_FALSE(fdt.is_error());
    EXPECT_EQ(fdt.value().total_size(), bytes.size());
    EXPECT_EQ(fdt.value().used_size(), tree_size);
}

TEST(FdtHeader, TotalSizeFromHeader) {
    Bytes bytes = minimal_tree();
    EXPECT_EQ(Fdt::total_size_from_header(bytes.data()), bytes.size());
    set_be32(bytes, k_totalsize, 0x100000);
    EXPECT_EQ(Fdt::total_size_from_header(bytes.data()), 0x100000u);
    set_be32(bytes, k_totalsize, 12);
    EXPECT_EQ(Fdt::total_size_from_header(bytes.data()), std::nullopt);
    bytes[0] = 0;
    set_be32(bytes, k_totalsize, 0x100000);
    EXPECT_EQ(Fdt::total_size_from_header(bytes.data()), std::nullopt);
}

// ---- Walking and property access ----

Bytes sample_tree() {
    FdtWriter w;
    w.reserve(0x48000000, 0x100000).reserve(0x49000000, 0x2000);
    w.begin("").prop("#address-cells", { 2 }).prop("#size-cells", { 2 }).prop_string("model", "sample");
    w.nop();
    w.begin("chosen").prop_string("bootargs", "console=ttyAMA0 quiet").end();
    w.begin("soc").prop("#address-cells", { 1 }).prop("#size-cells", { 1 }).prop("ranges", Bytes {});
    w.begin("uart@1000")
        .prop("compatible", strings({ "vendor,uart", "arm,pl011" }))
        .prop("reg", { 0x1000, 0x100, 0x2000, 0x10 })
        .prop("phandle", { 7 })
        .end();
    w.begin("timer@3000").nop().prop("reg", { 0x3000, 0x20 }).prop_string("status", "disabled").end();
    w.end(); // soc
    w.begin("memory@40000000")
        .prop_string("device_type", "memory")
        .prop("reg", { 0, 0x40000000, 0, 0x8000000 })
        .end();
    w.begin("defaults").begin("dev@5").prop("reg", { 0, 5, 6 }).end().end();
    w.begin("wide").prop("#address-cells", { 3 }).begin("dev@1").prop("reg", { 0, 0, 1, 2 }).end().end();
    w.begin("empty-data")
        .prop("flag", Bytes {})
        .prop("raw", Bytes { 'a', 'b' })
        .prop("u64", cells({ 1, 2 }))
        .end();
    w.end().finish();
    return w.build();
}

TEST(FdtWalk, ChildrenAndNames) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    const Fdt& fdt = parsed.value();
    EXPECT_EQ(child_names(fdt.root()),
        (std::vector<std::string> { "chosen", "soc", "memory@40000000", "defaults", "wide", "empty-data" }));
    auto soc = fdt.find_node("/soc");
    ASSERT_TRUE(soc);
    EXPECT_EQ(child_names(*soc), (std::vector<std::string> { "uart@1000", "timer@3000" }));
    EXPECT_TRUE(child_names(*fdt.find_node("/chosen")).empty());

    // A visitor returning false stops the walk.
    std::vector<std::string> first;
    fdt.root().for_each_child([&](FdtNode node) {
        first.emplace_back(node.name());
        return false;
    });
    EXPECT_EQ(first, std::vector<std::string> { "chosen" });

    std::vector<std::pair<std::string, size_t>> all;
    fdt.for_each_node([&](FdtNode node, size_t depth) { all.emplace_back(node.name(), depth); });
    ASSERT_EQ(all.size(), 11u);
    EXPECT_EQ(all[0], (std::pair<std::string, size_t> { "", 0 }));
    EXPECT_EQ(all[3], (std::pair<std::string, size_t> { "uart@1000", 2 }));
    EXPECT_EQ(all[7], (std::pair<std::string, size_t> { "dev@5", 2 }));
    EXPECT_EQ(all[10], (std::pair<std::string, size_t> { "empty-data", 1 }));
}

TEST(FdtWalk, FindNodeAndParent) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    const Fdt& fdt = parsed.value();
    EXPECT_EQ(fdt.find_node("/")->offset(), fdt.root().offset());
    EXPECT_EQ(fdt.find_node("/soc/uart@1000")->name(), "uart@1000");
    EXPECT_EQ(fdt.find_node("/soc/uart")->name(), "uart@1000"); // unit address omitted
    EXPECT_EQ(fdt.find_node("/memory")->name(), "memory@40000000");
    EXPECT_EQ(fdt.find_node("/soc/uart/"), fdt.find_node("/soc/uart@1000"));
    EXPECT_FALSE(fdt.find_node("/soc/uart@2000"));
    EXPECT_FALSE(fdt.find_node("/so"));
    EXPECT_FALSE(fdt.find_node("/uart@1000"));
    EXPECT_FALSE(fdt.find_node("soc"));
    EXPECT_FALSE(fdt.find_node(""));

    auto timer = fdt.find_node("/soc/timer@3000");
    ASSERT_TRUE(timer);
    auto soc = timer->parent();
    ASSERT_TRUE(soc);
    EXPECT_EQ(soc->name(), "soc");
    auto root = soc->parent();
    ASSERT_TRUE(root);
    EXPECT_TRUE(root->is_root());
    EXPECT_FALSE(root->parent());
}

TEST(FdtWalk, Properties) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    const Fdt& fdt = parsed.value();
    EXPECT_EQ(fdt.root().property("model")->as_string(), "sample");
    EXPECT_FALSE(fdt.root().property("mode"));
    EXPECT_EQ(fdt.find_node("/chosen")->property("bootargs")->as_string(), "console=ttyAMA0 quiet");

    std::vector<std::string> names;
    fdt.root().for_each_property([&](const FdtProperty& property) { names.emplace_back(property.name); });
    EXPECT_EQ(names, (std::vector<std::string> { "#address-cells", "#size-cells", "model" }));

    auto node = *fdt.find_node("/empty-data");
    auto flag = node.property("flag");
    ASSERT_TRUE(flag);
    EXPECT_TRUE(flag->data.empty());
    EXPECT_FALSE(flag->as_string());
    EXPECT_FALSE(flag->as_u32());
    EXPECT_FALSE(node.property("raw")->as_string()); // no NUL
    auto u64 = node.property("u64");
    EXPECT_EQ(u64->as_u64(), 0x100000002u);
    EXPECT_EQ(u64->as_u32_or_u64(), 0x100000002u);
    EXPECT_FALSE(u64->as_u32());
    EXPECT_EQ(u64->cell_count(), 2u);
    EXPECT_EQ(u64->cell(1), 2u);
    EXPECT_FALSE(u64->cell(2));
    EXPECT_EQ(fdt.root().property("#size-cells")->as_u32_or_u64(), 2u);
    EXPECT_FALSE(fdt.root().property("#size-cells")->as_u64());

    auto uart = *fdt.find_node("/soc/uart");
    std::vector<std::string> compatibles;
    uart.property("compatible")->for_each_string([&](std::string_view s) { compatibles.emplace_back(s); });
    EXPECT_EQ(compatibles, (std::vector<std::string> { "vendor,uart", "arm,pl011" }));
    EXPECT_TRUE(uart.is_compatible("arm,pl011"));
    EXPECT_FALSE(uart.is_compatible("arm,pl01"));
    EXPECT_FALSE(uart.property("compatible")->as_string()); // two strings
    EXPECT_TRUE(uart.is_enabled());
    EXPECT_FALSE(fdt.find_node("/soc/timer")->is_enabled());
}

TEST(FdtWalk, StringListIgnoresUnterminatedTail) {
    Bytes data = { 'a', 0, 'b', 'c', 0, 'd' };
    FdtProperty property { "compatible", data };
    std::vector<std::string> seen;
    property.for_each_string([&](std::string_view s) { seen.emplace_back(s); });
    EXPECT_EQ(seen, (std::vector<std::string> { "a", "bc" }));
    EXPECT_TRUE(property.contains_string("bc"));
    EXPECT_FALSE(property.contains_string("d"));
    EXPECT_FALSE(property.as_string());
    Bytes empty_string = { 0 };
    EXPECT_EQ((FdtProperty { "x", empty_string }).as_string(), "");
}

TEST(FdtWalk, FindCompatibleAndPhandle) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    const Fdt& fdt = parsed.value();
    std::vector<std::string> found;
    fdt.find_compatible("arm,pl011", [&](FdtNode node) { found.emplace_back(node.name()); });
    EXPECT_EQ(found, std::vector<std::string> { "uart@1000" });
    found.clear();
    fdt.find_compatible("nothing", [&](FdtNode node) { found.emplace_back(node.name()); });
    EXPECT_TRUE(found.empty());
    EXPECT_EQ(fdt.find_by_phandle(7)->name(), "uart@1000");
    EXPECT_FALSE(fdt.find_by_phandle(8));
    EXPECT_FALSE(fdt.find_by_phandle(0));
}

TEST(FdtWalk, Reg) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    const Fdt& fdt = parsed.value();

    auto uart = *fdt.find_node("/soc/uart"); // 1 + 1 cells
    ASSERT_EQ(uart.reg_count().value(), 2u);
    EXPECT_EQ(uart.reg(0).value().address, 0x1000u);
    EXPECT_EQ(uart.reg(0).value().size, 0x100u);
    EXPECT_EQ(uart.reg(1).value().address, 0x2000u);
    EXPECT_EQ(uart.reg(1).value().size, 0x10u);
    EXPECT_EQ(uart.reg(2).error(), Error::OutOfRange);

    auto memory = *fdt.find_node("/memory"); // 2 + 2 cells
    EXPECT_EQ(memory.reg(0).value().address, 0x40000000u);
    EXPECT_EQ(memory.reg(0).value().size, 0x8000000u);

    auto defaults = *fdt.find_node("/defaults/dev@5"); // parent without cells: 2 + 1
    ASSERT_EQ(defaults.reg_count().value(), 1u);
    EXPECT_EQ(defaults.reg(0).value().address, 5u);
    EXPECT_EQ(defaults.reg(0).value().size, 6u);

    EXPECT_EQ(fdt.find_node("/wide/dev")->reg(0).error(), Error::NotImplemented); // 3 address cells
    EXPECT_EQ(fdt.find_node("/chosen")->reg_count().error(), Error::NotFound);
    EXPECT_EQ(fdt.root().reg(0).error(), Error::NotFound);
}

TEST(FdtWalk, RegLengthMustMatchCells) {
    FdtWriter w;
    w.begin("").prop("#address-cells", { 1 }).prop("#size-cells", { 0 });
    w.begin("cpu@0").prop("reg", { 3 }).end();
    w.begin("odd").prop("reg", Bytes { 0, 0, 0, 1, 0, 0 }).end();
    w.end().finish();
    Bytes bytes = w.build();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    auto cpu = parsed.value().find_node("/cpu@0");
    EXPECT_EQ(cpu->reg(0).value().address, 3u);
    EXPECT_EQ(cpu->reg(0).value().size, 0u);
    EXPECT_EQ(parsed.value().find_node("/odd")->reg_count().error(), Error::Invalid);
}

TEST(FdtWalk, MemoryReservations) {
    Bytes bytes = sample_tree();
    auto parsed = Fdt::from_bytes(bytes);
    ASSERT_FALSE(parsed.is_error());
    std::vector<std::pair<uint64_t, uint64_t>> seen;
    parsed.value().for_each_memory_reservation(
        [&](MemoryReservation r) { seen.emplace_back(r.address, r.size); });
    EXPECT_EQ(seen,
        (std::vector<std::pair<uint64_t, uint64_t>> { { 0x48000000, 0x100000 }, { 0x49000000, 0x2000 } }));
}

TEST(FdtWalk, WorksOnUnalignedBytes) {
    Bytes bytes = load_fixture("virt-gicv2-128M.dtb");
    for (size_t shift = 1; shift < 8; ++shift) {
        Bytes shifted(shift, 0);
        shifted.insert(shifted.end(), bytes.begin(), bytes.end());
        std::span<const uint8_t> view = std::span(shifted).subspan(shift);
        EXPECT_EQ(Fdt::total_size_from_header(view.data()), bytes.size());
        auto parsed = Fdt::from_bytes(view);
        ASSERT_FALSE(parsed.is_error());
        auto info = parse_platform_info(parsed.value());
        ASSERT_FALSE(info.is_error());
        EXPECT_EQ(info.value().total_memory, 128u << 20);
        EXPECT_EQ(info.value().virtio_slot_count, 32u);
    }
}

// ---- Malformed structure blocks ----

TEST(FdtMalformed, TruncatedToken) {
    FdtWriter w;
    w.begin("").end().finish();
    Bytes bytes = w.build();
    set_be32(bytes, k_size_struct, get_be32(bytes, k_size_struct) - 2); // FDT_END cut in half
    EXPECT_EQ(Fdt::from_bytes(bytes).error(), Error::Invalid);
}

TEST(FdtMalformed, UnterminatedNodeName) {
    FdtWriter w;
    w.begin("");
    w.token(1);
    for (char c : std::string("abcdefgh")) // name running to the end of the block
        w.token(uint32_t(c) * 0x01010101u);
    EXPECT_EQ(Fdt::from_bytes(w.build()).error(), Error::Invalid);
}

TEST(FdtMalformed, PropertyLengthOverflowsBlock) {
    for (uint32_t length : { 8u, 100u, 0x7fffffffu, 0xfffffffcu, 0xffffffffu }) {
        FdtWriter w;
        w.begin("");
        w.raw_prop(w.string_offset("x"), length, Bytes(4, 0));
        w.end().finish();
        EXPECT_EQ(Fdt::from_bytes(w.build()).error(), Error::Invalid) << length;
    }
}

TEST(FdtMalformed, NameOffsetOutsideStrings) {
    for (uint32_t name_offset : { 2u, 3u, 1000u, 0xffffffffu }) {
        FdtWriter w;
        w.string_offset("a"); // strings block: "a\0" (2 bytes)
        w.begin("");
        w.raw_prop(name_offset, 0, {});
        w.end().finish();
        EXPECT_EQ(Fdt::from_bytes(w.build()).error(), Error::Invalid) << name_offset;
    }
}

TEST(FdtMalformed, UnterminatedPropertyName) {
    FdtWriter w;
    w.string_offset("a");
    w.append_strings_raw({ 'x', 'y' }); // a name at offset 2 that never ends
    w.begin("");
    w.raw_prop(2, 0, {});
    w.end().finish();
    EXPECT_EQ(Fdt::from_bytes(w.build()).error(), Error::Invalid);
}

Bytes nested(size_t depth) {
    FdtWriter w;
    for (size_t i = 0; i < depth; ++i)
        w.begin(i == 0 ? "" : "n");
    for (size_t i = 0; i < depth; ++i)
        w.end();
    w.finish();
    return w.build();
}

TEST(FdtMalformed, NestingLimit) {
    Bytes deepest = nested(Fdt::k_max_depth);
    auto parsed = Fdt::from_bytes(deepest);
    ASSERT_FALSE(parsed.is_error());
    size_t max_depth = 0, count = 0;
    parsed.value().for_each_node([&](FdtNode, size_t depth) {
        max_depth = std::max(max_depth, depth);
        ++count;
    });
    EXPECT_EQ(count, Fdt::k_max_depth);
    EXPECT_EQ(max_depth, Fdt::k_max_depth - 1);
    EXPECT_EQ(Fdt::from_bytes(nested(Fdt::k_max_depth + 1)).error(), Error::Invalid);
    EXPECT_EQ(Fdt::from_bytes(nested(10000)).error(), Error::Invalid);
}

TEST(FdtMalformed, StructuralErrors) {
    auto rejected = [](FdtWriter& w) { return Fdt::from_bytes(w.build()).error() == Error::Invalid; };
    {
        FdtWriter w; // END_NODE without BEGIN_NODE
        w.end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // extra END_NODE after the root
        w.begin("").end().end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // missing FDT_END
        w.begin("").end();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // missing FDT_END, followed by NOPs only
        w.begin("").end().nop().nop();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // FDT_END inside a node
        w.begin("").begin("a").finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // no root at all
        w.finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // two roots
        w.begin("").end().begin("").end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // property outside any node
        w.prop("x", { 1 }).begin("").end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // property after a subnode
        w.begin("").begin("a").end().prop("x", { 1 }).end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // unknown token
        w.begin("").token(5).end().finish();
        EXPECT_TRUE(rejected(w));
    }
    {
        FdtWriter w; // NOPs anywhere are fine
        w.nop().begin("").nop().prop("x", { 1 }).nop().begin("a").nop().end().nop().end().nop().finish();
        auto bytes = w.build();
        auto parsed = Fdt::from_bytes(bytes);
        ASSERT_FALSE(parsed.is_error());
        EXPECT_EQ(parsed.value().root().property("x")->as_u32(), 1u);
        EXPECT_EQ(child_names(parsed.value().root()), std::vector<std::string> { "a" });
    }
}

// ---- Real QEMU trees ----

struct Fixture {
    Bytes bytes;
    std::optional<Fdt> fdt;
    PlatformInfo info;
};

void load(Fixture& fixture, const std::string& name) {
    fixture.bytes = load_fixture(name);
    auto parsed = Fdt::from_bytes(fixture.bytes);
    ASSERT_FALSE(parsed.is_error());
    fixture.fdt.emplace(parsed.value());
    auto info = parse_platform_info(*fixture.fdt);
    ASSERT_FALSE(info.is_error()) << error_name(info.error());
    fixture.info = info.value();
}

void expect_common_virt(const PlatformInfo& info) {
    ASSERT_EQ(info.memory_range_count, 1u);
    EXPECT_EQ(info.memory_ranges[0].base, 0x40000000u);
    EXPECT_FALSE(info.memory_ranges_truncated);
    EXPECT_EQ(info.reserved_range_count, 0u);
    EXPECT_EQ(info.stdout_path, "/pl011@9000000");
    // QEMU's boot-loader randomness in /chosen.
    EXPECT_EQ(info.rng_seed.size(), 32u);
    EXPECT_TRUE(info.kaslr_seed);

    ASSERT_TRUE(info.uart);
    EXPECT_EQ(info.uart->range.base, 0x9000000u);
    EXPECT_EQ(info.uart->range.size, 0x1000u);
    EXPECT_EQ(info.uart->interrupt, 33u); // SPI 1

    ASSERT_TRUE(info.rtc);
    EXPECT_EQ(info.rtc->range.base, 0x9010000u);
    EXPECT_EQ(info.rtc->interrupt, 34u);

    ASSERT_TRUE(info.timer);
    EXPECT_EQ(info.timer->secure_physical, 29u);
    EXPECT_EQ(info.timer->nonsecure_physical, 30u);
    EXPECT_EQ(info.timer->virtual_timer, 27u);
    EXPECT_EQ(info.timer->hypervisor, 26u);

    ASSERT_EQ(info.virtio_slot_count, 32u);
    EXPECT_FALSE(info.virtio_slots_truncated);
    for (size_t i = 0; i < 32; ++i) {
        EXPECT_EQ(info.virtio_slots[i].range.base, 0xa000000u + 0x200 * i);
        EXPECT_EQ(info.virtio_slots[i].range.size, 0x200u);
        EXPECT_EQ(info.virtio_slots[i].interrupt, 48u + i); // SPIs 16..47
    }
    EXPECT_EQ(info.psci_method, PsciMethod::Hvc);
    EXPECT_EQ(info.cpu_count, 1u);
}

TEST(FdtQemu, VirtGicV2) {
    Fixture f;
    load(f, "virt-gicv2-128M.dtb");
    expect_common_virt(f.info);
    EXPECT_EQ(f.info.total_memory, 128u << 20);
    EXPECT_EQ(f.info.memory_ranges[0].size, 128u << 20);
    ASSERT_TRUE(f.info.gic);
    EXPECT_EQ(f.info.gic->version, GicVersion::V2);
    EXPECT_EQ(f.info.gic->distributor.base, 0x8000000u);
    EXPECT_EQ(f.info.gic->distributor.size, 0x10000u);
    EXPECT_EQ(f.info.gic->cpu_interface.base, 0x8010000u);
    EXPECT_EQ(f.info.gic->cpu_interface.size, 0x10000u);
    EXPECT_EQ(f.info.cpu_compatible, "arm,cortex-a76");
    EXPECT_EQ(f.info.bootargs, "");
    EXPECT_FALSE(f.info.initrd);
    EXPECT_EQ(f.fdt->find_node("/cpus/cpu@0")->reg(0).value().address, 0u);
    EXPECT_EQ(f.fdt->find_node("/intc/v2m")->reg(0).value().address, 0x8020000u);
}

TEST(FdtQemu, VirtGicV3) {
    Fixture f;
    load(f, "virt-gicv3-2G.dtb");
    expect_common_virt(f.info);
    EXPECT_EQ(f.info.total_memory, 2ull << 30);
    ASSERT_TRUE(f.info.gic);
    EXPECT_EQ(f.info.gic->version, GicVersion::V3);
    EXPECT_EQ(f.info.gic->distributor.base, 0x8000000u);
    EXPECT_EQ(f.info.gic->distributor.size, 0x10000u);
    EXPECT_EQ(f.info.gic->redistributor.base, 0x80a0000u);
    EXPECT_EQ(f.info.gic->redistributor.size, 0xf60000u);
    EXPECT_EQ(f.info.cpu_compatible, "arm,cortex-a76");
}

TEST(FdtQemu, VirtA53WithInitrd) {
    Fixture f;
    load(f, "virt-a53-16M-initrd.dtb");
    expect_common_virt(f.info);
    EXPECT_EQ(f.info.total_memory, 16u << 20);
    EXPECT_EQ(f.info.gic->version, GicVersion::V2);
    EXPECT_EQ(f.info.cpu_compatible, "arm,cortex-a53");
    EXPECT_EQ(f.info.bootargs, "test crashtest=null msg=\"a b\"");
    ASSERT_TRUE(f.info.initrd);
    EXPECT_EQ(f.info.initrd->start, 0x40800000u);
    EXPECT_EQ(f.info.initrd->end, 0x40800000u + 26); // the 26-byte initrd file
    // The strings point into the blob itself.
    EXPECT_GE(f.info.bootargs.data(), reinterpret_cast<const char*>(f.bytes.data()));
    EXPECT_LT(f.info.bootargs.data(), reinterpret_cast<const char*>(f.bytes.data() + f.bytes.size()));
}

// ---- Robustness sweeps over a real tree (meaningful under ASan/UBSan) ----

TEST(FdtSweep, EveryTruncationIsRejectedOrSafe) {
    const Bytes bytes = load_fixture("virt-gicv2-128M.dtb");
    for (size_t length = 0; length < bytes.size(); ++length) {
        // Exactly the bytes available: nothing past them may be touched.
        Bytes cut(bytes.begin(), bytes.begin() + length);
        EXPECT_TRUE(Fdt::from_bytes(cut).is_error()) << length;
        // Same cut with totalsize claiming only what is there.
        if (length >= 8) {
            set_be32(cut, k_totalsize, uint32_t(length));
            exercise(cut);
        }
    }
}

TEST(FdtSweep, EverySingleByteFlip) {
    const Bytes bytes = load_fixture("virt-a53-16M-initrd.dtb");
    size_t accepted = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        Bytes flipped = bytes;
        flipped[i] ^= 0xff;
        accepted += Fdt::from_bytes(flipped).is_error() ? 0 : 1;
        exercise(flipped);
    }
    // Flips inside property values leave a valid tree; header flips do not.
    EXPECT_GT(accepted, 0u);
    EXPECT_LT(accepted, bytes.size());
}

// ---- parse_platform_info on synthetic trees ----

ErrorOr<PlatformInfo> info_of(const Bytes& bytes) {
    auto parsed = Fdt::from_bytes(bytes);
    EXPECT_FALSE(parsed.is_error());
    if (parsed.is_error())
        return parsed.error();
    return parse_platform_info(parsed.value());
}

// Root with 2/2 cells and a GIC (phandle 1) as the default interrupt parent.
FdtWriter& virt_like_root(FdtWriter& w) {
    w.begin("").prop("#address-cells", { 2 }).prop("#size-cells", { 2 }).prop("interrupt-parent", { 1 });
    w.begin("intc@8000000")
        .prop("compatible", strings({ "arm,gic-400" }))
        .prop("#interrupt-cells", { 3 })
        .prop("interrupt-controller", Bytes {})
        .prop("reg", { 0, 0x8000000, 0, 0x1000, 0, 0x8010000, 0, 0x2000 })
        .prop("phandle", { 1 })
        .end();
    return w;
}

FdtWriter& memory_node(FdtWriter& w, uint64_t base, uint64_t size) {
    return w.begin("memory")
        .prop_string("device_type", "memory")
        .prop("reg", { uint32_t(base >> 32), uint32_t(base), uint32_t(size >> 32), uint32_t(size) })
        .end();
}

TEST(PlatformInfo, NoMemoryIsAnError) {
    FdtWriter w;
    virt_like_root(w).end().finish();
    EXPECT_EQ(info_of(w.build()).error(), Error::NotFound);
}

TEST(PlatformInfo, MemoryRangesAndOverflow) {
    FdtWriter w;
    virt_like_root(w);
    w.begin("memory@0").prop_string("device_type", "memory");
    std::vector<uint32_t> reg;
    for (uint32_t i = 0; i < 20; ++i) {
        for (uint32_t cell : { 1u, i << 20, 0u, 0x10000u })
            reg.push_back(cell);
    }
    Bytes reg_bytes;
    for (uint32_t cell : reg)
        put_be32(reg_bytes, cell);
    w.prop("reg", reg_bytes).end();
    memory_node(w, 0x80000000, 0); // empty ranges are skipped
    w.begin("memory@disabled")
        .prop_string("device_type", "memory")
        .prop_string("status", "disabled")
        .prop("reg", { 0, 0, 0, 0x1000 })
        .end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_EQ(info.value().memory_range_count, PlatformInfo::k_max_memory_ranges);
    EXPECT_TRUE(info.value().memory_ranges_truncated);
    EXPECT_EQ(info.value().memory()[15].base, 0x100000000u + (15u << 20));
    EXPECT_EQ(info.value().total_memory, 16u * 0x10000);
}

TEST(PlatformInfo, MemoryRangeThatWrapsIsAnError) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0xffffffffffff0000, 0x20000);
    w.end().finish();
    EXPECT_EQ(info_of(w.build()).error(), Error::Overflow);
}

TEST(PlatformInfo, MemoryWithBadCellsIsAnError) {
    FdtWriter w;
    w.begin("").prop("#address-cells", { 4 });
    w.begin("memory").prop_string("device_type", "memory").prop("reg", { 0, 0, 0, 0, 1 }).end();
    w.end().finish();
    EXPECT_EQ(info_of(w.build()).error(), Error::NotImplemented);
}

TEST(PlatformInfo, ReservedMemory) {
    FdtWriter w;
    w.reserve(0x40000000, 0x1000).reserve(0x41000000, 0);
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x10000000);
    w.begin("reserved-memory")
        .prop("#address-cells", { 1 })
        .prop("#size-cells", { 1 })
        .prop("ranges", Bytes {});
    w.begin("fw@48000000").prop("reg", { 0x48000000, 0x200000, 0x49000000, 0x1000 }).end();
    w.begin("pool").prop("size", { 0x100000 }).end(); // dynamic: no reg
    w.end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    auto reserved = info.value().reserved();
    ASSERT_EQ(reserved.size(), 3u);
    EXPECT_EQ(reserved[0].base, 0x40000000u);
    EXPECT_EQ(reserved[0].size, 0x1000u);
    EXPECT_EQ(reserved[1].base, 0x48000000u);
    EXPECT_EQ(reserved[1].size, 0x200000u);
    EXPECT_EQ(reserved[2].base, 0x49000000u);
}

TEST(PlatformInfo, TooManyReservationsIsAnError) {
    FdtWriter w;
    for (uint64_t i = 0; i < PlatformInfo::k_max_reserved_ranges + 1; ++i)
        w.reserve(0x40000000 + i * 0x1000, 0x1000);
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x10000000);
    w.end().finish();
    EXPECT_EQ(info_of(w.build()).error(), Error::TooBig);
}

TEST(PlatformInfo, ChosenAndUartSelection) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x1000000);
    w.begin("aliases").prop_string("serial1", "/uart@9100000").end();
    w.begin("chosen")
        .prop_string("stdout-path", "serial1:115200n8")
        .prop("linux,initrd-start", cells({ 0, 0x48000000 }))
        .prop("linux,initrd-end", { 0x48001000 })
        .prop_string("bootargs", "a=b")
        .end();
    w.begin("uart@9000000")
        .prop("compatible", strings({ "arm,pl011" }))
        .prop("reg", { 0, 0x9000000, 0, 0x1000 })
        .prop("interrupts", { 0, 1, 4 })
        .end();
    w.begin("uart@9100000")
        .prop("compatible", strings({ "arm,pl011" }))
        .prop("reg", { 0, 0x9100000, 0, 0x1000 })
        .prop("interrupts", { 0, 2, 4 })
        .end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_EQ(info.value().stdout_path, "serial1:115200n8");
    EXPECT_EQ(info.value().bootargs, "a=b");
    ASSERT_TRUE(info.value().initrd);
    EXPECT_EQ(info.value().initrd->start, 0x48000000u);
    EXPECT_EQ(info.value().initrd->end, 0x48001000u);
    ASSERT_TRUE(info.value().uart);
    EXPECT_EQ(info.value().uart->range.base, 0x9100000u);
    EXPECT_EQ(info.value().uart->interrupt, 34u);
}

TEST(PlatformInfo, FallsBackToFirstEnabledUart) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x1000000);
    w.begin("chosen")
        .prop_string("stdout-path", "/nowhere")
        .prop("linux,initrd-start", { 9 })
        .prop("linux,initrd-end", { 8 })
        .end();
    w.begin("uart@1")
        .prop("compatible", strings({ "arm,pl011" }))
        .prop_string("status", "disabled")
        .prop("reg", { 0, 0x1000, 0, 0x1000 })
        .end();
    w.begin("uart@2")
        .prop("compatible", strings({ "arm,pl011" }))
        .prop("reg", { 0, 0x2000, 0, 0x1000 })
        .end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_FALSE(info.value().initrd); // end before start
    ASSERT_TRUE(info.value().uart);
    EXPECT_EQ(info.value().uart->range.base, 0x2000u);
    EXPECT_FALSE(info.value().uart->interrupt); // no interrupts property
}

TEST(PlatformInfo, InterruptsNeedAGicParent) {
    FdtWriter w;
    w.begin("").prop("#address-cells", { 1 }).prop("#size-cells", { 1 }).prop("interrupt-parent", { 2 });
    w.begin("memory").prop_string("device_type", "memory").prop("reg", { 0x40000000, 0x1000000 }).end();
    w.begin("other-intc")
        .prop("compatible", strings({ "vendor,intc" }))
        .prop("#interrupt-cells", { 3 })
        .prop("phandle", { 2 })
        .end();
    w.begin("gic")
        .prop("compatible", strings({ "arm,gic-v3" }))
        .prop("#interrupt-cells", { 3 })
        .prop("phandle", { 3 })
        .prop("reg", { 0x8000000, 0x10000, 0x80a0000, 0xf60000 })
        .end();
    w.begin("rtc")
        .prop("compatible", strings({ "arm,pl031" }))
        .prop("reg", { 0x9010000, 0x1000 })
        .prop("interrupts", { 0, 2, 4 })
        .end();
    w.begin("virtio@a")
        .prop("compatible", strings({ "virtio,mmio" }))
        .prop("reg", { 0xa000000, 0x200 })
        .prop("interrupt-parent", { 3 })
        .prop("interrupts", { 1, 5, 4 })
        .end();
    w.begin("virtio@b")
        .prop("compatible", strings({ "virtio,mmio" }))
        .prop("reg", { 0xa000200, 0x200 })
        .prop("interrupt-parent", { 3 })
        .prop("interrupts", { 2, 5, 4 })
        .end(); // bad type
    w.begin("virtio@c")
        .prop("compatible", strings({ "virtio,mmio" }))
        .prop("reg", { 0xa000400, 0x200 })
        .prop("interrupt-parent", { 3 })
        .prop("interrupts", { 0, 5 })
        .end(); // short specifier
    w.begin("timer")
        .prop("compatible", strings({ "arm,armv8-timer" }))
        .prop("interrupt-parent", { 3 })
        .prop("interrupts", { 1, 13, 4, 1, 14, 4, 1, 16, 4 })
        .end(); // PPI 16 does not exist
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_EQ(info.value().memory()[0].size, 0x1000000u);
    ASSERT_TRUE(info.value().rtc);
    EXPECT_FALSE(info.value().rtc->interrupt); // parent is not a GIC
    ASSERT_EQ(info.value().virtio_slot_count, 3u);
    EXPECT_EQ(info.value().virtio()[0].interrupt, 21u); // PPI 5
    EXPECT_FALSE(info.value().virtio()[1].interrupt);
    EXPECT_FALSE(info.value().virtio()[2].interrupt);
    ASSERT_TRUE(info.value().timer);
    EXPECT_EQ(info.value().timer->secure_physical, 29u);
    EXPECT_EQ(info.value().timer->nonsecure_physical, 30u);
    EXPECT_FALSE(info.value().timer->virtual_timer);
    EXPECT_FALSE(info.value().timer->hypervisor);
    ASSERT_TRUE(info.value().gic);
    EXPECT_EQ(info.value().gic->version, GicVersion::V3);
    EXPECT_EQ(info.value().gic->redistributor.base, 0x80a0000u);
    EXPECT_FALSE(info.value().uart);
    EXPECT_FALSE(info.value().psci_method);
    EXPECT_EQ(info.value().cpu_count, 0u);
}

TEST(PlatformInfo, OnlyIdentityMappedBusesAreUsed) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x1000000);
    w.begin("flat-bus").prop("#address-cells", { 1 }).prop("#size-cells", { 1 }).prop("ranges", Bytes {});
    w.begin("virtio@100")
        .prop("compatible", strings({ "virtio,mmio" }))
        .prop("reg", { 0x100, 0x200 })
        .prop("interrupts", { 0, 3, 1 })
        .end();
    w.end();
    w.begin("mapped-bus")
        .prop("#address-cells", { 1 })
        .prop("#size-cells", { 1 })
        .prop("ranges", { 0, 0, 0x10000000, 0x1000000 });
    w.begin("virtio@0").prop("compatible", strings({ "virtio,mmio" })).prop("reg", { 0, 0x200 }).end();
    w.end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    ASSERT_EQ(info.value().virtio_slot_count, 1u);
    EXPECT_EQ(info.value().virtio()[0].range.base, 0x100u);
    EXPECT_EQ(info.value().virtio()[0].interrupt, 35u); // inherited interrupt-parent
}

TEST(PlatformInfo, VirtioOverflowAndPsciSmcAndCpus) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x1000000);
    for (uint32_t i = 0; i < PlatformInfo::k_max_virtio_slots + 3; ++i) {
        w.begin("virtio_mmio@" + std::to_string(i))
            .prop("compatible", strings({ "virtio,mmio" }))
            .prop("reg", { 0, 0xa000000 + i * 0x200, 0, 0x200 })
            .end();
    }
    w.begin("psci")
        .prop("compatible", strings({ "arm,psci-0.2", "arm,psci" }))
        .prop_string("method", "smc")
        .end();
    w.begin("cpus").prop("#address-cells", { 1 }).prop("#size-cells", { 0 });
    w.begin("cpu-map").end();
    for (uint32_t i = 0; i < 4; ++i) {
        w.begin("cpu@" + std::to_string(i))
            .prop_string("device_type", "cpu")
            .prop("compatible", strings({ i == 0 ? "arm,cortex-a72" : "arm,cortex-a53", "arm,armv8" }))
            .prop("reg", { i })
            .end();
    }
    w.end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_EQ(info.value().virtio_slot_count, PlatformInfo::k_max_virtio_slots);
    EXPECT_TRUE(info.value().virtio_slots_truncated);
    EXPECT_EQ(info.value().virtio()[63].range.base, 0xa000000u + 63 * 0x200);
    EXPECT_EQ(info.value().psci_method, PsciMethod::Smc);
    EXPECT_EQ(info.value().cpu_count, 4u);
    EXPECT_EQ(info.value().cpu_compatible, "arm,cortex-a72");
}

} // namespace

TEST(PlatformInfo, ChosenSeeds) {
    FdtWriter w;
    virt_like_root(w);
    memory_node(w, 0x40000000, 0x1000000);
    w.begin("chosen").prop("rng-seed", Bytes { 1, 2, 3, 4, 5 }).prop("kaslr-seed", Bytes { 1, 2, 3 }).end();
    w.end().finish();
    Bytes bytes = w.build();
    auto info = info_of(bytes);
    ASSERT_FALSE(info.is_error());
    EXPECT_EQ(Bytes(info.value().rng_seed.begin(), info.value().rng_seed.end()), (Bytes { 1, 2, 3, 4, 5 }));
    EXPECT_FALSE(info.value().kaslr_seed);  // not 8 bytes: malformed, left out
}

} // namespace akuma
