// Host tests for the console line discipline (kernel/drivers/line_discipline.*):
// what a user sees typing at a Linux console in cooked mode, raw mode and
// with the usual stty changes.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "kernel/drivers/line_discipline.h"

namespace akuma::tty {
namespace {

// A static instance needs no constructor at run time.
constinit LineDiscipline g_static_instance;

constexpr char k_del = 0x7f;
constexpr char k_ctrl_c = 0x03;
constexpr char k_ctrl_d = 0x04;
constexpr char k_ctrl_u = 0x15;
constexpr char k_ctrl_w = 0x17;
constexpr char k_rubout[] = "\b \b";

std::string repeat(const std::string& s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i)
        out += s;
    return out;
}

class LineDisciplineTest : public ::testing::Test {
protected:
    LineDisciplineTest() {
        ld.set_output_sink(
            [](void* context, std::span<const char> bytes) {
                static_cast<LineDisciplineTest*>(context)->output.append(bytes.data(), bytes.size());
            },
            this);
        ld.set_signal_sink(
            [](void* context, int signal) { static_cast<LineDisciplineTest*>(context)->signals.push_back(signal); },
            this);
    }

    void type(const std::string& input) {
        for (char c : input)
            ld.receive(c);
    }

    // What one read() with a buffer of `size` bytes returns; nullopt: would block.
    std::optional<std::string> read(size_t size = 8192) {
        std::vector<char> buffer(size);
        auto result = ld.read(buffer);
        if (!result)
            return std::nullopt;
        EXPECT_LE(*result, size);
        return std::string(buffer.data(), *result);
    }

    std::string take_output() { return std::exchange(output, {}); }

    void update(uint32_t Termios::* field, uint32_t set, uint32_t clear) {
        Termios t = ld.termios();
        t.*field = (t.*field | set) & ~clear;
        ld.set_termios(t);
    }

    void make_raw(uint8_t vmin = 1, uint8_t vtime = 0) {
        Termios t = ld.termios();
        t.c_lflag &= ~(ICANON | ECHO);
        t.c_cc[VMIN] = vmin;
        t.c_cc[VTIME] = vtime;
        ld.set_termios(t);
    }

    LineDiscipline ld;
    std::string output;
    std::vector<int> signals;
};

// ---- Defaults ----

TEST_F(LineDisciplineTest, DefaultsMatchLinuxConsole) {
    const Termios& t = ld.termios();
    // Linux values (tty_std_termios + IUTF8), as `stty -g` shows them in hex.
    EXPECT_EQ(t.c_iflag, 0x4500u);
    EXPECT_EQ(t.c_oflag, 0x5u);
    EXPECT_EQ(t.c_cflag, 0x4bfu);
    EXPECT_EQ(t.c_lflag, 0x8a3bu);
    EXPECT_EQ(t.c_line, 0);
    const uint8_t expected_cc[NCCS] = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0 };
    EXPECT_EQ(std::memcmp(t.c_cc.data(), expected_cc, NCCS), 0);
    EXPECT_EQ(ld.winsize(), (Winsize { 24, 80, 0, 0 }));
    EXPECT_EQ(g_static_instance.termios(), default_termios());
}

TEST_F(LineDisciplineTest, TermiosRoundTripsThroughItsAbiBytes) {
    Termios t = default_termios();
    t.c_lflag &= ~ECHO;
    t.c_cc[VMIN] = 5;
    // What TCSETS copies from user memory: 36 bytes in Linux's layout.
    uint8_t bytes[36];
    std::memcpy(bytes, &t, sizeof bytes);
    EXPECT_EQ(bytes[12], 0x33); // c_lflag low byte, little-endian, ECHO (0x08) cleared
    EXPECT_EQ(bytes[17 + VMIN], 5);
    Termios copy;
    std::memcpy(&copy, bytes, sizeof copy);
    ld.set_termios(copy);
    EXPECT_EQ(ld.termios(), t);
}

