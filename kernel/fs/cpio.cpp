#include "kernel/fs/cpio.h"

namespace akuma {

namespace {

constexpr std::string_view k_magic_newc = "070701";
constexpr std::string_view k_magic_crc = "070702";
constexpr std::string_view k_trailer_name = "TRAILER!!!";
constexpr size_t k_field_count = 13;
constexpr size_t k_magic_size = 6;
constexpr size_t k_field_size = 8;
static_assert(k_magic_size + k_field_count * k_field_size == CpioReader::k_header_size);

// Header fields in archive order.
enum Field : size_t {
    Inode, Mode, Uid, Gid, Nlink, Mtime, Filesize, DevMajor, DevMinor, RdevMajor, RdevMinor, Namesize, Check
};

constexpr uint32_t k_type_mask = 0170000;
constexpr uint32_t k_max_mode = 0177777;

std::optional<CpioFileType> file_type(uint32_t mode) {
    switch (mode & k_type_mask) {
    case 0100000: return CpioFileType::Regular;
    case 0040000: return CpioFileType::Directory;
    case 0120000: return CpioFileType::Symlink;
    case 0020000: return CpioFileType::CharDevice;
    case 0060000: return CpioFileType::BlockDevice;
    case 0010000: return CpioFileType::Fifo;
    case 0140000: return CpioFileType::Socket;
    }
    return std::nullopt;
}

std::optional<uint32_t> parse_hex8(const uint8_t* digits) {
    uint32_t value = 0;
    for (size_t i = 0; i < k_field_size; ++i) {
        uint8_t c = digits[i];
        uint32_t digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return std::nullopt;
        value = value << 4 | digit;
    }
    return value;
}

// Padding to the next multiple of 4, measured from the archive start.
constexpr size_t padding_after(size_t offset) { return (4 - (offset & 3)) & 3; }

bool contains(std::span<const uint8_t> bytes, uint8_t wanted) {
    for (uint8_t byte : bytes) {
        if (byte == wanted)
            return true;
    }
    return false;
}

bool all_zero(std::span<const uint8_t> bytes) {
    for (uint8_t byte : bytes) {
        if (byte != 0)
            return false;
    }
    return true;
}

} // namespace

Error CpioReader::fail(Error error, const char* reason, size_t offset) {
    m_state = State::Failed;
    m_error = error;
    m_error_reason = reason;
    m_error_offset = offset;
    return error;
}

ErrorOr<std::optional<CpioEntry>> CpioReader::next() {
    switch (m_state) {
    case State::Failed: return m_error;
    case State::Done: return std::optional<CpioEntry>();
    case State::Reading: break;
    }
    return read_entry();
}

// Splits on '/', drops empty and "." components, rejects "..". The result
// is never longer than the raw name, which fits the buffer. (Plain loops:
// string_view::find and substr would pull memchr and exceptions into the
// kernel.)
std::optional<std::string_view> CpioReader::normalise_name(std::string_view raw) {
    size_t length = 0;
    size_t i = 0;
    while (i < raw.size()) {
        size_t end = i;
        while (end < raw.size() && raw[end] != '/')
            ++end;
        std::string_view component(raw.data() + i, end - i);
        i = end + 1;
        if (component.empty() || component == ".")
            continue;
        if (component == "..")
            return std::nullopt;
        if (length != 0)
            m_name_buffer[length++] = '/';
        __builtin_memcpy(&m_name_buffer[length], component.data(), component.size());
        length += component.size();
    }
    return std::string_view(m_name_buffer.data(), length);
}

ErrorOr<std::optional<CpioEntry>> CpioReader::read_entry() {
    const size_t start = m_offset;
    const std::span<const uint8_t> rest = m_archive.subspan(start);
    if (all_zero(rest))
        return fail(Error::Invalid, "archive truncated: no TRAILER!!!", start);
    if (rest.size() < k_header_size)
        return fail(Error::Invalid, "truncated header", start);

    std::string_view magic(reinterpret_cast<const char*>(rest.data()), k_magic_size);
    const bool is_crc = magic == k_magic_crc;
    if (!is_crc && magic != k_magic_newc)
        return fail(Error::Invalid, "bad magic (want 070701 or 070702)", start);

    uint32_t fields[k_field_count];
    for (size_t i = 0; i < k_field_count; ++i) {
        auto value = parse_hex8(rest.data() + k_magic_size + i * k_field_size);
        if (!value)
            return fail(Error::Invalid, "header field is not 8 hex digits", start);
        fields[i] = *value;
    }

    // Name: namesize bytes including the NUL, then padding.
    const size_t name_size = fields[Namesize];
    if (name_size == 0)
        return fail(Error::Invalid, "namesize is 0", start);
    if (name_size > k_max_path)
        return fail(Error::NameTooLong, "namesize above PATH_MAX", start);
    if (name_size > rest.size() - k_header_size)
        return fail(Error::Invalid, "name extends past the archive", start);
    std::string_view raw_name(reinterpret_cast<const char*>(rest.data()) + k_header_size, name_size - 1);
    if (rest[k_header_size + name_size - 1] != 0)
        return fail(Error::Invalid, "name is not NUL-terminated at namesize - 1", start);
    if (contains(rest.subspan(k_header_size, name_size - 1), 0))
        return fail(Error::Invalid, "NUL inside name", start);
    size_t data_start = k_header_size + name_size;
    data_start += padding_after(start + data_start);
    if (data_start > rest.size())
        return fail(Error::Invalid, "name padding extends past the archive", start);

    // Data: filesize bytes, then padding (overflow-safe: filesize < 2^32 and
    // it is compared against what is left).
    const size_t file_size = fields[Filesize];
    if (file_size > rest.size() - data_start)
        return fail(Error::Invalid, "file data extends past the archive", start);
    const std::span<const uint8_t> data = rest.subspan(data_start, file_size);
    size_t entry_size = data_start + file_size;
    entry_size += padding_after(start + entry_size);
    if (entry_size > rest.size())
        return fail(Error::Invalid, "data padding extends past the archive", start);

    if (raw_name == k_trailer_name) {
        if (file_size != 0)
            return fail(Error::Invalid, "TRAILER!!! has data", start);
        if (!all_zero(rest.subspan(entry_size))) {
            size_t garbage = start + entry_size;
            while (m_archive[garbage] == 0)
                ++garbage;
            return fail(Error::Invalid, "non-zero data after TRAILER!!!", garbage);
        }
        m_offset = m_archive.size();
        m_state = State::Done;
        return std::optional<CpioEntry>();
    }

    const uint32_t mode = fields[Mode];
    if (mode > k_max_mode)
        return fail(Error::Invalid, "mode has bits outside st_mode", start);
    const auto type = file_type(mode);
    if (!type)
        return fail(Error::Invalid, "unknown file type in mode", start);

    if (raw_name.empty())
        return fail(Error::Invalid, "empty name", start);
    const auto name = normalise_name(raw_name);
    if (!name)
        return fail(Error::Invalid, "'..' component in name", start);
    if (name->empty() && *type != CpioFileType::Directory)
        return fail(Error::Invalid, "root entry is not a directory", start);

    switch (*type) {
    case CpioFileType::Regular:
        if (is_crc) {
            uint32_t sum = 0;
            for (uint8_t byte : data)
                sum += byte;
            if (sum != fields[Check])
                return fail(Error::Invalid, "crc checksum mismatch", start);
        }
        break;
    case CpioFileType::Symlink:
        if (file_size == 0)
            return fail(Error::Invalid, "empty symlink target", start);
        if (file_size >= k_max_path)
            return fail(Error::NameTooLong, "symlink target above PATH_MAX", start);
        if (contains(data, 0))
            return fail(Error::Invalid, "NUL inside symlink target", start);
        break;
    default:
        if (file_size != 0)
            return fail(Error::Invalid, "data on a directory or special file", start);
        break;
    }

    m_offset = start + entry_size;
    return std::optional<CpioEntry>(CpioEntry {
        .name = *name,
        .mode = mode,
        .type = *type,
        .inode = fields[Inode],
        .uid = fields[Uid],
        .gid = fields[Gid],
        .nlink = fields[Nlink],
        .mtime = fields[Mtime],
        .dev_major = fields[DevMajor],
        .dev_minor = fields[DevMinor],
        .rdev_major = fields[RdevMajor],
        .rdev_minor = fields[RdevMinor],
        .data = data,
        .hardlink_data_pending = *type == CpioFileType::Regular && fields[Nlink] > 1 && file_size == 0,
        .header_offset = start,
    });
}

} // namespace akuma
