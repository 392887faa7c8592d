// The console's TTY line discipline: input editing, echo, signal characters
// and output processing between a serial port and read()/write(), modelled on
// Linux's N_TTY (drivers/tty/n_tty.c) with the termios ABI of arm64
// (asm-generic/termbits.h). Hardware-independent and allocation-free.
//
// Concurrency: not thread-safe. receive() runs in the UART IRQ handler, so the
// owner serializes every call under one IRQ-masking lock. The output sink and
// the signal sink are called with that lock held and must not call back in.
//
// Decisions and simplifications (Linux behaviour unless said otherwise):
// - One 4096-byte input ring holds completed lines and the line being edited,
//   so a canonical line is at most 4095 bytes plus its terminator. Input that
//   does not fit is dropped silently, without echo (no IMAXBEL bell).
// - Backspace (0x08) erases like VERASE in canonical mode, whatever
//   c_cc[VERASE] is: serial terminals disagree on what the Backspace key
//   sends. Linux honours only c_cc[VERASE].
// - A c_cc entry of 0 is disabled (_POSIX_VDISABLE).
// - VINTR/VQUIT/VSUSP flush all pending input (unless NOFLSH), call the signal
//   sink and echo the character ("^C"); like Linux no newline follows, the
//   shell prints it.
// - IXON: VSTART/VSTOP are consumed and never reach readers, but output is not
//   actually suspended (output is synchronous; nothing queues it).
// - Non-canonical VMIN/VTIME: VMIN>0,VTIME=0 waits for min(VMIN, request)
//   bytes; VMIN=0,VTIME=0 never waits. VTIME>0 needs a timer, which is the
//   caller's: VMIN=0,VTIME>0 reads as "would block" until a byte arrives (the
//   caller may wait at most VTIME deciseconds, then return 0: exactly Linux);
//   VMIN>0,VTIME>0 returns as soon as one byte is there (no inter-byte timer,
//   so reads may be shorter than on Linux).
// - Control characters, for ECHOCTL and erasing, are 0x00-0x1f and 0x7f only
//   (not 0x80-0x9f as in Linux's ctype), so UTF-8 echoes unchanged.
// - Output: OPOST with ONLCR, OCRNL, ONOCR, ONLRET and XTABS; the output
//   column is tracked for erasing tabs. Not implemented: IUCLC, OLCUC, ECHOPRT,
//   PARMRK, fill/delay bits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>

namespace akuma::tty {

// Linux's struct termios for arm64 (asm-generic/termbits.h): TCGETS/TCSETS*.
constexpr size_t NCCS = 19;

struct Termios {
    uint32_t c_iflag;
    uint32_t c_oflag;
    uint32_t c_cflag;
    uint32_t c_lflag;
    uint8_t c_line;
    std::array<uint8_t, NCCS> c_cc;

    constexpr bool operator==(const Termios&) const = default;
};
static_assert(sizeof(Termios) == 36);
static_assert(offsetof(Termios, c_line) == 16);
static_assert(offsetof(Termios, c_cc) == 17);
static_assert(std::is_trivially_copyable_v<Termios> && std::is_standard_layout_v<Termios>);

// Linux's struct winsize: TIOCGWINSZ/TIOCSWINSZ.
struct Winsize {
    uint16_t rows;
    uint16_t cols;
    uint16_t xpixel;
    uint16_t ypixel;

