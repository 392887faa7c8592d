// The original Akuma's "Allocator" tests, run against the kernel heap
// (kmalloc/kfree/krealloc, and the containers on HeapAllocator). Every test
// writes patterns and reads them back, so a block handed out twice, a copy
// that lost bytes or an overflow into a neighbour fails it; the runner's
// leak check then sees that everything was freed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/lib/format.h"
#include "kernel/lib/own_ptr.h"
#include "kernel/lib/string.h"
#include "kernel/lib/vector.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/tests/ktest.h"

using namespace akuma;
using namespace akuma::mm;

namespace {

template <typename T>
using HeapVector = Vector<T, HeapAllocator>;
using HeapString = BasicString<HeapAllocator>;
template <typename T>
using HeapBox = OwnPtr<T, HeapAllocator>;

// A byte that depends on the object (seed) and the offset, including its
// high bits, so a block shifted by a page or swapped with another differs.
uint8_t pattern(uint32_t seed, size_t index) {
    return static_cast<uint8_t>(seed * 167 + index * 13 + (index >> 8) * 7 + (index >> 16) + 1);
}

void fill(void* memory, size_t size, uint32_t seed) {
    auto* bytes = static_cast<uint8_t*>(memory);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = pattern(seed, i);
}

// First offset that does not hold the pattern, or size.
size_t first_mismatch(const void* memory, size_t size, uint32_t seed) {
    auto* bytes = static_cast<const uint8_t*>(memory);
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != pattern(seed, i))
            return i;
    return size;
}

// First offset that is not `value`, or size.
size_t first_not(const void* memory, size_t size, uint8_t value) {
    auto* bytes = static_cast<const uint8_t*>(memory);
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != value)
            return i;
    return size;
}

struct Block {
    uint8_t* pointer;
    size_t size;
    uint32_t seed;
};

// Block tables live on the heap: kernel stacks are 16 KiB.
Block* allocate_table(size_t count) { return static_cast<Block*>(kzalloc(count * sizeof(Block))); }

bool allocate_block(Block& block, size_t size, uint32_t seed) {
    block = { static_cast<uint8_t*>(kmalloc(size)), size, seed };
    if (block.pointer)
        fill(block.pointer, size, seed);
    return block.pointer != nullptr;
}

void free_table(Block* table, size_t count) {
    for (size_t i = 0; i < count; ++i)
        kfree(table[i].pointer);
    kfree(table);
}

bool block_intact(const Block& block) { return first_mismatch(block.pointer, block.size, block.seed) == block.size; }

}  // namespace

KTEST(alloc_vec, "Allocator: Vec operations") {
    HeapVector<uint64_t> values;
    KEXPECT(values.is_empty());
    for (uint64_t i = 0; i < 1000; ++i)
        KEXPECT(!values.try_append(i * 3 + 1).is_error());
    KEXPECT_EQ(values.size(), size_t(1000));
    KEXPECT(values.capacity() >= 1000);
    for (uint64_t i = 0; i < 1000; ++i)
        KEXPECT_EQ(values[i], i * 3 + 1);

    KEXPECT(!values.try_insert(0, 7777).is_error());
    KEXPECT(!values.try_insert(500, 8888).is_error());
    KEXPECT_EQ(values.size(), size_t(1002));
    KEXPECT_EQ(values[0], uint64_t(7777));
    KEXPECT_EQ(values[500], uint64_t(8888));
    KEXPECT_EQ(values.remove(500), uint64_t(8888));
    KEXPECT_EQ(values.remove(0), uint64_t(7777));
    for (uint64_t i = 0; i < 1000; ++i)
        KEXPECT_EQ(values[i], i * 3 + 1);

    auto clone = values.try_clone();
    KEXPECT(!clone.is_error());
    KEXPECT(clone.value().data() != values.data());
    clone.value()[10] = 0;
    KEXPECT_EQ(values[10], uint64_t(31));
    for (uint64_t i = 0; i < 1000; ++i)
        KEXPECT_EQ(clone.value()[i], i == 10 ? 0 : i * 3 + 1);

    KEXPECT(!values.try_resize(10).is_error());
    values.shrink_to_fit();
    KEXPECT_EQ(values.capacity(), size_t(10));
    for (uint64_t i = 0; i < 10; ++i)
        KEXPECT_EQ(values[i], i * 3 + 1);
    values.clear();
    KEXPECT(values.is_empty());
}

