#include "kernel/proc/loader.h"

#include "kernel/fs/permission.h"

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

// AT_MINSIGSTKSZ: what a signal delivery needs on the stack, as Linux's
// signal_minsigstksz (the frame, its frame record and alignment slack).
constexpr uint64_t k_min_signal_stack = sizeof(sigframe::RtSigframe) + sizeof(sigframe::FrameRecord) + 16;

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
    if (file->type() != fs::InodeType::Regular)
        return Error::AccessDenied;
    if (fs::mount_flags(file) & fs::k_mount_no_exec)
        return Error::AccessDenied;  // a noexec mount, as Linux's path_noexec
    return fs::check_current_access(file, fs::k_may_exec);
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

// Where an ELF image was placed: its load bias (0 for ET_EXEC).
uint64_t choose_bias(const ElfImage& image, uint64_t base) {
    if (!image.is_position_independent())
        return 0;
    uint64_t align = image.max_align();
    return ((base + align - 1) & ~(align - 1)) - page_down(image.lowest_vaddr());
}

bool asks_for_writable_executable(const ElfImage& image) {
    return image.has_writable_executable_segment() || image.stack_executable();
}

// The interpreter a dynamically linked program names (PT_INTERP), loaded
// as Linux's binfmt_elf does: its path must end in a NUL (ENOEXEC),
// it must exist (ENOENT) and be executable (EACCES), hold a whole ELF header
// (EIO), and be an AArch64 ELF without an interpreter of its own (ELIBBAD,
// as Linux says for an interpreter that is not an ELF one).
struct Interpreter {
    fs::InodeRef file;
    ElfImage image;
    BasicString<mm::HeapAllocator> path;
};

ErrorOr<Interpreter> open_interpreter(const Process& process, const fs::InodeRef& program, const ElfImage& image,
                                      std::string_view path) {
    const InterpreterPath where = *image.interpreter();
    auto* name = static_cast<char*>(mm::kmalloc(where.size));
    if (!name)
        return Error::NoMemory;
    auto release = [&](auto result) {
        mm::kfree(name);
        return result;
    };
    auto read = fs::read_file(program, where.offset, { reinterpret_cast<uint8_t*>(name), where.size });
    if (read.is_error())
        return release(read.error());
    // As Linux: the last byte must be NUL; the path ends at the first one.
    if (read.value() != where.size || name[where.size - 1] != '\0') {
        kprintln("[Loader] {}: PT_INTERP is not a NUL-terminated path", path);
        return release(Error::BadExecutable);
    }
    std::string_view interpreter_path(name, __builtin_strlen(name));
    auto file = fs::resolve_path(process.cwd, interpreter_path, true);
    if (file.is_error()) {
        kprintln("[Loader] {}: its interpreter {}: {}", path, interpreter_path, error_name(file.error()));
        return release(file.error());
    }
    if (auto usable = check_executable(file.value()); usable.is_error()) {
        kprintln("[Loader] {}: its interpreter {} is not executable", path, interpreter_path);
        return release(usable.error());
    }
    // Linux reads the interpreter's ELF header whole: a shorter file is EIO.
    if (fs::stat(file.value()).size < ElfImage::k_header_size) {
        kprintln("[Loader] {}: its interpreter {} is shorter than an ELF header", path, interpreter_path);
        return release(Error::IoError);
    }
    auto parsed = parse_executable(file.value(), interpreter_path);
    if (parsed.is_error())
        return release(parsed.error() == Error::NoMemory ? Error::NoMemory : Error::BadSharedLibrary);
    if (parsed.value().interpreter()) {
        kprintln("[Loader] {}: its interpreter {} names an interpreter itself", path, interpreter_path);
        return release(Error::BadSharedLibrary);
    }
    BasicString<mm::HeapAllocator> kept;
    if (auto copied = kept.try_append(interpreter_path); copied.is_error())
        return release(copied.error());
    return release(ErrorOr<Interpreter>(Interpreter { file.release_value(), parsed.release_value(), std::move(kept) }));
}

}  // namespace

