// Host tests for the cpio newc/crc reader (kernel/fs/cpio.*): archives made
// by GNU cpio when it is installed, plus a small in-test writer that can
// break every rule the reader checks.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/fs/cpio.h"

namespace akuma {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- Writer ----

struct Member {
    std::string name;
    uint32_t mode = 0100644;
    std::string data;
    uint32_t inode = 1;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t nlink = 1;
    uint32_t mtime = 0;
    uint32_t dev_major = 0;
    uint32_t dev_minor = 0;
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
    std::string magic = "070701";
    std::optional<uint32_t> check; // default: byte sum for crc, else 0
    std::optional<uint32_t> namesize; // default: name + NUL
    std::optional<uint32_t> filesize; // default: data size
    char pad_byte = 0;
};

// Offsets of header fields, for patching written archives.
constexpr size_t k_mode_field = 6 + 8 * 1;

class CpioWriter {
public:
    // Returns the offset of the member's header.
    size_t add(const Member& m) {
        size_t offset = m_out.size();
        uint32_t sum = 0;
        for (unsigned char c : m.data)
            sum += c;
        uint32_t check = m.check.value_or(m.magic == "070702" ? sum : 0);
        m_out += m.magic;
        for (uint32_t field : { m.inode, m.mode, m.uid, m.gid, m.nlink, m.mtime,
                 m.filesize.value_or(uint32_t(m.data.size())), m.dev_major, m.dev_minor, m.rdev_major,
                 m.rdev_minor, m.namesize.value_or(uint32_t(m.name.size() + 1)), check }) {
            char hex[9];
            snprintf(hex, sizeof hex, "%08x", field);
            m_out += hex;
        }
        m_out += m.name;
        m_out += '\0';
        pad(m.pad_byte);
        m_out += m.data;
        pad(m.pad_byte);
        return offset;
    }

    size_t trailer() {
        return add(Member { .name = "TRAILER!!!", .mode = 0, .inode = 0 });
    }

    Bytes bytes() const { return Bytes(m_out.begin(), m_out.end()); }

private:
    void pad(char byte) {
        while (m_out.size() % 4 != 0)
            m_out += byte;
    }

