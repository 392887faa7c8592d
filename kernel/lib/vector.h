// Vector<T, A>: a growable array whose every allocation is fallible. Failed
// operations return Error::NoMemory and leave the vector unchanged (strong
// guarantee). Move-only; copy with try_clone().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "kernel/lib/allocator.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/error_or.h"

namespace akuma {

template <typename T, Allocator A>
class Vector {
public:
    Vector() = default;
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;

    Vector(Vector&& other)
        : m_data(std::exchange(other.m_data, nullptr))
        , m_size(std::exchange(other.m_size, 0))
        , m_capacity(std::exchange(other.m_capacity, 0)) {}

    Vector& operator=(Vector&& other) {
        if (this != &other) {
            clear();
            free_storage();
            m_data = std::exchange(other.m_data, nullptr);
            m_size = std::exchange(other.m_size, 0);
            m_capacity = std::exchange(other.m_capacity, 0);
        }
        return *this;
    }

    ~Vector() {
        clear();
        free_storage();
    }

    // Copies each element with its copy constructor, or with its own
    // try_clone() (so vectors of vectors and of strings can be cloned).
    ErrorOr<Vector> try_clone() const
        requires std::is_copy_constructible_v<T> || requires(const T& element) { element.try_clone(); }
    {
        Vector copy;
        TRY(copy.try_reserve(m_size));
        for (const T& element : *this) {
            if constexpr (std::is_copy_constructible_v<T>) {
                new (copy.m_data + copy.m_size) T(element);
            } else {
                T cloned = TRY(element.try_clone());
                new (copy.m_data + copy.m_size) T(std::move(cloned));
            }
            ++copy.m_size;
        }
        return copy;
    }

    ErrorOr<void> try_append(T&& value) { return try_emplace(std::move(value)); }
    ErrorOr<void> try_append(const T& value)
        requires std::is_copy_constructible_v<T>
    {
        return try_emplace(value);
    }

    // The arguments may refer to an element of this vector.
    template <typename... Args>
    ErrorOr<void> try_emplace(Args&&... args) {
        if (m_size < m_capacity) {
            construct_in_place<T>(m_data + m_size, std::forward<Args>(args)...);
        } else if constexpr (k_trivially_relocatable) {
            // Build the value first: the reallocation may free what args refer to.
            T value = make_value(std::forward<Args>(args)...);
            size_t new_capacity = TRY(grown_capacity(m_size + 1));
            TRY(try_reallocate(new_capacity));
            new (m_data + m_size) T(value);
        } else {
            size_t new_capacity = TRY(grown_capacity(m_size + 1));
            T* new_data = TRY(allocate_elements(new_capacity));
            // Constructed before the old elements move, as args may refer to them.
            construct_in_place<T>(new_data + m_size, std::forward<Args>(args)...);
            relocate(m_data, m_size, new_data);
            adopt_storage(new_data, new_capacity);
        }
        ++m_size;
        return {};
    }

    // Inserts before index (index == size() appends). The value may refer to
    // an element of this vector.
    ErrorOr<void> try_insert(size_t index, T&& value) { return insert_impl(index, std::move(value)); }
    ErrorOr<void> try_insert(size_t index, const T& value)
        requires std::is_copy_constructible_v<T>
    {
        return insert_impl(index, value);
    }

    // Capacity becomes at least `capacity`, exactly that when it grows.
    ErrorOr<void> try_reserve(size_t capacity) {
        if (capacity > m_capacity)
            TRY(try_reallocate(capacity));
        return {};
    }

    // Shrinking destroys the tail; growing value-initialises the new elements.
    ErrorOr<void> try_resize(size_t size) {
        if (size > m_capacity) {
            size_t new_capacity = TRY(grown_capacity(size));
            TRY(try_reallocate(new_capacity));
        }
        while (m_size > size)
            m_data[--m_size].~T();
        for (; m_size < size; ++m_size)
            new (m_data + m_size) T();
        return {};
    }

    // Removes and returns the element at index, shifting the rest down.
    T remove(size_t index) {
        check_index(index);
        T value(std::move(m_data[index]));
        m_data[index].~T();
        close_gap(index);
        --m_size;
        return value;
    }

    T take_last() {
        VERIFY(m_size > 0);
        T value(std::move(m_data[m_size - 1]));
        m_data[--m_size].~T();
        return value;
    }

    // Destroys the elements and keeps the capacity.
    void clear() {
        for (size_t i = 0; i < m_size; ++i)
            m_data[i].~T();
        m_size = 0;
    }

    // Best effort: if the smaller buffer cannot be allocated, the vector keeps
    // its current one (and stays fully usable).
    void shrink_to_fit() {
        if (m_capacity == m_size)
            return;
        if (m_size == 0) {
            free_storage();
            return;
        }
        (void)try_reallocate(m_size);
    }

    size_t size() const { return m_size; }
    size_t capacity() const { return m_capacity; }
    bool is_empty() const { return m_size == 0; }

    T& operator[](size_t index) {
        check_index(index);
        return m_data[index];
    }
    const T& operator[](size_t index) const {
        check_index(index);
        return m_data[index];
    }

