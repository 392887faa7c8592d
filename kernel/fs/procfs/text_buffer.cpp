#include "kernel/fs/procfs/text_buffer.h"

#include <utility>

#include "kernel/mm/kmalloc.h"

namespace akuma::procfs {

namespace {
// Most /proc files are a few hundred bytes: one small block, then doubling.
constexpr size_t k_initial_capacity = 256;
}  // namespace

TextBuffer::TextBuffer(TextBuffer&& other)
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0))
    , m_capacity(std::exchange(other.m_capacity, 0))
    , m_cap(other.m_cap)
    , m_failed(std::exchange(other.m_failed, false)) {}

TextBuffer& TextBuffer::operator=(TextBuffer&& other) {
    if (this != &other) {
        mm::kfree(m_data);
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
        m_capacity = std::exchange(other.m_capacity, 0);
        m_cap = other.m_cap;
        m_failed = std::exchange(other.m_failed, false);
    }
    return *this;
}

TextBuffer::~TextBuffer() { mm::kfree(m_data); }

bool TextBuffer::grow_for(size_t extra) {
    if (extra > m_cap - m_size)
        return false;
    size_t needed = m_size + extra;
    size_t capacity = m_capacity ? m_capacity : k_initial_capacity;
    while (capacity < needed)
        capacity *= 2;
    if (capacity > m_cap)
        capacity = m_cap;
    // krealloc keeps the old block when it fails, so the text so far stays valid.
    auto* grown = static_cast<char*>(m_data ? mm::krealloc(m_data, capacity) : mm::kmalloc(capacity));
    if (!grown)
        return false;
    m_data = grown;
    m_capacity = capacity;
    return true;
}

void TextBuffer::write(const char* data, size_t length) {
    if (m_failed || length == 0)
        return;
    if (length > m_capacity - m_size && !grow_for(length)) {
        m_failed = true;
        return;
    }
    __builtin_memcpy(m_data + m_size, data, length);
    m_size += length;
}

ErrorOr<void> TextBuffer::status() const {
    if (m_failed)
        return Error::NoMemory;
    return {};
}

}  // namespace akuma::procfs
