// stdcheck: exercises the C++ standard library's allocation paths (vector,
// string, unique_ptr, map, nested containers) and the C allocation
// functions, one "[TEST] <name>... PASS|FAIL" line per test, then a summary;
// exits 0 only if every test passed.
//
// The same object is linked three ways (see userspace/CMakeLists.txt):
// with libakuma (allocator from AKUMA_MALLOC), with glibc's malloc, and
// with libakuma plus a layout pad (userspace/layout/pad.c) that moves the
// end of BSS, and so the initial program break, across page boundaries.
// Both the allocator name and the pad are found through weak symbols, so
// nothing here depends on which way it was linked.
//
// Allocation counts stay in the low thousands (about 25000 in all): under
// the guard allocator every block costs a page or two and three syscalls,
// Akuma boots with 128 MiB, and the layout sweep runs this 192 times.
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" {
// libakuma: which allocator serves malloc (absent in the glibc flavour).
const char* akuma_malloc_name(void) __attribute__((weak));
// userspace/layout/pad.c (absent unless linked as a layout variant).
extern char akuma_layout_pad_bss[] __attribute__((weak));
extern const unsigned long akuma_layout_pad_bss_size __attribute__((weak));
extern char akuma_layout_pad_data[] __attribute__((weak));
extern const unsigned long akuma_layout_pad_data_size __attribute__((weak));
extern const unsigned akuma_layout_variant __attribute__((weak));
// The linker's section boundaries (GNU ld's default script).
extern char __bss_start[];
extern char _edata[];
extern char _end[];
}

namespace {

constexpr uintptr_t k_page_size = 4096;

// Written by the program itself: the loader must have put these in place.
int g_data_marker = 0x5eed1234;
int g_bss_marker;

struct Failure {
    int line = 0;
    const char* condition = nullptr;
    char detail[160] = {};
};
Failure g_failure;

#define CHECK(expr)                                                                                                  \
    do {                                                                                                             \
        if (!(expr)) {                                                                                               \
            g_failure.line = __LINE__;                                                                               \
            g_failure.condition = #expr;                                                                             \
            return false;                                                                                            \
        }                                                                                                            \
    } while (0)

// CHECK with a printf-style explanation (addresses, indices).
#define CHECKF(expr, ...)                                                                                            \
    do {                                                                                                             \
        if (!(expr)) {                                                                                               \
            g_failure.line = __LINE__;                                                                               \
            g_failure.condition = #expr;                                                                             \
            snprintf(g_failure.detail, sizeof(g_failure.detail), __VA_ARGS__);                                       \
            return false;                                                                                            \
        }                                                                                                            \
    } while (0)

unsigned char pattern(uint64_t seed, size_t index) {
    return static_cast<unsigned char>(seed * 167 + index * 13 + (index >> 9));
}

void fill(void* pointer, size_t size, uint64_t seed) {
    auto* bytes = static_cast<unsigned char*>(pointer);
    for (size_t i = 0; i < size; i++)
        bytes[i] = pattern(seed, i);
}

bool matches(const void* pointer, size_t size, uint64_t seed) {
    const auto* bytes = static_cast<const unsigned char*>(pointer);
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != pattern(seed, i))
            return false;
    return true;
}

bool is_zero(const void* pointer, size_t size) {
    const auto* bytes = static_cast<const volatile unsigned char*>(pointer);
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != 0)
            return false;
    return true;
}

bool aligned(const void* pointer, size_t alignment) { return reinterpret_cast<uintptr_t>(pointer) % alignment == 0; }

// Keeps deliberately impossible sizes away from the compiler's
// allocation-size warnings.
size_t opaque(size_t value) {
    volatile size_t copy = value;
    return copy;
}

uintptr_t current_break() { return static_cast<uintptr_t>(syscall(SYS_brk, 0)); }

// ------------------------------------------------------------------ layout

// The loader's job: BSS is zero up to the end of its last page (the tail
// of the page holding the end of the file-backed data included), and
// initialised data arrived intact. Must run before anything writes there.
bool test_layout_bss_zeroed() {
    CHECK(g_bss_marker == 0);
    if (&akuma_layout_pad_bss_size && akuma_layout_pad_bss_size)
        CHECK(is_zero(akuma_layout_pad_bss, akuma_layout_pad_bss_size));
    uintptr_t end = reinterpret_cast<uintptr_t>(_end);
    uintptr_t page_end = (end + k_page_size - 1) & ~(k_page_size - 1);
    CHECKF(is_zero(_end, page_end - end), "bytes after _end=%p are not zero", static_cast<void*>(_end));
    g_bss_marker = 1;
    return true;
}

