// mksyms: writes the kernel's embedded symbol table.
// Usage: mksyms INPUT.elf OUTPUT.bin
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tools/mksyms/elf_symbols.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUT.elf OUTPUT.bin\n", argv[0]);
        return 2;
    }
    std::ifstream input(argv[1], std::ios::binary);
    if (!input) {
        std::fprintf(stderr, "mksyms: cannot open %s\n", argv[1]);
        return 1;
    }
    std::vector<uint8_t> elf((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
    if (input.bad()) {
        std::fprintf(stderr, "mksyms: cannot read %s\n", argv[1]);
        return 1;
    }

    std::string error;
    auto blob = akuma::mksyms::generate_symbol_blob(elf, error);
    if (!blob) {
        std::fprintf(stderr, "mksyms: %s: %s\n", argv[1], error.c_str());
        return 1;
    }

    std::ofstream output(argv[2], std::ios::binary | std::ios::trunc);
    output.write(reinterpret_cast<const char*>(blob->data()), static_cast<std::streamsize>(blob->size()));
    output.close();
    if (!output) {
        std::fprintf(stderr, "mksyms: cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}
