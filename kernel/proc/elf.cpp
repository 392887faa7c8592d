// ELF64 AArch64 executable validation; the rules are listed in elf.h.
#include "kernel/proc/elf.h"

namespace akuma {

namespace {

// ELF header (e_ident and fields) layout of ELF64.
constexpr size_t k_ehdr_size = 64;
constexpr size_t k_phdr_size = 56;
constexpr uint8_t k_magic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t k_class64 = 2;
constexpr uint8_t k_data_lsb = 1;
constexpr uint32_t k_version_current = 1;
constexpr uint16_t k_type_exec = 2;
constexpr uint16_t k_type_dyn = 3;
constexpr uint16_t k_machine_aarch64 = 183;
constexpr uint16_t k_pn_xnum = 0xffff;
// Linux refuses program header tables larger than 64 KiB.
constexpr uint64_t k_max_phdr_table = 65536;

constexpr uint32_t k_pt_load = 1;
constexpr uint32_t k_pt_interp = 3;
constexpr uint32_t k_pt_phdr = 6;
constexpr uint32_t k_pt_tls = 7;
constexpr uint32_t k_pt_gnu_stack = 0x6474e551;

constexpr uint32_t k_pf_x = 1;
constexpr uint32_t k_pf_w = 2;
constexpr uint32_t k_pf_r = 4;

struct ProgramHeader {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

// Little-endian read; the caller has checked the bounds. Byte-wise so the
// file needs no alignment and the host's byte order does not matter.
uint64_t read_le(std::span<const uint8_t> file, size_t offset, size_t width)
{
    uint64_t value = 0;
    for (size_t i = width; i > 0; --i)
        value = (value << 8) | file[offset + i - 1];
    return value;
}

ProgramHeader read_program_header(std::span<const uint8_t> file, size_t offset)
{
    return {
        .type = static_cast<uint32_t>(read_le(file, offset + 0, 4)),
        .flags = static_cast<uint32_t>(read_le(file, offset + 4, 4)),
        .offset = read_le(file, offset + 8, 8),
        .vaddr = read_le(file, offset + 16, 8),
        // p_paddr at offset + 24 is unused.
        .filesz = read_le(file, offset + 32, 8),
        .memsz = read_le(file, offset + 40, 8),
        .align = read_le(file, offset + 48, 8),
    };
}

bool is_power_of_two(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// [offset, offset + size) lies inside the file; an empty range needs no bytes.
bool inside_file(uint64_t offset, uint64_t size, uint64_t file_size)
{
    return size == 0 || (offset <= file_size && size <= file_size - offset);
}

// [vaddr, vaddr + size) neither wraps nor leaves the user address space.
bool inside_user_space(uint64_t vaddr, uint64_t size)
{
    return vaddr <= ElfImage::k_user_address_end && size <= ElfImage::k_user_address_end - vaddr;
}

struct Problem {
    Error error;
    const char* reason;
};

// Checks one PT_LOAD on its own; nullopt when it is fine.
std::optional<Problem> check_load(const ProgramHeader& header, uint64_t file_size)
{
    if (header.filesz > header.memsz)
        return Problem {Error::BadExecutable, "PT_LOAD p_filesz larger than p_memsz"};
    if (!inside_file(header.offset, header.filesz, file_size))
        return Problem {Error::BadExecutable, "PT_LOAD file image outside the file"};
    if (!inside_user_space(header.vaddr, header.memsz))
        return Problem {Error::OutOfRange, "PT_LOAD outside the user address space"};
    if (header.align > 1 && (!is_power_of_two(header.align) || header.align < ElfImage::k_page_size))
        return Problem {Error::BadExecutable, "PT_LOAD p_align not 0, 1 or a power of two >= 4096"};
    if (header.align > ElfImage::k_user_address_end)
        return Problem {Error::OutOfRange, "PT_LOAD p_align larger than the user address space"};
    if ((header.offset ^ header.vaddr) & (ElfImage::k_page_size - 1))
        return Problem {Error::BadExecutable, "PT_LOAD p_offset and p_vaddr differ modulo the page size"};
    return std::nullopt;
}

std::optional<Problem> check_tls(const ProgramHeader& header, uint64_t file_size)
{
    if (header.filesz > header.memsz)
        return Problem {Error::BadExecutable, "PT_TLS p_filesz larger than p_memsz"};
    if (!inside_file(header.offset, header.filesz, file_size))
        return Problem {Error::BadExecutable, "PT_TLS file image outside the file"};
    if (!inside_user_space(header.vaddr, header.memsz))
        return Problem {Error::OutOfRange, "PT_TLS outside the user address space"};
    if (header.align > 1 && !is_power_of_two(header.align))
        return Problem {Error::BadExecutable, "PT_TLS p_align not 0, 1 or a power of two"};
    return std::nullopt;
}

// The TLS image must be the bytes the loader maps at the same addresses, so it
// can be copied from memory or from the file alike.
bool tls_inside_load(const TlsSegment& tls, std::span<const LoadSegment> segments)
{
    if (tls.filesz == 0)
        return true;
    for (const LoadSegment& segment : segments) {
        if (tls.offset < segment.offset || tls.vaddr < segment.vaddr)
            continue;
        uint64_t delta = tls.offset - segment.offset;
        if (tls.vaddr - segment.vaddr == delta && delta <= segment.filesz && tls.filesz <= segment.filesz - delta)
            return true;
    }
    return false;
}

bool entry_inside_code(uint64_t entry, std::span<const LoadSegment> segments)
{
    for (const LoadSegment& segment : segments) {
        if (segment.executable && entry >= segment.vaddr && entry - segment.vaddr < segment.memsz)
            return true;
    }
    return false;
}

}  // namespace

uint64_t ElfImage::highest_vaddr_end() const
{
    const LoadSegment& last = m_segments[m_segment_count - 1];
    return last.vaddr + last.memsz;
}

namespace {

struct Header {
    uint64_t entry;
    uint64_t type;
    ProgramHeaderTable table;
    uint16_t phnum;
    uint16_t phentsize;
};

// The ELF header's checks, and where it says the program headers are.
ErrorOr<Header> check_header(std::span<const uint8_t> header, uint64_t file_size, const char** reason)
{
    auto fail = [reason](Error error, const char* why) {
        if (reason)
            *reason = why;
        return error;
    };
    if (reason)
        *reason = nullptr;

    if (header.size() < k_ehdr_size || file_size < k_ehdr_size)
        return fail(Error::BadExecutable, "file smaller than the ELF header");
    for (size_t i = 0; i < sizeof(k_magic); ++i) {
        if (header[i] != k_magic[i])
            return fail(Error::BadExecutable, "no ELF magic");
    }
    if (header[4] != k_class64)
        return fail(Error::BadExecutable, "not ELFCLASS64");
    if (header[5] != k_data_lsb)
        return fail(Error::BadExecutable, "not little-endian (ELFDATA2LSB)");
    if (header[6] != k_version_current || read_le(header, 20, 4) != k_version_current)
        return fail(Error::BadExecutable, "ELF version not EV_CURRENT");
    uint64_t type = read_le(header, 16, 2);
    if (type != k_type_exec && type != k_type_dyn)
        return fail(Error::BadExecutable, "e_type neither ET_EXEC nor ET_DYN");
    if (read_le(header, 18, 2) != k_machine_aarch64)
        return fail(Error::BadExecutable, "e_machine not EM_AARCH64");
    if (read_le(header, 52, 2) != k_ehdr_size)
        return fail(Error::BadExecutable, "e_ehsize not 64");

    uint64_t entry = read_le(header, 24, 8);
    uint64_t phoff = read_le(header, 32, 8);
    auto phentsize = static_cast<uint16_t>(read_le(header, 54, 2));
    auto phnum = static_cast<uint16_t>(read_le(header, 56, 2));
    if (phentsize != k_phdr_size)
        return fail(Error::BadExecutable, "e_phentsize not 56");
    if (phnum == k_pn_xnum)
        return fail(Error::TooBig, "e_phnum is PN_XNUM (extended numbering not supported)");
    if (phnum == 0)
        return fail(Error::BadExecutable, "no program headers");
    uint64_t table_size = uint64_t {phnum} * k_phdr_size;
    if (table_size > k_max_phdr_table)
        return fail(Error::TooBig, "program header table larger than 64 KiB");
    if (!inside_file(phoff, table_size, file_size))
        return fail(Error::BadExecutable, "program header table outside the file");
    return Header {entry, type, {phoff, static_cast<size_t>(table_size)}, phnum, phentsize};
}

}  // namespace

ErrorOr<ProgramHeaderTable> ElfImage::locate_program_headers(std::span<const uint8_t> header, uint64_t file_size,
                                                             const char** reason)
{
    return TRY(check_header(header, file_size, reason)).table;
}

ErrorOr<ElfImage> ElfImage::parse(std::span<const uint8_t> file, const char** reason)
{
    auto table = TRY(locate_program_headers(file, file.size(), reason));
    return parse(file.first(k_ehdr_size), file.subspan(table.offset, table.size), file.size(), reason);
}

ErrorOr<ElfImage> ElfImage::parse(std::span<const uint8_t> header, std::span<const uint8_t> program_headers,
                                  uint64_t file_size, const char** reason)
{
    auto fail = [reason](Error error, const char* why) {
        if (reason)
            *reason = why;
        return error;
    };
    Header checked = TRY(check_header(header, file_size, reason));
    if (program_headers.size() != checked.table.size)
        return fail(Error::BadExecutable, "program header table incomplete");
    uint64_t entry = checked.entry;
    uint64_t phoff = checked.table.offset;
    uint64_t table_size = checked.table.size;
    uint16_t phnum = checked.phnum;
    uint16_t phentsize = checked.phentsize;
    uint64_t type = checked.type;

    ElfImage image;
    image.m_entry = entry;
    image.m_phnum = phnum;
    image.m_phentsize = phentsize;
    image.m_position_independent = type == k_type_dyn;
    std::optional<uint64_t> pt_phdr_vaddr;

    for (size_t index = 0; index < phnum; ++index) {
        ProgramHeader header = read_program_header(program_headers, index * k_phdr_size);
        switch (header.type) {
        case k_pt_load: {
            if (auto problem = check_load(header, file_size))
                return fail(problem->error, problem->reason);
            if (header.memsz == 0)
                break;
            if (image.m_segment_count > 0) {
                const LoadSegment& previous = image.m_segments[image.m_segment_count - 1];
                // Sorted and disjoint; sharing a page is fine (see elf.h).
                if (header.vaddr < previous.vaddr + previous.memsz)
                    return fail(Error::BadExecutable, "PT_LOAD segments not sorted by p_vaddr or overlapping");
            }
            if (image.m_segment_count == k_max_load_segments)
                return fail(Error::TooBig, "more than 16 PT_LOAD segments");
            LoadSegment segment {
                .vaddr = header.vaddr,
                .memsz = header.memsz,
                .offset = header.offset,
                .filesz = header.filesz,
                .align = header.align > 1 ? header.align : k_page_size,
                .readable = (header.flags & k_pf_r) != 0,
                .writable = (header.flags & k_pf_w) != 0,
                .executable = (header.flags & k_pf_x) != 0,
            };
            if (segment.writable && segment.executable)
                image.m_writable_executable = true;
            if (segment.align > image.m_max_align)
                image.m_max_align = segment.align;
            image.m_segments[image.m_segment_count++] = segment;
            break;
        }
        case k_pt_interp:
            if (image.m_interpreter)
                break;  // Linux uses the first
            if (header.filesz < 2 || header.filesz > k_max_interpreter_path)
                return fail(Error::BadExecutable, "PT_INTERP path shorter than 2 or longer than 4096 bytes");
            if (!inside_file(header.offset, header.filesz, file_size))
                return fail(Error::BadExecutable, "PT_INTERP path outside the file");
            image.m_interpreter = InterpreterPath {header.offset, static_cast<size_t>(header.filesz)};
            break;
        case k_pt_tls:
            if (image.m_tls)
                return fail(Error::BadExecutable, "more than one PT_TLS");
            if (auto problem = check_tls(header, file_size))
                return fail(problem->error, problem->reason);
            image.m_tls = TlsSegment {
                .vaddr = header.vaddr,
                .memsz = header.memsz,
                .offset = header.offset,
                .filesz = header.filesz,
                .align = header.align,
            };
            break;
        case k_pt_gnu_stack:
            image.m_stack_executable = (header.flags & k_pf_x) != 0;
            break;
        case k_pt_phdr:
            pt_phdr_vaddr = header.vaddr;
            break;
        default:
            // PT_NOTE, PT_DYNAMIC, PT_GNU_PROPERTY, PT_GNU_RELRO, PT_GNU_EH_FRAME,
            // ...: nothing the loader of a static program needs.
            break;
        }
    }

    if (image.m_segment_count == 0)
        return fail(Error::BadExecutable, "no non-empty PT_LOAD segment");
    if (entry % 4 != 0)
        return fail(Error::BadExecutable, "entry point not 4-byte aligned");
    if (!entry_inside_code(entry, image.segments()))
        return fail(Error::BadExecutable, "entry point not inside an executable PT_LOAD");
    if (image.m_tls && !tls_inside_load(*image.m_tls, image.segments()))
        return fail(Error::BadExecutable, "PT_TLS image not inside a PT_LOAD's file image");

    // AT_PHDR as Linux computes it, then PT_PHDR as the fallback.
    for (const LoadSegment& segment : image.segments()) {
        if (phoff >= segment.offset && phoff - segment.offset < segment.filesz
            && table_size <= segment.filesz - (phoff - segment.offset)) {
            image.m_phdr_vaddr = segment.vaddr + (phoff - segment.offset);
            break;
        }
    }
    if (!image.m_phdr_vaddr)
        image.m_phdr_vaddr = pt_phdr_vaddr;

    return image;
}

}  // namespace akuma