bool test_layout_data_loaded() {
    CHECK(g_data_marker == 0x5eed1234);
    if (&akuma_layout_pad_data_size && akuma_layout_pad_data_size) {
        unsigned long size = akuma_layout_pad_data_size;
        CHECK(akuma_layout_pad_data[0] == 1);
        CHECK(akuma_layout_pad_data[size - 1] == 2);
        if (size > 2)
            CHECK(is_zero(akuma_layout_pad_data + 1, size - 2));
    }
    // The break begins after the last segment (and the allocator may have
    // moved it up since).
    CHECKF(current_break() >= reinterpret_cast<uintptr_t>(_end), "brk %#lx below _end %p",
        static_cast<unsigned long>(current_break()), static_cast<void*>(_end));
    return true;
}

// ------------------------------------------------------------------ malloc

bool test_malloc_whole_usable_size_writable() {
    static const size_t sizes[] = { 0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 200,
        255, 256, 257, 500, 1000, 1023, 1024, 1025, 2000, 4095, 4096, 4097, 8191, 8192, 8193, 10000, 65535, 65536,
        65537, 131072, 300000 };
    void* blocks[sizeof(sizes) / sizeof(sizes[0])];
    size_t usable[sizeof(sizes) / sizeof(sizes[0])];
    size_t count = sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < count; i++) {
        blocks[i] = malloc(sizes[i]);
        CHECKF(blocks[i] != nullptr, "malloc(%zu)", sizes[i]);
        CHECKF(aligned(blocks[i], 16), "malloc(%zu) = %p", sizes[i], blocks[i]);
        usable[i] = malloc_usable_size(blocks[i]);
        CHECKF(usable[i] >= sizes[i], "malloc_usable_size(malloc(%zu)) = %zu", sizes[i], usable[i]);
        fill(blocks[i], usable[i], i);
    }
    for (size_t i = 0; i < count; i++) {
        CHECKF(matches(blocks[i], usable[i], i), "block of %zu bytes at %p was overwritten", sizes[i], blocks[i]);
        free(blocks[i]);
    }
    free(nullptr);
    return true;
}

bool test_malloc_zero_unique() {
    void* a = malloc(0);
    void* b = malloc(0);
    CHECK(a != nullptr && b != nullptr);
    CHECK(a != b);
    free(a);
    free(b);
    return true;
}

bool test_many_small_freed_in_random_order() {
    std::mt19937 random(42);
    struct Block {
        unsigned char* pointer;
        size_t size;
    };
    std::vector<Block> blocks;
    blocks.reserve(2000);
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < 2000; i++) {
            size_t size = 1 + random() % (round == 3 ? 2048 : 256);
            auto* pointer = static_cast<unsigned char*>(malloc(size));
            CHECKF(pointer != nullptr, "malloc(%zu)", size);
            fill(pointer, size, i);
            blocks.push_back({ pointer, size });
        }
        std::shuffle(blocks.begin(), blocks.end(), random);
        // Free three quarters, keep the rest across rounds.
        size_t keep = blocks.size() / 4;
        for (size_t i = keep; i < blocks.size(); i++)
            free(blocks[i].pointer);
        blocks.resize(keep);
    }
    for (const Block& block : blocks)
        free(block.pointer);
    // Now verify contents survive while neighbours come and go.
    std::vector<Block> live;
    for (int step = 0; step < 8000; step++) {
        if (live.size() < 1000 && (live.empty() || random() % 3)) {
            size_t size = 1 + random() % 512;
            auto* pointer = static_cast<unsigned char*>(malloc(size));
            CHECK(pointer != nullptr);
            fill(pointer, size, size);
            live.push_back({ pointer, size });
        } else {
            size_t index = random() % live.size();
            CHECKF(matches(live[index].pointer, live[index].size, live[index].size), "block %p (%zu bytes) changed",
                static_cast<void*>(live[index].pointer), live[index].size);
            free(live[index].pointer);
            live[index] = live.back();
            live.pop_back();
        }
    }
    for (const Block& block : live) {
        CHECK(matches(block.pointer, block.size, block.size));
        free(block.pointer);
    }
    return true;
}

