#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

#include "kernel/lib/intrusive_list.h"

using namespace akuma;

namespace {
struct Item {
    int value;
    ListNode first;
    char padding[3];
    ListNode second;
};
using FirstList = IntrusiveList<Item, &Item::first>;
using SecondList = IntrusiveList<Item, &Item::second>;

std::vector<int> values(const FirstList& list) {
    std::vector<int> out;
    list.for_each([&](Item& item) { out.push_back(item.value); });
    return out;
}
}  // namespace

TEST(IntrusiveList, FifoOrderAndRemoval) {
    Item items[4] { { 1, {}, {}, {} }, { 2, {}, {}, {} }, { 3, {}, {}, {} }, { 4, {}, {}, {} } };
    FirstList list;
    for (auto& item : items)
        list.push_back(item);
    EXPECT_EQ(values(list), (std::vector<int> { 1, 2, 3, 4 }));
    list.remove(items[2]);  // middle
    list.remove(items[0]);  // head
    list.remove(items[3]);  // tail
    EXPECT_EQ(values(list), (std::vector<int> { 2 }));
    EXPECT_FALSE(items[0].first.linked);
    EXPECT_TRUE(items[1].first.linked);
    EXPECT_EQ(list.pop_front(), &items[1]);
    EXPECT_TRUE(list.is_empty());
    EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(IntrusiveList, ElementInTwoListsThroughTwoNodes) {
    Item a { 1, {}, {}, {} }, b { 2, {}, {}, {} };
    FirstList first;
    SecondList second;
    first.push_back(a);
    first.push_back(b);
    second.push_back(b);
    second.push_back(a);
    EXPECT_EQ(second.front(), &b);  // list_owner finds the element from the second node
    EXPECT_EQ(second.pop_front(), &b);
    EXPECT_EQ(second.pop_front(), &a);
    EXPECT_EQ(first.size(), 2u);
}

TEST(IntrusiveList, RandomizedAgainstDeque) {
    std::vector<Item> items(64);
    for (int i = 0; i < 64; ++i)
        items[i].value = i;
    FirstList list;
    std::deque<int> model;
    std::mt19937 random(3);
    for (int step = 0; step < 100000; ++step) {
        int index = random() % 64;
        Item& item = items[index];
        if (!item.first.linked && random() % 2) {
            list.push_back(item);
            model.push_back(index);
        } else if (item.first.linked) {
            list.remove(item);
            model.erase(std::find(model.begin(), model.end(), index));
        } else if (auto* front = list.pop_front()) {
            EXPECT_EQ(front->value, model.front());
            model.pop_front();
        }
        ASSERT_EQ(list.size(), model.size());
    }
    EXPECT_EQ(values(list), std::vector<int>(model.begin(), model.end()));
}