namespace {
struct BoxedRecord {
    uint64_t id;
    uint32_t words[60];
};
}  // namespace

KTEST(alloc_box, "Allocator: Box operations") {
    auto number = HeapBox<uint64_t>::try_make(0x1234'5678'9abc'def0ull);
    KEXPECT(!number.is_error());
    KEXPECT_EQ(*number.value(), 0x1234'5678'9abc'def0ull);
    KEXPECT(kmalloc_usable_size(number.value().get()) >= sizeof(uint64_t));

    auto record = HeapBox<BoxedRecord>::try_make();
    KEXPECT(!record.is_error());
    auto& box = record.value();
    box->id = 42;
    for (uint32_t i = 0; i < 60; ++i)
        box->words[i] = i * i + 5;
    BoxedRecord* raw = box.get();
    HeapBox<BoxedRecord> moved(std::move(box));
    KEXPECT(!box);
    KEXPECT_EQ(moved.get(), raw);
    KEXPECT_EQ(moved->id, uint64_t(42));
    for (uint32_t i = 0; i < 60; ++i)
        KEXPECT_EQ(moved->words[i], i * i + 5);
    moved.reset();
    KEXPECT(!moved);

    // Boxes in a vector: relocated element by element as the vector grows.
    HeapVector<HeapBox<uint64_t>> boxes;
    for (uint64_t i = 0; i < 200; ++i) {
        auto made = HeapBox<uint64_t>::try_make(i * 7919);
        KEXPECT(!made.is_error());
        KEXPECT(!boxes.try_append(made.release_value()).is_error());
    }
    for (uint64_t i = 0; i < 200; ++i)
        KEXPECT_EQ(*boxes[i], i * 7919);
    for (uint64_t i = 0; i < 200; ++i)
        for (uint64_t j = i + 1; j < 200; j += 37)
            KEXPECT(boxes[i].get() != boxes[j].get());
}

KTEST(alloc_large, "Allocator: large allocation") {
    constexpr size_t sizes[] = { 1024 * 1024, 64 * 1024 };
    uint8_t* blocks[2] = {};
    for (size_t i = 0; i < 2; ++i) {
        blocks[i] = static_cast<uint8_t*>(kmalloc(sizes[i]));
        KEXPECT(blocks[i] != nullptr);
        KEXPECT(kmalloc_usable_size(blocks[i]) >= sizes[i]);
        fill(blocks[i], sizes[i], static_cast<uint32_t>(i + 1));  // every byte of every page
    }
    KEXPECT(blocks[1] + sizes[1] <= blocks[0] || blocks[0] + sizes[0] <= blocks[1]);
    for (size_t i = 0; i < 2; ++i)
        KEXPECT_EQ(first_mismatch(blocks[i], sizes[i], static_cast<uint32_t>(i + 1)), sizes[i]);
    for (auto* block : blocks)
        kfree(block);
}

KTEST(alloc_realloc_grow, "Allocator: realloc grow") {
    size_t size = 16;
    auto* buffer = static_cast<uint8_t*>(kmalloc(size));
    KEXPECT(buffer != nullptr);
    fill(buffer, size, 3);
    while (size < 128 * 1024) {
        size_t grown = size * 2;
        auto* moved = static_cast<uint8_t*>(krealloc(buffer, grown));
        KEXPECT(moved != nullptr);
        buffer = moved;
        KEXPECT(kmalloc_usable_size(buffer) >= grown);
        KEXPECT_EQ(first_mismatch(buffer, size, 3), size);
        fill(buffer, grown, 3);
        size = grown;
    }
    KEXPECT_EQ(first_mismatch(buffer, size, 3), size);
    kfree(buffer);
}

KTEST(alloc_realloc_shrink, "Allocator: realloc shrink") {
    size_t size = 64 * 1024;
    auto* buffer = static_cast<uint8_t*>(kmalloc(size));
    KEXPECT(buffer != nullptr);
    fill(buffer, size, 4);
    while (size > 8) {
        size_t shrunk = size / 2;
        auto* moved = static_cast<uint8_t*>(krealloc(buffer, shrunk));
        KEXPECT(moved != nullptr);
        buffer = moved;
        KEXPECT(kmalloc_usable_size(buffer) >= shrunk);
        KEXPECT_EQ(first_mismatch(buffer, shrunk, 4), shrunk);
        size = shrunk;
    }
    kfree(buffer);
}

KTEST(alloc_realloc_preserves, "Allocator: realloc preserves data") {
    // Across every kind of block: small slab, largest slab class, large, back to small.
    constexpr size_t sizes[] = { 16, 4096, 100000, 8 };
    auto* buffer = static_cast<uint8_t*>(kmalloc(sizes[0]));
    KEXPECT(buffer != nullptr);
    fill(buffer, sizes[0], 5);
    for (size_t step = 1; step < std::size(sizes); ++step) {
        size_t kept = sizes[step] < sizes[step - 1] ? sizes[step] : sizes[step - 1];
        auto* moved = static_cast<uint8_t*>(krealloc(buffer, sizes[step]));
        KEXPECT(moved != nullptr);
        buffer = moved;
        KEXPECT_EQ(first_mismatch(buffer, kept, 5), kept);
        fill(buffer, sizes[step], 5);
    }
    kfree(buffer);
}

KTEST(alloc_zeroed, "Allocator: zeroed allocation") {
    constexpr size_t sizes[] = { 1, 16, 100, 2048, 4096, 10000, 70000 };
    for (size_t size : sizes) {
        void* zeroed = kzalloc(size);
        KEXPECT(zeroed != nullptr);
        KEXPECT_EQ(first_not(zeroed, size, 0), size);
        kfree(zeroed);
    }
    void* aligned = kzalloc(300, 256);
    KEXPECT(aligned != nullptr);
    KEXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % 256, uintptr_t(0));
    KEXPECT_EQ(first_not(aligned, 300, 0), size_t(300));
    kfree(aligned);
}

KTEST(alloc_zeroed_dirty, "Allocator: zeroed allocation after dirty memory") {
    constexpr size_t sizes[] = { 16, 64, 200, 1024, 2048, 4096, 20000 };
    for (size_t size : sizes) {
        for (int round = 0; round < 20; ++round) {
            void* dirty = kmalloc(size);
            KEXPECT(dirty != nullptr);
            __builtin_memset(dirty, 0xff, size);
            kfree(dirty);
            void* zeroed = kzalloc(size);
            KEXPECT(zeroed != nullptr);
            KEXPECT_EQ(first_not(zeroed, size, 0), size);
            kfree(zeroed);
        }
    }
}

KTEST(alloc_alignment, "Allocator: alignment") {
    constexpr size_t k_max_size = 300;
    Block* table = allocate_table(k_max_size);
    KEXPECT(table != nullptr);
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        // All sizes live at once, so each lands next to others of its class.
        for (size_t size = 1; size <= k_max_size; ++size) {
            Block& block = table[size - 1];
            block = { static_cast<uint8_t*>(kmalloc(size, alignment)), size, static_cast<uint32_t>(size + alignment) };
            if (!block.pointer)
                KFAIL("kmalloc({}, {}) returned nullptr", size, alignment);
            if (reinterpret_cast<uintptr_t>(block.pointer) % alignment != 0)
                KFAIL("kmalloc({}, {}) returned {} (misaligned)", size, alignment, reinterpret_cast<uintptr_t>(block.pointer));
            KEXPECT(kmalloc_usable_size(block.pointer) >= size);
            fill(block.pointer, size, block.seed);
        }
        for (size_t size = 1; size <= k_max_size; ++size) {
            Block& block = table[size - 1];
            KEXPECT(block_intact(block));
            kfree(block.pointer);
            block.pointer = nullptr;
        }
    }
    kfree(table);
}