bool test_large_allocations_touched() {
    for (size_t size : { size_t(1) << 20, size_t(16) << 20 }) {
        auto* pointer = static_cast<unsigned char*>(malloc(size));
        CHECKF(pointer != nullptr, "malloc(%zu)", size);
        // Every page, first and last byte included.
        for (size_t offset = 0; offset < size; offset += k_page_size)
            pointer[offset] = static_cast<unsigned char>(offset >> 12);
        pointer[size - 1] = 0x7e;
        for (size_t offset = 0; offset < size; offset += k_page_size)
            CHECKF(pointer[offset] == static_cast<unsigned char>(offset >> 12), "offset %zu of %zu", offset, size);
        CHECK(pointer[size - 1] == 0x7e);
        free(pointer);
    }
    // calloc'd large memory reads as zero everywhere.
    auto* zeroed = static_cast<unsigned char*>(calloc(4, 1 << 20));
    CHECK(zeroed != nullptr);
    for (size_t offset = 0; offset < (4 << 20); offset += 512)
        CHECK(zeroed[offset] == 0);
    free(zeroed);
    return true;
}

bool test_realloc_behaviour() {
    auto* p = static_cast<unsigned char*>(realloc(nullptr, 24)); // realloc(NULL) is malloc
    CHECK(p != nullptr);
    fill(p, 24, 24);
    size_t size = 24;
    for (size_t next : { 25, 64, 500, 5000, 70000, 1 << 20, 3000, 100, 16, 1, 40000 }) {
        p = static_cast<unsigned char*>(realloc(p, next));
        CHECKF(p != nullptr, "realloc to %zu", next);
        CHECKF(matches(p, std::min(size, next), size), "realloc %zu -> %zu lost data", size, next);
        fill(p, next, next);
        size = next;
    }
    errno = 0;
    void* huge = realloc(p, opaque(SIZE_MAX - 4096));
    CHECK(huge == nullptr);
    CHECK(errno == ENOMEM);
    CHECK(matches(p, size, size)); // untouched after the failure
    errno = 0;
    CHECK(realloc(p, 0) == nullptr); // glibc: frees and returns NULL
    // reallocarray overflow.
    errno = 0;
    CHECK(reallocarray(nullptr, opaque(SIZE_MAX / 4), 8) == nullptr);
    CHECK(errno == ENOMEM);
    return true;
}

bool test_calloc_behaviour() {
    // Dirty some memory, free it, and calloc the same sizes.
    for (size_t size : { 16, 100, 1000, 5000, 50000 }) {
        void* dirty = malloc(size);
        CHECK(dirty != nullptr);
        memset(dirty, 0xff, size);
        free(dirty);
        auto* clean = static_cast<unsigned char*>(calloc(1, size));
        CHECK(clean != nullptr);
        CHECKF(is_zero(clean, size), "calloc(1, %zu) not zeroed", size);
        free(clean);
    }
    errno = 0;
    CHECK(calloc(opaque(SIZE_MAX / 2), 3) == nullptr);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(calloc(opaque(size_t(1) << 33), size_t(1) << 33) == nullptr);
    CHECK(errno == ENOMEM);
    void* empty = calloc(0, 16);
    CHECK(empty != nullptr);
    free(empty);
    return true;
}

