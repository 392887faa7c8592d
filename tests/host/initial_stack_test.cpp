// Host tests for the initial user stack builder (kernel/proc/initial_stack.*):
// the result is read back the way a program's _start reads it (argc, argv,
// envp, auxv), every pointer is resolved inside the buffer, and one small
// example is compared address by address with the layout Linux produces.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/proc/initial_stack.h"

namespace akuma::proc {
namespace {

using namespace linux_abi;

constexpr uint64_t k_top = 0x0000'ffff'ffff'f000; // page aligned, as Linux's stack top
constexpr uint8_t k_fill = 0xcc;

std::array<uint8_t, 16> test_random() {
    std::array<uint8_t, 16> random {};
    for (size_t i = 0; i < random.size(); i++)
        random[i] = uint8_t(0xa0 + i);
    return random;
}

// User memory [top - size, top) backed by a vector, read with bounds checks.
class UserMemory {
public:
    UserMemory(size_t size, uint64_t top)
        : m_bytes(size, k_fill)
        , m_top(top) { }

    std::span<uint8_t> span() { return m_bytes; }
    uint64_t top() const { return m_top; }
    uint64_t low() const { return m_top - m_bytes.size(); }
    bool contains(uint64_t va, uint64_t size) const {
        return va >= low() && va <= m_top && size <= m_top - va;
    }
    uint8_t byte(uint64_t va) const { return m_bytes.at(va - low()); }

    uint64_t word(uint64_t va) const {
        EXPECT_TRUE(contains(va, 8)) << std::hex << va;
        EXPECT_EQ(va % 8, 0u) << std::hex << va;
        uint64_t value = 0;
        if (contains(va, 8))
            std::memcpy(&value, &m_bytes[va - low()], 8);
        return value;
    }
    // The NUL-terminated string at va, which must end inside the memory.
    std::optional<std::string> string(uint64_t va) const {
        std::string text;
        for (uint64_t at = va; contains(at, 1) && at < m_top; at++) {
            if (byte(at) == 0)
                return text;
            text.push_back(char(byte(at)));
        }
        return std::nullopt;
    }

private:
    std::vector<uint8_t> m_bytes;
    uint64_t m_top;
};

// What a program sees at _start.
struct StartView {
    uint64_t argc = 0;
    std::vector<uint64_t> argv_pointers;
    std::vector<std::string> argv;
    std::vector<uint64_t> envp_pointers;
    std::vector<std::string> envp;
    std::vector<AuxEntry> auxv; // without AT_NULL
    uint64_t auxv_end = 0; // address after the AT_NULL pair
};

StartView read_start(const UserMemory& memory, uint64_t sp) {
    StartView view;
    uint64_t at = sp;
    view.argc = memory.word(at);
    at += 8;
    for (uint64_t i = 0; i < view.argc; i++, at += 8) {
        view.argv_pointers.push_back(memory.word(at));
        view.argv.push_back(memory.string(view.argv_pointers.back()).value_or("<bad>"));
    }
    EXPECT_EQ(memory.word(at), 0u) << "argv not NULL-terminated";
    at += 8;
    for (; memory.contains(at, 8) && memory.word(at) != 0; at += 8) {
        view.envp_pointers.push_back(memory.word(at));
        view.envp.push_back(memory.string(view.envp_pointers.back()).value_or("<bad>"));
    }
    at += 8;
    for (; memory.contains(at, 16); at += 16) {
        AuxEntry entry { memory.word(at), memory.word(at + 8) };
        if (entry.type == k_at_null) {
            EXPECT_EQ(entry.value, 0u);
            view.auxv_end = at + 16;
            break;
        }
        view.auxv.push_back(entry);
    }
    EXPECT_NE(view.auxv_end, 0u) << "no AT_NULL";
    return view;
}

std::optional<uint64_t> aux_value(const StartView& view, uint64_t type) {
    for (const AuxEntry& entry : view.auxv) {
        if (entry.type == type)
            return entry.value;
    }
    return std::nullopt;
}

struct Example {
    std::vector<std::string_view> argv { "/bin/prog", "-x", "hello world" };
    std::vector<std::string_view> envp { "HOME=/", "PATH=/bin:/usr/bin", "TERM=vt100" };
    std::vector<AuxEntry> auxv { { k_at_hwcap, k_hwcap_fp | k_hwcap_asimd }, { k_at_pagesz, 4096 },
        { k_at_phdr, 0x400040 }, { k_at_phnum, 7 }, { k_at_entry, 0x400100 }, { k_at_secure, 0 } };
    std::string_view execfn = "/bin/prog";
    std::string_view platform = "aarch64";

