// Tests of the ELF executable parser: real fixtures built by the cross
// compiler (tests/host/data/elf/, see its README) and one synthesized file per
// validation rule.
#include "kernel/proc/elf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <span>
#include <string>
#include <vector>

using namespace akuma;

namespace {

constexpr uint32_t k_pt_load = 1;
constexpr uint32_t k_pt_interp = 3;
constexpr uint32_t k_pt_note = 4;
constexpr uint32_t k_pt_phdr = 6;
constexpr uint32_t k_pt_tls = 7;
constexpr uint32_t k_pt_gnu_stack = 0x6474e551;
constexpr uint32_t k_pt_gnu_relro = 0x6474e552;
constexpr uint32_t k_pt_gnu_property = 0x6474e553;
constexpr uint32_t k_r = 4, k_w = 2, k_x = 1;

std::vector<uint8_t> read_fixture(const std::string& name)
{
    std::ifstream in(std::string(AKUMA_TEST_DATA_DIR) + "/elf/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << "missing fixture " << name;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

// Writes an ELF64 file from fields; starts as a valid static executable so a
// test changes only the field its rule is about.
struct ElfWriter {
    uint8_t ident_class = 2;
    uint8_t ident_data = 1;
    uint8_t ident_version = 1;
    uint16_t type = 2;  // ET_EXEC
    uint16_t machine = 183;
    uint32_t version = 1;
    uint64_t entry = 0x400100;
    uint64_t phoff = 64;
    uint16_t ehsize = 64;
    uint16_t phentsize = 56;
    std::optional<uint16_t> phnum;  // default: phdrs.size()
    size_t file_size = 0x1100;
    std::vector<Phdr> phdrs = {
        {k_pt_load, k_r | k_x, 0, 0x400000, 0x1000, 0x1000, 0x1000},
        {k_pt_load, k_r | k_w, 0x1000, 0x401000, 0x100, 0x2000, 0x1000},
        {k_pt_gnu_stack, k_r | k_w, 0, 0, 0, 0, 16},
    };

    std::vector<uint8_t> bytes() const
    {
        std::vector<uint8_t> out(file_size);
        // Bytes past the end are dropped, so tables can hang outside the file.
        auto put = [&](uint64_t offset, uint64_t value, int width) {
            for (int i = 0; i < width; ++i) {
                if (offset < out.size() && uint64_t(i) < out.size() - offset)
                    out[offset + i] = static_cast<uint8_t>(value >> (8 * i));
            }
        };
        put(0, 0x464c457f, 4);
        put(4, ident_class, 1);
        put(5, ident_data, 1);
        put(6, ident_version, 1);
        put(16, type, 2);
        put(18, machine, 2);
        put(20, version, 4);
        put(24, entry, 8);
        put(32, phoff, 8);
        put(52, ehsize, 2);
        put(54, phentsize, 2);
        put(56, phnum.value_or(static_cast<uint16_t>(phdrs.size())), 2);
        for (size_t i = 0; i < phdrs.size() && phoff < out.size(); ++i) {
            uint64_t at = phoff + i * 56;
            const Phdr& p = phdrs[i];
            put(at + 0, p.type, 4);
            put(at + 4, p.flags, 4);
            put(at + 8, p.offset, 8);
            put(at + 16, p.vaddr, 8);
            put(at + 24, p.vaddr, 8);
            put(at + 32, p.filesz, 8);
            put(at + 40, p.memsz, 8);
            put(at + 48, p.align, 8);
        }
        return out;
    }
};

struct Outcome {
    std::optional<ElfImage> image;
    std::optional<Error> error;
    std::string reason;
};

Outcome parse(const std::vector<uint8_t>& bytes)
{
    const char* reason = "unset";
    auto result = ElfImage::parse(bytes, &reason);
    Outcome outcome;
    if (result.is_error()) {
        outcome.error = result.error();
        EXPECT_NE(reason, nullptr);
        outcome.reason = reason ? reason : "";
    } else {
        EXPECT_EQ(reason, nullptr);
        outcome.image.emplace(result.release_value());
    }
    return outcome;
}

Outcome parse(const ElfWriter& writer) { return parse(writer.bytes()); }

// Expects rejection with the given error and a reason containing `words`.
void expect_rejected(const ElfWriter& writer, Error error, const std::string& words)
{
    Outcome outcome = parse(writer);
    ASSERT_TRUE(outcome.error.has_value()) << "accepted, expected: " << words;
    EXPECT_EQ(*outcome.error, error) << outcome.reason;
    EXPECT_NE(outcome.reason.find(words), std::string::npos) << "reason: " << outcome.reason;
}

ElfImage expect_accepted(const ElfWriter& writer)
{
    Outcome outcome = parse(writer);
    EXPECT_FALSE(outcome.error.has_value()) << outcome.reason;
    if (!outcome.image)
        throw std::runtime_error("rejected: " + outcome.reason);
    return *outcome.image;
}

// What every accepted image guarantees the loader.
void check_invariants(const ElfImage& image, size_t file_size)
{
    auto segments = image.segments();
    ASSERT_GE(segments.size(), 1u);
    ASSERT_LE(segments.size(), ElfImage::k_max_load_segments);
    bool entry_found = false;
    for (size_t i = 0; i < segments.size(); ++i) {
        const LoadSegment& s = segments[i];
        EXPECT_GT(s.memsz, 0u);
        EXPECT_LE(s.filesz, s.memsz);
        EXPECT_LE(s.vaddr + s.memsz, ElfImage::k_user_address_end);
        if (s.filesz > 0)
            EXPECT_LE(s.offset + s.filesz, file_size);
        EXPECT_EQ(s.offset % 4096, s.vaddr % 4096);
        EXPECT_GE(s.align, 4096u);
        EXPECT_EQ(s.align & (s.align - 1), 0u);
        EXPECT_LE(s.align, image.max_align());
        if (i > 0)
            EXPECT_GE(s.vaddr, segments[i - 1].vaddr + segments[i - 1].memsz);
        if (s.executable && image.entry() >= s.vaddr && image.entry() < s.vaddr + s.memsz)
            entry_found = true;
    }
    EXPECT_TRUE(entry_found);
    EXPECT_EQ(image.lowest_vaddr(), segments.front().vaddr);
    EXPECT_EQ(image.highest_vaddr_end(), segments.back().vaddr + segments.back().memsz);
    if (image.tls() && image.tls()->filesz > 0)
        EXPECT_LE(image.tls()->offset + image.tls()->filesz, file_size);
}

// --- Real fixtures -----------------------------------------------------------

TEST(ElfFixture, StaticExecutable)
{
    auto bytes = read_fixture("hello-static");
    Outcome outcome = parse(bytes);
    ASSERT_TRUE(outcome.image) << outcome.reason;
    const ElfImage& image = *outcome.image;
    check_invariants(image, bytes.size());
    EXPECT_FALSE(image.is_position_independent());
    EXPECT_EQ(image.entry(), 0x4000f0u);
    ASSERT_EQ(image.segments().size(), 2u);
    const LoadSegment& text = image.segments()[0];
    EXPECT_EQ(text.vaddr, 0x400000u);
    EXPECT_EQ(text.offset, 0u);
    EXPECT_EQ(text.filesz, 0x160u);
    EXPECT_EQ(text.memsz, 0x160u);
    EXPECT_EQ(text.align, 0x10000u);
    EXPECT_TRUE(text.readable && text.executable && !text.writable);
    // A bss-only segment: p_offset 0xffe8 is past the 880-byte file, allowed
    // because it needs no file bytes.
    const LoadSegment& bss = image.segments()[1];
    EXPECT_EQ(bss.vaddr, 0x41ffe8u);
    EXPECT_EQ(bss.offset, 0xffe8u);
    EXPECT_GT(bss.offset, bytes.size());
    EXPECT_EQ(bss.filesz, 0u);
    EXPECT_EQ(bss.memsz, 8u);
    EXPECT_TRUE(bss.readable && bss.writable && !bss.executable);
    EXPECT_EQ(image.lowest_vaddr(), 0x400000u);
    EXPECT_EQ(image.highest_vaddr_end(), 0x41fff0u);
    EXPECT_EQ(image.max_align(), 0x10000u);
    EXPECT_EQ(image.phdr_vaddr(), 0x400040u);
    EXPECT_EQ(image.phnum(), 3);
    EXPECT_EQ(image.phentsize(), 56);
    EXPECT_FALSE(image.tls().has_value());
    EXPECT_FALSE(image.stack_executable());
    EXPECT_FALSE(image.has_writable_executable_segment());
}

TEST(ElfFixture, StaticPie)
{
    auto bytes = read_fixture("hello-static-pie");
    Outcome outcome = parse(bytes);
    ASSERT_TRUE(outcome.image) << outcome.reason;
    const ElfImage& image = *outcome.image;
    check_invariants(image, bytes.size());
    EXPECT_TRUE(image.is_position_independent());
    EXPECT_EQ(image.entry(), 0x1d0u);
    ASSERT_EQ(image.segments().size(), 2u);
    EXPECT_EQ(image.segments()[1].vaddr, 0x1f10u);
    EXPECT_EQ(image.segments()[1].offset, 0xf10u);
    EXPECT_EQ(image.segments()[1].filesz, 0xf0u);
    EXPECT_EQ(image.lowest_vaddr(), 0u);
    EXPECT_EQ(image.highest_vaddr_end(), 0x2008u);
    EXPECT_EQ(image.max_align(), 0x1000u);
    EXPECT_EQ(image.phdr_vaddr(), 0x40u);
    EXPECT_EQ(image.phnum(), 6);
}

TEST(ElfFixture, DynamicNamesItsInterpreter)
{
    std::vector<uint8_t> file = read_fixture("hello-dynamic");
    Outcome outcome = parse(file);
    ASSERT_FALSE(outcome.error) << outcome.reason;
    ASSERT_TRUE(outcome.image->interpreter());
    auto where = *outcome.image->interpreter();
    ASSERT_LE(where.offset + where.size, file.size());
    std::string path(reinterpret_cast<const char*>(file.data() + where.offset), where.size);
    EXPECT_EQ(path, std::string("/lib/ld-linux-aarch64.so.1", sizeof("/lib/ld-linux-aarch64.so.1")));
}

TEST(ElfFixture, Tls)
{
    auto bytes = read_fixture("tls-static");
    Outcome outcome = parse(bytes);
    ASSERT_TRUE(outcome.image) << outcome.reason;
    check_invariants(*outcome.image, bytes.size());
    ASSERT_TRUE(outcome.image->tls().has_value());
    const TlsSegment& tls = *outcome.image->tls();
    EXPECT_EQ(tls.vaddr, 0x401000u);
    EXPECT_EQ(tls.offset, 0x1000u);
    EXPECT_EQ(tls.filesz, 8u);
    EXPECT_EQ(tls.memsz, 0x30u);
    EXPECT_EQ(tls.align, 16u);
    // .tdata holds `tls_initialised = 40`.
    EXPECT_EQ(bytes[tls.offset], 40);
}

// Every prefix and every single-byte corruption of every fixture parses
// without memory errors, and anything accepted keeps the invariants.
TEST(ElfFixture, TruncationAndBitFlipSweep)
{
    for (const char* name : {"hello-static", "hello-static-pie", "hello-dynamic", "tls-static"}) {
        auto original = read_fixture(name);
        ASSERT_FALSE(original.empty());
        size_t accepted = 0;
        for (size_t length = 0; length <= original.size(); ++length) {
            // An exact-size heap copy, so ASan sees any read past the end.
            auto copy = std::make_unique<uint8_t[]>(length);
            std::memcpy(copy.get(), original.data(), length);
            auto result = ElfImage::parse({copy.get(), length});
            if (!result.is_error()) {
                ++accepted;
                check_invariants(result.value(), length);
            }
        }
        // Without the headers nothing parses.
        EXPECT_LT(accepted, original.size()) << name;
        for (size_t i = 0; i < original.size(); ++i) {
            for (uint8_t mask : {uint8_t {0xff}, uint8_t {0x01}, uint8_t {0x80}}) {
                auto copy = original;
                copy[i] ^= mask;
                const char* reason = nullptr;
                auto result = ElfImage::parse(copy, &reason);
                if (result.is_error())
                    EXPECT_NE(reason, nullptr);
                else
                    check_invariants(result.value(), copy.size());
            }
        }
    }
}

// The loader reads only the ELF header and the program header table out of
// the file (its data is in pages): parsing those pieces gives what parsing
// the whole file gives, for every prefix of every fixture.
bool same_image(const ElfImage& a, const ElfImage& b)
{
    if (a.segments().size() != b.segments().size())
        return false;
    for (size_t i = 0; i < a.segments().size(); ++i) {
        const LoadSegment& x = a.segments()[i];
        const LoadSegment& y = b.segments()[i];
        if (x.vaddr != y.vaddr || x.memsz != y.memsz || x.offset != y.offset || x.filesz != y.filesz
            || x.align != y.align || x.readable != y.readable || x.writable != y.writable
            || x.executable != y.executable)
            return false;
    }
    return a.entry() == b.entry() && a.phdr_vaddr() == b.phdr_vaddr() && a.phnum() == b.phnum()
        && a.is_position_independent() == b.is_position_independent() && a.max_align() == b.max_align()
        && a.stack_executable() == b.stack_executable() && a.tls().has_value() == b.tls().has_value();
}

TEST(ElfPieces, ParseFromHeaderAndProgramHeadersMatchesTheWholeFile)
{
    for (const char* name : {"hello-static", "hello-static-pie", "hello-dynamic", "tls-static"}) {
        auto original = read_fixture(name);
        ASSERT_FALSE(original.empty());
        for (size_t length = 0; length <= original.size(); length += length < 4096 ? 1 : 997) {
            std::span<const uint8_t> file(original.data(), length);
            auto whole = ElfImage::parse(file);
            // Exact-size copies of the two pieces, as the loader makes them.
            size_t header_size = std::min(length, ElfImage::k_header_size);
            std::vector<uint8_t> header(file.begin(), file.begin() + header_size);
            const char* reason = nullptr;
            auto table = ElfImage::locate_program_headers(header, length, &reason);
            if (table.is_error()) {
                ASSERT_TRUE(whole.is_error()) << name << " " << length;
                EXPECT_NE(reason, nullptr);
                continue;
            }
            std::vector<uint8_t> program_headers(file.begin() + table.value().offset,
                                                 file.begin() + table.value().offset + table.value().size);
            auto pieces = ElfImage::parse(header, program_headers, length, &reason);
            ASSERT_EQ(pieces.is_error(), whole.is_error()) << name << " " << length;
            if (pieces.is_error())
                EXPECT_EQ(pieces.error(), whole.error());
            else
                EXPECT_TRUE(same_image(pieces.value(), whole.value())) << name << " " << length;
        }
    }
}

TEST(ElfPieces, ShortPiecesAreRejected)
{
    auto file = read_fixture("hello-static");
    std::span<const uint8_t> header(file.data(), ElfImage::k_header_size);
    auto table = ElfImage::locate_program_headers(header, file.size()).value();
    std::span<const uint8_t> program_headers(file.data() + table.offset, table.size);
    const char* reason = nullptr;
    EXPECT_FALSE(ElfImage::parse(header, program_headers, file.size(), &reason).is_error());
    // A short read of the table (the loader passes what it got).
    auto result = ElfImage::parse(header, program_headers.first(table.size - 1), file.size(), &reason);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::BadExecutable);
    EXPECT_STREQ(reason, "program header table incomplete");
    // A header shorter than 64 bytes (a tiny file).
    EXPECT_EQ(ElfImage::locate_program_headers(header.first(63), 63, &reason).error(), Error::BadExecutable);
    EXPECT_STREQ(reason, "file smaller than the ELF header");
    // Segments are checked against the file size given, not the pieces.
    ASSERT_LT(table.offset + table.size, file.size());
    auto small = ElfImage::parse(header, program_headers, table.offset + table.size, &reason);
    ASSERT_TRUE(small.is_error());
    EXPECT_STREQ(reason, "PT_LOAD file image outside the file");
}

// --- Synthesized files: the baseline and each rule -----------------------------

TEST(ElfWriterBaseline, IsAccepted)
{
    ElfWriter writer;
    ElfImage image = expect_accepted(writer);
    check_invariants(image, writer.file_size);
    EXPECT_EQ(image.segments().size(), 2u);
    EXPECT_EQ(image.highest_vaddr_end(), 0x403000u);
    EXPECT_EQ(image.phdr_vaddr(), 0x400040u);
    // The reason pointer is optional.
    EXPECT_FALSE(ElfImage::parse(writer.bytes()).is_error());
}

TEST(ElfHeader, TooSmall)
{
    std::vector<uint8_t> bytes = ElfWriter {}.bytes();
    bytes.resize(63);
    Outcome outcome = parse(bytes);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(*outcome.error, Error::BadExecutable);
    EXPECT_NE(outcome.reason.find("smaller than the ELF header"), std::string::npos);
    EXPECT_TRUE(parse(std::vector<uint8_t> {}).error);
}

TEST(ElfHeader, Magic)
{
    auto bytes = ElfWriter {}.bytes();
    bytes[3] = 'G';
    Outcome outcome = parse(bytes);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(*outcome.error, Error::BadExecutable);
    EXPECT_EQ(outcome.reason, "no ELF magic");
}

TEST(ElfHeader, Class)
{
    ElfWriter writer;
    writer.ident_class = 1;
    expect_rejected(writer, Error::BadExecutable, "ELFCLASS64");
}

TEST(ElfHeader, DataEncoding)
{
    ElfWriter writer;
    writer.ident_data = 2;
    expect_rejected(writer, Error::BadExecutable, "little-endian");
}

TEST(ElfHeader, IdentVersion)
{
    ElfWriter writer;
    writer.ident_version = 0;
    expect_rejected(writer, Error::BadExecutable, "EV_CURRENT");
}

TEST(ElfHeader, Version)
{
    ElfWriter writer;
    writer.version = 2;
    expect_rejected(writer, Error::BadExecutable, "EV_CURRENT");
}

TEST(ElfHeader, Type)
{
    for (uint16_t type : {0, 1, 4, 0xfe00}) {
        ElfWriter writer;
        writer.type = type;
        expect_rejected(writer, Error::BadExecutable, "ET_EXEC nor ET_DYN");
    }
}

TEST(ElfHeader, Machine)
{
    ElfWriter writer;
    writer.machine = 62;  // x86-64
    expect_rejected(writer, Error::BadExecutable, "EM_AARCH64");
}

TEST(ElfHeader, HeaderSize)
{
    ElfWriter writer;
    writer.ehsize = 52;
    expect_rejected(writer, Error::BadExecutable, "e_ehsize");
}

TEST(ElfHeader, ProgramHeaderEntrySize)
{
    ElfWriter writer;
    writer.phentsize = 64;
    expect_rejected(writer, Error::BadExecutable, "e_phentsize");
}

TEST(ElfHeader, ExtendedNumberingRejected)
{
    ElfWriter writer;
    writer.phnum = 0xffff;
    expect_rejected(writer, Error::TooBig, "PN_XNUM");
}

TEST(ElfHeader, NoProgramHeaders)
{
    ElfWriter writer;
    writer.phnum = 0;
    expect_rejected(writer, Error::BadExecutable, "no program headers");
}

TEST(ElfHeader, ProgramHeaderTableTooLarge)
{
    ElfWriter writer;
    writer.phnum = 65536 / 56 + 1;
    writer.file_size = 0x20000;
    expect_rejected(writer, Error::TooBig, "64 KiB");
}

TEST(ElfHeader, ProgramHeaderTableOutsideFile)
{
    ElfWriter writer;
    writer.phoff = writer.file_size - 100;  // 3 entries need 168 bytes
    expect_rejected(writer, Error::BadExecutable, "program header table outside the file");
    writer.phoff = ~uint64_t {0} - 50;  // would wrap
    expect_rejected(writer, Error::BadExecutable, "program header table outside the file");
}

TEST(ElfHeader, TableAtEndOfFileAccepted)
{
    ElfWriter writer;
    writer.phoff = writer.file_size - 3 * 56;
    ElfImage image = expect_accepted(writer);
    // The table lies in the RW segment's file image (0x1000..0x1100).
    EXPECT_EQ(image.phdr_vaddr(), 0x401000u + (writer.phoff - 0x1000));
}

// --- PT_LOAD rules -------------------------------------------------------------

TEST(ElfLoad, FileSizeLargerThanMemorySize)
{
    ElfWriter writer;
    writer.phdrs[1].filesz = 0x2001;
    expect_rejected(writer, Error::BadExecutable, "p_filesz larger than p_memsz");
}

TEST(ElfLoad, FileImageOutsideFile)
{
    ElfWriter writer;
    writer.phdrs[1].filesz = 0x101;  // one byte past the 0x1100-byte file
    expect_rejected(writer, Error::BadExecutable, "PT_LOAD file image outside the file");
}

TEST(ElfLoad, FileOffsetWraps)
{
    ElfWriter writer;
    writer.phdrs[1].offset = ~uint64_t {0} - 0xfff;  // congruent with vaddr
    writer.phdrs[1].filesz = 0x2000;
    expect_rejected(writer, Error::BadExecutable, "PT_LOAD file image outside the file");
}

TEST(ElfLoad, EmptyFileImageMayLiePastTheEnd)
{
    ElfWriter writer;
    writer.phdrs[1].offset = 0x7000;
    writer.phdrs[1].vaddr = 0x407000;
    writer.phdrs[1].filesz = 0;
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments()[1].offset, 0x7000u);
}

TEST(ElfLoad, AddressWraps)
{
    ElfWriter writer;
    writer.phdrs[1].vaddr = 0xffff'ffff'ffff'f000;
    writer.phdrs[1].offset = 0;
    writer.phdrs[1].filesz = 0;
    expect_rejected(writer, Error::OutOfRange, "user address space");
}

TEST(ElfLoad, AboveUserSpace)
{
    ElfWriter writer;
    writer.phdrs[1].vaddr = 0xffff'ffff'f000;
    writer.phdrs[1].memsz = 0x1001;
    expect_rejected(writer, Error::OutOfRange, "user address space");
    // Ending exactly at the limit is fine.
    writer.phdrs[1].memsz = 0x1000;
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.highest_vaddr_end(), ElfImage::k_user_address_end);
}

