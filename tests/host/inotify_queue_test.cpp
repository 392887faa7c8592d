// InotifyQueue: Linux's record layout, merging of a repeated event, the
// overflow event, and reads that take whole records only.
#include "kernel/fs/inotify_queue.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/host/host_kmalloc.h"

using akuma::fs::InotifyQueue;
namespace inotify = akuma::fs::inotify;

namespace {

struct Record {
    int32_t wd;
    uint32_t mask;
    uint32_t cookie;
    uint32_t len;
    std::string name;
};

std::vector<Record> parse(const uint8_t* data, size_t size) {
    std::vector<Record> records;
    size_t at = 0;
    while (at < size) {
        Record record {};
        std::memcpy(&record.wd, data + at, 4);
        std::memcpy(&record.mask, data + at + 4, 4);
        std::memcpy(&record.cookie, data + at + 8, 4);
        std::memcpy(&record.len, data + at + 12, 4);
        record.name = std::string(reinterpret_cast<const char*>(data + at + 16), strnlen(reinterpret_cast<const char*>(data + at + 16), record.len));
        at += 16 + record.len;
        records.push_back(record);
    }
    EXPECT_EQ(at, size);
    return records;
}

std::vector<Record> take_all(InotifyQueue& queue) {
    uint8_t buffer[4096];
    auto taken = queue.take(buffer);
    EXPECT_FALSE(taken.is_error());
    return parse(buffer, taken.value());
}

TEST(InotifyQueue, RecordsPadNamesToSixteenBytes) {
    EXPECT_EQ(InotifyQueue::record_size(0), 16u);
    EXPECT_EQ(InotifyQueue::record_size(1), 32u);
    EXPECT_EQ(InotifyQueue::record_size(15), 32u);
    EXPECT_EQ(InotifyQueue::record_size(16), 48u);
    InotifyQueue queue;
    queue.add(1, inotify::k_create, 0, "file", 100);
    queue.add(2, inotify::k_modify, 7, "", 100);
    EXPECT_EQ(queue.bytes(), 48u);
    auto records = take_all(queue);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].wd, 1);
    EXPECT_EQ(records[0].mask, inotify::k_create);
    EXPECT_EQ(records[0].len, 16u);
    EXPECT_EQ(records[0].name, "file");
    EXPECT_EQ(records[1].cookie, 7u);
    EXPECT_EQ(records[1].len, 0u);
    EXPECT_TRUE(queue.is_empty());
    EXPECT_EQ(queue.bytes(), 0u);
}

TEST(InotifyQueue, RepeatedEventMergesOnlyWithTheLast) {
    InotifyQueue queue;
    queue.add(1, inotify::k_modify, 0, "f", 100);
    queue.add(1, inotify::k_modify, 0, "f", 100);  // merged
    queue.add(2, inotify::k_modify, 0, "", 100);
    queue.add(1, inotify::k_modify, 0, "f", 100);  // not the last: queued
    queue.add(1, inotify::k_modify, 0, "g", 100);  // another name
    queue.add(1, inotify::k_ignored, 0, "", 100);
    queue.add(1, inotify::k_ignored, 0, "", 100);  // IN_IGNORED never merges
    EXPECT_EQ(queue.events(), 6u);
}

TEST(InotifyQueue, FullQueueEndsInOneOverflowEvent) {
    InotifyQueue queue;
    for (int i = 0; i < 6; ++i)
        queue.add(1, inotify::k_create, 0, std::string(1, static_cast<char>('a' + i)), 4);
    EXPECT_EQ(queue.events(), 5u);
    uint8_t buffer[40];  // one named record and a bit
    auto first = queue.take(buffer);
    ASSERT_FALSE(first.is_error());
    EXPECT_EQ(first.value(), 32u);
    // Still full (the overflow event counts): a new event is dropped.
    queue.add(1, inotify::k_delete, 0, "y", 4);
    EXPECT_EQ(queue.events(), 4u);
    uint8_t one[40];
    ASSERT_FALSE(queue.take(one).is_error());
    // Room again: a new event goes after the overflow event.
    queue.add(1, inotify::k_delete, 0, "z", 4);
    auto records = take_all(queue);
    ASSERT_EQ(records.size(), 4u);
    EXPECT_EQ(records[2].wd, -1);
    EXPECT_EQ(records[2].mask, inotify::k_queue_overflow);
    EXPECT_EQ(records[3].mask, inotify::k_delete);
    EXPECT_EQ(records[3].name, "z");
}

TEST(InotifyQueue, TooSmallBufferIsInvalidAndTakesNothing) {
    InotifyQueue queue;
    queue.add(1, inotify::k_create, 0, "name", 10);
    uint8_t buffer[31];
    auto taken = queue.take(buffer);
    ASSERT_TRUE(taken.is_error());
    EXPECT_EQ(taken.error(), akuma::Error::Invalid);
    EXPECT_EQ(queue.events(), 1u);
}

TEST(InotifyQueue, NoMemoryQueuesTheOverflowEvent) {
    InotifyQueue queue;
    akuma::test::host_kmalloc_fail_after(0);
    queue.add(1, inotify::k_create, 0, "x", 10);
    queue.add(1, inotify::k_delete, 0, "x", 10);
    akuma::test::host_kmalloc_fail_after(-1);
    auto records = take_all(queue);
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].mask, inotify::k_queue_overflow);
}

}  // namespace