TEST_F(LineDisciplineTest, WinsizeChangeRaisesSigwinch) {
    ld.set_winsize({ 50, 132, 0, 0 });
    EXPECT_EQ(ld.winsize(), (Winsize { 50, 132, 0, 0 }));
    EXPECT_EQ(signals, std::vector<int> { k_sigwinch });
    ld.set_winsize({ 50, 132, 0, 0 });
    EXPECT_EQ(signals.size(), 1u) << "an unchanged size raises nothing";
}

// ---- Canonical input ----

TEST_F(LineDisciplineTest, TypedLineIsEchoedAndReadableAfterEnter) {
    type("hello");
    EXPECT_EQ(take_output(), "hello");
    EXPECT_FALSE(ld.readable());
    EXPECT_EQ(read(), std::nullopt);
    EXPECT_EQ(ld.bytes_available(), 0u);

    type("\r"); // Enter sends CR; ICRNL makes it NL, ONLCR echoes CR NL
    EXPECT_EQ(take_output(), "\r\n");
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(ld.bytes_available(), 6u);
    EXPECT_EQ(read(), "hello\n");
    EXPECT_EQ(read(), std::nullopt);
}

TEST_F(LineDisciplineTest, ReadReturnsOneLineAtATime) {
    type("one\ntwo\nthr");
    EXPECT_EQ(ld.bytes_available(), 8u) << "the unfinished line is not readable";
    EXPECT_EQ(read(), "one\n");
    EXPECT_EQ(read(), "two\n");
    EXPECT_EQ(read(), std::nullopt);
}

TEST_F(LineDisciplineTest, PartialReadsOfALongLine) {
    type("0123456789\n");
    EXPECT_EQ(read(4), "0123");
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(read(4), "4567");
    EXPECT_EQ(read(4), "89\n");
    EXPECT_EQ(read(4), std::nullopt);
    EXPECT_EQ(read(0), "") << "an empty read returns 0 at once";
}

TEST_F(LineDisciplineTest, CarriageReturnMapping) {
    update(&Termios::c_iflag, 0, ICRNL);
    type("a\r");
    EXPECT_EQ(take_output(), "a^M") << "a plain CR is an ordinary control character";
    EXPECT_EQ(read(), std::nullopt);
    type("\n");
    EXPECT_EQ(read(), "a\r\n");

    update(&Termios::c_iflag, IGNCR, 0);
    type("b\r\n");
    EXPECT_EQ(read(), "b\n");

    update(&Termios::c_iflag, INLCR, IGNCR);
    type("c\n");
    EXPECT_EQ(read(), std::nullopt) << "INLCR turned NL into CR";
    EXPECT_EQ(ld.termios().c_iflag & ICRNL, 0u);
}

TEST_F(LineDisciplineTest, EraseCharacterWithDelAndBackspace) {
    type("abc");
    take_output();
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), k_rubout);
    type("\b");
    EXPECT_EQ(take_output(), k_rubout);
    type("x\n");
    EXPECT_EQ(read(), "ax\n");
}

TEST_F(LineDisciplineTest, EraseAtLineStartDoesNothing) {
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), "");
    type("done\n");
    take_output();
    type("\b\b");
    EXPECT_EQ(take_output(), "") << "a completed line cannot be erased";
    EXPECT_EQ(read(), "done\n");
}

TEST_F(LineDisciplineTest, EraseWithoutEchoeEchoesTheEraseCharacter) {
    update(&Termios::c_lflag, 0, ECHOE);
    type("ab");
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), "ab^?");
    type("\n");
    EXPECT_EQ(read(), "a\n");
}

TEST_F(LineDisciplineTest, EraseControlAndMultibyteCharacters) {
    type("\x01");
    EXPECT_EQ(take_output(), "^A");
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), repeat(k_rubout, 2)) << "^A is two columns wide";

    type("\xc3\xa9"); // U+00E9, two bytes, one column
    take_output();
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), k_rubout);
    type("\n");
    EXPECT_EQ(read(), "\n");
}