TEST(ElfLoad, AlignmentNotPowerOfTwo)
{
    ElfWriter writer;
    writer.phdrs[1].align = 0x3000;
    expect_rejected(writer, Error::BadExecutable, "p_align");
}

TEST(ElfLoad, AlignmentBelowPage)
{
    ElfWriter writer;
    writer.phdrs[1].align = 16;
    expect_rejected(writer, Error::BadExecutable, "p_align");
}

TEST(ElfLoad, AlignmentHuge)
{
    ElfWriter writer;
    writer.phdrs[1].align = uint64_t {1} << 63;
    expect_rejected(writer, Error::OutOfRange, "p_align");
}

TEST(ElfLoad, AlignmentZeroAndOneMeanPage)
{
    ElfWriter writer;
    writer.phdrs[0].align = 0;
    writer.phdrs[1].align = 1;
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments()[0].align, 4096u);
    EXPECT_EQ(image.segments()[1].align, 4096u);
    EXPECT_EQ(image.max_align(), 4096u);
}

TEST(ElfLoad, LargeAlignmentKeptAndReported)
{
    ElfWriter writer;
    writer.phdrs[0].align = 0x10000;
    writer.phdrs[1].align = 0x200000;
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments()[0].align, 0x10000u);
    EXPECT_EQ(image.max_align(), 0x200000u);
}

