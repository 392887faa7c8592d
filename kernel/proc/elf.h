// ElfImage: parser and validator of untrusted ELF64 AArch64 executables and
// their interpreters (ET_EXEC and ET_DYN, as Linux runs them). It only reads the bytes;
// mapping them is the program loader's job. No allocation: the result holds
// up to k_max_load_segments PT_LOAD segments.
//
// Decisions (what Linux's binfmt_elf does, and where Akuma is stricter):
// - PT_LOAD p_align: 0 and 1 mean "no constraint" and become the page size
//   (Linux skips 0 and rounds 1 up to a page). Other values must be powers of
//   two >= 4096 (Linux silently ignores non-powers of two; we reject them).
//   max_align() is the largest, for choosing an ET_DYN load bias.
// - p_offset and p_vaddr must be congruent modulo the 4 KiB page, which is all
//   mmap-style mapping needs (Linux checks nothing mod p_align either).
// - PT_LOAD segments must be in ascending p_vaddr order with disjoint byte
//   ranges. Adjacent segments may share a page (the end of one and the start
//   of the next in the same 4 KiB page): linkers emit this and Linux maps
//   segments in order with MAP_FIXED, so on a shared page the later
//   segment's mapping wins. The loader has to handle that page.
// - p_filesz == 0 needs no file bytes, so its p_offset may lie past the end
//   of the file (ld emits this for a bss-only segment). Empty PT_LOADs
//   (p_memsz == 0) are validated but not recorded.
// - Missing PT_GNU_STACK means a non-executable stack (arm64 64-bit default).
// - phdr_vaddr() follows Linux (>= 5.18) for AT_PHDR: the address of e_phoff
//   inside the PT_LOAD whose file image holds the whole table; PT_PHDR's
//   p_vaddr is only the fallback. Linker output makes both agree.
// - PT_TLS's initialisation image (if non-empty) must be a part of one
//   PT_LOAD's file image at the matching address; at most one PT_TLS.
// - The entry point must be 4-byte aligned and inside an executable PT_LOAD.
// - PT_INTERP (a dynamically linked program): only the first counts, as in
//   Linux; its p_filesz must be 2..4096 (PATH_MAX) bytes inside the file.
//   interpreter() says where the path lies; the loader reads it and checks
//   its terminating NUL (Linux: ENOEXEC otherwise).
//
// Error codes: Error::BadExecutable for a malformed file, Error::OutOfRange
// for addresses outside the user address space (or wrapping), Error::TooBig
// for more headers or segments than supported. The reason string says
// which rule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/lib/error_or.h"

namespace akuma {

struct LoadSegment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint64_t align;  // normalised: a power of two >= 4096
    bool readable;
    bool writable;
    bool executable;
};

// The PT_TLS initialisation template (.tdata image followed by .tbss zeros).
struct TlsSegment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t offset;
    uint64_t filesz;
    uint64_t align;  // as in the file; 0 and 1 both mean unaligned
};

// Where a PT_INTERP's path (NUL included) lies in the file.
struct InterpreterPath {
    uint64_t offset;
    size_t size;  // 2..k_max_interpreter_path
};

// Where the program header table lies in the file.
struct ProgramHeaderTable {
    uint64_t offset;
    size_t size;  // at most 64 KiB
};

class ElfImage {
public:
    static constexpr size_t k_header_size = 64;  // the ELF header, at offset 0
    static constexpr size_t k_max_load_segments = 16;
    static constexpr uint64_t k_page_size = 4096;
    static constexpr size_t k_max_interpreter_path = 4096;  // PATH_MAX, as Linux's binfmt_elf
    // First address past the 48-bit user address space (TTBR0, 4 KiB granule).
    static constexpr uint64_t k_user_address_end = 0x0001'0000'0000'0000;

    // Validates file; on error, *reason (if given) gets a static string
    // describing the first problem found, and nullptr on success.
    static ErrorOr<ElfImage> parse(std::span<const uint8_t> file, const char** reason = nullptr);

    // The same for a file read piecewise (as Linux's binfmt_elf reads it):
    // the parser reads only the ELF header (the first k_header_size bytes),
    // the program header table, which locate_program_headers finds after
    // checking the header, and the file's size.
    static ErrorOr<ProgramHeaderTable> locate_program_headers(std::span<const uint8_t> header, uint64_t file_size,
                                                              const char** reason = nullptr);
    static ErrorOr<ElfImage> parse(std::span<const uint8_t> header, std::span<const uint8_t> program_headers,
                                   uint64_t file_size, const char** reason = nullptr);

    // Sorted by vaddr, non-overlapping, at least one.
    std::span<const LoadSegment> segments() const { return {m_segments.data(), m_segment_count}; }
    // Addresses are link-time ones; an ET_DYN image needs the load bias added.
    uint64_t entry() const { return m_entry; }
    bool is_position_independent() const { return m_position_independent; }
    // Where the program header table appears in memory (for AT_PHDR).
    std::optional<uint64_t> phdr_vaddr() const { return m_phdr_vaddr; }
    uint16_t phnum() const { return m_phnum; }
    uint16_t phentsize() const { return m_phentsize; }
    const std::optional<TlsSegment>& tls() const { return m_tls; }
    // Set for a dynamically linked program: its interpreter's path.
    const std::optional<InterpreterPath>& interpreter() const { return m_interpreter; }
    bool stack_executable() const { return m_stack_executable; }
    uint64_t lowest_vaddr() const { return m_segments[0].vaddr; }
    // End of the highest segment's memory image; brk starts on the next page.
    uint64_t highest_vaddr_end() const;
    // The largest PT_LOAD alignment (>= page size).
    uint64_t max_align() const { return m_max_align; }
    // Some PT_LOAD is both writable and executable (the loader refuses it
    // only under the user W^X policy; the parser only reports it).
    bool has_writable_executable_segment() const { return m_writable_executable; }

private:
    ElfImage() = default;

    std::array<LoadSegment, k_max_load_segments> m_segments {};
    size_t m_segment_count { 0 };
    uint64_t m_entry { 0 };
    uint64_t m_max_align { k_page_size };
    std::optional<uint64_t> m_phdr_vaddr;
    std::optional<TlsSegment> m_tls;
    std::optional<InterpreterPath> m_interpreter;
    uint16_t m_phnum { 0 };
    uint16_t m_phentsize { 0 };
    bool m_position_independent { false };
    bool m_stack_executable { false };
    bool m_writable_executable { false };
};

}  // namespace akuma