KTEST(alloc_fragmentation, "Allocator: fragmentation") {
    constexpr size_t k_count = 500;
    constexpr size_t sizes[] = { 8, 24, 64, 100, 256, 513, 1000, 2048, 3000, 5000 };
    Block* table = allocate_table(k_count);
    KEXPECT(table != nullptr);
    for (size_t i = 0; i < k_count; ++i)
        KEXPECT(allocate_block(table[i], sizes[i % std::size(sizes)], static_cast<uint32_t>(i)));
    for (size_t i = 1; i < k_count; i += 2) {
        KEXPECT(block_intact(table[i]));
        kfree(table[i].pointer);
        table[i].pointer = nullptr;
    }
    // Refill the holes with other sizes, mostly smaller than what was there.
    for (size_t i = 1; i < k_count; i += 2)
        KEXPECT(allocate_block(table[i], sizes[(i * 7) % std::size(sizes)] / 2 + 1, static_cast<uint32_t>(i + 1000)));
    for (size_t i = 0; i < k_count; ++i)
        if (!block_intact(table[i]))
            KFAIL("block {} ({} bytes) corrupted", i, table[i].size);
    free_table(table, k_count);
}

KTEST(alloc_interleaved, "Allocator: interleaved alloc/free") {
    constexpr size_t k_slots = 32;
    Block* table = allocate_table(k_slots);
    KEXPECT(table != nullptr);
    for (uint32_t step = 0; step < 3000; ++step) {
        Block& block = table[(step * 7) % k_slots];
        if (block.pointer) {
            KEXPECT(block_intact(block));
            kfree(block.pointer);
            block.pointer = nullptr;
        }
        if (step % 5 != 4)  // leave some slots empty for a while
            KEXPECT(allocate_block(block, 1 + (step * 37) % 3000, step));
    }
    for (size_t i = 0; i < k_slots; ++i)
        KEXPECT(!table[i].pointer || block_intact(table[i]));
    free_table(table, k_slots);
}

