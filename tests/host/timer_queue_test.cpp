// The timer queue's sorted list (kernel/time/timer_list.cpp), checked
// against a reference model with random operations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernel/time/timer_list.h"

using akuma::time::TimerEvent;
using akuma::time::TimerList;

namespace {

std::vector<TimerEvent*> drain(TimerList& list, uint64_t now) {
    std::vector<TimerEvent*> fired;
    while (TimerEvent* event = list.pop_expired(now))
        fired.push_back(event);
    return fired;
}

TEST(TimerList, EmptyListHasNothingDue) {
    TimerList list;
    EXPECT_TRUE(list.is_empty());
    EXPECT_EQ(list.size(), 0u);
    EXPECT_EQ(list.pop_expired(UINT64_MAX), nullptr);
    EXPECT_FALSE(list.next_deadline().has_value());
}

TEST(TimerList, PopsInDeadlineOrderOnlyWhenDue) {
    TimerList list;
    TimerEvent late { .deadline_ns = 300 }, early { .deadline_ns = 100 }, middle { .deadline_ns = 200 };
    list.insert(late);
    list.insert(early);
    list.insert(middle);
    EXPECT_EQ(list.size(), 3u);
    EXPECT_EQ(list.next_deadline(), 100u);
    EXPECT_EQ(list.pop_expired(99), nullptr);
    EXPECT_EQ(list.pop_expired(100), &early);
    EXPECT_EQ(list.pop_expired(250), &middle);
    EXPECT_EQ(list.pop_expired(250), nullptr);
    EXPECT_EQ(list.pop_expired(1000), &late);
    EXPECT_TRUE(list.is_empty());
    EXPECT_FALSE(late.queued());
}

TEST(TimerList, EqualDeadlinesKeepInsertionOrder) {
    TimerList list;
    TimerEvent a { .deadline_ns = 5 }, b { .deadline_ns = 5 }, c { .deadline_ns = 5 }, before { .deadline_ns = 4 };
    list.insert(a);
    list.insert(b);
    list.insert(before);
    list.insert(c);
    EXPECT_EQ(drain(list, 5), (std::vector<TimerEvent*> { &before, &a, &b, &c }));
}

TEST(TimerList, RemoveOnlyWhileQueued) {
    TimerList list;
    TimerEvent a { .deadline_ns = 1 }, b { .deadline_ns = 2 }, c { .deadline_ns = 3 }, never { .deadline_ns = 4 };
    list.insert(a);
    list.insert(b);
    list.insert(c);
    EXPECT_FALSE(list.remove(never));
    EXPECT_TRUE(list.remove(b));  // middle
    EXPECT_FALSE(list.remove(b));
    EXPECT_TRUE(list.remove(c));  // tail
    EXPECT_EQ(list.size(), 1u);
    EXPECT_EQ(list.pop_expired(10), &a);
    EXPECT_FALSE(list.remove(a));  // already expired
    EXPECT_TRUE(list.is_empty());
}

TEST(TimerList, ReinsertingMovesTheEvent) {
    TimerList list;
    TimerEvent a { .deadline_ns = 10 }, b { .deadline_ns = 20 };
    list.insert(a);
    list.insert(b);
    a.deadline_ns = 30;
    list.insert(a);
    EXPECT_EQ(list.size(), 2u);
    EXPECT_EQ(drain(list, 100), (std::vector<TimerEvent*> { &b, &a }));
}

// Random inserts, removes, re-inserts and expiries against a model: a
// vector of (deadline, insertion sequence) kept sorted.
TEST(TimerList, MatchesReferenceModel) {
    std::mt19937_64 random(12345);
    constexpr size_t k_events = 64;
    std::vector<TimerEvent> events(k_events);
    struct Entry {
        uint64_t deadline;
        uint64_t sequence;
        size_t index;
    };
    std::vector<Entry> model;
    uint64_t sequence = 0, now = 0;
    TimerList list;

    for (int step = 0; step < 200000; ++step) {
        size_t index = random() % k_events;
        TimerEvent& event = events[index];
        auto in_model = std::find_if(model.begin(), model.end(), [&](const Entry& e) { return e.index == index; });
        switch (random() % 4) {
        case 0:
        case 1: {  // (re)insert; small deadline range makes many ties
            if (in_model != model.end())
                model.erase(in_model);
            event.deadline_ns = now + random() % 50;
            list.insert(event);
            Entry entry { event.deadline_ns, sequence++, index };
            auto position = std::upper_bound(model.begin(), model.end(), entry, [](const Entry& a, const Entry& b) {
                return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
            });
            model.insert(position, entry);
            break;
        }
        case 2:
            ASSERT_EQ(list.remove(event), in_model != model.end());
            if (in_model != model.end())
                model.erase(in_model);
            break;
        case 3: {
            now += random() % 10;
            for (TimerEvent* fired : drain(list, now)) {
                ASSERT_FALSE(model.empty());
                ASSERT_LE(model.front().deadline, now);
                ASSERT_EQ(fired, &events[model.front().index]);
                ASSERT_FALSE(fired->queued());
                model.erase(model.begin());
            }
            ASSERT_TRUE(model.empty() || model.front().deadline > now);
            break;
        }
        }
        ASSERT_EQ(list.size(), model.size());
        if (model.empty())
            ASSERT_FALSE(list.next_deadline().has_value());
        else
            ASSERT_EQ(list.next_deadline(), model.front().deadline);
    }
}

}  // namespace
