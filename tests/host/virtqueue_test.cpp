// The split virtqueue (kernel/drivers/virtio/virtqueue.*) against a
// simulated device that reads the available ring, fills the buffers the
// driver marked writable and returns chains through the used ring, in
// order or not, as a real device may.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "kernel/drivers/virtio/virtqueue.h"

using namespace akuma;
using namespace akuma::drivers::virtio;

namespace {

// The queue's memory, "physical" addresses being host addresses.
struct QueueMemory {
    explicit QueueMemory(uint16_t size) : bytes(Virtqueue::memory_size(size)), memory(std::aligned_alloc(4096, round(bytes))) {
        std::memset(memory, 0, round(bytes));
    }
    ~QueueMemory() { std::free(memory); }
    static size_t round(size_t n) { return (n + 4095) & ~size_t(4095); }
    uint64_t physical() const { return reinterpret_cast<uint64_t>(memory); }
    size_t bytes;
    void* memory;
};

// The device side, reading the rings as the virtio spec lays them out.
class SimulatedDevice {
public:
    SimulatedDevice(Virtqueue& queue) : m_queue(queue) {}

    struct Request {
        uint16_t head;
        std::vector<uint8_t> readable;   // what the driver gave
        std::vector<std::pair<uint8_t*, uint32_t>> writable;
    };

    // Takes every newly available chain.
    std::deque<Request> fetch() {
        std::deque<Request> requests;
        auto* descriptors = reinterpret_cast<uint8_t*>(m_queue.descriptor_table_physical());
        auto* available = reinterpret_cast<uint16_t*>(m_queue.available_ring_physical());
        uint16_t index = available[1];
        for (; m_seen != index; ++m_seen) {
            Request request;
            request.head = available[2 + m_seen % m_queue.size()];
            uint16_t d = request.head;
            for (int hops = 0;; ++hops) {
                EXPECT_LT(hops, m_queue.size());
                uint8_t* entry = descriptors + 16 * d;
                uint64_t address;
                uint32_t length;
                uint16_t flags, next;
                std::memcpy(&address, entry, 8);
                std::memcpy(&length, entry + 8, 4);
                std::memcpy(&flags, entry + 12, 2);
                std::memcpy(&next, entry + 14, 2);
                auto* buffer = reinterpret_cast<uint8_t*>(address);
                if (flags & 2)
                    request.writable.emplace_back(buffer, length);
                else
                    request.readable.insert(request.readable.end(), buffer, buffer + length);
                if (!(flags & 1))
                    break;
                d = next;
            }
            requests.push_back(std::move(request));
        }
        return requests;
    }

    void complete(uint16_t head, uint32_t written) {
        auto* used = reinterpret_cast<uint8_t*>(m_queue.used_ring_physical());
        uint16_t index;
        std::memcpy(&index, used + 2, 2);
        uint32_t element[2] = { head, written };
        std::memcpy(used + 4 + 8 * (index % m_queue.size()), element, 8);
        ++index;
        std::memcpy(used + 2, &index, 2);
    }

private:
    Virtqueue& m_queue;
    uint16_t m_seen { 0 };
};

uint64_t address_of(const void* p) { return reinterpret_cast<uint64_t>(p); }

}  // namespace

TEST(Virtqueue, LayoutPutsTheUsedRingOnAPage) {
    EXPECT_EQ(Virtqueue::memory_size(128), 4096u + 6 + 8 * 128);
    EXPECT_EQ(Virtqueue::memory_size(256), 8192u + 6 + 8 * 256);  // 16*256 + 6 + 512 spills past one page
    QueueMemory memory(128);
    Virtqueue queue(128, memory.memory, memory.physical());
    EXPECT_EQ(queue.available_ring_physical(), memory.physical() + 16 * 128);
    EXPECT_EQ(queue.used_ring_physical() % 4096, 0u);
    EXPECT_EQ(queue.free_descriptors(), 128);
}

TEST(Virtqueue, ARequestGoesOutAndComesBackWithItsToken) {
    QueueMemory memory(8);
    Virtqueue queue(8, memory.memory, memory.physical());
    SimulatedDevice device(queue);
    uint8_t header[16] = { 1, 2, 3 };
    uint8_t data[512] {};
    uint8_t status = 0xff;
    Buffer chain[] = { { address_of(header), 16, false }, { address_of(data), 512, true }, { address_of(&status), 1, true } };
    int token = 0;
    ASSERT_FALSE(queue.add(chain, &token).is_error());
    EXPECT_EQ(queue.free_descriptors(), 5);
    EXPECT_FALSE(queue.take_used().has_value());
    auto requests = device.fetch();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].readable, std::vector<uint8_t>(header, header + 16));
    ASSERT_EQ(requests[0].writable.size(), 2u);
    EXPECT_EQ(requests[0].writable[0].second, 512u);
    std::memset(requests[0].writable[0].first, 0xab, 512);
    *requests[0].writable[1].first = 0;
    device.complete(requests[0].head, 513);
    auto done = queue.take_used();
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->token, &token);
    EXPECT_EQ(done->written, 513u);
    EXPECT_EQ(data[511], 0xab);
    EXPECT_EQ(status, 0);
    EXPECT_EQ(queue.free_descriptors(), 8);
    EXPECT_FALSE(queue.take_used().has_value());
}