KTEST(alloc_mixed_sizes, "Allocator: mixed sizes") {
    // Powers of two from 16 B to 64 KiB and an odd size after each.
    constexpr size_t k_count = 26;
    Block table[k_count] {};
    size_t count = 0;
    for (size_t size = 16; size <= 64 * 1024; size *= 2) {
        KEXPECT(allocate_block(table[count], size, static_cast<uint32_t>(count)));
        ++count;
        KEXPECT(allocate_block(table[count], size + size / 3 + 1, static_cast<uint32_t>(count)));
        ++count;
    }
    KEXPECT_EQ(count, k_count);
    for (size_t i = 0; i < count; ++i)
        KEXPECT(block_intact(table[i]));
    for (size_t i = 0; i < count; ++i)
        kfree(table[i].pointer);
}

namespace {
bool make_label(HeapString& out, int number) {
    // Longer than the minimum capacity so every label has its own block.
    char text[64];
    size_t length = format_to_buffer(text, sizeof(text), "element-{}-of-the-vector-remove-test", number);
    auto made = HeapString::try_from(std::string_view(text, length));
    if (made.is_error())
        return false;
    out = made.release_value();
    return true;
}
}  // namespace

KTEST(alloc_vector_remove, "Allocator: vector remove regression") {
    constexpr int k_count = 40;
    HeapVector<HeapString> labels;
    int expected[k_count];
    for (int i = 0; i < k_count; ++i) {
        HeapString label;
        KEXPECT(make_label(label, i));
        KEXPECT(!labels.try_append(std::move(label)).is_error());
        expected[i] = i;
    }
    for (int remaining = k_count; remaining > 0; --remaining) {
        size_t count = static_cast<size_t>(remaining);
        size_t index = remaining % 3 == 0 ? 0 : remaining % 3 == 1 ? count / 2 : count - 1;
        HeapString removed = labels.remove(index);
        HeapString want;
        KEXPECT(make_label(want, expected[index]));
        KEXPECT(removed == want);
        for (size_t i = index; i + 1 < count; ++i)
            expected[i] = expected[i + 1];
        KEXPECT_EQ(labels.size(), count - 1);
        for (size_t i = 0; i + 1 < count; ++i) {
            KEXPECT(make_label(want, expected[i]));
            if (!(labels[i] == want))
                KFAIL("after removing index {}: element {} is '{}', expected '{}'", index, i, labels[i], want);
        }
    }
    KEXPECT(labels.is_empty());
}

