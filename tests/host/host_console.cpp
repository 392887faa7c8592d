#include "tests/host/host_console.h"

#include <cstdio>

#include "kernel/lib/kprint.h"

namespace akuma {

namespace {

class HostConsoleSink final : public FormatSink {
public:
    void write(const char* data, size_t length) override {
        m_output.append(data, length);
        std::fwrite(data, 1, length, stderr);
    }
    std::string m_output;
};

HostConsoleSink g_sink;

} // namespace

FormatSink& console_sink() {
    return g_sink;
}

namespace test {

std::string host_console_output() {
    return g_sink.m_output;
}
void host_console_clear() {
    g_sink.m_output.clear();
}

} // namespace test
} // namespace akuma