bool test_aligned_allocations() {
    std::vector<void*> blocks;
    for (size_t alignment = 16; alignment <= (size_t(1) << 20); alignment *= 2) {
        for (size_t size : { size_t(1), alignment, alignment * 3, size_t(5000) }) {
            size_t rounded = (size + alignment - 1) / alignment * alignment; // C11 wording, portable
            void* p = aligned_alloc(alignment, rounded);
            CHECKF(p != nullptr, "aligned_alloc(%zu, %zu)", alignment, rounded);
            CHECKF(aligned(p, alignment), "aligned_alloc(%zu, %zu) = %p", alignment, rounded, p);
            CHECK(malloc_usable_size(p) >= rounded);
            memset(p, 0x3c, rounded);
            blocks.push_back(p);
            void* q = nullptr;
            CHECK(posix_memalign(&q, alignment, size) == 0);
            CHECKF(aligned(q, alignment), "posix_memalign(%zu, %zu) = %p", alignment, size, q);
            memset(q, 0x4d, size);
            blocks.push_back(q);
        }
    }
    void* out = &out;
    CHECK(posix_memalign(&out, 3, 16) == EINVAL);
    CHECK(posix_memalign(&out, 4, 16) == EINVAL); // not a multiple of sizeof(void*)
    CHECK(posix_memalign(&out, 0, 16) == EINVAL);
    CHECK(out == &out);
    CHECK(posix_memalign(&out, 8, 0) == 0);
    blocks.push_back(out);
    void* page = valloc(100);
    CHECK(page != nullptr && aligned(page, k_page_size));
    blocks.push_back(page);
    void* m = memalign(64, 1000);
    CHECK(m != nullptr && aligned(m, 64));
    blocks.push_back(m);
    for (void* p : blocks)
        free(p);
    return true;
}

struct alignas(64) CacheLine {
    unsigned char bytes[64];
};
struct alignas(4096) PageSized {
    unsigned char bytes[100];
};

bool test_operator_new_aligned() {
    std::vector<void*> blocks;
    for (size_t alignment : { 32, 64, 256, 4096, 65536 }) {
        void* p = ::operator new(1000, std::align_val_t(alignment));
        CHECKF(aligned(p, alignment), "operator new(1000, align %zu) = %p", alignment, p);
        memset(p, 1, 1000);
        ::operator delete(p, std::align_val_t(alignment));
    }
    auto line = std::make_unique<CacheLine>();
    CHECK(aligned(line.get(), 64));
    auto page = std::make_unique<PageSized>();
    CHECK(aligned(page.get(), 4096));
    std::vector<CacheLine> lines(1000);
    CHECK(aligned(lines.data(), 64));
    lines.resize(5000);
    CHECK(aligned(lines.data(), 64));
    auto* array = new PageSized[7];
    for (int i = 0; i < 7; i++)
        CHECK(aligned(&array[i], 4096));
    delete[] array;
    return true;
}

char* volatile g_sink;

bool test_allocation_failure_throws_bad_alloc() {
    bool thrown = false;
    try {
        // Through a volatile pointer, so the compiler cannot elide the pair.
        g_sink = new char[opaque(size_t(1) << 62)];
        g_sink[0] = 1;
        delete[] g_sink;
    } catch (const std::bad_alloc&) {
        thrown = true;
    }
    CHECK(thrown);
    errno = 0;
    CHECK(malloc(opaque(SIZE_MAX)) == nullptr);
    CHECK(errno == ENOMEM);
    // The heap still works afterwards.
    std::vector<int> after(1000, 7);
    CHECK(after[999] == 7);
    return true;
}

// ------------------------------------------------------------------ vector

bool test_vector_push_back_growth() {
    std::vector<int> values;
    size_t reallocations = 0;
    const int* data = nullptr;
    for (int i = 0; i < 200000; i++) {
        values.push_back(i * 3);
        if (values.data() != data) {
            reallocations++;
            data = values.data();
        }
    }
    CHECK(values.size() == 200000);
    CHECK(reallocations >= 10);
    for (int i = 0; i < 200000; i++)
        CHECKF(values[i] == i * 3, "values[%d] = %d", i, values[i]);
    values.clear();
    values.shrink_to_fit();
    CHECK(values.capacity() == 0);
    return true;
}

bool test_vector_reserve() {
    std::vector<uint64_t> values;
    values.reserve(50000);
    CHECK(values.capacity() >= 50000);
    const uint64_t* data = values.data();
    for (uint64_t i = 0; i < 50000; i++)
        values.push_back(i * i);
    CHECK(values.data() == data); // no reallocation within the reservation
    for (uint64_t i = 0; i < 50000; i++)
        CHECK(values[i] == i * i);
    values.reserve(10); // never shrinks
    CHECK(values.capacity() >= 50000);
    return true;
}