    std::string m_out;
};

Bytes archive_of(std::initializer_list<Member> members) {
    CpioWriter writer;
    for (const Member& m : members)
        writer.add(m);
    writer.trailer();
    return writer.bytes();
}

std::string text(std::span<const uint8_t> data) { return std::string(data.begin(), data.end()); }

struct ReadResult {
    std::vector<CpioEntry> entries;
    std::vector<std::string> names; // copies: entry names die with next()
    std::optional<Error> error;
    std::string reason;
    size_t offset = 0;
};

ReadResult read_all(std::span<const uint8_t> archive) {
    auto reader = std::make_unique<CpioReader>(archive);
    ReadResult result;
    for (;;) {
        auto entry = reader->next();
        if (entry.is_error()) {
            result.error = entry.error();
            result.reason = reader->error_reason();
            result.offset = reader->error_offset();
            return result;
        }
        if (!entry.value())
            return result;
        result.entries.push_back(*entry.value());
        result.names.emplace_back(entry.value()->name);
    }
}

void expect_error(const Bytes& archive, Error error, const std::string& reason, size_t offset) {
    ReadResult result = read_all(archive);
    ASSERT_TRUE(result.error.has_value()) << "expected: " << reason;
    EXPECT_EQ(*result.error, error);
    EXPECT_EQ(result.reason, reason);
    EXPECT_EQ(result.offset, offset);
}

// ---- Well-formed archives ----

TEST(Cpio, ReadsEveryField) {
    Bytes archive = archive_of({
        { .name = "dir", .mode = 040755, .inode = 7, .uid = 1000, .gid = 100, .nlink = 2, .mtime = 0x5f000000 },
        { .name = "dir/file", .mode = 0100600, .data = "hello", .inode = 8, .dev_major = 3, .dev_minor = 4 },
        { .name = "dir/link", .mode = 0120777, .data = "file", .inode = 9 },
        { .name = "tty", .mode = 020620, .inode = 10, .rdev_major = 4, .rdev_minor = 1 },
        { .name = "sda", .mode = 060660, .rdev_major = 8 },
        { .name = "fifo", .mode = 010644 },
        { .name = "sock", .mode = 0140755 },
    });
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    ASSERT_EQ(r.entries.size(), 7u);
    EXPECT_EQ(r.names, (std::vector<std::string> { "dir", "dir/file", "dir/link", "tty", "sda", "fifo", "sock" }));

    const CpioEntry& dir = r.entries[0];
    EXPECT_EQ(dir.type, CpioFileType::Directory);
    EXPECT_EQ(dir.mode, 040755u);
    EXPECT_EQ(dir.inode, 7u);
    EXPECT_EQ(dir.uid, 1000u);
    EXPECT_EQ(dir.gid, 100u);
    EXPECT_EQ(dir.nlink, 2u);
    EXPECT_EQ(dir.mtime, 0x5f000000u);
    EXPECT_TRUE(dir.data.empty());
    EXPECT_EQ(dir.header_offset, 0u);
    EXPECT_FALSE(dir.hardlink_data_pending);

    const CpioEntry& file = r.entries[1];
    EXPECT_EQ(file.type, CpioFileType::Regular);
    EXPECT_EQ(file.mode, 0100600u);
    EXPECT_EQ(text(file.data), "hello");
    EXPECT_EQ(file.dev_major, 3u);
    EXPECT_EQ(file.dev_minor, 4u);
    // 110 + "dir\0" = 114, padded to 116.
    EXPECT_EQ(file.header_offset, 116u);
    // 116 + 110 + "dir/file\0" = 235, padded to 236.
    EXPECT_EQ(file.data.data(), archive.data() + 236);

    EXPECT_EQ(r.entries[2].type, CpioFileType::Symlink);
    EXPECT_EQ(text(r.entries[2].data), "file");
    EXPECT_EQ(r.entries[3].type, CpioFileType::CharDevice);
    EXPECT_EQ(r.entries[3].rdev_major, 4u);
    EXPECT_EQ(r.entries[3].rdev_minor, 1u);
    EXPECT_EQ(r.entries[4].type, CpioFileType::BlockDevice);
    EXPECT_EQ(r.entries[4].rdev_major, 8u);
    EXPECT_EQ(r.entries[5].type, CpioFileType::Fifo);
    EXPECT_EQ(r.entries[6].type, CpioFileType::Socket);
}

TEST(Cpio, EndIsStickyAndEmptyArchiveIsValid) {
    CpioWriter writer;
    writer.trailer();
    Bytes archive = writer.bytes();
    CpioReader reader(archive);
    for (int i = 0; i < 3; ++i) {
        auto entry = reader.next();
        ASSERT_FALSE(entry.is_error());
        EXPECT_FALSE(entry.value().has_value());
    }
}

TEST(Cpio, ErrorIsSticky) {
    Bytes archive = archive_of({ { .name = "a/../b" } });
    CpioReader reader(archive);
    for (int i = 0; i < 3; ++i) {
        auto entry = reader.next();
        ASSERT_TRUE(entry.is_error());
        EXPECT_EQ(entry.error(), Error::Invalid);
        EXPECT_STREQ(reader.error_reason(), "'..' component in name");
    }
}

TEST(Cpio, NormalisesNames) {
    Bytes archive = archive_of({
        { .name = ".", .mode = 040755 },
        { .name = "/", .mode = 040755 },
        { .name = "./a", .mode = 040755 },
        { .name = "/abs/path" },
        { .name = "./a//b/./c/" },
        { .name = "a/.../.hidden" },
        { .name = "//./x/." },
    });
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    EXPECT_EQ(r.names, (std::vector<std::string> { "", "", "a", "abs/path", "a/b/c", "a/.../.hidden", "x" }));
}

TEST(Cpio, AcceptsUpperAndLowerCaseHex) {
    Bytes archive = archive_of({ { .name = "f", .data = "x", .uid = 0xabcdef } });
    // The writer emits lower case; upper-case the uid field by hand.
    for (size_t i = 6 + 8 * 2; i < 6 + 8 * 3; ++i)
        archive[i] = uint8_t(toupper(archive[i]));
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    EXPECT_EQ(r.entries[0].uid, 0xabcdefu);
}

TEST(Cpio, PaddingContentsAreNotChecked) {
    Bytes archive = archive_of({ { .name = "ab", .data = "x", .pad_byte = 'Z' } });
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    EXPECT_EQ(text(r.entries[0].data), "x");
}

TEST(Cpio, AllowsZeroPaddingAfterTrailer) {
    Bytes archive = archive_of({ { .name = "f", .data = "x" } });
    archive.resize(512, 0);
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    EXPECT_EQ(r.entries.size(), 1u);
}

TEST(Cpio, HardLinkDataPendingFlag) {
    Bytes archive = archive_of({
        { .name = "a", .inode = 5, .nlink = 3 },
        { .name = "b", .inode = 5, .nlink = 3 },
        { .name = "c", .data = "shared", .inode = 5, .nlink = 3 },
        { .name = "empty", .inode = 6, .nlink = 1 },
        { .name = "d", .mode = 040755, .inode = 7, .nlink = 3 },
    });
    ReadResult r = read_all(archive);
    ASSERT_FALSE(r.error) << r.reason;
    ASSERT_EQ(r.entries.size(), 5u);
    EXPECT_TRUE(r.entries[0].hardlink_data_pending);
    EXPECT_TRUE(r.entries[1].hardlink_data_pending);
    EXPECT_FALSE(r.entries[2].hardlink_data_pending);
    EXPECT_EQ(text(r.entries[2].data), "shared");
    EXPECT_FALSE(r.entries[3].hardlink_data_pending); // nlink 1: just empty
    EXPECT_FALSE(r.entries[4].hardlink_data_pending); // directories never
}

TEST(Cpio, CrcChecksumVerified) {
    Bytes good = archive_of({ { .name = "f", .data = "\xff\xfe data", .magic = "070702" } });
    EXPECT_FALSE(read_all(good).error);
    // Mixed newc/crc members are fine; newc's check field is ignored.
    Bytes mixed = archive_of({ { .name = "f", .data = "abc", .check = 1234 },
        { .name = "l", .mode = 0120777, .data = "f", .magic = "070702" } });
    EXPECT_FALSE(read_all(mixed).error);

    CpioWriter writer;
    writer.add({ .name = "ok", .data = "abc", .magic = "070702" });
    size_t bad = writer.add({ .name = "f", .data = "abc", .magic = "070702", .check = 'a' + 'b' + 'c' + 1 });
    writer.trailer();
    expect_error(writer.bytes(), Error::Invalid, "crc checksum mismatch", bad);
}

// ---- One test per malformed-input rule ----

// Two good members first, so offsets are not trivially zero.
struct Broken {
    CpioWriter writer;
    size_t bad_offset;
    explicit Broken(const Member& bad, bool with_trailer = true) {
        writer.add({ .name = "dir", .mode = 040755 });
        writer.add({ .name = "dir/f", .data = "12345" });
        bad_offset = writer.add(bad);
        if (with_trailer)
            writer.trailer();
    }
    Bytes bytes() const { return writer.bytes(); }
};

TEST(CpioMalformed, BadMagic) {
    Broken b({ .name = "x", .magic = "070707" }); // old portable ASCII format
    expect_error(b.bytes(), Error::Invalid, "bad magic (want 070701 or 070702)", b.bad_offset);
}

TEST(CpioMalformed, NonHexField) {
    for (char bad : { 'g', ' ', '+', '-', 'x', '\0' }) {
        Broken b({ .name = "x" });
        Bytes archive = b.bytes();
        archive[b.bad_offset + k_mode_field + 3] = uint8_t(bad);
        expect_error(archive, Error::Invalid, "header field is not 8 hex digits", b.bad_offset);
    }
}

TEST(CpioMalformed, NamesizeZero) {
    Broken b({ .name = "", .namesize = 0 });
    expect_error(b.bytes(), Error::Invalid, "namesize is 0", b.bad_offset);
}

TEST(CpioMalformed, NamesizeAbovePathMax) {
    Broken ok({ .name = std::string(CpioReader::k_max_path - 1, 'n') });
    EXPECT_FALSE(read_all(ok.bytes()).error);
    Broken b({ .name = std::string(CpioReader::k_max_path, 'n') });
    expect_error(b.bytes(), Error::NameTooLong, "namesize above PATH_MAX", b.bad_offset);
}

TEST(CpioMalformed, NameNotTerminatedAtNamesize) {
    Broken b({ .name = "abcd", .namesize = 3 }); // "abc" then 'd', not NUL
    expect_error(b.bytes(), Error::Invalid, "name is not NUL-terminated at namesize - 1", b.bad_offset);
}

TEST(CpioMalformed, NulInsideName) {
    Broken b({ .name = std::string("ab\0cd", 5) });
    expect_error(b.bytes(), Error::Invalid, "NUL inside name", b.bad_offset);
}

TEST(CpioMalformed, EmptyName) {
    Broken b({ .name = "" });
    expect_error(b.bytes(), Error::Invalid, "empty name", b.bad_offset);
}

TEST(CpioMalformed, DotDotComponent) {
    for (const char* name : { "..", "../x", "a/..", "a/../b", "./a/b/../../..", "/.." }) {
        Broken b({ .name = name });
        SCOPED_TRACE(name);
        expect_error(b.bytes(), Error::Invalid, "'..' component in name", b.bad_offset);
    }
}

TEST(CpioMalformed, RootThatIsNotADirectory) {
    Broken b({ .name = "./", .mode = 0100644 });
    expect_error(b.bytes(), Error::Invalid, "root entry is not a directory", b.bad_offset);
}

TEST(CpioMalformed, NameExtendsPastArchive) {
    Broken b({ .name = "x", .namesize = 50 }, false);
    expect_error(b.bytes(), Error::Invalid, "name extends past the archive", b.bad_offset);
}

TEST(CpioMalformed, NamePaddingPastArchive) {
    Broken b({ .name = "xy" }, false); // 110 + 3 bytes, one byte of padding
    Bytes archive = b.bytes();
    archive.resize(b.bad_offset + 113);
    expect_error(archive, Error::Invalid, "name padding extends past the archive", b.bad_offset);
}

TEST(CpioMalformed, FileDataPastArchive) {
    Broken b({ .name = "x", .data = "abc", .filesize = 0x10000 });
    expect_error(b.bytes(), Error::Invalid, "file data extends past the archive", b.bad_offset);
    // Near 2^32: must not wrap around.
    Broken huge({ .name = "x", .data = "abc", .filesize = 0xffffffff });
    expect_error(huge.bytes(), Error::Invalid, "file data extends past the archive", huge.bad_offset);
}

TEST(CpioMalformed, DataPaddingPastArchive) {
    Broken b({ .name = "xy", .data = "a" }, false); // data at +116, 3 bytes of padding
    Bytes archive = b.bytes();
    archive.resize(b.bad_offset + 117);
    expect_error(archive, Error::Invalid, "data padding extends past the archive", b.bad_offset);
}

TEST(CpioMalformed, TruncatedHeader) {
    Broken b({ .name = "x" }, false);
    Bytes archive = b.bytes();
    archive.resize(b.bad_offset + 109);
    expect_error(archive, Error::Invalid, "truncated header", b.bad_offset);
}

TEST(CpioMalformed, MissingTrailer) {
    Broken b({ .name = "x" }, false);
    Bytes archive = b.bytes();
    expect_error(archive, Error::Invalid, "archive truncated: no TRAILER!!!", archive.size());
    // Zero padding where the trailer should be is the same fault.
    size_t end = archive.size();
    archive.resize(end + 512, 0);
    expect_error(archive, Error::Invalid, "archive truncated: no TRAILER!!!", end);
    expect_error({}, Error::Invalid, "archive truncated: no TRAILER!!!", 0);
}

TEST(CpioMalformed, DataAfterTrailer) {
    Bytes archive = archive_of({ { .name = "x" } });
    size_t end = archive.size();
    archive.resize(end + 100, 0);
    archive[end + 37] = 1;
    expect_error(archive, Error::Invalid, "non-zero data after TRAILER!!!", end + 37);
    // A second, concatenated archive is not supported.
    Bytes twice = archive_of({ { .name = "x" } });
    Bytes second = twice;
    twice.insert(twice.end(), second.begin(), second.end());
    expect_error(twice, Error::Invalid, "non-zero data after TRAILER!!!", second.size());
}

TEST(CpioMalformed, TrailerWithData) {
    Broken b({ .name = "TRAILER!!!", .mode = 0, .data = "x" }, false);
    expect_error(b.bytes(), Error::Invalid, "TRAILER!!! has data", b.bad_offset);
}

TEST(CpioMalformed, ModeOutsideStMode) {
    Broken b({ .name = "x", .mode = 0200644 | 0100000 });
    expect_error(b.bytes(), Error::Invalid, "mode has bits outside st_mode", b.bad_offset);
}

TEST(CpioMalformed, UnknownFileType) {
    for (uint32_t mode : { 0000644u, 0030644u, 0070644u, 0150644u, 0170644u }) {
        Broken b({ .name = "x", .mode = mode });
        expect_error(b.bytes(), Error::Invalid, "unknown file type in mode", b.bad_offset);
    }
}

TEST(CpioMalformed, EmptySymlinkTarget) {
    Broken b({ .name = "l", .mode = 0120777 });
    expect_error(b.bytes(), Error::Invalid, "empty symlink target", b.bad_offset);
}

TEST(CpioMalformed, NulInSymlinkTarget) {
    Broken b({ .name = "l", .mode = 0120777, .data = std::string("ab\0", 3) });
    expect_error(b.bytes(), Error::Invalid, "NUL inside symlink target", b.bad_offset);
}

TEST(CpioMalformed, SymlinkTargetAbovePathMax) {
    Broken ok({ .name = "l", .mode = 0120777, .data = std::string(CpioReader::k_max_path - 1, 't') });
    EXPECT_FALSE(read_all(ok.bytes()).error);
    Broken b({ .name = "l", .mode = 0120777, .data = std::string(CpioReader::k_max_path, 't') });
    expect_error(b.bytes(), Error::NameTooLong, "symlink target above PATH_MAX", b.bad_offset);
}

TEST(CpioMalformed, DataOnDirectoryOrSpecialFile) {
    for (uint32_t mode : { 040755u, 020600u, 060600u, 010600u, 0140600u }) {
        Broken b({ .name = "x", .mode = mode, .data = "z" });
        expect_error(b.bytes(), Error::Invalid, "data on a directory or special file", b.bad_offset);
    }
}

// ---- Robustness sweeps ----

Bytes sample_archive() {
    return archive_of({
        { .name = ".", .mode = 040755 },
        { .name = "./bin", .mode = 040755 },
        { .name = "bin/init", .mode = 0100755, .data = "\x7f" "ELF....", .magic = "070702" },
        { .name = "bin/sh", .mode = 0120777, .data = "init" },
        { .name = "a", .inode = 3, .nlink = 2 },
        { .name = "b", .data = "xyz", .inode = 3, .nlink = 2 },
        { .name = "dev/console", .mode = 020600, .rdev_major = 5, .rdev_minor = 1 },
    });
}

TEST(CpioSweep, EveryTruncationFailsUntilTheTrailerIsComplete) {
    Bytes archive = sample_archive();
    size_t full = archive.size();
    archive.resize(full + 64, 0);
    for (size_t length = 0; length <= archive.size(); ++length) {
        ReadResult r = read_all(std::span(archive.data(), length));
        EXPECT_EQ(r.error.has_value(), length < full) << "length " << length;
        if (r.error)
            EXPECT_LE(r.offset, length);
        else
            EXPECT_EQ(r.entries.size(), 7u);
    }
}

TEST(CpioSweep, FlippingAnyByteNeverCrashes) {
    Bytes archive = sample_archive();
    size_t failures = 0;
    for (size_t i = 0; i < archive.size(); ++i) {
        for (uint8_t mask : { 0x01, 0x20, 0x80, 0xff }) {
            Bytes copy = archive;
            copy[i] ^= mask;
            ReadResult r = read_all(copy);
            if (r.error) {
                ++failures;
                EXPECT_LT(r.offset, copy.size() + 1);
                EXPECT_FALSE(r.reason.empty());
            }
            EXPECT_LE(r.entries.size(), 7u);
            for (const CpioEntry& e : r.entries) {
                EXPECT_GE(e.data.data(), copy.data());
                EXPECT_LE(e.data.data() + e.data.size(), copy.data() + copy.size());
            }
        }
    }
    EXPECT_GT(failures, 0u);
}

// ---- Archives made by GNU cpio ----

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/akuma_cpio_XXXXXX";
        char* dir = mkdtemp(pattern);
        if (dir)
            m_path = dir;
    }
    ~TempDir() {
        if (!m_path.empty())
            std::filesystem::remove_all(m_path);
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

bool have_cpio() { return system("cpio --version >/dev/null 2>&1") == 0; }

// Runs `cpio -o` in `dir` with `names` on stdin; returns the archive.
std::optional<Bytes> run_cpio(const std::string& dir, const std::string& format, const std::string& names) {
    std::string list = dir + "/../" + std::filesystem::path(dir).filename().string() + ".list";
    {
        std::ofstream(list) << names;
    }
    std::string command = "cd '" + dir + "' && cpio -o -H " + format + " <'" + list + "' 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return std::nullopt;
    Bytes out;
    uint8_t buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
        out.insert(out.end(), buffer, buffer + n);
    int status = pclose(pipe);
    std::filesystem::remove(list);
    if (status != 0)
        return std::nullopt;
    return out;
}

std::string file_contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& contents) { std::ofstream(path, std::ios::binary) << contents; }