KTEST(alloc_push_pop, "Allocator: rapid push/pop") {
    HeapVector<uint32_t> values;
    for (uint32_t i = 0; i < 10000; ++i) {
        KEXPECT(!values.try_append(i).is_error());
        KEXPECT(!values.try_append(i ^ 0xabcdu).is_error());
        KEXPECT_EQ(values.take_last(), i ^ 0xabcdu);
    }
    KEXPECT_EQ(values.size(), size_t(10000));
    for (uint32_t i = 10000; i > 0; --i)
        KEXPECT_EQ(values.take_last(), i - 1);
    KEXPECT(values.is_empty());
}

KTEST(alloc_strings, "Allocator: string operations") {
    auto hello = HeapString::try_from("Hello");
    KEXPECT(!hello.is_error());
    HeapString& text = hello.value();
    KEXPECT_EQ(text.length(), size_t(5));
    KEXPECT(text == std::string_view("Hello"));
    KEXPECT(!text.try_append(", world").is_error());
    KEXPECT(!text.try_append('!').is_error());
    KEXPECT(text == std::string_view("Hello, world!"));
    KEXPECT(!(text == std::string_view("Hello, world?")));
    KEXPECT_EQ(__builtin_strlen(text.c_str()), size_t(13));

    auto copy = text.try_clone();
    KEXPECT(!copy.is_error());
    KEXPECT(copy.value() == text);
    KEXPECT(copy.value().c_str() != text.c_str());
    KEXPECT(!copy.value().try_append(" again").is_error());
    KEXPECT(text == std::string_view("Hello, world!"));
    KEXPECT(copy.value() == std::string_view("Hello, world! again"));
    KEXPECT(!(copy.value() == text));

    // Appending a view of itself while the buffer moves.
    for (int i = 0; i < 6; ++i)
        KEXPECT(!text.try_append(text.view()).is_error());
    KEXPECT_EQ(text.length(), size_t(13 * 64));
    for (size_t i = 0; i < text.length(); ++i)
        KEXPECT_EQ(text[i], "Hello, world!"[i % 13]);
    KEXPECT_EQ(text.c_str()[text.length()], '\0');
    text.clear();
    KEXPECT(text.is_empty());
    KEXPECT(text == std::string_view(""));
}

KTEST(alloc_push_str, "Allocator: push_str realloc pattern") {
    // The exact pattern that crashed the original: one character at a time,
    // reallocating through every size class. A second string interleaves its
    // own reallocations with the first one's.
    HeapString text;
    HeapString other;
    for (size_t i = 0; i < 2000; ++i) {
        KEXPECT(!text.try_append(static_cast<char>('a' + i % 26)).is_error());
        if (i % 3 == 0)
            KEXPECT(!other.try_append(static_cast<char>('0' + i % 10)).is_error());
        if ((i + 1) % 100 == 0) {
            KEXPECT_EQ(text.length(), i + 1);
            for (size_t j = 0; j <= i; ++j)
                if (text[j] != static_cast<char>('a' + j % 26))
                    KFAIL("after {} appends: byte {} is {}", i + 1, j, static_cast<int>(text[j]));
            KEXPECT_EQ(text.c_str()[i + 1], '\0');
        }
    }
    KEXPECT_EQ(other.length(), size_t(667));
    for (size_t j = 0; j < other.length(); ++j)
        KEXPECT_EQ(other[j], static_cast<char>('0' + (j * 3) % 10));
}

