#include "kernel/proc/loader.h"

#include "kernel/arch/aarch64/user_mode.h"
#include "kernel/fs/mount_table.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/kprint.h"
#include "kernel/crypto/random.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/initial_stack.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_inspection.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/user_layout.h"
#include "kernel/syscalls/linux_abi.h"

namespace akuma::proc {

namespace {

using mm::k_page_size;

constexpr uint64_t page_down(uint64_t address) { return address & ~(k_page_size - 1); }
constexpr uint64_t page_up(uint64_t address) { return (address + k_page_size - 1) & ~(k_page_size - 1); }

// The argument block (strings, pointer arrays, auxv) is built in a kernel
// buffer, then copied to the top of the new stack. Its size: the strings
// and pointers plus room for auxv, AT_RANDOM, the platform and alignment.
size_t argument_block_size(std::span<const std::string_view> argv, std::span<const std::string_view> envp,
                           std::string_view path) {
    size_t size = 4096 + path.size() + 1;
    for (auto argument : argv)
        size += argument.size() + 1 + sizeof(uint64_t);
    for (auto variable : envp)
        size += variable.size() + 1 + sizeof(uint64_t);
    return page_up(size);
}

uint32_t segment_prot(const LoadSegment& segment) {
    return (segment.readable ? mm::k_prot_read : 0) | (segment.writable ? mm::k_prot_write : 0) |
           (segment.executable ? mm::k_prot_exec : 0);
}

ErrorOr<void> map_segments(AddressSpace& space, const ElfImage& image, const fs::InodeRef& file, uint64_t bias) {
    for (const LoadSegment& segment : image.segments()) {
        uint64_t start = page_down(segment.vaddr + bias);
        uint64_t lead = segment.vaddr + bias - start;  // the file page holds these bytes before the segment
        uint64_t end = page_up(segment.vaddr + bias + segment.memsz);
        // Adjacent segments may share a page; the later one replaces it,
        // as Linux's MAP_FIXED does (the file page holds both parts).
        MapRequest request { start, end - start, segment_prot(segment), MapPlacement::Fixed, mm::VmaKind::Image,
                             segment.filesz ? file.get() : nullptr, segment.offset - lead,
                             segment.filesz ? lead + segment.filesz : 0 };
        TRY(space.map(request));
    }
    return {};
}

// The parser reads only the ELF header and the program header table; they
// are copied out of the file (whose data is in pages, not one span), as
// Linux's binfmt_elf reads them.
ErrorOr<ElfImage> parse_executable(const fs::InodeRef& file, std::string_view path) {
    uint64_t file_size = fs::stat(file).size;
    uint8_t header[ElfImage::k_header_size];
    size_t header_size = TRY(fs::read_file(file, 0, header));
    const char* reason = nullptr;
    auto parsed = [&]() -> ErrorOr<ElfImage> {
        auto table = TRY(ElfImage::locate_program_headers({ header, header_size }, file_size, &reason));
        auto* program_headers = static_cast<uint8_t*>(mm::kmalloc(table.size));
        if (!program_headers)
            return Error::NoMemory;
        auto read = fs::read_file(file, table.offset, { program_headers, table.size });
        auto image = read.is_error() ? ErrorOr<ElfImage>(read.error())
                                     : ElfImage::parse({ header, header_size }, { program_headers, read.value() },
                                                       file_size, &reason);
        mm::kfree(program_headers);
        return image;
    }();
    if (parsed.is_error()) {
        kprintln("[Loader] {}: not a runnable executable: {}", path, reason ? reason : error_name(parsed.error()));
        return parsed.error() == Error::NoMemory ? Error::NoMemory : Error::BadExecutable;
    }
    return parsed;
}

}  // namespace

ErrorOr<void> check_executable(const fs::InodeRef& file) {
    if (file->type() != fs::InodeType::Regular || (file->mode() & 0111) == 0)
        return Error::AccessDenied;
    if (fs::mount_flags(file) & fs::k_mount_no_exec)
        return Error::AccessDenied;  // a noexec mount, as Linux's path_noexec
    return {};
}

namespace {

// /proc/<pid>/exe's path: as given if absolute, else appended to the cwd's
// path. Lexical (no symlink or ".." resolution), unlike Linux's d_path of
// the opened file; the ramfs keeps no path per inode to ask instead.
ErrorOr<BasicString<mm::HeapAllocator>> absolute_program_path(const Process& process, std::string_view path) {
    BasicString<mm::HeapAllocator> absolute;
    if (path.empty() || path[0] != '/') {
        constexpr size_t k_path_max = 4096;  // PATH_MAX
        auto* directory = static_cast<char*>(mm::kmalloc(k_path_max));
        if (!directory)
            return Error::NoMemory;
        auto length = fs::directory_path(process.cwd, { directory, k_path_max });
        auto appended = length.is_error() ? absolute.try_append("/")  // too deep: only the name stays
                                          : absolute.try_append({ directory, length.value() - 1 });  // no NUL
        mm::kfree(directory);
        TRY(appended);
        if (absolute.view().empty() || absolute.view().back() != '/')
            TRY(absolute.try_append("/"));
        while (path.starts_with("./"))
            path.remove_prefix(2);
    }
    TRY(absolute.try_append(path));
    return absolute;
}

}  // namespace

ErrorOr<LoadedImage> load_program(Process& process, const fs::InodeRef& file, std::string_view path,
                                  std::string_view exe_path, std::span<const std::string_view> argv,
                                  std::span<const std::string_view> envp) {
    auto program_path = TRY(absolute_program_path(process, exe_path));
    // From here on nobody can write the file (ETXTBSY) while this program
    // runs: the headers parsed now stay true, and its pages load from it
    // later.
    TRY(process.space->set_executable(file.get()));
    const ElfImage image = TRY(parse_executable(file, path));
    if (image.has_writable_executable_segment() || image.stack_executable()) {
        kprintln("[Loader] {}: refused: it asks for memory that is writable and executable (W^X)", path);
        return Error::AccessDenied;
    }
    uint64_t bias = 0;
    if (image.is_position_independent()) {
        uint64_t align = image.max_align();
        bias = ((k_user_pie_base + align - 1) & ~(align - 1)) - page_down(image.lowest_vaddr());
    }
    AddressSpace& space = *process.space;
    TRY(map_segments(space, image, file, bias));
    space.set_break_start(page_up(image.highest_vaddr_end() + bias));

    // The stack: an initial VMA that grows down on demand within its
    // reserve, and always holds the argument block.
    size_t block_size = argument_block_size(argv, envp, path);
    if (block_size > k_user_stack_reserve / 2)
        return Error::TooBig;
    uint64_t initial = block_size + k_page_size > k_user_stack_initial ? block_size + k_page_size : k_user_stack_initial;
    TRY(space.map({ k_user_stack_top - initial, initial, mm::k_prot_read | mm::k_prot_write,
                    MapPlacement::Fixed, mm::VmaKind::Stack, nullptr, 0, 0 }));
    space.set_stack_region(k_user_stack_top, k_user_stack_reserve);
    // Where signal handlers return to (glibc sets no SA_RESTORER on AArch64).
    process.sigreturn_trampoline = TRY(install_sigreturn_trampoline(space));

    // AT_PHDR: where the program headers are in memory (0 if not loaded).
    uint64_t phdr = image.phdr_vaddr() ? *image.phdr_vaddr() + bias : 0;
    using namespace linux_abi;
    const AuxEntry auxv[] = {
        { k_at_hwcap, arch::user_hwcap() },
        { k_at_pagesz, k_page_size },
        { k_at_clktck, 100 },
        { k_at_phdr, phdr },
        { k_at_phent, image.phentsize() },
        { k_at_phnum, image.phnum() },
        { k_at_base, 0 },
        { k_at_flags, 0 },
        { k_at_entry, image.entry() + bias },
        { k_at_uid, 0 },
        { k_at_euid, 0 },
        { k_at_gid, 0 },
        { k_at_egid, 0 },
        { k_at_secure, 0 },
        { k_at_hwcap2, 0 },
    };
    InitialStackInput input {};
    input.argv = argv;
    input.envp = envp;
    input.auxv = auxv;
    input.execfn = path;
    input.platform = "aarch64";
    random_fill(input.random);

    auto* block = static_cast<uint8_t*>(mm::kmalloc(block_size));
    if (!block)
        return Error::NoMemory;
    auto stack = build_initial_stack({ block, block_size }, k_user_stack_top, input);
    if (stack.is_error()) {
        mm::kfree(block);
        return stack.error();
    }
    uint64_t used = stack.value().bytes_used;
    auto copied = mm::copy_to_user(mm::UserPtr<void>(k_user_stack_top - used),
                                   block + block_size - used, used);
    mm::kfree(block);
    TRY(copied);
    {
        ProcessResourcesGuard resources;  // /proc readers see the old or the new image, whole
        ProgramInfo& program = process.program;
        program.arg_start = stack.value().arg_start;
        program.arg_end = stack.value().arg_end;
        program.env_start = stack.value().env_start;
        program.env_end = stack.value().env_end;
        program.start_stack = stack.value().sp;
        program.exe_path = std::move(program_path);
    }
    return LoadedImage { image.entry() + bias, stack.value().sp };
}

}  // namespace akuma::proc