TEST(ElfLoad, OffsetAndAddressNotCongruent)
{
    ElfWriter writer;
    writer.phdrs[1].vaddr = 0x401008;
    expect_rejected(writer, Error::BadExecutable, "modulo the page size");
}

TEST(ElfLoad, NotSorted)
{
    ElfWriter writer;
    std::swap(writer.phdrs[0], writer.phdrs[1]);
    expect_rejected(writer, Error::BadExecutable, "not sorted by p_vaddr or overlapping");
}

TEST(ElfLoad, OverlapByOneByte)
{
    ElfWriter writer;
    writer.phdrs[0].memsz = 0x1001;
    expect_rejected(writer, Error::BadExecutable, "not sorted by p_vaddr or overlapping");
}

TEST(ElfLoad, SharedPageAccepted)
{
    // Text ends mid-page and data starts later in that same page, as ld lays
    // out small programs with -z max-page-size=4096 -z noseparate-code.
    ElfWriter writer;
    writer.phdrs[0].filesz = writer.phdrs[0].memsz = 0x800;
    writer.phdrs[1].offset = 0x800;
    writer.phdrs[1].vaddr = 0x400800;
    writer.phdrs[1].filesz = 0x100;
    ElfImage image = expect_accepted(writer);
    ASSERT_EQ(image.segments().size(), 2u);
    EXPECT_EQ(image.segments()[0].vaddr / 4096, image.segments()[1].vaddr / 4096);
}