TEST_F(LineDisciplineTest, EraseTabBacksUpToWhereTheTabStarted) {
    ld.write(std::string_view("$ ")); // a prompt: the line starts in column 2
    type("ab\t");
    take_output();
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), std::string(4, '\b')) << "the tab spanned columns 4-7";
    type("\t");
    take_output();
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), std::string(4, '\b'));
    type("\t\t");
    take_output();
    type(std::string(1, k_del));
    EXPECT_EQ(take_output(), std::string(8, '\b')) << "a tab after a tab is 8 wide";
}

TEST_F(LineDisciplineTest, KillErasesTheLine) {
    type("hello");
    take_output();
    type(std::string(1, k_ctrl_u));
    EXPECT_EQ(take_output(), repeat(k_rubout, 5));
    type("x\n");
    EXPECT_EQ(read(), "x\n");

    update(&Termios::c_lflag, 0, ECHOKE);
    type("abc");
    take_output();
    type(std::string(1, k_ctrl_u));
    EXPECT_EQ(take_output(), "^U\r\n") << "ECHOK without ECHOKE: kill character and newline";
    type("y\n");
    EXPECT_EQ(read(), "y\n");
}

TEST_F(LineDisciplineTest, WordEraseErasesTheLastWord) {
    type("foo bar  ");
    take_output();
    type(std::string(1, k_ctrl_w));
    EXPECT_EQ(take_output(), repeat(k_rubout, 5)) << "two blanks and \"bar\"";
    type("\n");
    EXPECT_EQ(read(), "foo \n");

    type("cd foo-bar");
    type(std::string(1, k_ctrl_w));
    type("\n");
    EXPECT_EQ(read(), "cd foo-\n") << "words are alphanumerics and '_'";
}

TEST_F(LineDisciplineTest, EofOnAnEmptyLineReadsAsEndOfFile) {
    type(std::string(1, k_ctrl_d));
    EXPECT_EQ(take_output(), "") << "VEOF is not echoed";
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(ld.bytes_available(), 0u);
    EXPECT_EQ(read(), "") << "0 bytes: end of file";
    EXPECT_EQ(read(), std::nullopt) << "the EOF is consumed";

    type("\n\x04");
    EXPECT_EQ(read(), "\n");
    EXPECT_EQ(read(), "");
    EXPECT_EQ(read(), std::nullopt);
}

TEST_F(LineDisciplineTest, EofMidLineDeliversThePartialLine) {
    type("abc\x04");
    EXPECT_EQ(ld.bytes_available(), 3u);
    EXPECT_EQ(read(), "abc");
    EXPECT_EQ(read(), std::nullopt) << "not an end of file";

    type("abc\x04");
    EXPECT_EQ(read(3), "abc") << "an exact fit consumes the EOF too";
    EXPECT_EQ(read(), std::nullopt);

    type("abc\x04");
    EXPECT_EQ(read(2), "ab");
    EXPECT_EQ(read(2), "c");
    EXPECT_EQ(read(2), std::nullopt);
}

TEST_F(LineDisciplineTest, EndOfLineCharacters) {
    Termios t = ld.termios();
    t.c_cc[VEOL] = ';';
    t.c_cc[VEOL2] = 0x0f;
    ld.set_termios(t);
    type("a;b\x0f");
    EXPECT_EQ(take_output(), "a;b^O");
    EXPECT_EQ(read(), "a;");
    EXPECT_EQ(read(), "b\x0f");
}

TEST_F(LineDisciplineTest, LiteralNextAndReprint) {
    type("a\x16\x03"); // ^V ^C: a literal ^C
    EXPECT_TRUE(signals.empty());
    EXPECT_EQ(take_output(), "a^\b^C");
    type("\x12"); // ^R
    EXPECT_EQ(take_output(), "^R\r\na^C");
    type("\x16\r\n");
    EXPECT_EQ(read(), "a\x03\r\n") << "no CR mapping after ^V";
}

TEST_F(LineDisciplineTest, FlowControlCharactersAreConsumed) {
    type("a\x13\x11" "b\n");
    EXPECT_EQ(read(), "ab\n");
    update(&Termios::c_iflag, 0, IXON);
    type("\x13\n");
    EXPECT_EQ(read(), "\x13\n");
}