    InitialStackInput input() const { return { argv, envp, auxv, execfn, platform, test_random() }; }
};

TEST(InitialStack, StartSeesArgumentsEnvironmentAndAuxv) {
    Example example;
    UserMemory memory(64 * 1024, k_top);
    auto result = build_initial_stack(memory.span(), k_top, example.input());
    ASSERT_FALSE(result.is_error()) << error_name(result.error());
    const InitialStack& stack = result.value();

    EXPECT_EQ(stack.sp % 16, 0u);
    EXPECT_EQ(stack.bytes_used, k_top - stack.sp);
    EXPECT_EQ(stack.argv_va, stack.sp + 8);
    EXPECT_EQ(stack.envp_va, stack.argv_va + 8 * (example.argv.size() + 1));
    EXPECT_EQ(stack.auxv_va, stack.envp_va + 8 * (example.envp.size() + 1));

    StartView view = read_start(memory, stack.sp);
    EXPECT_EQ(view.argc, 3u);
    EXPECT_EQ(view.argv, std::vector<std::string>(example.argv.begin(), example.argv.end()));
    EXPECT_EQ(view.envp, std::vector<std::string>(example.envp.begin(), example.envp.end()));

    // The caller's entries first, in order, then the three added ones.
    ASSERT_EQ(view.auxv.size(), example.auxv.size() + 3);
    for (size_t i = 0; i < example.auxv.size(); i++) {
        EXPECT_EQ(view.auxv[i].type, example.auxv[i].type) << i;
        EXPECT_EQ(view.auxv[i].value, example.auxv[i].value) << i;
    }
    EXPECT_EQ(view.auxv[6].type, k_at_random);
    EXPECT_EQ(view.auxv[7].type, k_at_execfn);
    EXPECT_EQ(view.auxv[8].type, k_at_platform);

    uint64_t random_va = aux_value(view, k_at_random).value();
    ASSERT_TRUE(memory.contains(random_va, 16));
    for (size_t i = 0; i < 16; i++)
        EXPECT_EQ(memory.byte(random_va + i), test_random()[i]) << i;
    EXPECT_EQ(memory.string(aux_value(view, k_at_execfn).value()), "/bin/prog");
    EXPECT_EQ(memory.string(aux_value(view, k_at_platform).value()), "aarch64");

    // The top 8 bytes are the zero end marker; execfn ends right below it.
    EXPECT_EQ(memory.word(k_top - 8), 0u);
    EXPECT_EQ(aux_value(view, k_at_execfn).value(), k_top - 8 - std::strlen("/bin/prog") - 1);

    // Strings are packed argv[0] .. argv[n-1], envp[0] .. envp[m-1], execfn.
    EXPECT_EQ(stack.arg_start, view.argv_pointers[0]);
    for (size_t i = 1; i < view.argv_pointers.size(); i++)
        EXPECT_EQ(view.argv_pointers[i], view.argv_pointers[i - 1] + example.argv[i - 1].size() + 1);
    EXPECT_EQ(stack.arg_end, view.argv_pointers.back() + example.argv.back().size() + 1);
    EXPECT_EQ(stack.env_start, stack.arg_end);
    EXPECT_EQ(view.envp_pointers[0], stack.env_start);
    for (size_t i = 1; i < view.envp_pointers.size(); i++)
        EXPECT_EQ(view.envp_pointers[i], view.envp_pointers[i - 1] + example.envp[i - 1].size() + 1);
    EXPECT_EQ(stack.env_end, aux_value(view, k_at_execfn).value());

    // Everything between the auxv and the strings is the random bytes, the
    // platform string or zero padding; nothing below sp was touched.
    for (uint64_t va = view.auxv_end; va < random_va; va++)
        EXPECT_EQ(memory.byte(va), 0) << std::hex << va;
    for (uint64_t va = memory.low(); va < stack.sp; va++)
        ASSERT_EQ(memory.byte(va), k_fill) << std::hex << va;
}

// The addresses Linux's execve produces for this input on arm64 (without
// stack randomisation), worked out from fs/exec.c and create_elf_tables:
//   [T-8, T)       end marker
//   T-11 "/p"      execfn (bprm->exec)
//   T-15 "X=1"     envp[0]
//   T-18 "bc"      argv[1]
//   T-20 "a"       argv[0], mm->arg_start
//   T-32           arch_align_stack: round down to 16
//   T-40 "aarch64" platform
//   T-56           16 random bytes
//   16 words (argc, 2 + 1 argv, 1 + 1 envp, 5 auxv pairs) below T-56 is T-184,
//   STACK_ROUND gives sp = T-192, and the auxv ends at T-64, leaving 8 bytes
//   of padding under the random bytes.
TEST(InitialStack, ExactLayoutMatchesLinux) {
    constexpr uint64_t T = k_top;
    std::vector<std::string_view> argv { "a", "bc" };
    std::vector<std::string_view> envp { "X=1" };
    std::vector<AuxEntry> auxv { { k_at_pagesz, 4096 } };
    UserMemory memory(4096, T);
    auto result = build_initial_stack(memory.span(), T, { argv, envp, auxv, "/p", "aarch64", test_random() });
    ASSERT_FALSE(result.is_error());
    const InitialStack& stack = result.value();

    EXPECT_EQ(stack.sp, T - 192);
    EXPECT_EQ(stack.argv_va, T - 184);
    EXPECT_EQ(stack.envp_va, T - 160);
    EXPECT_EQ(stack.auxv_va, T - 144);
    EXPECT_EQ(stack.bytes_used, 192u);
    EXPECT_EQ(stack.arg_start, T - 20);
    EXPECT_EQ(stack.arg_end, T - 15);
    EXPECT_EQ(stack.env_start, T - 15);
    EXPECT_EQ(stack.env_end, T - 11);

    std::vector<uint64_t> expected_words {
        2, T - 20, T - 18, 0, // argc, argv
        T - 15, 0, // envp
        k_at_pagesz, 4096, k_at_random, T - 56, k_at_execfn, T - 11, k_at_platform, T - 40, k_at_null, 0,
        0, // padding
    };
    for (size_t i = 0; i < expected_words.size(); i++)
        EXPECT_EQ(memory.word(T - 192 + 8 * i), expected_words[i]) << "word " << i;
    EXPECT_EQ(memory.string(T - 40), "aarch64");
    EXPECT_EQ(memory.string(T - 20), "a");
    EXPECT_EQ(memory.string(T - 18), "bc");
    EXPECT_EQ(memory.string(T - 15), "X=1");
    EXPECT_EQ(memory.string(T - 11), "/p");
    EXPECT_EQ(memory.word(T - 8), 0u);
    // arch_align_stack padding between the platform string and argv[0].
    for (uint64_t va = T - 32; va < T - 20; va++)
        EXPECT_EQ(memory.byte(va), 0) << std::hex << va;
}

TEST(InitialStack, EmptyArgvBecomesOneEmptyString) {
    UserMemory memory(4096, k_top);
    auto result
        = build_initial_stack(memory.span(), k_top, { {}, {}, {}, "/bin/true", "aarch64", test_random() });
    ASSERT_FALSE(result.is_error());
    StartView view = read_start(memory, result.value().sp);
    EXPECT_EQ(view.argc, 1u);
    ASSERT_EQ(view.argv.size(), 1u);
    EXPECT_EQ(view.argv[0], "");
    EXPECT_TRUE(view.envp.empty());
    EXPECT_EQ(result.value().envp_va, result.value().argv_va + 16);
    EXPECT_EQ(memory.word(result.value().envp_va), 0u);
    ASSERT_EQ(view.auxv.size(), 3u);
    EXPECT_EQ(memory.string(aux_value(view, k_at_execfn).value()), "/bin/true");
}

TEST(InitialStack, EmptyPlatformOmitsAtPlatform) {
    Example example;
    example.platform = "";
    UserMemory memory(64 * 1024, k_top);
    auto result = build_initial_stack(memory.span(), k_top, example.input());
    ASSERT_FALSE(result.is_error());
    StartView view = read_start(memory, result.value().sp);
    EXPECT_FALSE(aux_value(view, k_at_platform).has_value());
    EXPECT_EQ(view.auxv.size(), example.auxv.size() + 2);
    // The random bytes sit right under the 16-aligned argv strings.
    EXPECT_EQ(aux_value(view, k_at_random).value(), (result.value().arg_start & ~uint64_t { 15 }) - 16);
}

// sp stays 16-aligned and every pointer resolves, whatever the string lengths
// and even with a top that is not 16-aligned.
TEST(InitialStack, AlignmentForManyShapes) {
    for (uint64_t top_misalign : { 0u, 4u, 8u, 13u }) {
        for (size_t length = 0; length < 40; length++) {
            for (size_t env_count = 0; env_count < 3; env_count++) {
                std::string arg(length, 'a');
                std::vector<std::string_view> argv { arg };
                std::vector<std::string> env_storage(env_count, std::string(length / 2, 'e'));
                std::vector<std::string_view> envp(env_storage.begin(), env_storage.end());
                uint64_t top = k_top - top_misalign;
                UserMemory memory(8192, top);
                auto result = build_initial_stack(
                    memory.span(), top, { argv, envp, {}, "/x", "aarch64", test_random() });
                ASSERT_FALSE(result.is_error());
                uint64_t sp = result.value().sp;
                ASSERT_EQ(sp % 16, 0u);
                StartView view = read_start(memory, sp);
                EXPECT_EQ(view.argv, std::vector<std::string> { arg });
                EXPECT_EQ(view.envp, env_storage);
                uint64_t random_va = aux_value(view, k_at_random).value();
                EXPECT_GE(random_va, view.auxv_end);
                EXPECT_LT(random_va - view.auxv_end, 16u); // only STACK_ROUND padding
                EXPECT_EQ(aux_value(view, k_at_platform).value(), random_va + 16);
                EXPECT_EQ(memory.string(aux_value(view, k_at_execfn).value()), "/x");
            }
        }
    }
}

TEST(InitialStack, BufferMustHoldTheWholeLayout) {
    Example example;
    UserMemory big(64 * 1024, k_top);
    auto reference = build_initial_stack(big.span(), k_top, example.input());
    ASSERT_FALSE(reference.is_error());
    uint64_t needed = reference.value().bytes_used;

    // Exactly large enough: same layout, sp at the very bottom (ASan checks
    // nothing is written outside the vector).
    UserMemory exact(needed, k_top);
    auto fits = build_initial_stack(exact.span(), k_top, example.input());
    ASSERT_FALSE(fits.is_error());
    EXPECT_EQ(fits.value().sp, exact.low());
    StartView view = read_start(exact, fits.value().sp);
    EXPECT_EQ(view.argc, 3u);

    for (uint64_t size :
        { needed - 1, needed - 16, needed / 2, uint64_t { 40 }, uint64_t { 8 }, uint64_t { 0 } }) {
        UserMemory small(size, k_top);
        auto result = build_initial_stack(small.span(), k_top, example.input());
        ASSERT_TRUE(result.is_error()) << size;
        EXPECT_EQ(result.error(), Error::TooBig) << size;
        for (uint64_t va = small.low(); va < small.top(); va++)
            ASSERT_EQ(small.byte(va), k_fill) << "written on failure";
    }
}

TEST(InitialStack, LowAddressesDoNotWrap) {
    Example example;
    // The whole address range below top is the buffer; the layout needs more.
    UserMemory memory(256, 256);
    auto result = build_initial_stack(memory.span(), 256, example.input());
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::TooBig);
}

ErrorOr<InitialStack> build_with(std::vector<std::string_view> argv, std::vector<std::string_view> envp,
    uint64_t stack_rlimit = k_default_stack_rlimit, size_t buffer_size = 8 << 20) {
    static std::vector<uint8_t> buffer;
    buffer.assign(buffer_size, 0);
    InitialStackInput input { argv, envp, {}, "/x", "aarch64", test_random() };
    input.stack_rlimit = stack_rlimit;
    return build_initial_stack(buffer, k_top, input);
}

TEST(InitialStack, StringLengthLimit) {
    std::string longest(k_max_arg_strlen - 1, 'a'); // with its NUL exactly MAX_ARG_STRLEN
    std::string too_long(k_max_arg_strlen, 'a');
    EXPECT_FALSE(build_with({ longest }, {}).is_error());
    EXPECT_FALSE(build_with({ "x" }, { longest }).is_error());
    auto in_argv = build_with({ too_long }, {});
    ASSERT_TRUE(in_argv.is_error());
    EXPECT_EQ(in_argv.error(), Error::TooBig);
    auto in_envp = build_with({ "x" }, { too_long });
    ASSERT_TRUE(in_envp.is_error());
    EXPECT_EQ(in_envp.error(), Error::TooBig);
}

// Default 8 MiB rlimit: strings + 8 bytes per pointer may total 2 MiB.
TEST(InitialStack, TotalArgumentLimit) {
    constexpr uint64_t k_limit = 2 << 20;
    std::string full(k_max_arg_strlen - 1, 'a');
    // 16 argv pointers (128 bytes), execfn "/x" (3 bytes), 15 full strings;
    // the last string takes what is left.
    uint64_t last_size = k_limit - 16 * 8 - 3 - 15 * k_max_arg_strlen;
    std::string last(last_size - 1, 'b');
    std::vector<std::string_view> argv(15, full);
    argv.push_back(last);
    auto at_limit = build_with(argv, {});
    ASSERT_FALSE(at_limit.is_error()) << error_name(at_limit.error());
    EXPECT_EQ(at_limit.value().arg_end - at_limit.value().arg_start, k_limit - 16 * 8 - 3);

    std::string one_more = last + "b";
    argv.back() = one_more;
    auto over = build_with(argv, {});
    ASSERT_TRUE(over.is_error());
    EXPECT_EQ(over.error(), Error::TooBig);

    // An environment entry uses the same budget (and one more pointer).
    argv.back() = last;
    auto with_env = build_with(argv, { "" });
    ASSERT_TRUE(with_env.is_error());
    EXPECT_EQ(with_env.error(), Error::TooBig);
}

TEST(InitialStack, TooManyPointers) {
    // (1 + 262143) pointers are exactly 2 MiB: Linux wants the limit strictly above.
    std::vector<std::string_view> envp(262143, "");
    auto result = build_with({ "x" }, envp);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::TooBig);
    envp.resize(100000);
    EXPECT_FALSE(build_with({ "x" }, envp).is_error());
}