TEST(ElfLoad, SixteenSegmentsFitSeventeenDoNot)
{
    ElfWriter writer;
    writer.phdrs.clear();
    writer.file_size = 0x2000;
    writer.entry = 0x400000;
    for (uint64_t i = 0; i < 16; ++i)
        writer.phdrs.push_back({k_pt_load, k_r | k_x, 0, 0x400000 + i * 0x1000, 0x100, 0x100, 0x1000});
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments().size(), 16u);
    EXPECT_EQ(image.highest_vaddr_end(), 0x40f100u);
    writer.phdrs.push_back({k_pt_load, k_r, 0, 0x500000, 0x100, 0x100, 0x1000});
    expect_rejected(writer, Error::TooBig, "more than 16 PT_LOAD");
}

TEST(ElfLoad, NoLoadSegment)
{
    ElfWriter writer;
    writer.phdrs = {{k_pt_gnu_stack, k_r | k_w, 0, 0, 0, 0, 16}};
    expect_rejected(writer, Error::BadExecutable, "no non-empty PT_LOAD");
}

TEST(ElfLoad, EmptySegmentsIgnored)
{
    ElfWriter writer;
    writer.phdrs.insert(writer.phdrs.begin() + 1, {k_pt_load, k_r | k_w | k_x, 0x123000, 0x123000, 0, 0, 0x1000});
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments().size(), 2u);
    EXPECT_FALSE(image.has_writable_executable_segment());

    writer.phdrs = {{k_pt_load, k_r | k_x, 0, 0x400000, 0, 0, 0x1000}};
    expect_rejected(writer, Error::BadExecutable, "no non-empty PT_LOAD");
}

