#include "kernel/drivers/line_discipline.h"

namespace akuma::tty {

namespace {

// m_flags bits.
constexpr uint8_t k_line_end = 1;   // the byte ends a canonical line
constexpr uint8_t k_eof_marker = 2; // VEOF: ends the line, is never returned

bool is_control(uint8_t c) { return c < 0x20 || c == 0x7f; }

// Word characters for VWERASE, as Linux (BSD's ALTWERASE).
bool is_word_char(uint8_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

}  // namespace

// Collects output so the sink is called per chunk rather than per byte.
class LineDiscipline::Output {
public:
    explicit Output(const LineDiscipline& ld)
        : m_ld(ld) { }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output() { flush(); }

    void put(char c) {
        if (m_size == m_chunk.size())
            flush();
        m_chunk[m_size++] = c;
    }

private:
    void flush() {
        if (m_size > 0 && m_ld.m_output_sink)
            m_ld.m_output_sink(m_ld.m_output_context, std::span<const char>(m_chunk.data(), m_size));
        m_size = 0;
    }

    const LineDiscipline& m_ld;
    std::array<char, 64> m_chunk;
    size_t m_size { 0 };
};

void LineDiscipline::receive(char ch) {
    Output out(*this);
    uint8_t c = static_cast<uint8_t>(ch);
    const uint32_t iflag = m_termios.c_iflag;
    if (iflag & ISTRIP)
        c &= 0x7f;
    if (m_literal_next) {
        // After VLNEXT: no mapping, no special meaning.
        m_literal_next = false;
        receive_ordinary(out, c);
        return;
    }
    if ((iflag & IXON) && (is_cc(VSTART, c) || is_cc(VSTOP, c)))
        return;
    if (has_lflag(ISIG)) {
        int signal = is_cc(VINTR, c) ? k_sigint : is_cc(VQUIT, c) ? k_sigquit : is_cc(VSUSP, c) ? k_sigtstp : 0;
        if (signal != 0) {
            if (!has_lflag(NOFLSH))
                flush_input();
            if (m_signal_sink)
                m_signal_sink(m_signal_context, signal);
            if (has_lflag(ECHO))
                echo(out, c);
            return;
        }
    }
    if (c == '\r') {
        if (iflag & IGNCR)
            return;
        if (iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (iflag & INLCR)) {
        c = '\r';
    }
    if (is_canonical() && receive_canonical_special(out, c))
        return;
    receive_ordinary(out, c);
}

// Editing characters and line terminators; false for ordinary bytes.
bool LineDiscipline::receive_canonical_special(Output& out, uint8_t c) {
    const bool iexten = has_lflag(IEXTEN);
    if (c == '\b' || is_cc(VERASE, c)) {
        erase(out, c, EraseKind::Character);
    } else if (is_cc(VKILL, c)) {
        erase(out, c, EraseKind::Line);
    } else if (iexten && is_cc(VWERASE, c)) {
        erase(out, c, EraseKind::Word);
    } else if (iexten && is_cc(VLNEXT, c)) {
        m_literal_next = true;
        if (has_lflag(ECHO) && has_lflag(ECHOCTL)) {
            // A '^' placeholder, overwritten by the next character.
            output(out, '^');
            output(out, '\b');
        }
    } else if (iexten && has_lflag(ECHO) && is_cc(VREPRINT, c)) {
        reprint(out, c);
    } else if (c == '\n') {
        end_line(out, c, k_line_end);
    } else if (is_cc(VEOF, c)) {
        end_line(out, 0, k_line_end | k_eof_marker);
    } else if (is_cc(VEOL, c) || (iexten && is_cc(VEOL2, c))) {
        end_line(out, c, k_line_end);
    } else {
        return false;
    }
    return true;
}

void LineDiscipline::receive_ordinary(Output& out, uint8_t c) {
    // In canonical mode the last slot is kept for the line terminator.
    if (pending() >= k_buffer_size - (is_canonical() ? 1 : 0))
        return;
    if (has_lflag(ECHO)) {
        if (m_canon_head == m_read_head)
            m_canon_column = m_column;
        if (c == '\n')
            output(out, c);
        else
            echo(out, c);
    }
    push(c, 0);
    if (!is_canonical())
        m_canon_head = m_read_head;
}

void LineDiscipline::end_line(Output& out, uint8_t c, uint8_t flags) {
    if (pending() >= k_buffer_size)
        return;
    if (c == '\n') {
        if (has_lflag(ECHO) || has_lflag(ECHONL))
            output(out, c);
    } else if (!(flags & k_eof_marker) && has_lflag(ECHO)) {
        if (m_canon_head == m_read_head)
            m_canon_column = m_column;
        echo(out, c);
    }
    push(c, flags);
    m_canon_head = m_read_head;
}

void LineDiscipline::erase(Output& out, uint8_t c, EraseKind kind) {
    if (m_read_head == m_canon_head)
        return;
    if (kind == EraseKind::Line) {
        if (!has_lflag(ECHO)) {
            m_read_head = m_canon_head;
            return;
        }
        if (!has_lflag(ECHOK) || !has_lflag(ECHOKE) || !has_lflag(ECHOE)) {
            m_read_head = m_canon_head;
            echo(out, c);
            if (has_lflag(ECHOK))
                output(out, '\n');
            return;
        }
        // ECHOKE: rub the line out character by character below.
    }
    size_t word_chars_seen = 0;
    while (m_read_head != m_canon_head) {
        // One character, all bytes of it under IUTF8.
        size_t head = m_read_head;
        uint8_t erased;
        do {
            --head;
            erased = static_cast<uint8_t>(m_buffer[slot(head)]);
        } while (is_continuation(erased) && head != m_canon_head);
        if (is_continuation(erased))
            break; // never erase part of a character
        if (kind == EraseKind::Word) {
            if (is_word_char(erased))
                ++word_chars_seen;
            else if (word_chars_seen > 0)
                break;
        }
        m_read_head = head;
        if (has_lflag(ECHO))
            echo_erase(out, erased, c, kind);
        if (kind == EraseKind::Character)
            break;
    }
}

void LineDiscipline::echo_erase(Output& out, uint8_t erased, uint8_t typed, EraseKind kind) {
    if (kind == EraseKind::Character && !has_lflag(ECHOE)) {
        echo(out, typed);
        return;
    }
    if (erased == '\t') {
        echo_erase_tab(out);
        return;
    }
    // "^X" from ECHOCTL is two columns wide; a raw control character none.
    int columns = !is_control(erased) ? 1 : has_lflag(ECHOCTL) ? 2 : 0;
    for (int i = 0; i < columns; ++i) {
        output(out, '\b');
        output(out, ' ');
        output(out, '\b');
    }
}

// The erased tab (already removed) spanned up to the next multiple of 8 from
// where the text before it ends: since the previous tab, or since the line
// start (offset by the column where the line began).
void LineDiscipline::echo_erase_tab(Output& out) {
    size_t columns = 0;
    bool after_tab = false;
    for (size_t position = m_read_head; position != m_canon_head;) {
        --position;
        uint8_t c = static_cast<uint8_t>(m_buffer[slot(position)]);
        if (c == '\t') {
            after_tab = true;
            break;
        }
        if (is_control(c))
            columns += has_lflag(ECHOCTL) ? 2 : 0;
        else if (!is_continuation(c))
            ++columns;
    }
    if (!after_tab)
        columns += m_canon_column;
    for (size_t backspaces = 8 - (columns & 7); backspaces > 0; --backspaces)
        output(out, '\b');
}

void LineDiscipline::reprint(Output& out, uint8_t c) {
    echo(out, c);
    output(out, '\n');
    m_canon_column = m_column;
    for (size_t position = m_canon_head; position != m_read_head; ++position)
        echo(out, static_cast<uint8_t>(m_buffer[slot(position)]));
}

void LineDiscipline::push(uint8_t c, uint8_t flags) {
    m_buffer[slot(m_read_head)] = static_cast<char>(c);
    m_flags[slot(m_read_head)] = flags;
    ++m_read_head;
}

std::optional<size_t> LineDiscipline::read(std::span<char> out) {
    if (!readable(out.size()))
        return std::nullopt;
    if (out.empty() || m_read_tail == m_canon_head)
        return 0;
    size_t count = 0;
    if (is_canonical()) {
        // The readable region holds whole lines: there is a line end.
        size_t end = m_read_tail;
        while (end + 1 < m_canon_head && !(m_flags[slot(end)] & k_line_end))
            ++end;
        const bool eof = m_flags[slot(end)] & k_eof_marker;
        const size_t line_length = end - m_read_tail + (eof ? 0 : 1);
        count = line_length < out.size() ? line_length : out.size();
        for (size_t i = 0; i < count; ++i)
            out[i] = m_buffer[slot(m_read_tail + i)];
        m_read_tail += count;
        // The EOF marker goes with the line's last byte (or alone: EOF).
        if (eof && count == line_length)
            ++m_read_tail;
    } else {
        const size_t available = m_canon_head - m_read_tail;
        count = available < out.size() ? available : out.size();
        for (size_t i = 0; i < count; ++i)
            out[i] = m_buffer[slot(m_read_tail + i)];
        m_read_tail += count;
    }
    return count;
}

bool LineDiscipline::readable(size_t request_size) const {
    const size_t available = m_canon_head - m_read_tail;
    if (request_size == 0 || is_canonical())
        return request_size == 0 || available > 0;
    const size_t vmin = m_termios.c_cc[VMIN];
    const size_t vtime = m_termios.c_cc[VTIME];
    if (vmin == 0)
        return vtime == 0 || available > 0;
    if (vtime > 0)
        return available > 0;
    return available >= (vmin < request_size ? vmin : request_size);
}

bool LineDiscipline::poll_readable() const {
    const size_t available = m_canon_head - m_read_tail;
    if (is_canonical())
        return available > 0;
    const size_t vmin = m_termios.c_cc[VMIN];
    const size_t needed = vmin > 0 && m_termios.c_cc[VTIME] == 0 ? vmin : 1;
    return available >= needed;
}

size_t LineDiscipline::bytes_available() const {
    size_t count = 0;
    for (size_t position = m_read_tail; position != m_canon_head; ++position) {
        if (!(m_flags[slot(position)] & k_eof_marker))
            ++count;
    }
    return count;
}

void LineDiscipline::flush_input() {
    m_read_tail = m_canon_head = m_read_head;
    m_literal_next = false;
}

void LineDiscipline::write(std::span<const char> bytes) {
    Output out(*this);
    for (char c : bytes)
        output(out, static_cast<uint8_t>(c));
}

void LineDiscipline::set_termios(const Termios& termios) {
    const bool was_canonical = is_canonical();
    m_termios = termios;
    if (was_canonical == is_canonical())
        return;
    m_literal_next = false;
    if (is_canonical()) {
        if (m_read_head != m_read_tail)
            m_flags[slot(m_read_head - 1)] |= k_line_end;
    } else {
        drop_eof_markers();
    }
    m_canon_head = m_read_head;
}

// Non-canonical reads return every byte, so the markers must go.
void LineDiscipline::drop_eof_markers() {
    size_t kept = m_read_tail;
    for (size_t position = m_read_tail; position != m_read_head; ++position) {
        if (m_flags[slot(position)] & k_eof_marker)
            continue;
        m_buffer[slot(kept)] = m_buffer[slot(position)];
        m_flags[slot(kept)] = 0;
        ++kept;
    }
    m_read_head = kept;
}

void LineDiscipline::set_winsize(const Winsize& winsize) {
    if (winsize == m_winsize)
        return;
    m_winsize = winsize;
    if (m_signal_sink)
        m_signal_sink(m_signal_context, k_sigwinch);
}

// ECHOCTL shows control characters as "^X"; tab and newline stay themselves.
void LineDiscipline::echo(Output& out, uint8_t c) {
    if (has_lflag(ECHOCTL) && is_control(c) && c != '\t' && c != '\n') {
        output(out, '^');
        output(out, c ^ 0x40);
        return;
    }
    output(out, c);
}

// Output processing (Linux do_output_char), tracking the cursor column.
void LineDiscipline::output(Output& out, uint8_t c) {
    const uint32_t oflag = m_termios.c_oflag;
    if (!(oflag & OPOST)) {
        out.put(static_cast<char>(c));
        return;
    }
    switch (c) {
    case '\n':
        if (oflag & ONLRET)
            m_column = 0;
        if (oflag & ONLCR) {
            m_column = 0;
            out.put('\r');
        }
        break;
    case '\r':
        if ((oflag & ONOCR) && m_column == 0)
            return;
        if (oflag & OCRNL) {
            c = '\n';
            if (oflag & ONLRET)
                m_column = 0;
            break;
        }
        m_column = 0;
        break;
    case '\t': {
        const size_t spaces = 8 - (m_column & 7);
        m_column += spaces;
        if ((oflag & TABDLY) == XTABS) {
            for (size_t i = 0; i < spaces; ++i)
                out.put(' ');
            return;
        }
        break;
    }
    case '\b':
        if (m_column > 0)
            --m_column;
        break;
    default:
        if (!is_control(c) && !is_continuation(c))
            ++m_column;
        break;
    }
    out.put(static_cast<char>(c));
}

}  // namespace akuma::tty