bool test_vector_large() {
    // 8 MiB, resized to 12 MiB (a move), then shrunk.
    std::vector<uint64_t> values(1 << 20);
    for (size_t i = 0; i < values.size(); i++)
        values[i] = i ^ 0xabcdef;
    values.resize(3 << 19, 1);
    for (size_t i = 0; i < (1 << 20); i++)
        CHECKF(values[i] == (i ^ 0xabcdef), "values[%zu]", i);
    for (size_t i = 1 << 20; i < values.size(); i++)
        CHECK(values[i] == 1);
    values.resize(1000);
    values.shrink_to_fit();
    CHECK(values.size() == 1000 && values[999] == (999 ^ 0xabcdef));
    std::vector<char> bytes(5 << 20, 'x');
    CHECK(bytes[(5 << 20) - 1] == 'x');
    return true;
}

bool test_vector_of_vectors() {
    std::vector<std::vector<int>> rows;
    for (int r = 0; r < 300; r++) {
        rows.emplace_back();
        for (int c = 0; c <= r % 97; c++)
            rows.back().push_back(r * 1000 + c);
    }
    // Grow some rows after their neighbours exist.
    for (int r = 0; r < 300; r += 7)
        for (int c = 0; c < 50; c++)
            rows[r].push_back(-c);
    for (int r = 0; r < 300; r++) {
        int base = r % 97 + 1;
        CHECK(rows[r].size() == static_cast<size_t>(base + (r % 7 == 0 ? 50 : 0)));
        for (int c = 0; c < base; c++)
            CHECK(rows[r][c] == r * 1000 + c);
    }
    auto copy = rows;
    CHECK(copy == rows);
    rows.erase(rows.begin(), rows.begin() + 150);
    CHECK(rows.size() == 150 && rows[0][0] == 150000);
    return true;
}

// ------------------------------------------------------------------ string

bool test_string_construction() {
    std::string empty;
    CHECK(empty.empty() && empty.c_str()[0] == '\0');
    std::string literal("hello, akuma");
    CHECK(literal.size() == 12 && literal == "hello, akuma");
    std::string repeated(100, 'z');
    CHECK(repeated.size() == 100 && repeated[99] == 'z' && repeated.c_str()[100] == '\0');
    std::string copy = repeated;
    CHECK(copy == repeated && copy.data() != repeated.data());
    std::string moved = std::move(copy);
    CHECK(moved == repeated);
    std::string from_range(literal.begin() + 7, literal.end());
    CHECK(from_range == "akuma");
    std::string number = std::to_string(1234567890123LL);
    CHECK(number == "1234567890123");
    return true;
}

// libstdc++ keeps up to 15 characters inline; 16 and more go to the heap.
bool test_string_sso_boundary() {
    for (size_t length = 0; length <= 40; length++) {
        std::string text(length, 'a');
        for (size_t i = 0; i < length; i++)
            text[i] = static_cast<char>('a' + i % 26);
        CHECK(text.size() == length && text.c_str()[length] == '\0');
        std::string copy(text);
        CHECK(copy == text);
        std::string grown = text + "!";
        CHECK(grown.size() == length + 1 && grown.back() == '!');
        CHECK(grown.compare(0, length, text) == 0);
        text.push_back('?');
        CHECK(text.size() == length + 1 && text[length] == '?');
    }
    std::string fifteen(15, 'f');
    std::string sixteen(16, 's');
    CHECK(fifteen.capacity() >= 15 && sixteen.capacity() >= 16);
    std::swap(fifteen, sixteen);
    CHECK(fifteen == std::string(16, 's') && sixteen == std::string(15, 'f'));
    return true;
}

// The original Akuma crash: appending to a string reallocates many times.
bool test_string_append_reallocates() {
    std::string text;
    size_t reallocations = 0;
    const char* data = text.data();
    for (int i = 0; i < 100000; i++) {
        text.push_back(static_cast<char>('A' + i % 26));
        if (text.data() != data) {
            reallocations++;
            data = text.data();
        }
    }
    CHECK(reallocations >= 10);
    for (int i = 0; i < 100000; i++)
        CHECK(text[i] == 'A' + i % 26);
    std::string words;
    for (int i = 0; i < 5000; i++) {
        words += "word";
        words += std::to_string(i);
        words.append(1, ' ');
    }
    CHECK(words.compare(0, 12, "word0 word1 ") == 0);
    CHECK(words.size() > 40000);
    return true;
}

