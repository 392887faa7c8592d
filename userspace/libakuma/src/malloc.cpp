// libakuma's definitions of the C allocation functions. Linking this object
// into a static program (before libc.a, which the compiler driver
// guarantees; use --whole-archive so it is linked even when only libstdc++
// calls malloc) keeps glibc's malloc.o out of the link: no other libc.a
// member refers to a symbol only malloc.o defines, except weakly (its fork
// and thread-exit hooks). The mallopt/mallinfo/malloc_trim/... stubs below
// exist so a program calling them does not drag malloc.o back in with
// duplicate definitions.
//
// Which allocator serves the process is decided at the first call, from
// AKUMA_MALLOC. Static glibc sets `environ` before anything else in
// __libc_start_main, and nothing allocates before that (TLS comes from
// brk directly, ifunc resolvers do not allocate), so the choice always sees
// the real environment. Measured on Linux: the first call comes from
// _dl_non_dynamic_init (_dl_init_paths, _dl_get_origin), before the static
// constructors (libstdc++'s emergency exception pool) and main.
//
// All state is constant-initialised: malloc runs before any constructor of
// this library would. One lock serialises the allocators; under `fast`,
// small blocks first go through a per-thread cache (thread_cache.h) that
// needs no lock. Static glibc sets up the initial thread's TLS (from brk)
// before the first malloc, so the cache is usable from the first call.
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "akuma/alloc/brk_allocator.h"
#include "akuma/alloc/fast_allocator.h"
#include "akuma/alloc/guard_allocator.h"
#include "akuma/alloc/malloc_api.h"
#include "akuma/alloc/thread_cache.h"
#include "akuma/malloc.h"
#include "akuma/page_source.h"

// glibc's cached program break (misc/sbrk.c reads it instead of asking the
// kernel): kept in step with our brk calls so a program's own sbrk() extends
// the break above our heap instead of moving it back into it. Weak: absent
// from a link that has no sbrk.
extern "C" void* __curbrk __attribute__((weak));

namespace akuma::user {
namespace {

enum class Kind : unsigned char { Unchosen, Fast, Guard, Brk };

// A futex mutex (0 free, 1 held, 2 held with waiters): uncontended it is
// one atomic operation each way and no syscall, so single-threaded
// programs never need futex(). Waiters sleep in the kernel instead of
// spinning: allocator critical sections can be long (guard makes several
// syscalls) and a spinner on one CPU would only burn the holder's time.
// Without futex (ENOSYS) waiting falls back to sched_yield.
class Lock {
public:
    void lock() {
        int state = 0;
        if (m_state.compare_exchange_strong(state, 1, std::memory_order_acquire))
            return;
        for (int spin = 0; spin < 100 && state == 1; spin++) {
            asm volatile("yield");
            state = 0;
            if (m_state.compare_exchange_strong(state, 1, std::memory_order_acquire))
                return;
        }
        if (state != 2)
            state = m_state.exchange(2, std::memory_order_acquire);
        while (state != 0) {
            if (futex_wait(&m_state, 2) == -ENOSYS)
                sched_yield();
            state = m_state.exchange(2, std::memory_order_acquire);
        }
    }

    void unlock() {
        if (m_state.exchange(0, std::memory_order_release) == 2)
            futex_wake(&m_state, 1);
    }