TEST(ElfLoad, WritableExecutableReported)
{
    ElfWriter writer;
    EXPECT_FALSE(expect_accepted(writer).has_writable_executable_segment());
    writer.phdrs[1].flags = k_r | k_w | k_x;
    ElfImage image = expect_accepted(writer);
    EXPECT_TRUE(image.has_writable_executable_segment());
    EXPECT_TRUE(image.segments()[1].writable && image.segments()[1].executable);
}

// --- Entry point ---------------------------------------------------------------

TEST(ElfEntry, OutsideAllSegments)
{
    ElfWriter writer;
    writer.entry = 0x500000;
    expect_rejected(writer, Error::BadExecutable, "entry point not inside an executable PT_LOAD");
}

TEST(ElfEntry, InNonExecutableSegment)
{
    ElfWriter writer;
    writer.entry = 0x401000;
    expect_rejected(writer, Error::BadExecutable, "entry point not inside an executable PT_LOAD");
}

TEST(ElfEntry, JustPastExecutableSegment)
{
    ElfWriter writer;
    writer.phdrs[1].vaddr = 0x403000;  // leave a gap after the text
    writer.entry = 0x401000;
    expect_rejected(writer, Error::BadExecutable, "entry point not inside an executable PT_LOAD");
    writer.entry = 0x400ffc;
    EXPECT_EQ(expect_accepted(writer).entry(), 0x400ffcu);
}

