#include "kernel/mm/user_access.h"

#include "kernel/sched/thread.h"

extern "C" size_t user_copy_bytes(void* to, const void* from, size_t count);
extern "C" size_t user_fill_zero(void* to, size_t count);
extern "C" int user_compare_exchange_u32(uint32_t* address, uint32_t expected, uint32_t desired, uint32_t* found);
extern "C" int64_t user_string_length(const char* string, size_t limit);

namespace akuma::mm {

uint64_t untag_user_address(uint64_t address) {
    constexpr uint64_t k_tag_mask = 0xffull << 56;
    if ((address & k_tag_mask) && sched::current_thread() && sched::current_thread()->tagged_user_addresses)
        return address & ~k_tag_mask;
    return address;
}

ErrorOr<void> copy_from_user(void* to, UserPtr<const void> from, size_t size) {
    uint64_t address = untag_user_address(from.address());
    if (!is_user_range(address, size))
        return Error::Fault;
    if (user_copy_bytes(to, reinterpret_cast<const void*>(address), size) != 0)
        return Error::Fault;
    return {};
}

ErrorOr<void> copy_to_user(UserPtr<void> to, const void* from, size_t size) {
    uint64_t address = untag_user_address(to.address());
    if (!is_user_range(address, size))
        return Error::Fault;
    if (user_copy_bytes(reinterpret_cast<void*>(address), from, size) != 0)
        return Error::Fault;
    return {};
}

ErrorOr<uint32_t> compare_exchange_user(UserPtr<uint32_t> word, uint32_t expected, uint32_t desired) {
    uint64_t address = untag_user_address(word.address());
    if (!is_user_range(address, sizeof(uint32_t)) || address % alignof(uint32_t))
        return Error::Fault;
    uint32_t found;
    if (user_compare_exchange_u32(reinterpret_cast<uint32_t*>(address), expected, desired, &found) != 0)
        return Error::Fault;
    return found;
}

ErrorOr<void> clear_user(UserPtr<void> to, size_t size) {
    uint64_t address = untag_user_address(to.address());
    if (!is_user_range(address, size))
        return Error::Fault;
    if (user_fill_zero(reinterpret_cast<void*>(address), size) != 0)
        return Error::Fault;
    return {};
}

ErrorOr<size_t> user_string_size(UserPtr<const char> from, size_t limit) {
    uint64_t address = untag_user_address(from.address());
    if (limit == 0 || address >= k_user_space_end)
        return Error::Fault;
    // Never scan past the end of the user half.
    uint64_t scan = k_user_space_end - address;
    if (scan > limit)
        scan = limit;
    int64_t length = user_string_length(reinterpret_cast<const char*>(address), scan);
    if (length < 0)
        return Error::Fault;
    if (static_cast<uint64_t>(length) >= limit)
        return Error::NameTooLong;
    if (static_cast<uint64_t>(length) == scan)
        return Error::Fault;  // ran into the end of the user half
    return static_cast<size_t>(length);
}

ErrorOr<size_t> copy_string_from_user(char* buffer, size_t capacity, UserPtr<const char> from) {
    size_t length = TRY(user_string_size(from, capacity));
    TRY(copy_from_user(buffer, UserPtr<const void>(from.address()), length));
    buffer[length] = '\0';
    return length;
}

}  // namespace akuma::mm