    // In a fork child: the forking thread held the lock (see below) and is
    // the only thread; nobody waits on the child's copy.
    void reset_in_child() { m_state.store(0, std::memory_order_relaxed); }

private:
    std::atomic<int> m_state { 0 };
    static_assert(sizeof(std::atomic<int>) == sizeof(int));
};

class LockGuard {
public:
    explicit LockGuard(Lock& lock) : m_lock(lock) { m_lock.lock(); }
    ~LockGuard() { m_lock.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Lock& m_lock;
};

constinit Lock g_lock;
constinit Kind g_kind = Kind::Unchosen;

// fork() in a threaded program copies only the forking thread: had another
// thread held the lock at that moment, the child could never allocate. So
// the lock is held across fork (as glibc does for its own malloc).
__attribute__((constructor)) void hold_lock_across_fork() {
    pthread_atfork([] { g_lock.lock(); }, [] { g_lock.unlock(); }, [] { g_lock.reset_in_child(); });
}
constinit FastAllocator<SyscallPageSource> g_fast;
constinit GuardAllocator<SyscallPageSource> g_guard;
constinit BrkAllocator<SyscallPageSource> g_brk;

// ---- the per-thread cache of `fast`
//
// A thread's cache is enabled once its exit hook is armed: a pthread key
// whose destructor flushes the cache back (glibc runs key destructors when
// a pthread exits; the initial thread never needs it). A thread made with a
// raw clone() has no such hook: with its own TLS its cache is never flushed
// (its blocks stay allocated), and without CLONE_SETTLS it would share its
// creator's cache unlocked, which (as with glibc) it must not do: such a
// thread must not call malloc.
enum class CacheState : unsigned char { Unarmed, Arming, Armed, Flushed };
constinit thread_local ThreadCache t_cache;
constinit thread_local CacheState t_cache_state = CacheState::Unarmed;
constinit pthread_key_t g_cache_key_slot;
constinit bool g_cache_key_created = false;
// Marks cached blocks (their second word); per process and random, so
// program data rarely matches it by chance.
constinit uintptr_t g_cache_key = 0;

// Its own random bytes: not AT_RANDOM's, which static glibc has already
// made its stack protector canary (bytes 0-7) and its pointer-mangling
// guard (bytes 8-15); every freed block would show one of them.
uintptr_t make_cache_key() {
    uintptr_t key = 0;
    if (syscall3(sys::k_getrandom, reinterpret_cast<long>(&key), sizeof(key), 0) != long(sizeof(key))) {
        // No getrandom (a seccomp filter, say): weaker, but still varies.
        TimeSpec now {};
        clock_gettime(k_clock_monotonic, &now);
        key = (to_address(&key) ^ static_cast<uintptr_t>(now.nanoseconds)) * 0x9e3779b97f4a7c15u;
    }
    return key | 1;
}

[[noreturn, gnu::cold, gnu::noinline]] void cache_fatal(const char* what, const void* address) {
    malloc_fatal(what, address);
}

void flush_thread_cache(void* cache) {
    LockGuard guard(g_lock);
    static_cast<ThreadCache*>(cache)->flush([](void* block) { g_fast.deallocate(block); });
    t_cache_state = CacheState::Flushed;
}

// Called without the lock (pthread_setspecific may allocate for high key
// numbers, and that allocation comes back here: Arming stops the recursion).
void arm_thread_cache() {
    t_cache_state = CacheState::Arming;
    bool created;
    {
        LockGuard guard(g_lock);
        if (!g_cache_key_created) {
            g_cache_key_created = pthread_key_create(&g_cache_key_slot, flush_thread_cache) == 0;
            g_cache_key = make_cache_key();
        }
        created = g_cache_key_created;
    }
    if (created && pthread_setspecific(g_cache_key_slot, &t_cache) == 0) {
        t_cache.enable();
        t_cache_state = CacheState::Armed;
    } else {
        t_cache_state = CacheState::Flushed;  // no hook: never cache in this thread
    }
}

[[gnu::always_inline]] inline bool fast_chosen() { return __atomic_load_n(&g_kind, __ATOMIC_RELAXED) == Kind::Fast; }

// malloc's slow path for a cacheable size under `fast`: fills the cache
// with a few blocks of the class at once and returns one more.
[[gnu::noinline]] void* refill_and_allocate(size_t size) {
    if (t_cache_state == CacheState::Unarmed)
        arm_thread_cache();
    unsigned index = ThreadCache::class_for(size);
    LockGuard guard(g_lock);
    if (t_cache.enabled()) {
        for (unsigned i = 1; i < ThreadCache::k_refill; i++) {
            void* block = g_fast.allocate_in_class(index);
            if (!block || !t_cache.put(index, block, g_cache_key, cache_fatal)) {
                if (block)
                    g_fast.deallocate(block);
                break;
            }
        }
    }
    void* block = g_fast.allocate_in_class(index);
    if (!block)  // out of memory, but the refill may have cached a few
        block = t_cache.take(index, g_cache_key, cache_fatal);
    if (!block)
        errno = ENOMEM;
    return block;
}

const char* environment_value(const char* name) {
    if (!environ)
        return nullptr;
    size_t length = string_length(name);
    for (char** entry = environ; *entry; entry++) {
        const char* text = *entry;
        size_t i = 0;
        while (i < length && text[i] == name[i])
            i++;
        if (i == length && text[length] == '=')
            return text + length + 1;
    }
    return nullptr;
}

bool same_text(const char* a, const char* b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

Kind choose_kind() {
    const char* value = environment_value("AKUMA_MALLOC");
    if (!value || !*value || same_text(value, "fast"))
        return Kind::Fast;
    if (same_text(value, "guard"))
        return Kind::Guard;
    if (same_text(value, "brk"))
        return Kind::Brk;
    write_string(k_stderr_fd, "libakuma: unknown AKUMA_MALLOC value '");
    write_string(k_stderr_fd, value);
    write_string(k_stderr_fd, "' (expected fast, guard or brk); using fast\n");
    return Kind::Fast;
}

Kind chosen_kind() {
    if (g_kind == Kind::Unchosen)
        g_kind = choose_kind();
    return g_kind;
}

const char* kind_name(Kind kind) {
    switch (kind) {
    case Kind::Guard:
        return decltype(g_guard)::k_name;
    case Kind::Brk:
        return decltype(g_brk)::k_name;
    default:
        return decltype(g_fast)::k_name;
    }
}

// Runs `function` on the process's allocator under the lock.
template <typename Function>
auto with_allocator(Function function) {
    LockGuard guard(g_lock);
    switch (chosen_kind()) {
    case Kind::Guard:
        return function(g_guard);
    case Kind::Brk:
        return function(g_brk);
    default:
        return function(g_fast);
    }
}

[[gnu::noinline]] void* malloc_without_cache(size_t size) {
    if (size <= ThreadCache::k_max_size && fast_chosen())
        return refill_and_allocate(size);
    return with_allocator([&](auto& allocator) { return api_malloc(allocator, size); });
}

[[gnu::noinline]] void free_without_cache(void* pointer) {
    if (pointer)
        with_allocator([&](auto& allocator) { api_free(allocator, pointer); });
}

} // namespace

void malloc_fatal(const char* what, const void* address) {
    write_string(k_stderr_fd, "libakuma malloc (");
    write_string(k_stderr_fd, kind_name(g_kind));
    write_string(k_stderr_fd, "): ");
    write_string(k_stderr_fd, what);
    write_string(k_stderr_fd, " at ");
    write_hex(k_stderr_fd, to_address(address));
    write_string(k_stderr_fd, "\n");
    tgkill(getpid(), gettid(), k_sigabrt);
    exit_group(134);
}

void note_program_break(uintptr_t address) {
    if (&__curbrk)
        __curbrk = to_pointer(address);
}

} // namespace akuma::user

using namespace akuma::user;

extern "C" {

const char* akuma_malloc_name(void) {
    LockGuard guard(g_lock);
    return kind_name(chosen_kind());
}

// malloc and free are split so that the cache hit is a leaf function that
// saves no registers; everything else is out of line. Only `fast` ever
// enables a thread's cache (refill_and_allocate), so an empty or disabled
// cache is all malloc needs to see to leave the other allocators alone, and
// free looks at the chunk header behind a pointer only once it knows that
// `fast` made it (a `guard` block's 64 KiB-aligned base may be unmapped).
void* malloc(size_t size) noexcept {
    if (size <= ThreadCache::k_max_size) [[likely]] {
        if (void* block = t_cache.take(ThreadCache::class_for(size), g_cache_key, cache_fatal))
            return block;
    }
    return malloc_without_cache(size);
}

void free(void* pointer) noexcept {
    if (pointer && t_cache.enabled()) [[likely]] {
        int index = g_fast.cached_class_of(pointer, ThreadCache::k_classes);
        if (index >= 0 && t_cache.put(static_cast<unsigned>(index), pointer, g_cache_key, cache_fatal))
            return;
    }
    free_without_cache(pointer);
}

void* calloc(size_t count, size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_calloc(allocator, count, size); });
}

void* realloc(void* pointer, size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_realloc(allocator, pointer, size); });
}

