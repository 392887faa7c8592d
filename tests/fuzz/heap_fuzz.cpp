// Interprets the input as a sequence of kernel heap operations (allocate,
// allocate_zeroed, free, reallocate, the switch to page mode) on a fresh Heap
// and checks every invariant against a reference model: no corruption
// reports for legal use, alignment, no overlap, contents kept, exact
// statistics, and every backend block returned at the end.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "kernel/mm/heap/heap.h"
#include "tests/host/host_heap_backend.h"

using namespace akuma;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

// The backend's capacity is small (16 MiB, blocks up to 2^12 pages) so the
// fuzzer reaches exhaustion paths too.
struct FuzzBackend : HostHeapBackend {
    FuzzBackend() : HostHeapBackend([](void*) { __builtin_trap(); }) {
        max_order = 12;
        page_limit = 4096;
    }
};

size_t g_reports = 0;
void on_corruption(const HeapCorruption&) {
    g_reports++;
}

struct Live {
    size_t size;
    uint8_t seed;
};

class Input {
public:
    Input(const uint8_t* data, size_t size)
        : m_data(data)
        , m_size(size) { }
    bool empty() const { return m_offset >= m_size; }
    uint8_t byte() { return m_offset < m_size ? m_data[m_offset++] : 0; }
    uint16_t u16() { return uint16_t(byte() | byte() << 8); }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_offset = 0;
};

void fill(void* pointer, size_t size, uint8_t seed) {
    auto* bytes = static_cast<uint8_t*>(pointer);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(seed + i * 7);
}

void verify(const void* pointer, size_t size, uint8_t seed) {
    auto* bytes = static_cast<const uint8_t*>(pointer);
    for (size_t i = 0; i < size; ++i)
        require(bytes[i] == uint8_t(seed + i * 7));
}

class Model {
public:
    Model(Heap& heap, FuzzBackend& backend)
        : m_heap(heap)
        , m_backend(backend) { }

    void add(void* pointer, size_t size, size_t alignment, uint8_t seed) {
        require(reinterpret_cast<uintptr_t>(pointer) % alignment == 0);
        require(m_heap.usable_size(pointer) >= size);
        auto address = reinterpret_cast<uintptr_t>(pointer);
        auto after = m_live.lower_bound(address);
        if (after != m_live.end())
            require(after->first >= address + std::max<size_t>(size, 1));
        if (after != m_live.begin()) {
            auto before = std::prev(after);
            require(before->first + std::max<size_t>(before->second.size, 1) <= address);
        }
        fill(pointer, size, seed);
        m_live[address] = { size, seed };
    }

    std::map<uintptr_t, Live>::iterator pick(uint8_t selector) {
        auto it = m_live.begin();
        std::advance(it, selector % m_live.size());
        return it;
    }

    void check_stats() {
        HeapStats stats = m_heap.stats();
        require(stats.allocations == m_live.size());
        size_t bytes = 0;
        for (auto& [address, live] : m_live) {
            auto info = m_backend.block_info(reinterpret_cast<void*>(address));
            bytes += info && info->kind == BlockKind::Large ? k_heap_page_size << info->order : live.size;
        }
        require(stats.bytes_in_use == bytes);
    }

    std::map<uintptr_t, Live> m_live;

private:
    Heap& m_heap;
    FuzzBackend& m_backend;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Input input(data, size);
    uint8_t config = input.byte();
    HeapOptions options;
    options.debug = config & 1;
    options.arena_only = config & 2;
    options.on_corruption = on_corruption;
    options.arena_grow_order = 4;
    g_reports = 0;

    FuzzBackend backend;
    std::vector<uint8_t> early(256 << 10, 0xEE);
    Heap heap;
    require(!heap.init(early, options).is_error());
    Model model(heap, backend);

    for (unsigned step = 0; step < 4000 && !input.empty(); ++step) {
        uint8_t op = input.byte();
        uint8_t seed = input.byte();
        switch (op % 8) {
        case 0:
        case 1:
        case 2: {
            size_t bytes = op & 0x80 ? size_t(input.u16()) * 2 : input.byte();
            size_t alignment = op & 0x40 ? size_t(1) << (input.byte() % 14) : k_heap_default_alignment;
            if (model.m_live.size() >= 512)
                break;
            void* pointer
                = op % 8 == 2 ? heap.allocate_zeroed(bytes, alignment) : heap.allocate(bytes, alignment);
            if (!pointer)
                break; // out of memory is legal; corruption is not
            if (op % 8 == 2) {
                auto* zero = static_cast<uint8_t*>(pointer);
                require(std::all_of(zero, zero + bytes, [](uint8_t b) { return b == 0; }));
            }
            model.add(pointer, bytes, alignment, seed);
            break;
        }
        case 3:
        case 4: {
            if (model.m_live.empty())
                break;
            auto it = model.pick(input.byte());
            verify(reinterpret_cast<void*>(it->first), it->second.size, it->second.seed);
            heap.free(reinterpret_cast<void*>(it->first));
            model.m_live.erase(it);
            break;
        }
        case 5: {
            if (model.m_live.empty())
                break;
            auto it = model.pick(input.byte());
            size_t bytes = op & 0x80 ? size_t(input.u16()) * 2 : input.byte();
            void* old = reinterpret_cast<void*>(it->first);
            Live live = it->second;
            void* moved = heap.reallocate(old, bytes);
            if (!moved) {
                verify(old, live.size, live.seed); // left intact
                break;
            }
            size_t kept = std::min(bytes, live.size);
            verify(moved, kept, live.seed);
            model.m_live.erase(it);
            model.add(moved, bytes, k_heap_default_alignment, seed);
            break;
        }
        case 6:
            heap.mark_pages_ready(backend);
            break;
        case 7:
            model.check_stats();
            break;
        }
        require(g_reports == 0);
    }

    model.check_stats();
    for (auto& [address, live] : model.m_live) {
        verify(reinterpret_cast<void*>(address), live.size, live.seed);
        heap.free(reinterpret_cast<void*>(address));
    }
    HeapStats stats = heap.stats();
    require(stats.allocations == 0 && stats.bytes_in_use == 0);
    heap.release_cached_memory();
    require(backend.live_blocks() == 0);
    require(g_reports == 0);
    return 0;
}
