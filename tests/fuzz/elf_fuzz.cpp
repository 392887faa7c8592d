// libFuzzer target for the ELF executable parser: arbitrary bytes through
// ElfImage::parse, every accessor, and the guarantees the loader relies on.
// Seed corpus: tests/fuzz/corpus/elf/ (the fixtures of tests/host/data/elf).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "kernel/proc/elf.h"

using namespace akuma;

namespace {

// Consumes values so the work cannot be optimised away.
volatile uint64_t g_sink;

void check(bool condition)
{
    if (!condition)
        std::abort();
}

void check_image(const ElfImage& image, size_t file_size)
{
    auto segments = image.segments();
    check(!segments.empty() && segments.size() <= ElfImage::k_max_load_segments);
    bool entry_found = false;
    bool writable_executable = false;
    for (size_t i = 0; i < segments.size(); ++i) {
        const LoadSegment& s = segments[i];
        check(s.memsz > 0 && s.filesz <= s.memsz);
        check(s.vaddr <= ElfImage::k_user_address_end && s.memsz <= ElfImage::k_user_address_end - s.vaddr);
        check(s.filesz == 0 || (s.offset <= file_size && s.filesz <= file_size - s.offset));
        check(s.offset % ElfImage::k_page_size == s.vaddr % ElfImage::k_page_size);
        check(s.align >= ElfImage::k_page_size && (s.align & (s.align - 1)) == 0 && s.align <= image.max_align());
        if (i > 0)
            check(s.vaddr >= segments[i - 1].vaddr + segments[i - 1].memsz);
        if (s.executable && image.entry() >= s.vaddr && image.entry() - s.vaddr < s.memsz)
            entry_found = true;
        writable_executable |= s.writable && s.executable;
        g_sink = s.readable;
    }
    check(entry_found && image.entry() % 4 == 0);
    check(writable_executable == image.has_writable_executable_segment());
    check(image.lowest_vaddr() == segments.front().vaddr);
    check(image.highest_vaddr_end() == segments.back().vaddr + segments.back().memsz);
    check(image.phentsize() == 56 && image.phnum() > 0);
    if (const auto& tls = image.tls()) {
        check(tls->filesz <= tls->memsz);
        check(tls->filesz == 0 || (tls->offset <= file_size && tls->filesz <= file_size - tls->offset));
        g_sink = tls->vaddr + tls->align;
    }
    if (const auto& interpreter = image.interpreter())
        check(interpreter->size >= 2 && interpreter->size <= ElfImage::k_max_interpreter_path
              && interpreter->offset <= file_size && interpreter->size <= file_size - interpreter->offset);
    if (auto phdr = image.phdr_vaddr())
        g_sink = *phdr;
    g_sink = image.is_position_independent() + image.stack_executable();
}

// The loader's way: the header and the program header table copied out of
// the file (exact-size copies), then parsed with the file's size. Same
// verdict as the whole file.
void check_pieces(const uint8_t* file, size_t size, const ErrorOr<ElfImage>& whole)
{
    size_t header_size = size < ElfImage::k_header_size ? size : ElfImage::k_header_size;
    auto* header = static_cast<uint8_t*>(std::malloc(header_size ? header_size : 1));
    if (header_size)
        std::memcpy(header, file, header_size);
    auto table = ElfImage::locate_program_headers({header, header_size}, size);
    if (table.is_error()) {
        check(whole.is_error());
    } else {
        auto* program_headers = static_cast<uint8_t*>(std::malloc(table.value().size));
        std::memcpy(program_headers, file + table.value().offset, table.value().size);
        auto pieces = ElfImage::parse({header, header_size}, {program_headers, table.value().size}, size);
        check(pieces.is_error() == whole.is_error());
        if (!pieces.is_error()) {
            check(pieces.value().entry() == whole.value().entry());
            check(pieces.value().segments().size() == whole.value().segments().size());
        } else {
            check(pieces.error() == whole.error());
        }
        std::free(program_headers);
    }
    std::free(header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // A heap copy of exactly size bytes lets ASan catch any overread.
    auto* copy = static_cast<uint8_t*>(std::malloc(size ? size : 1));
    if (size)
        std::memcpy(copy, data, size);
    const char* reason = nullptr;
    auto result = ElfImage::parse(std::span<const uint8_t>(copy, size), &reason);
    if (result.is_error()) {
        check(reason != nullptr && std::strlen(reason) > 0);
    } else {
        check(reason == nullptr);
        check_image(result.value(), size);
    }
    check_pieces(copy, size, result);
    std::free(copy);
    return 0;
}