class CpioTool : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        if (!have_cpio())
            GTEST_SKIP() << "cpio is not installed";
        ASSERT_FALSE(m_dir.path().empty());
        namespace fs = std::filesystem;
        const std::string& d = m_dir.path();
        fs::create_directories(d + "/bin");
        fs::create_directories(d + "/etc/deep/er");
        write_file(d + "/bin/init", std::string("\x7f" "ELF\0\1\2", 7) + std::string(5000, 'q'));
        write_file(d + "/etc/motd", "hello\n");
        write_file(d + "/empty", "");
        write_file(d + "/etc/deep/er/odd", "abc"); // length 3: exercises data padding
        fs::create_symlink("init", d + "/bin/sh");
        fs::create_symlink("../../motd", d + "/etc/deep/link");
        write_file(d + "/h1", "shared data");
        fs::create_hard_link(d + "/h1", d + "/h2");
        fs::create_hard_link(d + "/h1", d + "/etc/h3");
        m_has_fifo = mkfifo((d + "/fifo").c_str(), 0644) == 0;
    }

    TempDir m_dir;
    bool m_has_fifo = false;
};

TEST_P(CpioTool, ReadsWhatCpioWrote) {
    const std::string& d = m_dir.path();
    // Names as a user might list them: "./" prefixes, doubled slashes, "."
    // components. GNU cpio stores them verbatim; the reader normalises.
    std::vector<std::pair<std::string, std::string>> listed = {
        { ".", "" },
        { "./bin", "bin" },
        { "bin//init", "bin/init" },
        { "./bin/./sh", "bin/sh" },
        { "etc", "etc" },
        { "etc/motd", "etc/motd" },
        { "etc/deep/", "etc/deep" },
        { "etc/deep/er", "etc/deep/er" },
        { "etc/deep/er/odd", "etc/deep/er/odd" },
        { "etc/deep/link", "etc/deep/link" },
        { "empty", "empty" },
        { "h1", "h1" },
        { "h2", "h2" },
        { "etc/h3", "etc/h3" },
    };
    if (m_has_fifo)
        listed.push_back({ "fifo", "fifo" });
    std::string names;
    for (auto& [raw, _] : listed)
        names += raw + "\n";

    auto archive = run_cpio(d, GetParam(), names);
    ASSERT_TRUE(archive.has_value());
    EXPECT_EQ(archive->size() % 512, 0u); // GNU cpio pads to blocks: allowed

    ReadResult r = read_all(*archive);
    ASSERT_FALSE(r.error) << r.reason << " at " << r.offset;

    std::map<std::string, const CpioEntry*> by_name;
    for (size_t i = 0; i < r.entries.size(); ++i)
        by_name[r.names[i]] = &r.entries[i];
    ASSERT_EQ(by_name.size(), listed.size());

    // Hard links: exactly one of h1/h2/etc/h3 carries the data (the last
    // one written); the others are pending.
    int pending = 0;
    std::string link_data;
    uint32_t link_inode = 0;
    for (auto& [raw, normalised] : listed) {
        SCOPED_TRACE(raw);
        ASSERT_TRUE(by_name.count(normalised));
        const CpioEntry& e = *by_name[normalised];
        std::string path = d + "/" + raw;
        struct stat st;
        ASSERT_EQ(lstat(path.c_str(), &st), 0);
        EXPECT_EQ(e.mode, st.st_mode);
        EXPECT_EQ(e.uid, st.st_uid);
        EXPECT_EQ(e.gid, st.st_gid);
        EXPECT_EQ(e.mtime, uint32_t(st.st_mtime));
        EXPECT_EQ(e.inode, uint32_t(st.st_ino));
        switch (e.type) {
        case CpioFileType::Regular:
            ASSERT_TRUE(S_ISREG(st.st_mode));
            if (st.st_nlink > 1) {
                EXPECT_EQ(e.nlink, 3u);
                link_inode = e.inode;
                if (e.hardlink_data_pending) {
                    ++pending;
                    EXPECT_TRUE(e.data.empty());
                } else {
                    link_data = text(e.data);
                }
            } else {
                EXPECT_FALSE(e.hardlink_data_pending);
                EXPECT_EQ(text(e.data), file_contents(path));
            }
            break;
        case CpioFileType::Directory:
            EXPECT_TRUE(S_ISDIR(st.st_mode));
            EXPECT_TRUE(e.data.empty());
            break;
        case CpioFileType::Symlink: {
            ASSERT_TRUE(S_ISLNK(st.st_mode));
            char target[256];
            ssize_t n = readlink(path.c_str(), target, sizeof target);
            ASSERT_GT(n, 0);
            EXPECT_EQ(text(e.data), std::string(target, size_t(n)));
            break;
        }
        case CpioFileType::Fifo:
            EXPECT_TRUE(S_ISFIFO(st.st_mode));
            break;
        default:
            ADD_FAILURE() << "unexpected type";
        }
    }
    EXPECT_EQ(pending, 2);
    EXPECT_EQ(link_data, "shared data");
    EXPECT_NE(link_inode, 0u);
    EXPECT_EQ(by_name["empty"]->data.size(), 0u);
    EXPECT_EQ(by_name["bin/init"]->data.size(), 5007u);
}