void* aligned_alloc(size_t alignment, size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_aligned_alloc(allocator, alignment, size); });
}

void* memalign(size_t alignment, size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_memalign(allocator, alignment, size); });
}

int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_posix_memalign(allocator, out, alignment, size); });
}

void* valloc(size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_valloc(allocator, size); });
}

void* pvalloc(size_t size) noexcept {
    return with_allocator([&](auto& allocator) { return api_pvalloc(allocator, size); });
}

size_t malloc_usable_size(void* pointer) noexcept {
    if (!pointer)
        return 0;
    return with_allocator([&](auto& allocator) { return api_usable_size(allocator, pointer); });
}

// Tuning and statistics of glibc's allocator have no meaning here; these
// report "nothing done" honestly.
int mallopt(int, int) noexcept { return 0; }
int malloc_trim(size_t) noexcept { return 0; }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct mallinfo mallinfo(void) noexcept { return {}; }
#pragma GCC diagnostic pop
struct mallinfo2 mallinfo2(void) noexcept { return {}; }

void malloc_stats(void) noexcept {
    write_string(k_stderr_fd, "libakuma malloc: ");
    write_string(k_stderr_fd, akuma_malloc_name());
    write_string(k_stderr_fd, "\n");
}

int malloc_info(int options, FILE* stream) noexcept {
    if (options != 0) {
        errno = EINVAL;
        return -1;
    }
    fprintf(stream, "<malloc version=\"libakuma\" allocator=\"%s\"/>\n", akuma_malloc_name());
    return 0;
}

} // extern "C"