    constexpr bool operator==(const Winsize&) const = default;
};
static_assert(sizeof(Winsize) == 8);

// c_cc indices.
constexpr size_t VINTR = 0;
constexpr size_t VQUIT = 1;
constexpr size_t VERASE = 2;
constexpr size_t VKILL = 3;
constexpr size_t VEOF = 4;
constexpr size_t VTIME = 5;
constexpr size_t VMIN = 6;
constexpr size_t VSWTC = 7;
constexpr size_t VSTART = 8;
constexpr size_t VSTOP = 9;
constexpr size_t VSUSP = 10;
constexpr size_t VEOL = 11;
constexpr size_t VREPRINT = 12;
constexpr size_t VDISCARD = 13;
constexpr size_t VWERASE = 14;
constexpr size_t VLNEXT = 15;
constexpr size_t VEOL2 = 16;

// c_iflag
constexpr uint32_t ISTRIP = 0x020;
constexpr uint32_t INLCR = 0x040;
constexpr uint32_t IGNCR = 0x080;
constexpr uint32_t ICRNL = 0x100;
constexpr uint32_t IXON = 0x400;
constexpr uint32_t IUTF8 = 0x4000;

// c_oflag
constexpr uint32_t OPOST = 0x01;
constexpr uint32_t ONLCR = 0x04;
constexpr uint32_t OCRNL = 0x08;
constexpr uint32_t ONOCR = 0x10;
constexpr uint32_t ONLRET = 0x20;
constexpr uint32_t TABDLY = 0x1800;
constexpr uint32_t XTABS = 0x1800;

// c_cflag
constexpr uint32_t B38400 = 0x0f;
constexpr uint32_t CS8 = 0x30;
constexpr uint32_t CREAD = 0x80;
constexpr uint32_t HUPCL = 0x400;

// c_lflag
constexpr uint32_t ISIG = 0x00001;
constexpr uint32_t ICANON = 0x00002;
constexpr uint32_t ECHO = 0x00008;
constexpr uint32_t ECHOE = 0x00010;
constexpr uint32_t ECHOK = 0x00020;
constexpr uint32_t ECHONL = 0x00040;
constexpr uint32_t NOFLSH = 0x00080;
constexpr uint32_t ECHOCTL = 0x00200;
constexpr uint32_t ECHOKE = 0x00800;
constexpr uint32_t IEXTEN = 0x08000;

// Signals the line discipline raises (arm64 numbering).
constexpr int k_sigint = 2;
constexpr int k_sigquit = 3;
constexpr int k_sigtstp = 20;
constexpr int k_sigwinch = 28;

constexpr uint8_t control(char letter) { return static_cast<uint8_t>(letter & 0x1f); }

// What Linux gives a fresh tty (tty_std_termios, INIT_C_CC), plus IUTF8.
constexpr Termios default_termios() {
    Termios t {};
    t.c_iflag = ICRNL | IXON | IUTF8;
    t.c_oflag = OPOST | ONLCR;
    t.c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    t.c_cc[VINTR] = control('C');
    t.c_cc[VQUIT] = control('\\');
    t.c_cc[VERASE] = 0x7f;
    t.c_cc[VKILL] = control('U');
    t.c_cc[VEOF] = control('D');
    t.c_cc[VTIME] = 0;
    t.c_cc[VMIN] = 1;
    t.c_cc[VSTART] = control('Q');
    t.c_cc[VSTOP] = control('S');
    t.c_cc[VSUSP] = control('Z');
    t.c_cc[VREPRINT] = control('R');
    t.c_cc[VDISCARD] = control('O');
    t.c_cc[VWERASE] = control('W');
    t.c_cc[VLNEXT] = control('V');
    return t;
}

class LineDiscipline {
public:
    using OutputSink = void (*)(void* context, std::span<const char> bytes);
    using SignalSink = void (*)(void* context, int signal_number);

    static constexpr size_t k_buffer_size = 4096; // a power of two
    static constexpr Winsize k_default_winsize { 24, 80, 0, 0 };

    // constexpr so a static instance needs no global constructor. About
    // 8 KiB: keep it out of kernel stacks. Without a sink output is dropped.
    constexpr LineDiscipline() = default;
    constexpr LineDiscipline(OutputSink sink, void* context)
        : m_output_sink(sink)
        , m_output_context(context) { }
    LineDiscipline(const LineDiscipline&) = delete;
    LineDiscipline& operator=(const LineDiscipline&) = delete;

    void set_output_sink(OutputSink sink, void* context) {
        m_output_sink = sink;
        m_output_context = context;
    }
    void set_signal_sink(SignalSink sink, void* context) {
        m_signal_sink = sink;
        m_signal_context = context;
    }

