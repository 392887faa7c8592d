// BasicString<A>: an owned, always NUL-terminated byte string whose every
// allocation is fallible. No small-string optimisation, so every non-empty
// string exercises its allocator. Failed operations return Error::NoMemory
// and leave the string unchanged. The kernel defines its String alias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "kernel/lib/allocator.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/error_or.h"
#include "kernel/lib/format.h"

namespace akuma {

template <Allocator A>
class BasicString {
public:
    BasicString() = default;
    BasicString(const BasicString&) = delete;
    BasicString& operator=(const BasicString&) = delete;

    BasicString(BasicString&& other)
        : m_data(std::exchange(other.m_data, nullptr))
        , m_length(std::exchange(other.m_length, 0))
        , m_capacity(std::exchange(other.m_capacity, 0)) {}

    BasicString& operator=(BasicString&& other) {
        if (this != &other) {
            free_storage();
            m_data = std::exchange(other.m_data, nullptr);
            m_length = std::exchange(other.m_length, 0);
            m_capacity = std::exchange(other.m_capacity, 0);
        }
        return *this;
    }

    ~BasicString() { free_storage(); }

    static ErrorOr<BasicString> try_from(std::string_view text) {
        BasicString string;
        TRY(string.try_reserve(text.size()));
        TRY(string.try_append(text));
        return string;
    }

    ErrorOr<BasicString> try_clone() const { return try_from(view()); }

    // text may be a view of this string.
    ErrorOr<void> try_append(std::string_view text) {
        if (text.empty())
            return {};
        size_t new_length;
        if (__builtin_add_overflow(m_length, text.size(), &new_length))
            return Error::NoMemory;
        // Growing can move the buffer; remember where a view of it started.
        uintptr_t offset = reinterpret_cast<uintptr_t>(text.data()) - reinterpret_cast<uintptr_t>(m_data);
        bool is_own_text = m_data && offset <= m_length;
        if (new_length > m_capacity)
            TRY(grow(new_length));
        const char* source = is_own_text ? m_data + offset : text.data();
        __builtin_memmove(m_data + m_length, source, text.size());
        m_length = new_length;
        m_data[m_length] = '\0';
        return {};
    }

    ErrorOr<void> try_append(char character) { return try_append(std::string_view(&character, 1)); }

    // Capacity (excluding the NUL) becomes at least `capacity`, exactly that
    // when it grows.
    ErrorOr<void> try_reserve(size_t capacity) {
        if (capacity > m_capacity)
            TRY(reallocate(capacity));
        return {};
    }

    // Keeps the capacity.
    void clear() {
        m_length = 0;
        if (m_data)
            m_data[0] = '\0';
    }

    std::string_view view() const { return {c_str(), m_length}; }
    // An unallocated string points at a static empty string.
    const char* c_str() const { return m_data ? m_data : ""; }
    size_t length() const { return m_length; }
    size_t capacity() const { return m_capacity; }
    bool is_empty() const { return m_length == 0; }

    char operator[](size_t index) const {
        if (index >= m_length) [[unlikely]]
            lib::bounds_failure(index, m_length);
        return m_data[index];
    }

    bool operator==(std::string_view other) const { return view() == other; }
    bool operator==(const BasicString& other) const { return view() == other.view(); }

    friend void format_value(FormatSink& sink, const FormatSpec& spec, const BasicString& string) {
        format_padded(sink, spec, string.view());
    }

private:
    static constexpr size_t k_min_capacity = 15;

    // Doubling keeps repeated small appends (push_str) amortised O(1).
    ErrorOr<void> grow(size_t required) {
        size_t doubled = m_capacity > SIZE_MAX / 4 ? SIZE_MAX / 2 : m_capacity * 2 + 1;
        size_t capacity = required > doubled ? required : doubled;
        return reallocate(capacity < k_min_capacity ? k_min_capacity : capacity);
    }

    // The buffer holds capacity + 1 bytes for the NUL.
    ErrorOr<void> reallocate(size_t capacity) {
        if (capacity == SIZE_MAX)
            return Error::NoMemory;
        size_t old_bytes = m_data ? m_capacity + 1 : 0;
        void* memory = reallocate_bytes<A>(m_data, old_bytes, capacity + 1, 1);
        if (!memory)
            return Error::NoMemory;
        m_data = static_cast<char*>(memory);
        m_capacity = capacity;
        m_data[m_length] = '\0';
        return {};
    }

    void free_storage() {
        if (m_data)
            A::deallocate(m_data, m_capacity + 1, 1);
        m_data = nullptr;
        m_length = 0;
        m_capacity = 0;
    }

    char* m_data {nullptr};
    size_t m_length {0};
    size_t m_capacity {0};  // excluding the NUL
};

}  // namespace akuma
