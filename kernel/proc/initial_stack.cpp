// Initial user stack construction; the layout and the rules are in initial_stack.h.
#include "kernel/proc/initial_stack.h"

namespace akuma::proc {

namespace {

constexpr uint64_t k_word = 8;
constexpr uint64_t k_stack_alignment = 16;
// bprm_stack_limits bounds rlimit / 4 by _STK_LIM / 4 * 3 and by ARG_MAX.
constexpr uint64_t k_arg_limit_cap = 6 * 1024 * 1024;
constexpr uint64_t k_arg_limit_floor = 32 * 4096;

constexpr std::string_view k_empty_argv[] = { "" };

uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}

bool contains_nul(std::string_view text) {
    for (char c : text) {
        if (c == '\0')
            return true;
    }
    return false;
}

bool is_added_aux_type(uint64_t type) {
    return type == linux_abi::k_at_null || type == linux_abi::k_at_random || type == linux_abi::k_at_execfn
        || type == linux_abi::k_at_platform;
}

// Adds one string and its NUL to *total under Linux's per-string and total
// limits (fs/exec.c copy_strings).
ErrorOr<void> account_string(std::string_view text, uint64_t limit, uint64_t* total) {
    if (contains_nul(text))
        return Error::Invalid;
    uint64_t size = text.size() + 1;
    if (size > k_max_arg_strlen || size > limit - *total)
        return Error::TooBig;
    *total += size;
    return {};
}

// Returns the bytes the strings take, NULs included.
ErrorOr<uint64_t> account_strings(
    std::span<const std::string_view> strings, uint64_t limit, uint64_t* total) {
    uint64_t before = *total;
    for (std::string_view text : strings)
        TRY(account_string(text, limit, total));
    return *total - before;
}

// Writes into the buffer by user address; callers have checked the bounds.
class StackWriter {
public:
    StackWriter(std::span<uint8_t> buffer, uint64_t base_va)
        : m_buffer(buffer)
        , m_base_va(base_va) { }

    void zero(uint64_t va, uint64_t size) { __builtin_memset(at(va), 0, size); }
    void bytes(uint64_t va, const void* data, uint64_t size) {
        if (size != 0)
            __builtin_memcpy(at(va), data, size);
    }
    void word(uint64_t va, uint64_t value) { bytes(va, &value, k_word); }
    // Writes text and its NUL; returns the address after them.
    uint64_t string(uint64_t va, std::string_view text) {
        bytes(va, text.data(), text.size());
        *at(va + text.size()) = 0;
        return va + text.size() + 1;
    }

private:
    uint8_t* at(uint64_t va) { return m_buffer.data() + (va - m_base_va); }

    std::span<uint8_t> m_buffer;
    uint64_t m_base_va;
};

} // namespace

ErrorOr<InitialStack> build_initial_stack(
    std::span<uint8_t> buffer, uint64_t top_va, const InitialStackInput& input) {
    if (top_va < buffer.size() || contains_nul(input.platform))
        return Error::Invalid;
    for (const AuxEntry& entry : input.auxv) {
        if (is_added_aux_type(entry.type))
            return Error::Invalid;
    }
    std::span<const std::string_view> argv = input.argv.empty() ? k_empty_argv : input.argv;
    std::span<const std::string_view> envp = input.envp;

    // bprm_stack_limits: the pointers come out of the same budget as the strings.
    uint64_t limit = input.stack_rlimit / 4;
    limit = limit < k_arg_limit_cap ? limit : k_arg_limit_cap;
    limit = limit > k_arg_limit_floor ? limit : k_arg_limit_floor;
    uint64_t pointer_count = argv.size() + envp.size();
    if (pointer_count > limit / k_word || pointer_count * k_word >= limit)
        return Error::TooBig;
    uint64_t string_limit = limit - pointer_count * k_word;
    uint64_t string_bytes = 0;
    TRY(account_string(input.execfn, string_limit, &string_bytes));
    uint64_t env_bytes = TRY(account_strings(envp, string_limit, &string_bytes));
    uint64_t arg_bytes = TRY(account_strings(argv, string_limit, &string_bytes));

    // Addresses, from the top down. Every step checks it stays above low_va.
    uint64_t low_va = top_va - buffer.size();
    if (k_word + string_bytes > buffer.size())
        return Error::TooBig;
    uint64_t execfn_va = top_va - k_word - (input.execfn.size() + 1);
    uint64_t env_start = execfn_va - env_bytes;
    uint64_t arg_start = env_start - arg_bytes;

    uint64_t cursor = align_down(arg_start, k_stack_alignment);
    uint64_t platform_va = 0;
    bool has_platform = !input.platform.empty();
    if (has_platform) {
        if (cursor < low_va || cursor - low_va < input.platform.size() + 1)
            return Error::TooBig;
        cursor -= input.platform.size() + 1;
        platform_va = cursor;
    }
    if (cursor < low_va || cursor - low_va < input.random.size())
        return Error::TooBig;
    cursor -= input.random.size();
    uint64_t random_va = cursor;

    if (input.auxv.size() > buffer.size() / sizeof(AuxEntry))
        return Error::TooBig;
    uint64_t aux_count = input.auxv.size() + (has_platform ? 4 : 3);
    uint64_t word_count = 1 + (argv.size() + 1) + (envp.size() + 1) + 2 * aux_count;
    if (cursor - low_va < word_count * k_word)
        return Error::TooBig;
    uint64_t sp = align_down(cursor - word_count * k_word, k_stack_alignment);
    if (sp < low_va)
        return Error::TooBig;

    StackWriter writer(buffer, low_va);
    writer.zero(sp, top_va - sp);

    uint64_t string_va = arg_start;
    for (std::string_view text : argv)
        string_va = writer.string(string_va, text);
    for (std::string_view text : envp)
        string_va = writer.string(string_va, text);
    writer.string(execfn_va, input.execfn);
    if (has_platform)
        writer.string(platform_va, input.platform);
    writer.bytes(random_va, input.random.data(), input.random.size());

    uint64_t slot = sp;
    auto push = [&](uint64_t value) {
        writer.word(slot, value);
        slot += k_word;
    };
    auto push_pointers = [&](std::span<const std::string_view> strings, uint64_t first_va) {
        for (std::string_view text : strings) {
            push(first_va);
            first_va += text.size() + 1;
        }
        push(0);
    };
    InitialStack result {};
    result.sp = sp;
    push(argv.size());
    result.argv_va = slot;
    push_pointers(argv, arg_start);
    result.envp_va = slot;
    push_pointers(envp, env_start);
    result.auxv_va = slot;
    for (const AuxEntry& entry : input.auxv) {
        push(entry.type);
        push(entry.value);
    }
    push(linux_abi::k_at_random);
    push(random_va);
    push(linux_abi::k_at_execfn);
    push(execfn_va);
    if (has_platform) {
        push(linux_abi::k_at_platform);
        push(platform_va);
    }
    push(linux_abi::k_at_null);
    push(0);

    result.bytes_used = top_va - sp;
    result.arg_start = arg_start;
    result.arg_end = env_start;
    result.env_start = env_start;
    result.env_end = execfn_va;
    return result;
}

} // namespace akuma::proc