// ---- Signals ----

TEST_F(LineDisciplineTest, InterruptSignalsAndDiscardsInput) {
    type("done\npartial");
    take_output();
    type(std::string(1, k_ctrl_c));
    EXPECT_EQ(signals, std::vector<int> { k_sigint });
    EXPECT_EQ(take_output(), "^C");
    EXPECT_EQ(read(), std::nullopt) << "both lines were discarded";
    EXPECT_EQ(ld.bytes_available(), 0u);
    type("next\n");
    EXPECT_EQ(read(), "next\n");
}

TEST_F(LineDisciplineTest, QuitAndSuspend) {
    type("\x1c\x1a");
    EXPECT_EQ(signals, (std::vector<int> { k_sigquit, k_sigtstp }));
    EXPECT_EQ(take_output(), "^\\^Z");
}

TEST_F(LineDisciplineTest, NoflshKeepsInputAndIsigOffMakesCtrlCOrdinary) {
    update(&Termios::c_lflag, NOFLSH, 0);
    type("keep\n");
    type(std::string(1, k_ctrl_c));
    EXPECT_EQ(signals.size(), 1u);
    EXPECT_EQ(read(), "keep\n");

    update(&Termios::c_lflag, 0, ISIG);
    type("\x03\n");
    EXPECT_EQ(signals.size(), 1u);
    EXPECT_EQ(read(), "\x03\n");
}

// ---- Echo ----

TEST_F(LineDisciplineTest, PasswordStyleNoEcho) {
    update(&Termios::c_lflag, 0, ECHO);
    type("secret\r");
    EXPECT_EQ(take_output(), "");
    EXPECT_EQ(read(), "secret\n");

    update(&Termios::c_lflag, ECHONL, 0);
    type("pw\x7f" "d\r");
    EXPECT_EQ(take_output(), "\r\n") << "ECHONL echoes only the newline";
    EXPECT_EQ(read(), "pd\n");
}

// ---- Non-canonical input ----

TEST_F(LineDisciplineTest, RawModeBytesAreReadableAtOnce) {
    make_raw();
    EXPECT_FALSE(ld.readable());
    type("q");
    EXPECT_EQ(take_output(), "");
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(read(), "q");
    type("\x7f\x04\r\x1b[A");
    EXPECT_EQ(ld.bytes_available(), 6u);
    EXPECT_EQ(read(), "\x7f\x04\n\x1b[A") << "no editing, ICRNL still applies";
    type(std::string(1, k_ctrl_c));
    EXPECT_EQ(signals, std::vector<int> { k_sigint }) << "ISIG is independent of ICANON";
}

TEST_F(LineDisciplineTest, RawModeVminAndVtime) {
    make_raw(0, 0);
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(read(), "") << "VMIN=0 VTIME=0 polls";

    make_raw(3, 0);
    type("ab");
    EXPECT_FALSE(ld.readable());
    EXPECT_EQ(read(8), std::nullopt);
    EXPECT_TRUE(ld.readable(2));
    EXPECT_EQ(read(1), "a") << "a request below VMIN is satisfied by fewer bytes";
    type("cd");
    EXPECT_TRUE(ld.readable());
    EXPECT_EQ(read(8), "bcd");

    make_raw(0, 5);
    EXPECT_EQ(read(), std::nullopt) << "the caller times out VTIME";
    type("x");
    EXPECT_EQ(read(), "x");

    make_raw(4, 5);
    type("y");
    EXPECT_EQ(read(), "y") << "no inter-byte timer: one byte suffices";
}

TEST_F(LineDisciplineTest, SwitchingModesKeepsPendingInput) {
    type("line\n\x04part");
    take_output();
    make_raw();
    EXPECT_EQ(ld.bytes_available(), 9u) << "the EOF marker is gone";
    EXPECT_EQ(read(3), "lin");

    Termios t = ld.termios();
    t.c_lflag |= ICANON;
    ld.set_termios(t);
    EXPECT_EQ(read(), "e\npart") << "pending raw input becomes one line";
    EXPECT_EQ(read(), std::nullopt);
    type("x\n");
    EXPECT_EQ(read(), "x\n");
}

