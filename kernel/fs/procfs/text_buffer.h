// TextBuffer: the text of one /proc file, built when the file is opened.
// It grows on the kernel heap up to a cap, so a process with tens of
// thousands of mappings cannot make a maps read take the heap; past the cap,
// or when the heap says no, it stops growing and remembers why, and the
// generators return that as an error instead of a truncated file.
//
// Shared by the kernel and host tests (the host's kmalloc stands in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "kernel/lib/error_or.h"
#include "kernel/lib/format.h"

namespace akuma::procfs {

class TextBuffer final : public FormatSink {
public:
    // Linux's seq_file gives up on a record larger than its buffer too; 1
    // MiB holds a maps file of about 10000 mappings.
    static constexpr size_t k_default_cap = 1024 * 1024;

    explicit TextBuffer(size_t cap = k_default_cap) : m_cap(cap) {}
    TextBuffer(const TextBuffer&) = delete;
    TextBuffer& operator=(const TextBuffer&) = delete;
    TextBuffer(TextBuffer&& other);
    TextBuffer& operator=(TextBuffer&& other);
    ~TextBuffer();

    void append(std::string_view text) { write(text.data(), text.size()); }
    void append_bytes(std::span<const uint8_t> bytes) {
        write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    template <typename... Args>
    void format(std::string_view fmt, const Args&... args) {
        format_to(*this, fmt, args...);
    }

    // FormatSink: appends, or records NoMemory (nothing of `data` is kept
    // then, and every later write is dropped).
    void write(const char* data, size_t length) override;

    // NoMemory once an append failed (heap exhausted or cap reached).
    ErrorOr<void> status() const;
    bool failed() const { return m_failed; }

    std::span<const uint8_t> bytes() const { return { reinterpret_cast<const uint8_t*>(m_data), m_size }; }
    std::string_view view() const { return { m_data, m_size }; }
    size_t size() const { return m_size; }
    size_t cap() const { return m_cap; }
    // Forgets the text (keeps the storage); clears the failure.
    void clear() {
        m_size = 0;
        m_failed = false;
    }

    // A file of one number and a newline (the /proc/sys files); status().
    ErrorOr<void> number_line(uint64_t value) {
        format("{}\n", value);
        return status();
    }

private:
    bool grow_for(size_t extra);

    char* m_data { nullptr };
    size_t m_size { 0 };
    size_t m_capacity { 0 };
    size_t m_cap;
    bool m_failed { false };
};

}  // namespace akuma::procfs
