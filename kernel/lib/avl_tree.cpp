#include "kernel/lib/avl_tree.h"

namespace akuma {

AvlNode* AvlNodeTree::leftmost(AvlNode* node) {
    while (node->left)
        node = node->left;
    return node;
}

AvlNode* AvlNodeTree::rightmost(AvlNode* node) {
    while (node->right)
        node = node->right;
    return node;
}

AvlNode* AvlNodeTree::next(const AvlNode* node) {
    if (node->right)
        return leftmost(node->right);
    // Up until we leave a left subtree.
    while (node->parent && node->parent->right == node)
        node = node->parent;
    return node->parent;
}

AvlNode* AvlNodeTree::prev(const AvlNode* node) {
    if (node->left)
        return rightmost(node->left);
    while (node->parent && node->parent->left == node)
        node = node->parent;
    return node->parent;
}

void AvlNodeTree::update_height(AvlNode* node) {
    unsigned left = height_of(node->left);
    unsigned right = height_of(node->right);
    node->height = static_cast<uint8_t>(1 + (left > right ? left : right));
}

void AvlNodeTree::link(AvlNode* parent, AvlNode*& slot, AvlNode& node) {
    VERIFY(node.height == 0);  // not in a tree already
    node = AvlNode {parent, nullptr, nullptr, 1};
    slot = &node;
    ++m_size;
    rebalance_upwards(parent);
}

void AvlNodeTree::insert_after(AvlNode* position, AvlNode& node) {
    if (!m_root)
        return link(nullptr, m_root, node);
    // The in-order successor slot of position: its empty right child, or the
    // empty left child of the leftmost node of its right subtree.
    if (!position) {
        AvlNode* front = leftmost(m_root);
        return link(front, front->left, node);
    }
    if (!position->right)
        return link(position, position->right, node);
    AvlNode* successor = leftmost(position->right);
    link(successor, successor->left, node);
}

void AvlNodeTree::replace_child(AvlNode* parent, AvlNode* old_child, AvlNode* new_child) {
    if (!parent)
        m_root = new_child;
    else if (parent->left == old_child)
        parent->left = new_child;
    else
        parent->right = new_child;
    if (new_child)
        new_child->parent = parent;
}

void AvlNodeTree::remove(AvlNode& node) {
    VERIFY(node.height != 0);  // in a tree
    AvlNode* rebalance_from;
    if (node.left && node.right) {
        // Two children: the successor (leftmost of the right subtree, so it
        // has no left child) takes node's place.
        AvlNode* successor = leftmost(node.right);
        if (successor->parent == &node) {
            rebalance_from = successor;
        } else {
            rebalance_from = successor->parent;
            rebalance_from->left = successor->right;
            if (successor->right)
                successor->right->parent = rebalance_from;
            successor->right = node.right;
            node.right->parent = successor;
        }
        successor->left = node.left;
        node.left->parent = successor;
        successor->height = node.height;
        replace_child(node.parent, &node, successor);
    } else {
        rebalance_from = node.parent;
        replace_child(node.parent, &node, node.left ? node.left : node.right);
    }
    node = AvlNode {};
    --m_size;
    rebalance_upwards(rebalance_from);
}

AvlNode* AvlNodeTree::rotate_left(AvlNode* node) {
    AvlNode* pivot = node->right;
    node->right = pivot->left;
    if (pivot->left)
        pivot->left->parent = node;
    replace_child(node->parent, node, pivot);
    pivot->left = node;
    node->parent = pivot;
    update_height(node);
    update_height(pivot);
    return pivot;
}

AvlNode* AvlNodeTree::rotate_right(AvlNode* node) {
    AvlNode* pivot = node->left;
    node->left = pivot->right;
    if (pivot->right)
        pivot->right->parent = node;
    replace_child(node->parent, node, pivot);
    pivot->right = node;
    node->parent = pivot;
    update_height(node);
    update_height(pivot);
    return pivot;
}

void AvlNodeTree::rebalance_upwards(AvlNode* node) {
    while (node) {
        unsigned old_height = node->height;
        unsigned left = height_of(node->left);
        unsigned right = height_of(node->right);
        AvlNode* subtree = node;
        if (left > right + 1) {
            // Left-right case: first turn it into left-left.
            if (height_of(node->left->left) < height_of(node->left->right))
                rotate_left(node->left);
            subtree = rotate_right(node);
        } else if (right > left + 1) {
            if (height_of(node->right->right) < height_of(node->right->left))
                rotate_right(node->right);
            subtree = rotate_left(node);
        } else {
            update_height(node);
        }
        // The ancestors' heights only depend on this subtree's: if it kept
        // its height, they are all still right.
        if (subtree->height == old_height)
            return;
        node = subtree->parent;
    }
}

bool AvlNodeTree::is_valid() const {
    if (m_root && m_root->parent)
        return false;
    size_t count = 0;
    for (AvlNode* node = first(); node; node = next(node)) {
        if (++count > m_size)
            return false;  // also stops a cycle
        unsigned left = height_of(node->left);
        unsigned right = height_of(node->right);
        if (node->height != 1 + (left > right ? left : right))
            return false;
        if (left > right + 1 || right > left + 1)
            return false;
        if ((node->left && node->left->parent != node) || (node->right && node->right->parent != node))
            return false;
    }
    return count == m_size;
}

}  // namespace akuma