TEST(Virtqueue, InterruptSuppressionIsTheAvailableRingsFlagAndHasUsedSeesCompletions) {
    QueueMemory memory(8);
    Virtqueue queue(8, memory.memory, memory.physical());
    SimulatedDevice device(queue);
    auto* available_flags = reinterpret_cast<volatile uint16_t*>(queue.available_ring_physical());
    EXPECT_EQ(*available_flags, 0);
    queue.set_interrupts_wanted(false);
    EXPECT_EQ(*available_flags, 1);  // VIRTQ_AVAIL_F_NO_INTERRUPT
    uint8_t data[64] {};
    Buffer chain[] = { { address_of(data), 64, true } };
    int token = 0;
    ASSERT_FALSE(queue.add(chain, &token).is_error());
    EXPECT_EQ(*available_flags, 1);  // adding keeps the request
    EXPECT_FALSE(queue.has_used());
    auto requests = device.fetch();
    ASSERT_EQ(requests.size(), 1u);
    device.complete(requests[0].head, 10);
    EXPECT_TRUE(queue.has_used());
    queue.set_interrupts_wanted(true);
    EXPECT_EQ(*available_flags, 0);
    EXPECT_TRUE(queue.has_used());
    ASSERT_TRUE(queue.take_used().has_value());
    EXPECT_FALSE(queue.has_used());
}

TEST(Virtqueue, FullQueueSaysTryAgainAndOutOfOrderCompletionsFreeTheRightChains) {
    QueueMemory memory(8);
    Virtqueue queue(8, memory.memory, memory.physical());
    SimulatedDevice device(queue);
    uint8_t bytes[8][3] {};
    int tokens[8] {};
    // Three chains of 3, 3 and 2 fill the 8 descriptors.
    for (int i = 0; i < 3; ++i) {
        size_t length = i < 2 ? 3 : 2;
        std::vector<Buffer> chain;
        for (size_t j = 0; j < length; ++j)
            chain.push_back({ address_of(&bytes[i][j]), 1, j + 1 == length });
        ASSERT_FALSE(queue.add(chain, &tokens[i]).is_error()) << i;
    }
    Buffer one[] = { { address_of(&bytes[7][0]), 1, true } };
    EXPECT_EQ(queue.add(one, &tokens[7]).error(), Error::TryAgain);
    EXPECT_EQ(queue.add({}, &tokens[7]).error(), Error::Invalid);
    auto requests = device.fetch();
    ASSERT_EQ(requests.size(), 3u);
    // The device finishes the middle one first, then the last, then the first.
    device.complete(requests[1].head, 1);
    auto done = queue.take_used();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->token, &tokens[1]);
    EXPECT_EQ(queue.free_descriptors(), 3);
    ASSERT_FALSE(queue.add(one, &tokens[7]).is_error());  // reuses freed descriptors
    device.complete(requests[2].head, 1);
    device.complete(requests[0].head, 1);
    EXPECT_EQ(queue.take_used()->token, &tokens[2]);
    EXPECT_EQ(queue.take_used()->token, &tokens[0]);
    auto more = device.fetch();
    ASSERT_EQ(more.size(), 1u);
    device.complete(more[0].head, 1);
    EXPECT_EQ(queue.take_used()->token, &tokens[7]);
    EXPECT_EQ(queue.free_descriptors(), 8);
}

TEST(Virtqueue, ManyRoundsWrapTheIndices) {
    QueueMemory memory(4);
    Virtqueue queue(4, memory.memory, memory.physical());
    SimulatedDevice device(queue);
    uint8_t byte = 0;
    Buffer chain[] = { { address_of(&byte), 1, true }, { address_of(&byte), 1, true } };
    int token = 0;
    for (int round = 0; round < 70000; ++round) {  // past 65,535: the 16-bit indices wrap
        ASSERT_FALSE(queue.add(chain, &token).is_error()) << round;
        auto requests = device.fetch();
        ASSERT_EQ(requests.size(), 1u) << round;
        device.complete(requests[0].head, 2);
        auto done = queue.take_used();
        ASSERT_TRUE(done) << round;
        ASSERT_EQ(done->written, 2u);
    }
    EXPECT_EQ(queue.free_descriptors(), 4);
}