KTEST(alloc_vec_of_vecs, "Allocator: vector of vectors") {
    HeapVector<HeapVector<uint32_t>> outer;
    for (uint32_t i = 0; i < 50; ++i) {
        HeapVector<uint32_t> inner;
        for (uint32_t j = 0; j < i * 3; ++j)
            KEXPECT(!inner.try_append(i * 1000 + j).is_error());
        KEXPECT(!outer.try_append(std::move(inner)).is_error());
        // Grow an earlier inner vector while the outer one reallocates.
        if (i > 0)
            KEXPECT(!outer[i / 2].try_append(i / 2 * 1000 + static_cast<uint32_t>(outer[i / 2].size())).is_error());
    }
    auto check = [](const HeapVector<HeapVector<uint32_t>>& vectors) {
        for (uint32_t i = 0; i < vectors.size(); ++i)
            for (uint32_t j = 0; j < vectors[i].size(); ++j)
                if (vectors[i][j] != i * 1000 + j)
                    return false;
        return true;
    };
    KEXPECT(check(outer));
    KEXPECT(outer[49].size() >= 147);

    auto clone = outer.try_clone();
    KEXPECT(!clone.is_error());
    KEXPECT(check(clone.value()));
    for (uint32_t i = 0; i < 50; ++i) {
        KEXPECT_EQ(clone.value()[i].size(), outer[i].size());
        KEXPECT(outer[i].is_empty() || clone.value()[i].data() != outer[i].data());
    }
    clone.value()[20].clear();
    KEXPECT(outer[20].size() >= 60);
    KEXPECT(check(outer));
}

KTEST(alloc_adjacent, "Allocator: adjacent allocation boundaries") {
    constexpr size_t sizes[] = { 16, 24, 32, 48, 64 };
    constexpr size_t k_per_size = 100;
    constexpr size_t k_count = std::size(sizes) * k_per_size;
    Block* table = allocate_table(k_count);
    KEXPECT(table != nullptr);
    for (size_t i = 0; i < k_count; ++i) {
        Block& block = table[i];
        block.pointer = static_cast<uint8_t*>(kmalloc(sizes[i / k_per_size]));
        KEXPECT(block.pointer != nullptr);
        // Everything the heap says the caller may use, to the last byte.
        block.size = kmalloc_usable_size(block.pointer);
        KEXPECT(block.size >= sizes[i / k_per_size]);
        block.seed = static_cast<uint32_t>(i % 251 + 1);
        __builtin_memset(block.pointer, static_cast<int>(block.seed), block.size);
    }
    for (size_t i = 0; i < k_count; ++i) {
        const Block& block = table[i];
        size_t bad = first_not(block.pointer, block.size, static_cast<uint8_t>(block.seed));
        if (bad != block.size)
            KFAIL("object {} ({} bytes): byte {} is {}, expected {}", i, block.size, bad, block.pointer[bad],
                  block.seed);
    }
    free_table(table, k_count);
}

KTEST(alloc_lifo, "Allocator: LIFO") {
    constexpr size_t k_count = 200;
    Block* table = allocate_table(k_count);
    KEXPECT(table != nullptr);
    for (size_t i = 0; i < k_count; ++i)
        KEXPECT(allocate_block(table[i], 16 + i * 13, static_cast<uint32_t>(i)));
    for (size_t i = k_count; i > 0; --i) {
        Block& block = table[i - 1];
        KEXPECT(block_intact(block));
        kfree(block.pointer);
        block.pointer = nullptr;
    }
    kfree(table);
}

KTEST(alloc_fifo, "Allocator: FIFO") {
    constexpr size_t k_count = 200;
    Block* table = allocate_table(k_count);
    KEXPECT(table != nullptr);
    for (size_t i = 0; i < k_count; ++i)
        KEXPECT(allocate_block(table[i], 16 + i * 13, static_cast<uint32_t>(i)));
    for (size_t i = 0; i < k_count; ++i) {
        Block& block = table[i];
        KEXPECT(block_intact(block));
        kfree(block.pointer);
        block.pointer = nullptr;
    }
    kfree(table);
}