TEST(ElfEntry, Misaligned)
{
    ElfWriter writer;
    writer.entry = 0x400102;
    expect_rejected(writer, Error::BadExecutable, "4-byte aligned");
}

// --- Other program header types ------------------------------------------------

TEST(ElfInterp, RecordedForExecAndDyn)
{
    for (uint16_t type : {2, 3}) {
        ElfWriter writer;
        writer.type = type;
        writer.phdrs.insert(writer.phdrs.begin(), {k_pt_interp, k_r, 0x200, 0x400200, 0x1b, 0x1b, 1});
        Outcome outcome = parse(writer);
        ASSERT_FALSE(outcome.error) << outcome.reason;
        ASSERT_TRUE(outcome.image->interpreter());
        EXPECT_EQ(outcome.image->interpreter()->offset, 0x200u);
        EXPECT_EQ(outcome.image->interpreter()->size, 0x1bu);
    }
}

TEST(ElfInterp, OnlyTheFirstCounts)
{
    ElfWriter writer;
    writer.phdrs.insert(writer.phdrs.begin(), {k_pt_interp, k_r, 0x200, 0x400200, 0x10, 0x10, 1});
    writer.phdrs.insert(writer.phdrs.begin() + 1, {k_pt_interp, k_r, 0x300, 0x400300, 0x20, 0x20, 1});
    Outcome outcome = parse(writer);
    ASSERT_FALSE(outcome.error) << outcome.reason;
    EXPECT_EQ(outcome.image->interpreter()->offset, 0x200u);
}

