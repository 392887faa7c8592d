// Typed access to user memory. Every pointer a process hands the kernel is
// a UserPtr: it can only be dereferenced through these routines, which
// check that the range lies in the user half and survive faults (demand
// paging first, then the exception-table fixup -> Error::Fault, EFAULT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernel/lib/error_or.h"

namespace akuma::mm {

// User virtual addresses: TTBR0, 48 bits.
constexpr uint64_t k_user_space_end = 1ull << 48;

constexpr bool is_user_range(uint64_t address, uint64_t size) {
    return address < k_user_space_end && size <= k_user_space_end - address;
}

// A pointer with a tag in its top byte names the untagged address if the
// calling thread enabled the tagged-address ABI (prctl
// PR_SET_TAGGED_ADDR_CTRL; the MMU ignores the byte: TCR_EL1.TBI0);
// otherwise it stays outside the user half and fails as on Linux (EFAULT).
// The copy routines below apply it; code that checks or walks a user range
// itself (iovecs, direct page-cache reads) applies it first. Only a tagged
// pointer pays for the look at the thread.
uint64_t untag_user_address(uint64_t address);

template <typename T>
class UserPtr {
public:
    constexpr UserPtr() = default;
    constexpr explicit UserPtr(uint64_t address) : m_address(address) {}
    constexpr uint64_t address() const { return m_address; }
    constexpr bool is_null() const { return m_address == 0; }
    // The element `index` places further (array arguments such as iovecs).
    constexpr UserPtr offset(uint64_t index) const {
        return UserPtr(m_address + index * sizeof(std::conditional_t<std::is_void_v<T>, char, T>));
    }
    template <typename U>
    constexpr UserPtr<U> cast() const { return UserPtr<U>(m_address); }

private:
    uint64_t m_address { 0 };
};

ErrorOr<void> copy_from_user(void* to, UserPtr<const void> from, size_t size);
ErrorOr<void> copy_to_user(UserPtr<void> to, const void* from, size_t size);
ErrorOr<void> clear_user(UserPtr<void> to, size_t size);
// Atomically replaces the user word with `desired` if it holds `expected`
// (other threads of the process may be changing it); returns the value it
// held. Errors: Fault (also for a word not 4-byte aligned).
ErrorOr<uint32_t> compare_exchange_user(UserPtr<uint32_t> word, uint32_t expected, uint32_t desired);

// Copies a NUL-terminated string into `buffer` (capacity includes the NUL).
// Returns its length. Errors: Fault, NameTooLong if it does not fit.
ErrorOr<size_t> copy_string_from_user(char* buffer, size_t capacity, UserPtr<const char> from);
// The length of a user string, if shorter than `limit`. Errors: Fault,
// NameTooLong.
ErrorOr<size_t> user_string_size(UserPtr<const char> from, size_t limit);

template <typename T>
ErrorOr<std::remove_const_t<T>> read_user(UserPtr<T> from) {
    static_assert(std::is_trivially_copyable_v<std::remove_const_t<T>>);
    std::remove_const_t<T> value;
    TRY(copy_from_user(&value, from.template cast<const void>(), sizeof(T)));
    return value;
}

template <typename T>
ErrorOr<void> write_user(UserPtr<T> to, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return copy_to_user(to.template cast<void>(), &value, sizeof(T));
}

}  // namespace akuma::mm