    T* data() { return m_data; }
    const T* data() const { return m_data; }
    T* begin() { return m_data; }
    T* end() { return m_data + m_size; }
    const T* begin() const { return m_data; }
    const T* end() const { return m_data + m_size; }
    std::span<T> span() { return {m_data, m_size}; }
    std::span<const T> span() const { return {m_data, m_size}; }

private:
    static constexpr size_t k_min_capacity = 4;
    // Such elements may be moved with memcpy, hence with A::reallocate.
    static constexpr bool k_trivially_relocatable = std::is_trivially_copyable_v<T>;

    template <typename... Args>
    static T make_value(Args&&... args) {
        if constexpr (std::is_constructible_v<T, Args...>)
            return T(std::forward<Args>(args)...);
        else
            return T {std::forward<Args>(args)...};
    }

    void check_index(size_t index) const {
        if (index >= m_size) [[unlikely]]
            lib::bounds_failure(index, m_size);
    }

    static ErrorOr<size_t> byte_size(size_t count) {
        size_t bytes;
        if (__builtin_mul_overflow(count, sizeof(T), &bytes))
            return Error::NoMemory;
        return bytes;
    }

    // Doubling (at least k_min_capacity) keeps appends amortised O(1).
    ErrorOr<size_t> grown_capacity(size_t required) const {
        if (required == 0)
            return Error::NoMemory;  // size_t wrapped around
        size_t doubled = m_capacity > SIZE_MAX / 2 ? SIZE_MAX : m_capacity * 2;
        size_t capacity = required > doubled ? required : doubled;
        return capacity < k_min_capacity ? k_min_capacity : capacity;
    }

    static ErrorOr<T*> allocate_elements(size_t capacity) {
        size_t bytes = TRY(byte_size(capacity));
        void* memory = A::allocate(bytes, alignof(T));
        if (!memory)
            return Error::NoMemory;
        return static_cast<T*>(memory);
    }

    void free_storage() {
        if (m_data)
            A::deallocate(m_data, m_capacity * sizeof(T), alignof(T));
        m_data = nullptr;
        m_capacity = 0;
    }

    // Replaces the (already relocated-from) buffer with new_data.
    void adopt_storage(T* new_data, size_t new_capacity) {
        free_storage();
        m_data = new_data;
        m_capacity = new_capacity;
    }

    // Moves `count` elements to uninitialised memory and ends their lifetime
    // at the source.
    static void relocate(T* from, size_t count, T* to) {
        if constexpr (k_trivially_relocatable) {
            if (count > 0)
                __builtin_memcpy(static_cast<void*>(to), static_cast<const void*>(from), count * sizeof(T));
        } else {
            for (size_t i = 0; i < count; ++i) {
                new (to + i) T(std::move(from[i]));
                from[i].~T();
            }
        }
    }

    // Moves the buffer to one of new_capacity (>= m_size) elements.
    ErrorOr<void> try_reallocate(size_t new_capacity) {
        if constexpr (k_trivially_relocatable) {
            size_t bytes = TRY(byte_size(new_capacity));
            void* memory = reallocate_bytes<A>(m_data, m_capacity * sizeof(T), bytes, alignof(T));
            if (!memory)
                return Error::NoMemory;
            m_data = static_cast<T*>(memory);
            m_capacity = new_capacity;
        } else {
            T* new_data = TRY(allocate_elements(new_capacity));
            relocate(m_data, m_size, new_data);
            adopt_storage(new_data, new_capacity);
        }
        return {};
    }

    // Shifts [index, m_size) one slot up; slot index is left uninitialised.
    void open_gap(size_t index) {
        if constexpr (k_trivially_relocatable) {
            __builtin_memmove(static_cast<void*>(m_data + index + 1), static_cast<const void*>(m_data + index),
                (m_size - index) * sizeof(T));
        } else {
            for (size_t i = m_size; i > index; --i) {
                new (m_data + i) T(std::move(m_data[i - 1]));
                m_data[i - 1].~T();
            }
        }
    }

    // Slot index is uninitialised; shifts (index, m_size) one slot down.
    void close_gap(size_t index) {
        if constexpr (k_trivially_relocatable) {
            __builtin_memmove(static_cast<void*>(m_data + index), static_cast<const void*>(m_data + index + 1),
                (m_size - index - 1) * sizeof(T));
        } else {
            for (size_t i = index; i + 1 < m_size; ++i) {
                new (m_data + i) T(std::move(m_data[i + 1]));
                m_data[i + 1].~T();
            }
        }
    }

    template <typename U>
    ErrorOr<void> insert_impl(size_t index, U&& value) {
        if (index > m_size) [[unlikely]]
            lib::bounds_failure(index, m_size);
        if (m_size == m_capacity) {
            // Build the new buffer around the new element; the old buffer (which
            // value may point into) stays intact until everything has moved.
            size_t new_capacity = TRY(grown_capacity(m_size + 1));
            T* new_data = TRY(allocate_elements(new_capacity));
            new (new_data + index) T(std::forward<U>(value));
            relocate(m_data, index, new_data);
            relocate(m_data + index, m_size - index, new_data + index + 1);
            adopt_storage(new_data, new_capacity);
        } else {
            T copy(std::forward<U>(value));  // value may be an element about to shift
            open_gap(index);
            new (m_data + index) T(std::move(copy));
        }
        ++m_size;
        return {};
    }

    T* m_data {nullptr};
    size_t m_size {0};
    size_t m_capacity {0};
};

}  // namespace akuma