KTEST(alloc_pool, "Allocator: memory pool") {
    constexpr size_t k_pool = 64;
    constexpr size_t k_object = 96;
    Block* pool = allocate_table(k_pool);
    KEXPECT(pool != nullptr);
    for (size_t i = 0; i < k_pool; ++i)
        KEXPECT(allocate_block(pool[i], k_object, static_cast<uint32_t>(i)));
    for (uint32_t round = 0; round < 10000; ++round) {
        Block& slot = pool[(round * 37) % k_pool];
        if (!block_intact(slot))
            KFAIL("round {}: pooled object (seed {}) corrupted", round, slot.seed);
        kfree(slot.pointer);
        KEXPECT(allocate_block(slot, k_object, round + 1000));
    }
    for (size_t i = 0; i < k_pool; ++i)
        KEXPECT(block_intact(pool[i]));
    free_table(pool, k_pool);
}

KTEST(alloc_dynamic_resize, "Allocator: dynamic resize") {
    size_t size = 64;
    auto* buffer = static_cast<uint8_t*>(kmalloc(size));
    KEXPECT(buffer != nullptr);
    fill(buffer, size, 0);
    for (uint32_t step = 1; step <= 200; ++step) {
        // A sawtooth over 1 B .. ~40 KiB, crossing every slab class and large blocks.
        size_t new_size = step % 2 ? 1 + (step * 7919) % 40000 : 1 + (step * 31) % 600;
        auto* moved = static_cast<uint8_t*>(krealloc(buffer, new_size));
        KEXPECT(moved != nullptr);
        buffer = moved;
        size_t kept = new_size < size ? new_size : size;
        if (first_mismatch(buffer, kept, step - 1) != kept)
            KFAIL("step {}: {} -> {} bytes lost data at {}", step, size, new_size, first_mismatch(buffer, kept, step - 1));
        fill(buffer, new_size, step);
        size = new_size;
    }
    kfree(buffer);
}

KTEST(alloc_temporary, "Allocator: temporary buffers") {
    size_t bytes_before = heap_stats().bytes_in_use;
    auto* long_lived = static_cast<uint8_t*>(kmalloc(300));
    KEXPECT(long_lived != nullptr);
    fill(long_lived, 300, 77);
    for (uint32_t i = 0; i < 1000; ++i) {
        auto* buffer = static_cast<uint8_t*>(kmalloc(4096));
        KEXPECT(buffer != nullptr);
        fill(buffer, 4096, i);
        KEXPECT_EQ(first_mismatch(buffer, 4096, i), size_t(4096));
        kfree(buffer);
    }
    KEXPECT_EQ(first_mismatch(long_lived, 300, 77), size_t(300));
    kfree(long_lived);
    KEXPECT_EQ(heap_stats().bytes_in_use, bytes_before);
}

namespace {
struct ListNode {
    ListNode* next;
    uint32_t value;
    uint32_t check;
    uint8_t payload[40];
};
}  // namespace

KTEST(alloc_linked_list, "Allocator: linked structure") {
    ListNode* head = nullptr;
    for (uint32_t i = 0; i < 1000; ++i) {
        auto* node = static_cast<ListNode*>(kmalloc(sizeof(ListNode)));
        KEXPECT(node != nullptr);
        *node = { head, i, ~i * 2654435761u, {} };
        fill(node->payload, sizeof(node->payload), i);
        head = node;
    }
    uint32_t count = 0;
    bool intact = true;
    for (ListNode* node = head; node; node = node->next, ++count) {
        uint32_t expected = 999 - count;
        intact = intact && node->value == expected && node->check == ~expected * 2654435761u
                 && first_mismatch(node->payload, sizeof(node->payload), expected) == sizeof(node->payload);
    }
    while (head) {
        ListNode* next = head->next;
        kfree(head);
        head = next;
    }
    KEXPECT_EQ(count, 1000u);
    KEXPECT(intact);
}

