#include "kernel/proc/pending_signals.h"

#include <new>

namespace akuma::proc {

ErrorOr<void> PendingSignals::add(int signal, const SignalInfo& info, size_t limit) {
    if (signal < 1 || signal > k_count)
        return Error::Invalid;
    bool realtime = signal >= k_first_realtime;
    if (!contains(signal)) {
        if (realtime && size() >= limit)
            return Error::TryAgain;
        m_mask |= bit(signal);
        m_first[signal - 1] = info;
        return {};
    }
    if (!realtime)
        return {};  // merged
    if (size() >= limit)
        return Error::TryAgain;
    auto* node = new (std::nothrow) Node { nullptr, signal, info };
    if (!node)
        return Error::TryAgain;
    if (m_tail)
        m_tail->next = node;
    else
        m_head = node;
    m_tail = node;
    ++m_extra;
    return {};
}

bool PendingSignals::take(int signal, SignalInfo& info) {
    if (signal < 1 || signal > k_count || !contains(signal))
        return false;
    info = m_first[signal - 1];
    // The next instance, if one is queued, moves into the slot.
    Node* previous = nullptr;
    for (Node* node = m_head; node; previous = node, node = node->next) {
        if (node->signal != signal)
            continue;
        m_first[signal - 1] = node->info;
        (previous ? previous->next : m_head) = node->next;
        if (m_tail == node)
            m_tail = previous;
        --m_extra;
        delete node;
        return true;
    }
    m_mask &= ~bit(signal);
    return true;
}

void PendingSignals::discard_mask(uint64_t signals) {
    signals &= m_mask;
    if (!signals)
        return;
    m_mask &= ~signals;
    Node* previous = nullptr;
    for (Node* node = m_head; node;) {
        Node* next = node->next;
        if (signals & bit(node->signal)) {
            (previous ? previous->next : m_head) = next;
            if (m_tail == node)
                m_tail = previous;
            --m_extra;
            delete node;
        } else {
            previous = node;
        }
        node = next;
    }
}

void PendingSignals::discard(int signal) {
    if (signal >= 1 && signal <= k_count)
        discard_mask(bit(signal));
}

}  // namespace akuma::proc