TEST(InitialStack, LimitFollowsStackRlimit) {
    std::string text(300 * 1024, 'a');
    std::vector<std::string_view> envp;
    for (int i = 0; i < 3; i++)
        envp.push_back(std::string_view(text).substr(0, k_max_arg_strlen - 1)); // 384 KiB in all
    EXPECT_FALSE(build_with({ "x" }, envp).is_error());
    // 1 MiB rlimit: 256 KiB for arguments.
    auto small = build_with({ "x" }, envp, 1 << 20);
    ASSERT_TRUE(small.is_error());
    EXPECT_EQ(small.error(), Error::TooBig);
    // A tiny rlimit still allows ARG_MAX (128 KiB).
    EXPECT_FALSE(build_with({ "x" }, { envp[0].substr(0, 100000) }, 4096).is_error());
    // No rlimit: capped at 6 MiB.
    std::vector<std::string_view> many(40, envp[0]); // 5 MiB
    EXPECT_FALSE(build_with({ "x" }, many, k_rlim_infinity, 16 << 20).is_error());
    std::vector<std::string_view> too_many(50, envp[0]); // 6.25 MiB
    auto capped = build_with({ "x" }, too_many, k_rlim_infinity, 16 << 20);
    ASSERT_TRUE(capped.is_error());
    EXPECT_EQ(capped.error(), Error::TooBig);
}