KTEST(alloc_stats, "Allocator: stats track bytes in use") {
    HeapStats before = heap_stats();
    void* object = kmalloc(100);
    KEXPECT(object != nullptr);
    HeapStats during = heap_stats();
    KEXPECT_EQ(during.bytes_in_use, before.bytes_in_use + 100);
    KEXPECT_EQ(during.allocations, before.allocations + 1);
    if (heap_mode() == HeapMode::Page) {
        constexpr unsigned k_class_128 = 3;  // 16 << 3
        KEXPECT_EQ(during.classes[k_class_128].object_size, size_t(128));
        KEXPECT_EQ(during.classes[k_class_128].objects, before.classes[k_class_128].objects + 1);
        KEXPECT_EQ(during.classes[k_class_128].bytes_in_use, before.classes[k_class_128].bytes_in_use + 100);
    } else {
        KEXPECT_EQ(during.arena.bytes_in_use, before.arena.bytes_in_use + 100);
    }
    kfree(object);
    HeapStats after = heap_stats();
    KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    KEXPECT_EQ(after.allocations, before.allocations);
}

KTEST(alloc_out_of_memory, "Allocator: out-of-memory returns nullptr") {
    constexpr size_t k_huge = size_t(1) << 40;
    size_t bytes_before = heap_stats().bytes_in_use;
    KEXPECT(kmalloc(k_huge) == nullptr);
    KEXPECT(kzalloc(k_huge) == nullptr);
    KEXPECT(kmalloc(SIZE_MAX) == nullptr);
    KEXPECT(kmalloc(SIZE_MAX - 4096) == nullptr);
    KEXPECT(kmalloc(64, 3) == nullptr);  // not a power of two
    KEXPECT_EQ(heap_stats().bytes_in_use, bytes_before);

    // A failed krealloc leaves the old object intact.
    auto* object = static_cast<uint8_t*>(kmalloc(500));
    KEXPECT(object != nullptr);
    fill(object, 500, 9);
    KEXPECT(krealloc(object, k_huge) == nullptr);
    KEXPECT_EQ(first_mismatch(object, 500, 9), size_t(500));
    KEXPECT(kmalloc_usable_size(object) >= 500);

    // The heap still works afterwards.
    auto* more = static_cast<uint8_t*>(kmalloc(5000));
    KEXPECT(more != nullptr);
    fill(more, 5000, 10);
    auto* grown = static_cast<uint8_t*>(krealloc(object, 20000));
    KEXPECT(grown != nullptr);
    KEXPECT_EQ(first_mismatch(grown, 500, 9), size_t(500));
    KEXPECT_EQ(first_mismatch(more, 5000, 10), size_t(5000));
    kfree(grown);
    kfree(more);
}

KTEST(alloc_usable_size, "Allocator: usable size") {
    constexpr size_t sizes[] = { 1, 7, 16, 17, 100, 128, 129, 1000, 2040, 2048, 2049, 4096, 5000, 70000, 300000 };
    for (size_t size : sizes) {
        auto* object = static_cast<uint8_t*>(kmalloc(size));
        KEXPECT(object != nullptr);
        size_t usable = kmalloc_usable_size(object);
        if (usable < size)
            KFAIL("kmalloc({}): usable size {}", size, usable);
        if (heap_debug_enabled())
            KEXPECT_EQ(usable, size);  // debug mode guards everything past the request
        fill(object, usable, static_cast<uint32_t>(size));  // all of it may be written
        KEXPECT_EQ(first_mismatch(object, usable, static_cast<uint32_t>(size)), usable);
        kfree(object);
    }
    KEXPECT_EQ(kmalloc_usable_size(nullptr), size_t(0));
    // Size 0: a unique, freeable allocation.
    void* first = kmalloc(0);
    void* second = kmalloc(0);
    KEXPECT(first != nullptr && second != nullptr && first != second);
    kfree(first);
    kfree(second);
}