TEST_F(LineDisciplineTest, FlushInputDropsEverything) {
    type("a\nb");
    ld.flush_input();
    EXPECT_EQ(ld.bytes_available(), 0u);
    type("\n");
    EXPECT_EQ(read(), "\n");
}

// ---- Buffer full ----

TEST_F(LineDisciplineTest, CanonicalLineIsLimitedAndTheTerminatorStillFits) {
    const size_t limit = LineDiscipline::k_buffer_size - 1;
    type(std::string(5000, 'x'));
    EXPECT_EQ(take_output(), std::string(limit, 'x')) << "dropped bytes are not echoed";
    type(std::string(1, k_del));
    type("yz");
    type("\n");
    EXPECT_EQ(read(), std::string(limit - 1, 'x') + "y\n");
    type("again\n");
    EXPECT_EQ(read(), "again\n");
}

TEST_F(LineDisciplineTest, FullBufferDropsTerminatorsToo) {
    type(std::string(LineDiscipline::k_buffer_size + 10, '\n'));
    EXPECT_EQ(ld.bytes_available(), LineDiscipline::k_buffer_size);
    size_t lines = 0;
    while (auto line = read()) {
        EXPECT_EQ(*line, "\n");
        ++lines;
    }
    EXPECT_EQ(lines, LineDiscipline::k_buffer_size);
}

TEST_F(LineDisciplineTest, RawModeFillsTheWholeBufferAndWraps) {
    make_raw();
    std::string input;
    for (size_t i = 0; i < 5000; ++i)
        input += static_cast<char>('a' + i % 26);
    type(input);
    EXPECT_EQ(ld.bytes_available(), LineDiscipline::k_buffer_size);
    EXPECT_EQ(read(1000), input.substr(0, 1000));
    type(input.substr(0, 1500));
    EXPECT_EQ(ld.bytes_available(), LineDiscipline::k_buffer_size);
    EXPECT_EQ(read(), input.substr(1000, 3096) + input.substr(0, 1000));
}

// ---- Output ----

TEST_F(LineDisciplineTest, OutputProcessing) {
    ld.write(std::string_view("a\nb\n"));
    EXPECT_EQ(take_output(), "a\r\nb\r\n");

    update(&Termios::c_oflag, 0, ONLCR);
    ld.write(std::string_view("a\nb"));
    EXPECT_EQ(take_output(), "a\nb");

    update(&Termios::c_oflag, ONOCR, 0);
    ld.write(std::string_view("\r\r"));
    EXPECT_EQ(take_output(), "\r") << "ONOCR drops a CR in column 0 (a bare NL kept the column)";

    update(&Termios::c_oflag, OCRNL, 0);
    ld.write(std::string_view("x\r"));
    EXPECT_EQ(take_output(), "x\n");

    update(&Termios::c_oflag, XTABS | ONLCR, OCRNL | ONOCR);
    ld.write(std::string_view("\nab\tc\n\t|"));
    EXPECT_EQ(take_output(), "\r\nab      c\r\n        |");

    update(&Termios::c_oflag, 0, OPOST);
    ld.write(std::string_view("a\n\tb\r"));
    EXPECT_EQ(take_output(), "a\n\tb\r");
}

TEST_F(LineDisciplineTest, LongWritesArriveWhole) {
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += "line " + std::to_string(i) + "\n";
    ld.write(text);
    std::string expected;
    for (char c : text)
        expected += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(output, expected);
}

TEST_F(LineDisciplineTest, NoSinkDropsOutputSafely) {
    LineDiscipline quiet;
    quiet.write(std::string_view("x\n"));
    quiet.receive('a');
    quiet.receive('\n');
    char buffer[4];
    EXPECT_EQ(quiet.read(buffer), std::optional<size_t>(2));
    EXPECT_EQ(std::string_view(buffer, 2), "a\n");
}

}  // namespace
}  // namespace akuma::tty