TEST_P(CpioTool, CorruptedCpioArchiveIsRejectedSafely) {
    auto archive = run_cpio(m_dir.path(), GetParam(), "etc\netc/motd\nbin\nbin/sh\n");
    ASSERT_TRUE(archive.has_value());
    ASSERT_FALSE(read_all(*archive).error);
    // "etc" header+name end at 116; "etc/motd" header+name at 236. Cut inside
    // the motd data.
    ReadResult r = read_all(std::span(archive->data(), 236 + 3)); // motd data starts at 236
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.reason, "file data extends past the archive");
    EXPECT_EQ(r.offset, 116u);
}

TEST(CpioToolCrc, DetectsFlippedDataByte) {
    if (!have_cpio())
        GTEST_SKIP() << "cpio is not installed";
    TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    write_file(dir.path() + "/f", "checksummed");
    auto archive = run_cpio(dir.path(), "crc", "f\n");
    ASSERT_TRUE(archive.has_value());
    ASSERT_FALSE(read_all(*archive).error);
    (*archive)[112] ^= 0x04; // first data byte: 110 + "f\0" = 112, aligned
    ReadResult r = read_all(*archive);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.reason, "crc checksum mismatch");
    EXPECT_EQ(r.offset, 0u);
}

INSTANTIATE_TEST_SUITE_P(Formats, CpioTool, ::testing::Values("newc", "crc"));

} // namespace
} // namespace akuma
