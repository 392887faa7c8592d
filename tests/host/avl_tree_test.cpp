// Tests of the intrusive AVL tree (kernel/lib/avl_tree.h): ordered insertion
// by neighbour and by comparison, removal of leaves, inner nodes and the
// root, stepping both ways, lower_bound, clear, the height bound, and a
// randomized comparison against std::vector.
#include "kernel/lib/avl_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace akuma;

namespace {

struct Item : AvlNode {
    int key {0};
    explicit Item(int k = 0) : key(k) {}
};

bool less(const Item& a, const Item& b) { return a.key < b.key; }

std::vector<int> keys(const AvlTree<Item>& tree) {
    std::vector<int> result;
    for (Item* item = tree.first(); item; item = AvlTree<Item>::next(item))
        result.push_back(item->key);
    return result;
}

std::vector<int> keys_backwards(const AvlTree<Item>& tree) {
    std::vector<int> result;
    for (Item* item = tree.last(); item; item = AvlTree<Item>::prev(item))
        result.push_back(item->key);
    std::reverse(result.begin(), result.end());
    return result;
}

// The AVL bound: height < 1.4405 log2(n + 2) - 0.3277.
unsigned max_height(size_t n) { return static_cast<unsigned>(1.4405 * std::log2(double(n) + 2) - 0.3277); }

TEST(AvlTree, EmptyTree) {
    AvlTree<Item> tree;
    EXPECT_TRUE(tree.is_empty());
    EXPECT_EQ(tree.size(), 0u);
    EXPECT_EQ(tree.height(), 0u);
    EXPECT_EQ(tree.first(), nullptr);
    EXPECT_EQ(tree.last(), nullptr);
    EXPECT_EQ(tree.lower_bound([](const Item&) { return true; }), nullptr);
    EXPECT_TRUE(tree.is_valid());
}

TEST(AvlTree, InsertAfterKeepsTheGivenOrder) {
    std::vector<Item> items(5);
    for (int i = 0; i < 5; ++i)
        items[i].key = i;
    AvlTree<Item> tree;
    tree.insert_after(nullptr, items[2]);
    tree.insert_after(&items[2], items[4]);
    tree.insert_after(nullptr, items[0]);
    tree.insert_after(&items[0], items[1]);
    tree.insert_after(&items[2], items[3]);
    EXPECT_EQ(keys(tree), (std::vector {0, 1, 2, 3, 4}));
    EXPECT_EQ(keys_backwards(tree), (std::vector {0, 1, 2, 3, 4}));
    EXPECT_EQ(tree.size(), 5u);
    EXPECT_TRUE(tree.is_valid());
    tree.clear([](Item*) {});
}

TEST(AvlTree, AscendingInsertionStaysBalanced) {
    // Appending is the worst case of an unbalanced tree (a list).
    std::vector<Item> items(1 << 14);
    AvlTree<Item> tree;
    for (size_t i = 0; i < items.size(); ++i) {
        items[i].key = static_cast<int>(i);
        tree.insert_after(tree.last(), items[i]);
    }
    EXPECT_TRUE(tree.is_valid());
    EXPECT_EQ(tree.size(), items.size());
    EXPECT_LE(tree.height(), max_height(items.size()));
    // A complete-ish tree: 14 levels hold 16383, so at least 15.
    EXPECT_GE(tree.height(), 15u);
    tree.clear([](Item*) {});
}

TEST(AvlTree, RemoveLeafInnerAndRoot) {
    std::vector<Item> items(7);
    AvlTree<Item> tree;
    for (int i = 0; i < 7; ++i) {
        items[i].key = i;
        tree.insert(items[i], less);
    }
    tree.remove(items[0]);  // a leaf
    EXPECT_EQ(keys(tree), (std::vector {1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(tree.is_valid());
    tree.remove(items[5]);  // an inner node with two children
    EXPECT_EQ(keys(tree), (std::vector {1, 2, 3, 4, 6}));
    EXPECT_TRUE(tree.is_valid());
    tree.remove(items[3]);  // the root
    EXPECT_EQ(keys(tree), (std::vector {1, 2, 4, 6}));
    EXPECT_TRUE(tree.is_valid());
    for (int key : {1, 2, 4, 6}) {
        tree.remove(items[key]);
        EXPECT_TRUE(tree.is_valid());
    }
    EXPECT_TRUE(tree.is_empty());
    EXPECT_EQ(items[4].height, 0u);  // unlinked: may be inserted again
    tree.insert(items[4], less);
    EXPECT_EQ(keys(tree), std::vector {4});
    tree.clear([](Item*) {});
}

TEST(AvlTree, InsertByComparisonKeepsEqualKeysInInsertionOrder) {
    std::vector<Item> items = {Item(5), Item(3), Item(5), Item(1), Item(5)};
    AvlTree<Item> tree;
    for (Item& item : items)
        tree.insert(item, less);
    std::vector<const Item*> order;
    for (Item* item = tree.first(); item; item = AvlTree<Item>::next(item))
        order.push_back(item);
    EXPECT_EQ(order, (std::vector<const Item*> {&items[3], &items[1], &items[0], &items[2], &items[4]}));
    tree.clear([](Item*) {});
}

TEST(AvlTree, LowerBound) {
    std::vector<Item> items(50);
    AvlTree<Item> tree;
    for (int i = 0; i < 50; ++i) {
        items[i].key = 2 * i;
        tree.insert_after(tree.last(), items[i]);
    }
    for (int k = -1; k <= 100; ++k) {
        Item* found = tree.lower_bound([&](const Item& item) { return item.key >= k; });
        if (k > 98) {
            EXPECT_EQ(found, nullptr) << k;
        } else {
            ASSERT_NE(found, nullptr) << k;
            EXPECT_EQ(found->key, k <= 0 ? 0 : (k + 1) / 2 * 2) << k;
        }
    }
    tree.clear([](Item*) {});
}

TEST(AvlTree, ClearDisposesEveryNodeOnce) {
    std::vector<Item> items(1000);
    AvlTree<Item> tree;
    for (int i = 0; i < 1000; ++i) {
        items[i].key = (i * 7919) % 1000;
        tree.insert(items[i], less);
    }
    std::vector<int> disposed(1000);
    tree.clear([&](Item* item) {
        EXPECT_EQ(item->height, 0u);
        EXPECT_EQ(item->parent, nullptr);
        ++disposed[item - items.data()];
    });
    EXPECT_TRUE(tree.is_empty());
    EXPECT_TRUE(tree.is_valid());
    EXPECT_EQ(std::count(disposed.begin(), disposed.end(), 1), 1000);
}

TEST(AvlTree, ClearMayFreeTheNodes) {
    AvlTree<Item> tree;
    for (int i = 0; i < 100; ++i)
        tree.insert(*new Item(i % 13), less);
    tree.clear([](Item* item) { delete item; });  // ASan reports a leak or a use after free
    EXPECT_TRUE(tree.is_empty());
}

TEST(AvlTree, MoveTransfersTheNodes) {
    std::vector<Item> items = {Item(1), Item(2)};
    AvlTree<Item> tree;
    tree.insert(items[0], less);
    tree.insert(items[1], less);
    AvlTree<Item> moved(std::move(tree));
    EXPECT_TRUE(tree.is_empty());
    EXPECT_EQ(keys(moved), (std::vector {1, 2}));
    AvlTree<Item> assigned;
    assigned = std::move(moved);
    EXPECT_EQ(keys(assigned), (std::vector {1, 2}));
    EXPECT_TRUE(assigned.is_valid());
    assigned.clear([](Item*) {});
}

TEST(AvlTree, DoubleInsertOrForeignRemoveDies) {
    Item a(1);
    Item b(2);
    AvlTree<Item> tree;
    tree.insert(a, less);
    EXPECT_DEATH(tree.insert(a, less), "VERIFY");
    EXPECT_DEATH(tree.remove(b), "VERIFY");
    tree.clear([](Item*) {});
}

// Random inserts (by neighbour and by key) and removals against a sorted
// vector; checks the structure and the height bound after every step.
TEST(AvlTree, RandomOperationsMatchSortedVector) {
    for (uint32_t seed : {1u, 2u, 3u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 random(seed);
        auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
        constexpr size_t k_items = 3000;
        std::vector<std::unique_ptr<Item>> pool;
        for (size_t i = 0; i < k_items; ++i)
            pool.push_back(std::make_unique<Item>());
        std::vector<Item*> free_items;
        for (auto& item : pool)
            free_items.push_back(item.get());
        std::vector<Item*> model;  // in tree order
        AvlTree<Item> tree;
        unsigned tallest = 0;
        for (int step = 0; step < 40000 && !::testing::Test::HasFailure(); ++step) {
            // Grow to about half the pool, then wander.
            bool add = !free_items.empty() && (model.empty() || pick(100) < (model.size() < k_items / 2 ? 70 : 45));
            if (add) {
                Item* item = free_items.back();
                free_items.pop_back();
                if (pick(2)) {
                    size_t index = pick(model.size() + 1);  // insert before model[index]
                    item->key = 0;
                    tree.insert_after(index == 0 ? nullptr : model[index - 1], *item);
                    model.insert(model.begin() + static_cast<ptrdiff_t>(index), item);
                } else {
                    item->key = static_cast<int>(pick(1000000));
                    // By key needs sorted keys: renumber the model first.
                    for (size_t i = 0; i < model.size(); ++i)
                        model[i]->key = static_cast<int>(i * 1000000 / (model.size() + 1));
                    tree.insert(*item, less);
                    auto at = std::upper_bound(model.begin(), model.end(), item,
                        [](const Item* a, const Item* b) { return a->key < b->key; });
                    model.insert(at, item);
                }
            } else {
                size_t index = pick(model.size());
                tree.remove(*model[index]);
                free_items.push_back(model[index]);
                model.erase(model.begin() + static_cast<ptrdiff_t>(index));
            }
            ASSERT_EQ(tree.size(), model.size());
            if (step % 16 == 0 || model.size() < 20) {
                ASSERT_TRUE(tree.is_valid());
                std::vector<Item*> in_order;
                for (Item* item = tree.first(); item; item = AvlTree<Item>::next(item))
                    in_order.push_back(item);
                ASSERT_EQ(in_order, model);
                std::vector<Item*> reversed;
                for (Item* item = tree.last(); item; item = AvlTree<Item>::prev(item))
                    reversed.push_back(item);
                std::reverse(reversed.begin(), reversed.end());
                ASSERT_EQ(reversed, model);
            }
            ASSERT_LE(tree.height(), max_height(tree.size()));
            tallest = std::max(tallest, tree.height());
        }
        EXPECT_GT(tallest, 10u);  // the tree did get big
        tree.clear([](Item*) {});
    }
}

}  // namespace
