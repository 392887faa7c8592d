// Doubly linked lists whose nodes live inside the elements (no allocation),
// for run queues and wait queues. An element can be in one list per node.
// NodeQueue works on bare nodes (usable where the element type is still
// incomplete); IntrusiveList adds the element type on top.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akuma {

struct ListNode {
    ListNode* prev { nullptr };
    ListNode* next { nullptr };
    bool linked { false };
};

class NodeQueue {
public:
    constexpr NodeQueue() = default;
    NodeQueue(const NodeQueue&) = delete;
    NodeQueue& operator=(const NodeQueue&) = delete;

    bool is_empty() const { return m_head == nullptr; }
    size_t size() const { return m_size; }
    ListNode* front() const { return m_head; }
    ListNode* back() const { return m_tail; }

    void push_back(ListNode& node) { insert_after(m_tail, node); }

    // Links `node` after `position`, or at the front when position is null.
    void insert_after(ListNode* position, ListNode& node) {
        node.prev = position;
        node.next = position ? position->next : m_head;
        node.linked = true;
        if (node.next)
            node.next->prev = &node;
        else
            m_tail = &node;
        if (position)
            position->next = &node;
        else
            m_head = &node;
        ++m_size;
    }

    ListNode* pop_front() {
        ListNode* node = m_head;
        if (node)
            remove(*node);
        return node;
    }

    void remove(ListNode& node) {
        if (node.prev)
            node.prev->next = node.next;
        else
            m_head = node.next;
        if (node.next)
            node.next->prev = node.prev;
        else
            m_tail = node.prev;
        node.prev = node.next = nullptr;
        node.linked = false;
        --m_size;
    }

private:
    ListNode* m_head { nullptr };
    ListNode* m_tail { nullptr };
    size_t m_size { 0 };
};

// The element that contains `node` as its member `Node`.
template <typename T, ListNode T::*Node>
T* list_owner(ListNode* node) {
    if (!node)
        return nullptr;
    // The member's offset, computed on a well-aligned fake address (the
    // container_of idiom; nothing is dereferenced).
    constexpr uintptr_t k_base = alignof(T) * 64;
    auto offset = reinterpret_cast<uintptr_t>(&(reinterpret_cast<T*>(k_base)->*Node)) - k_base;
    return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
}

template <typename T, ListNode T::*Node>
class IntrusiveList {
public:
    constexpr IntrusiveList() = default;

    bool is_empty() const { return m_nodes.is_empty(); }
    size_t size() const { return m_nodes.size(); }
    void push_back(T& element) { m_nodes.push_back(element.*Node); }
    T* pop_front() { return list_owner<T, Node>(m_nodes.pop_front()); }
    T* front() const { return list_owner<T, Node>(m_nodes.front()); }
    // The element after `element` (in this list), or nullptr.
    T* next(const T& element) const { return list_owner<T, Node>((element.*Node).next); }
    void remove(T& element) { m_nodes.remove(element.*Node); }

    template <typename F>
    void for_each(F&& f) const {
        for (ListNode* node = m_nodes.front(); node;) {
            ListNode* next = node->next;  // f may unlink the element
            f(*list_owner<T, Node>(node));
            node = next;
        }
    }

private:
    NodeQueue m_nodes;
};

}  // namespace akuma