TEST(InitialStack, RejectsNulInStrings) {
    using namespace std::string_view_literals;
    UserMemory memory(4096, k_top);
    std::vector<std::string_view> good { "prog" };
    std::vector<std::string_view> bad { "pr\0og"sv };
    auto random = test_random();
    EXPECT_EQ(build_initial_stack(memory.span(), k_top, { bad, {}, {}, "/x", "aarch64", random }).error(),
        Error::Invalid);
    EXPECT_EQ(build_initial_stack(memory.span(), k_top, { good, bad, {}, "/x", "aarch64", random }).error(),
        Error::Invalid);
    EXPECT_EQ(
        build_initial_stack(memory.span(), k_top, { good, {}, {}, "/x\0"sv, "aarch64", random }).error(),
        Error::Invalid);
    EXPECT_EQ(build_initial_stack(memory.span(), k_top, { good, {}, {}, "/x", "aarch\0"sv, random }).error(),
        Error::Invalid);
}

TEST(InitialStack, RejectsEntriesItAddsItself) {
    UserMemory memory(4096, k_top);
    std::vector<std::string_view> argv { "prog" };
    for (uint64_t type : { k_at_null, k_at_random, k_at_execfn, k_at_platform }) {
        std::vector<AuxEntry> auxv { { k_at_pagesz, 4096 }, { type, 1 } };
        auto result
            = build_initial_stack(memory.span(), k_top, { argv, {}, auxv, "/x", "aarch64", test_random() });
        ASSERT_TRUE(result.is_error()) << type;
        EXPECT_EQ(result.error(), Error::Invalid) << type;
    }
}

TEST(InitialStack, RejectsBufferBelowAddressZero) {
    std::vector<uint8_t> bytes(8192);
    auto result = build_initial_stack(bytes, 4096, Example().input());
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error(), Error::Invalid);
}

} // namespace
} // namespace akuma::proc
