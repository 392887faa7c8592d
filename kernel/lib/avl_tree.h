// AvlTree<T>: an intrusive, height-balanced binary search tree. Elements
// derive from AvlNode and are linked in place, so the tree never allocates:
// the owner allocates and frees the elements (and can therefore reserve them
// before changing anything). Insert, remove and lookup are O(log n); stepping
// to the next or previous element is O(1) amortised through parent links.
//
// The tree keeps no key of its own: the caller places each element with
// insert_after() (it knows the neighbour from a lookup) or insert() with an
// ordering, and looks up with lower_bound() and a monotone predicate. An
// element may be changed in place as long as its order among the others
// does not change.
//
// AVL balance: the heights of every node's two subtrees differ by at most
// one, so the height is below 1.45 log2(n + 2) (Knuth, TAOCP 6.2.3).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "kernel/lib/assert.h"

namespace akuma {

struct AvlNode {
    AvlNode* parent {nullptr};
    AvlNode* left {nullptr};
    AvlNode* right {nullptr};
    // Of the subtree rooted here: 1 for a leaf; 0 while not in a tree.
    uint8_t height {0};
};

// The untyped algorithms; AvlTree<T> below adds the element type.
class AvlNodeTree {
public:
    constexpr AvlNodeTree() = default;
    AvlNodeTree(const AvlNodeTree&) = delete;
    AvlNodeTree& operator=(const AvlNodeTree&) = delete;
    AvlNodeTree(AvlNodeTree&& other) : m_root(other.m_root), m_size(other.m_size) {
        other.m_root = nullptr;
        other.m_size = 0;
    }
    AvlNodeTree& operator=(AvlNodeTree&& other) {
        // The caller disposes of this tree's elements first (clear()).
        VERIFY(this == &other || m_root == nullptr);
        if (this != &other) {
            m_root = other.m_root;
            m_size = other.m_size;
            other.m_root = nullptr;
            other.m_size = 0;
        }
        return *this;
    }

    bool is_empty() const { return m_root == nullptr; }
    size_t size() const { return m_size; }
    // 0 when empty.
    unsigned height() const { return height_of(m_root); }
    AvlNode* root() const { return m_root; }

    AvlNode* first() const { return m_root ? leftmost(m_root) : nullptr; }
    AvlNode* last() const { return m_root ? rightmost(m_root) : nullptr; }
    static AvlNode* next(const AvlNode* node);
    static AvlNode* prev(const AvlNode* node);

    // Links `node` (not in any tree) right after `position` in order, or
    // first when position is null.
    void insert_after(AvlNode* position, AvlNode& node);
    void remove(AvlNode& node);

    // Unlinks every node, calling dispose(node) on each (it may free it).
    // O(n), no recursion.
    template <typename F>
    void clear(F&& dispose) {
        AvlNode* node = m_root;
        m_root = nullptr;
        m_size = 0;
        while (node) {
            if (node->left) {
                node = node->left;
            } else if (node->right) {
                node = node->right;
            } else {
                // A leaf: detach it from its parent, which may become a leaf.
                AvlNode* parent = node->parent;
                if (parent)
                    (parent->left == node ? parent->left : parent->right) = nullptr;
                *node = AvlNode {};
                dispose(node);
                node = parent;
            }
        }
    }

    // Checks every link, height, balance factor and the size: O(n), for
    // tests.
    bool is_valid() const;

private:
    static unsigned height_of(const AvlNode* node) { return node ? node->height : 0; }
    static AvlNode* leftmost(AvlNode* node);
    static AvlNode* rightmost(AvlNode* node);
    static void update_height(AvlNode* node);

    void link(AvlNode* parent, AvlNode*& slot, AvlNode& node);
    void replace_child(AvlNode* parent, AvlNode* old_child, AvlNode* new_child);
    AvlNode* rotate_left(AvlNode* node);
    AvlNode* rotate_right(AvlNode* node);
    // Restores the heights and balance from `node` up to the root.
    void rebalance_upwards(AvlNode* node);

    AvlNode* m_root {nullptr};
    size_t m_size {0};
};

template <typename T>
    requires std::derived_from<T, AvlNode>
class AvlTree {
public:
    constexpr AvlTree() = default;
    AvlTree(AvlTree&&) = default;
    AvlTree& operator=(AvlTree&&) = default;

    bool is_empty() const { return m_nodes.is_empty(); }
    size_t size() const { return m_nodes.size(); }
    unsigned height() const { return m_nodes.height(); }
    bool is_valid() const { return m_nodes.is_valid(); }

    T* first() const { return owner(m_nodes.first()); }
    T* last() const { return owner(m_nodes.last()); }
    static T* next(const T* element) { return owner(AvlNodeTree::next(element)); }
    static T* prev(const T* element) { return owner(AvlNodeTree::prev(element)); }

    // The first element (in order) for which at_or_after(element) is true,
    // or nullptr. The predicate must be false for a prefix of the order and
    // true for the rest (like "ends above address").
    template <typename P>
    T* lower_bound(P&& at_or_after) const {
        AvlNode* found = nullptr;
        for (AvlNode* node = m_nodes.root(); node;) {
            if (at_or_after(static_cast<const T&>(*node))) {
                found = node;
                node = node->left;
            } else {
                node = node->right;
            }
        }
        return owner(found);
    }

    void insert_after(T* position, T& element) { m_nodes.insert_after(position, element); }
    // Places element after every one that is not less(element, it) (equal
    // elements keep their insertion order).
    template <typename L>
    void insert(T& element, L&& less) {
        T* after = lower_bound([&](const T& other) { return less(element, other); });
        insert_after(after ? prev(after) : last(), element);
    }
    void remove(T& element) { m_nodes.remove(element); }

    template <typename F>
    void clear(F&& dispose) {
        m_nodes.clear([&](AvlNode* node) { dispose(static_cast<T*>(node)); });
    }

private:
    static T* owner(AvlNode* node) { return static_cast<T*>(node); }

    AvlNodeTree m_nodes;
};

}  // namespace akuma