// Many strings growing in turn: their reallocations interleave in the heap.
bool test_string_interleaved_growth() {
    std::vector<std::string> strings(64);
    for (int round = 0; round < 300; round++)
        for (size_t s = 0; s < strings.size(); s++)
            strings[s].append(1 + (s + round) % 9, static_cast<char>('a' + s % 26));
    for (size_t s = 0; s < strings.size(); s++) {
        size_t expected = 0;
        for (int round = 0; round < 300; round++)
            expected += 1 + (s + round) % 9;
        CHECK(strings[s].size() == expected);
        CHECK(strings[s].find_first_not_of(static_cast<char>('a' + s % 26)) == std::string::npos);
    }
    return true;
}

bool test_string_substr_find() {
    std::string text = "the quick brown fox jumps over the lazy dog; the end";
    CHECK(text.find("fox") == 16);
    CHECK(text.find("the", 1) == 31);
    CHECK(text.rfind("the") == 45);
    CHECK(text.find("cat") == std::string::npos);
    CHECK(text.substr(4, 5) == "quick");
    CHECK(text.substr(45) == "the end");
    std::string big;
    for (int i = 0; i < 2000; i++)
        big += "abcdefghij";
    big += "NEEDLE";
    CHECK(big.find("NEEDLE") == 20000);
    std::string piece = big.substr(19990, 16);
    CHECK(piece == "abcdefghijNEEDLE");
    big.replace(0, 10, "0123456789012345678901234567890123456789");
    CHECK(big.find("NEEDLE") == 20030);
    big.erase(10, 20000);
    CHECK(big.find("NEEDLE") == 30);
    return true;
}

// ------------------------------------------------------------- unique_ptr

int g_deleted;

struct Tracked {
    explicit Tracked(int value) : value(value) { }
    ~Tracked() { g_deleted++; }
    int value;
};

bool test_unique_ptr() {
    g_deleted = 0;
    {
        auto one = std::make_unique<Tracked>(5);
        CHECK(one->value == 5);
        auto other = std::move(one);
        CHECK(!one && other->value == 5);
        other.reset(new Tracked(6));
        CHECK(g_deleted == 1 && other->value == 6);
    }
    CHECK(g_deleted == 2);
    {
        auto numbers = std::make_unique<int[]>(10000); // value-initialised
        for (int i = 0; i < 10000; i++)
            CHECK(numbers[i] == 0);
        std::unique_ptr<Tracked[]> objects(new Tracked[3] { Tracked(1), Tracked(2), Tracked(3) });
        CHECK(objects[2].value == 3);
    }
    CHECK(g_deleted == 5);
    // Custom deleters: a function pointer freeing malloc'd memory, a lambda.
    int custom_calls = 0;
    {
        std::unique_ptr<char, void (*)(void*)> raw(static_cast<char*>(malloc(100)), free);
        CHECK(raw != nullptr);
        memset(raw.get(), 1, 100);
        auto counting = [&custom_calls](int* p) {
            custom_calls++;
            delete p;
        };
        std::unique_ptr<int, decltype(counting)> counted(new int(3), counting);
        CHECK(*counted == 3);
    }
    CHECK(custom_calls == 1);
    std::vector<std::unique_ptr<Tracked>> many;
    for (int i = 0; i < 1000; i++)
        many.push_back(std::make_unique<Tracked>(i));
    g_deleted = 0;
    many.erase(many.begin() + 100, many.begin() + 600);
    CHECK(g_deleted == 500 && many[100]->value == 600);
    many.clear();
    CHECK(g_deleted == 1000);
    return true;
}

// --------------------------------------------------------------------- map

bool test_map_insert_erase() {
    std::mt19937 random(7);
    std::map<int, int> map;
    std::vector<int> keys;
    for (int i = 0; i < 2500; i++) {
        int key = static_cast<int>(random() % 100000);
        if (map.emplace(key, key * 2).second)
            keys.push_back(key);
    }
    CHECK(map.size() == keys.size());
    std::shuffle(keys.begin(), keys.end(), random);
    for (size_t i = 0; i < keys.size() / 2; i++)
        CHECK(map.erase(keys[i]) == 1);
    keys.erase(keys.begin(), keys.begin() + keys.size() / 2);
    std::sort(keys.begin(), keys.end());
    CHECK(map.size() == keys.size());
    // Iteration is in key order and matches the survivors exactly.
    size_t index = 0;
    int previous = -1;
    for (const auto& [key, value] : map) {
        CHECK(key > previous);
        CHECK(key == keys[index] && value == key * 2);
        previous = key;
        index++;
    }
    CHECK(index == keys.size());
    for (int i = 0; i < 1000; i++)
        map[100000 + i] = i;
    CHECK(map.rbegin()->first == 100999);
    map.clear();
    CHECK(map.empty());
    return true;
}