    // One input byte from the device.
    void receive(char c);

    // Non-blocking read: nullopt means "would block" (no complete line in
    // canonical mode, too few bytes for VMIN otherwise). A value is what
    // read() returns; 0 means end of file (VEOF on an empty line, consumed),
    // or no data with VMIN=0 or an empty `out`. In canonical mode at most one
    // line is returned; what does not fit stays for the next read.
    std::optional<size_t> read(std::span<char> out);
    // Whether read() with a buffer of request_size bytes would return a
    // value. Wait queues wait for this (the default suits poll()).
    bool readable(size_t request_size = std::numeric_limits<size_t>::max()) const;
    // poll(2)'s POLLIN, as Linux's n_tty_poll: a complete line (or EOF) in
    // canonical mode; otherwise VMIN bytes when VMIN > 0 and VTIME = 0, else
    // one byte (unlike readable(), VMIN=0,VTIME=0 needs a byte too).
    bool poll_readable() const;
    // FIONREAD/TIOCINQ: bytes a read could return now.
    size_t bytes_available() const;
    // TCFLSH(TCIFLUSH), TCSETSF: drop all pending input.
    void flush_input();

    // Output processing (OPOST...), then the sink. Everything is passed on.
    void write(std::span<const char> bytes);

    const Termios& termios() const { return m_termios; }
    // Switching between canonical and non-canonical mode keeps pending input:
    // to non-canonical, all of it (the unfinished line too) becomes readable;
    // to canonical, it becomes one line.
    void set_termios(const Termios& termios);

    const Winsize& winsize() const { return m_winsize; }
    // Raises SIGWINCH when the size changes, as TIOCSWINSZ does.
    void set_winsize(const Winsize& winsize);

private:
    class Output;
    enum class EraseKind { Character, Word, Line };

    bool is_canonical() const { return m_termios.c_lflag & ICANON; }
    bool has_lflag(uint32_t flag) const { return m_termios.c_lflag & flag; }
    bool is_cc(size_t index, uint8_t c) const { return m_termios.c_cc[index] != 0 && m_termios.c_cc[index] == c; }
    bool is_continuation(uint8_t c) const { return (m_termios.c_iflag & IUTF8) && (c & 0xc0) == 0x80; }
    static size_t slot(size_t position) { return position & (k_buffer_size - 1); }
    size_t pending() const { return m_read_head - m_read_tail; }

    void receive_ordinary(Output& out, uint8_t c);
    bool receive_canonical_special(Output& out, uint8_t c);
    void end_line(Output& out, uint8_t c, uint8_t flags);
    void erase(Output& out, uint8_t c, EraseKind kind);
    void echo_erase(Output& out, uint8_t erased, uint8_t typed, EraseKind kind);
    void echo_erase_tab(Output& out);
    void reprint(Output& out, uint8_t c);
    void push(uint8_t c, uint8_t flags);
    void drop_eof_markers();

    void echo(Output& out, uint8_t c);
    void output(Output& out, uint8_t c);

    Termios m_termios { default_termios() };
    Winsize m_winsize { k_default_winsize };
    OutputSink m_output_sink { nullptr };
    void* m_output_context { nullptr };
    SignalSink m_signal_sink { nullptr };
    void* m_signal_context { nullptr };

    // Ring positions, counting up without wrapping (slot() maps them):
    // [tail, canon_head) is readable; [canon_head, head) is the line being
    // edited (always empty in non-canonical mode).
    size_t m_read_tail { 0 };
    size_t m_canon_head { 0 };
    size_t m_read_head { 0 };
    std::array<char, k_buffer_size> m_buffer {};
    std::array<uint8_t, k_buffer_size> m_flags {}; // k_line_end, k_eof_marker

    bool m_literal_next { false }; // VLNEXT seen
    size_t m_column { 0 };         // output column, for erasing tabs
    size_t m_canon_column { 0 };   // column where the edited line starts
};

}  // namespace akuma::tty