TEST(ElfInterp, PathLengthLimits)
{
    for (uint64_t size : {0ull, 1ull, 4097ull}) {
        ElfWriter writer;
        writer.phdrs.insert(writer.phdrs.begin(), {k_pt_interp, k_r, 0x200, 0x400200, size, size, 1});
        if (size > 0x200)
            writer.file_size = 0x2000;
        expect_rejected(writer, Error::BadExecutable, "PT_INTERP path");
    }
}

TEST(ElfInterp, PathOutsideFile)
{
    ElfWriter writer;
    writer.phdrs.insert(writer.phdrs.begin(), {k_pt_interp, k_r, 0xfff0, 0x400200, 0x20, 0x20, 1});
    expect_rejected(writer, Error::BadExecutable, "outside the file");
}

TEST(ElfDyn, StaticPieAccepted)
{
    ElfWriter writer;
    writer.type = 3;
    writer.phdrs[0].vaddr = 0;
    writer.phdrs[1].vaddr = 0x1000;
    writer.entry = 0x100;
    ElfImage image = expect_accepted(writer);
    EXPECT_TRUE(image.is_position_independent());
    EXPECT_EQ(image.lowest_vaddr(), 0u);
    EXPECT_EQ(image.phdr_vaddr(), 0x40u);
}

TEST(ElfTls, Recorded)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, 0x80, 64});
    ElfImage image = expect_accepted(writer);
    ASSERT_TRUE(image.tls().has_value());
    EXPECT_EQ(image.tls()->vaddr, 0x401010u);
    EXPECT_EQ(image.tls()->offset, 0x1010u);
    EXPECT_EQ(image.tls()->filesz, 0x20u);
    EXPECT_EQ(image.tls()->memsz, 0x80u);
    EXPECT_EQ(image.tls()->align, 64u);
}

