// OwnPtr<T, A>: sole ownership of one heap object (a Box / unique_ptr) made
// with a fallible allocation. Move-only. Holds exactly T: it frees
// sizeof(T) / alignof(T), so it must not own an object of a derived type.
#pragma once

#include <utility>

#include "kernel/lib/allocator.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/error_or.h"

namespace akuma {

template <typename T, Allocator A>
class OwnPtr {
public:
    OwnPtr() = default;
    OwnPtr(const OwnPtr&) = delete;
    OwnPtr& operator=(const OwnPtr&) = delete;
    OwnPtr(OwnPtr&& other) : m_pointer(other.release()) {}

    OwnPtr& operator=(OwnPtr&& other) {
        if (this != &other) {
            reset();
            m_pointer = other.release();
        }
        return *this;
    }

    ~OwnPtr() { reset(); }

    template <typename... Args>
    static ErrorOr<OwnPtr> try_make(Args&&... args) {
        void* memory = A::allocate(sizeof(T), alignof(T));
        if (!memory)
            return Error::NoMemory;
        return OwnPtr(construct_in_place<T>(memory, std::forward<Args>(args)...));
    }

    // Takes ownership of an object from release() (allocated by A for T).
    static OwnPtr adopt(T* pointer) { return OwnPtr(pointer); }

    // Gives up ownership; the caller must destroy and deallocate the object
    // (or adopt() it again).
    [[nodiscard]] T* release() { return std::exchange(m_pointer, nullptr); }

    void reset() {
        // Detached first so the destructor never sees a half-owned object.
        if (T* pointer = release()) {
            pointer->~T();
            A::deallocate(pointer, sizeof(T), alignof(T));
        }
    }

    T* get() const { return m_pointer; }
    T* operator->() const {
        VERIFY(m_pointer);
        return m_pointer;
    }
    T& operator*() const {
        VERIFY(m_pointer);
        return *m_pointer;
    }
    explicit operator bool() const { return m_pointer != nullptr; }

private:
    explicit OwnPtr(T* pointer) : m_pointer(pointer) {}

    T* m_pointer {nullptr};
};

}  // namespace akuma