bool test_nested_containers() {
    std::map<std::string, std::vector<std::string>> index;
    for (int i = 0; i < 900; i++) {
        std::string key = "key-" + std::to_string(i % 150);
        index[key].push_back("value number " + std::to_string(i) + " with some length to leave SSO");
    }
    CHECK(index.size() == 150);
    for (const auto& [key, values] : index) {
        CHECK(values.size() == 6);
        int id = atoi(key.c_str() + 4);
        for (size_t v = 0; v < values.size(); v++)
            CHECK(values[v].compare(0, 13, "value number ") == 0 && atoi(values[v].c_str() + 13) == id + 150 * int(v));
    }
    auto copy = index;
    index.erase("key-7");
    CHECK(index.size() == 149 && copy.size() == 150 && copy["key-7"].size() == 6);
    std::map<int, std::map<int, std::string>> grid;
    for (int r = 0; r < 30; r++)
        for (int c = 0; c < 30; c++)
            grid[r][c] = std::string(static_cast<size_t>(c), static_cast<char>('a' + r % 26));
    CHECK(grid[29][29].size() == 29 && grid[25][3] == "zzz");
    return true;
}

// Blocks cross threads both ways with their contents intact, and a thread
// that ends gives back what its allocator kept for it: libakuma's `fast`
// caches freed small blocks per thread and flushes the cache when the
// thread exits. 48 threads each leave 100 KiB of freed blocks behind (16 in
// each of the 20 classes up to 1 KiB); kept, that would be 4.7 MiB more RAM
// in use.
bool test_threads_exchange_blocks_and_return_them() {
    static constexpr size_t sizes[] = { 16, 32, 48, 64, 96, 128, 160, 256, 384, 512, 768, 1024 };
    // A thread's blocks, freed here: filled with the thread's pattern.
    std::vector<unsigned char*> from_thread;
    std::thread maker([&] {
        for (int i = 0; i < 600; i++) {
            size_t size = sizes[i % 12];
            auto* block = static_cast<unsigned char*>(malloc(size));
            if (block)
                fill(block, size, i);
            from_thread.push_back(block);
        }
    });
    maker.join();
    for (size_t i = 0; i < from_thread.size(); i++) {
        CHECKF(from_thread[i] && matches(from_thread[i], sizes[i % 12], i), "block %zu from a thread", i);
        free(from_thread[i]);
    }
    // Blocks made here, freed by a thread, then reused here.
    std::vector<void*> to_thread;
    for (int i = 0; i < 600; i++)
        to_thread.push_back(malloc(sizes[i % 12]));
    std::thread freer([&] {
        for (void* block : to_thread)
            free(block);
    });
    freer.join();

    auto ram_in_use = [] {
        struct sysinfo info {};
        sysinfo(&info);
        return (uint64_t(info.totalram) - info.freeram) * info.mem_unit;
    };
    auto churn_in_threads = [&](int count) {
        for (int t = 0; t < count; t++) {
            std::thread worker([] {
                std::vector<void*> blocks;
                for (size_t size = 16; size <= 1024; size += 16)
                    for (int i = 0; i < 16; i++)
                        blocks.push_back(malloc(size));
                for (void* block : blocks)
                    free(block);
            });
            worker.join();
        }
    };
    churn_in_threads(8);  // warm-up: the allocator's own steady state
    uint64_t before = ram_in_use();
    churn_in_threads(48);
    uint64_t after = ram_in_use();
    CHECKF(after < before + (2u << 20), "RAM in use grew by %llu KiB over 48 short-lived threads",
        static_cast<unsigned long long>((after - before) / 1024));
    return true;
}

// ------------------------------------------------------------------ runner