TEST(ElfTls, FileSizeLargerThanMemorySize)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, 0x10, 8});
    expect_rejected(writer, Error::BadExecutable, "PT_TLS p_filesz larger than p_memsz");
}

TEST(ElfTls, OutsideFile)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x10f0, 0x4010f0, 0x20, 0x20, 8});
    expect_rejected(writer, Error::BadExecutable, "PT_TLS file image outside the file");
}

TEST(ElfTls, AddressWraps)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, ~uint64_t {0}, 8});
    expect_rejected(writer, Error::OutOfRange, "PT_TLS outside the user address space");
}

TEST(ElfTls, AlignmentNotPowerOfTwo)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, 0x20, 24});
    expect_rejected(writer, Error::BadExecutable, "PT_TLS p_align");
}

TEST(ElfTls, NotInsideLoadFileImage)
{
    ElfWriter writer;
    // In the file, but past the RW segment's 0x100 file bytes at 0x401000.
    writer.phdrs[1].filesz = 0x10;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1008, 0x401008, 0x10, 0x10, 8});
    expect_rejected(writer, Error::BadExecutable, "PT_TLS image not inside a PT_LOAD");
}

TEST(ElfTls, AddressDoesNotMatchOffset)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401020, 0x20, 0x20, 8});
    expect_rejected(writer, Error::BadExecutable, "PT_TLS image not inside a PT_LOAD");
}

TEST(ElfTls, OnlyTbssNeedsNoFileImage)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x5000, 0x405000, 0, 0x40, 8});
    ElfImage image = expect_accepted(writer);
    ASSERT_TRUE(image.tls().has_value());
    EXPECT_EQ(image.tls()->memsz, 0x40u);
}

TEST(ElfTls, AtMostOne)
{
    ElfWriter writer;
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, 0x20, 8});
    writer.phdrs.push_back({k_pt_tls, k_r, 0x1010, 0x401010, 0x20, 0x20, 8});
    expect_rejected(writer, Error::BadExecutable, "more than one PT_TLS");
}

TEST(ElfStack, ExecutableStackFlag)
{
    ElfWriter writer;
    EXPECT_FALSE(expect_accepted(writer).stack_executable());
    writer.phdrs[2].flags = k_r | k_w | k_x;
    EXPECT_TRUE(expect_accepted(writer).stack_executable());
    // No PT_GNU_STACK: non-executable, the arm64 default.
    writer.phdrs.pop_back();
    EXPECT_FALSE(expect_accepted(writer).stack_executable());
}

TEST(ElfPhdr, ComputedFromLoadLikeLinux)
{
    // PT_PHDR disagrees; the address where the table is really mapped wins.
    ElfWriter writer;
    writer.phdrs.insert(writer.phdrs.begin(), {k_pt_phdr, k_r, 64, 0x400080, 4 * 56, 4 * 56, 8});
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.phdr_vaddr(), 0x400040u);
    EXPECT_EQ(image.phnum(), 4);
    EXPECT_EQ(image.phentsize(), 56);
}

TEST(ElfPhdr, PtPhdrFallbackAndNone)
{
    // The table is in the file (at 0x1000) but not in any segment's file image.
    ElfWriter writer;
    writer.file_size = 0x1200;
    writer.phoff = 0x1100;
    EXPECT_EQ(expect_accepted(writer).phdr_vaddr(), std::nullopt);
    writer.phdrs.push_back({k_pt_phdr, k_r, 0x1100, 0x402100, 4 * 56, 4 * 56, 8});
    EXPECT_EQ(expect_accepted(writer).phdr_vaddr(), 0x402100u);
}

TEST(ElfPhdr, TableMustBeWhollyInsideTheSegment)
{
    ElfWriter writer;
    writer.phdrs[0].filesz = 64 + 56;  // holds only the first entry
    writer.phdrs[0].memsz = 0x1000;
    EXPECT_EQ(expect_accepted(writer).phdr_vaddr(), std::nullopt);
}

TEST(ElfOther, UnknownAndInformationalTypesIgnored)
{
    ElfWriter writer;
    for (uint32_t type : {k_pt_note, k_pt_gnu_relro, k_pt_gnu_property, 2u /* PT_DYNAMIC */, 0x12345678u,
                          0x70000003u /* PT_AARCH64_MEMTAG_MTE */})
        writer.phdrs.push_back({type, 0xffffffff, ~uint64_t {0}, ~uint64_t {0}, ~uint64_t {0}, 1, 3});
    ElfImage image = expect_accepted(writer);
    EXPECT_EQ(image.segments().size(), 2u);
    EXPECT_EQ(image.phnum(), 9);
}

}  // namespace