ErrorOr<LoadedImage> load_program(Process& process, const fs::InodeRef& file, std::string_view path,
                                  std::string_view exe_path, std::span<const std::string_view> argv,
                                  std::span<const std::string_view> envp, const ExecIdentity& identity) {
    auto program_path = TRY(absolute_program_path(process, exe_path));
    // From here on nobody can write the file (ETXTBSY) while this program
    // runs: the headers parsed now stay true, and its pages load from it
    // later.
    TRY(process.space->set_executable(file.get()));
    const ElfImage image = TRY(parse_executable(file, path));
    std::optional<Interpreter> interpreter;
    if (image.interpreter())
        interpreter = TRY(open_interpreter(process, file, image, path));
    bool writable_executable =
        asks_for_writable_executable(image) || (interpreter && asks_for_writable_executable(interpreter->image));
    if (writable_executable && AddressSpace::writable_executable_refused()) {
        kprintln("[Loader] {}: refused: it asks for memory that is writable and executable (user_wx=deny)", path);
        return Error::AccessDenied;
    }
    uint64_t bias = choose_bias(image, k_user_pie_base);
    AddressSpace& space = *process.space;
    TRY(map_segments(space, image, file, bias));
    space.set_break_start(page_up(image.highest_vaddr_end() + bias));
    // The interpreter goes below the stack, well away from the program and
    // its break (Linux puts it at the top of the mmap area); it starts first.
    uint64_t interpreter_bias = 0;
    uint64_t entry = image.entry() + bias;
    if (interpreter) {
        interpreter_bias = choose_bias(interpreter->image, k_user_interpreter_base);
        TRY(map_segments(space, interpreter->image, interpreter->file, interpreter_bias));
        entry = interpreter->image.entry() + interpreter_bias;
    }

    // The stack: an initial VMA that grows down on demand within its
    // reserve, and always holds the argument block.
    // RLIMIT_STACK sizes the stack's reserve (and bounds the arguments).
    uint64_t stack_reserve = stack_reserve_for(process);
    size_t block_size = argument_block_size(argv, envp, path);
    if (block_size > stack_reserve / 2)
        return Error::TooBig;
    uint64_t initial = block_size + k_page_size > k_user_stack_initial ? block_size + k_page_size : k_user_stack_initial;
    // PT_GNU_STACK with PF_X asks for an executable stack (Linux gives it).
    uint32_t stack_prot = mm::k_prot_read | mm::k_prot_write | (image.stack_executable() ? mm::k_prot_exec : 0);
    TRY(space.map({ k_user_stack_top - initial, initial, stack_prot,
                    MapPlacement::Fixed, mm::VmaKind::Stack, nullptr, 0, 0 }));
    space.set_stack_region(k_user_stack_top, stack_reserve);
    space.set_memory_limits(soft_limit(process, linux_abi::k_rlimit_as), soft_limit(process, linux_abi::k_rlimit_data));
    // Where signal handlers return to (glibc sets no SA_RESTORER on AArch64).
    process.sigreturn_trampoline = TRY(install_sigreturn_trampoline(space));

    // AT_PHDR: where the program headers are in memory (0 if not loaded).
    uint64_t phdr = image.phdr_vaddr() ? *image.phdr_vaddr() + bias : 0;
    using namespace linux_abi;
    const AuxEntry auxv[] = {
        { k_at_minsigstksz, k_min_signal_stack },
        { k_at_hwcap, arch::user_hwcap() },
        { k_at_pagesz, k_page_size },
        { k_at_clktck, 100 },
        { k_at_phdr, phdr },
        { k_at_phent, image.phentsize() },
        { k_at_phnum, image.phnum() },
        { k_at_base, interpreter_bias },
        { k_at_flags, 0 },
        { k_at_entry, image.entry() + bias },
        { k_at_uid, identity.uid },
        { k_at_euid, identity.euid },
        { k_at_gid, identity.gid },
        { k_at_egid, identity.egid },
        { k_at_secure, identity.secure ? 1u : 0u },
        { k_at_hwcap2, 0 },
    };
    InitialStackInput input {};
    input.argv = argv;
    input.envp = envp;
    input.auxv = auxv;
    input.stack_rlimit = soft_limit(process, linux_abi::k_rlimit_stack);
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
        program.interpreter_file = interpreter ? interpreter->file.get() : nullptr;
        program.interpreter_path = interpreter ? std::move(interpreter->path) : BasicString<mm::HeapAllocator> {};
    }
    return LoadedImage { entry, stack.value().sp };
}

}  // namespace akuma::proc