// fork() while another thread allocates: the child has only the forking
// thread, so the allocator must not be left locked by the other one (glibc
// and libakuma hold their lock across fork). A child that deadlocks is
// ended by its alarm and the test fails instead of hanging.
bool test_fork_while_another_thread_allocates() {
    std::atomic<bool> stop { false };
    static void* volatile sink;  // keeps the compiler from eliding malloc/free pairs
    std::thread churn([&] {
        for (size_t i = 0; !stop.load(std::memory_order_relaxed); i++) {
            sink = malloc(16 + i % 512);
            free(sink);
        }
    });
    bool ok = true;
    int status = 0;
    for (int i = 0; i < 8 && ok; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            void* block = malloc(100);
            std::string text(200, 'x');  // operator new too
            _exit(block && text.size() == 200 ? 0 : 1);
        }
        ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    stop = true;
    churn.join();
    CHECKF(ok, "a child forked while another thread allocated ended with status %#x", status);
    return true;
}

struct Test {
    const char* name;
    bool (*function)();
};

const Test k_tests[] = {
    { "layout_bss_zeroed_to_page_end", test_layout_bss_zeroed },
    { "layout_data_loaded_break_above_bss", test_layout_data_loaded },
    { "malloc_usable_size_writable", test_malloc_whole_usable_size_writable },
    { "malloc_zero_unique", test_malloc_zero_unique },
    { "malloc_many_small_random_free", test_many_small_freed_in_random_order },
    { "malloc_large_1mib_16mib_touched", test_large_allocations_touched },
    { "realloc_semantics", test_realloc_behaviour },
    { "calloc_zeroed_and_overflow", test_calloc_behaviour },
    { "aligned_alloc_posix_memalign", test_aligned_allocations },
    { "operator_new_aligned", test_operator_new_aligned },
    { "allocation_failure_bad_alloc", test_allocation_failure_throws_bad_alloc },
    { "vector_push_back_growth", test_vector_push_back_growth },
    { "vector_reserve", test_vector_reserve },
    { "vector_large_8mib", test_vector_large },
    { "vector_of_vectors", test_vector_of_vectors },
    { "string_construction", test_string_construction },
    { "string_sso_boundary_15_16", test_string_sso_boundary },
    { "string_append_reallocates", test_string_append_reallocates },
    { "string_interleaved_growth", test_string_interleaved_growth },
    { "string_substr_find", test_string_substr_find },
    { "unique_ptr_arrays_deleters", test_unique_ptr },
    { "map_insert_erase_order", test_map_insert_erase },
    { "nested_map_string_vector", test_nested_containers },
    { "fork_while_another_thread_allocates", test_fork_while_another_thread_allocates },
    { "threads_exchange_blocks_and_return_them", test_threads_exchange_blocks_and_return_them },
};

} // namespace

int main() {
    // Line-buffered even into a pipe, so a crash loses at most one line.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    const char* allocator = akuma_malloc_name ? akuma_malloc_name() : "glibc";
    printf("[stdcheck] allocator: %s\n", allocator);
    printf("[stdcheck] layout: variant %d, pad bss %lu, pad data %lu, _edata %p, _end %p, brk %#lx\n",
        &akuma_layout_variant ? static_cast<int>(akuma_layout_variant) : -1,
        &akuma_layout_pad_bss_size ? akuma_layout_pad_bss_size : 0UL,
        &akuma_layout_pad_data_size ? akuma_layout_pad_data_size : 0UL, static_cast<void*>(_edata),
        static_cast<void*>(_end), static_cast<unsigned long>(current_break()));
    int passed = 0, failed = 0;
    for (const Test& test : k_tests) {
        printf("[TEST] %s... ", test.name);
        fflush(stdout);
        g_failure = Failure {};
        bool ok = false;
        try {
            ok = test.function();
        } catch (const std::exception& error) {
            snprintf(g_failure.detail, sizeof(g_failure.detail), "exception: %s", error.what());
        }
        if (ok) {
            passed++;
            printf("PASS\n");
        } else {
            failed++;
            printf("FAIL\n");
            if (g_failure.condition)
                printf("    stdcheck.cpp:%d: CHECK(%s) failed\n", g_failure.line, g_failure.condition);
            if (g_failure.detail[0])
                printf("    %s\n", g_failure.detail);
        }
    }
    printf("[stdcheck] %d passed, %d failed (allocator %s)\n", passed, failed, allocator);
    if (failed)
        printf("Overall: %d FAILED\n", failed);
    else
        printf("Overall: ALL TESTS PASSED\n");
    fflush(stdout);
    return failed ? 1 : 0;
}
