// Reads the values of object-like macros from the installed Linux uapi
// headers (Debian's linux-libc-dev-arm64-cross), so host tests can compare
// Akuma's ABI constants with an independent source.
//
// A small C preprocessor: #define/#undef, #include <...> and "..." (resolved
// under the include root only), #if/#ifdef/#ifndef/#elif/#else/#endif with
// defined(), integer arithmetic and macro expansion, as a C compiler for
// arm64 sees them (the architecture comes from the asm/ headers, e.g.
// __BITS_PER_LONG 64 from asm/bitsperlong.h). Function-like macros are
// recorded but never expanded: a value that needs one (_IOR(...)) has none.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace akuma::test {

class UapiHeaders {
public:
    explicit UapiHeaders(std::filesystem::path include_root);

    // As "#include <relative>"; false if the file does not exist.
    bool include(std::string_view relative);
    // Preprocesses text as if it were a header in directory.
    void process_text(std::string_view text, const std::filesystem::path& directory);

    bool defined(std::string_view name) const;
    // The value of an object-like macro: its expansion evaluated as an
    // integer constant expression (casts to a type name are skipped, as in
    // ((__sighandler_t)0)). nullopt if undefined or not an integer.
    std::optional<int64_t> value(std::string_view name) const;
    // Every object-like macro whose name starts with prefix, sorted.
    std::vector<std::string> names_with_prefix(std::string_view prefix) const;
    // Active #error lines, unbalanced conditionals, unparsable #if
    // expressions: anything that makes the result doubtful.
    const std::vector<std::string>& problems() const { return m_problems; }
    // Headers named by an active #include that do not exist under the root.
    const std::set<std::string>& missing_includes() const { return m_missing; }

private:
    struct Token {
        enum class Kind { Number, Identifier, Punctuator } kind;
        std::string text;
        uint64_t number = 0;
    };
    struct Conditional {
        bool parent_active;
        bool active;
        bool taken; // some branch of this #if chain was active
        bool seen_else;
    };

    void process_file(const std::filesystem::path& path);
    void directive(std::string_view line, const std::filesystem::path& directory);
    std::optional<int64_t> evaluate_condition(std::string_view expression);
    bool active() const { return m_conditionals.empty() || m_conditionals.back().active; }

    static std::optional<std::vector<Token>> tokenize(std::string_view text);
    // Expands object-like macros (not those in hidden, to stop recursion);
    // in conditions, defined X / defined(X) become 0 or 1. nullopt when a
    // function-like macro would be expanded.
    std::optional<std::vector<Token>> expand(
        const std::vector<Token>& tokens, std::set<std::string>& hidden, bool in_condition) const;
    static std::optional<int64_t> evaluate(const std::vector<Token>& tokens, bool in_condition);

    std::filesystem::path m_root;
    std::map<std::string, std::string, std::less<>> m_objects; // name -> replacement text
    std::set<std::string, std::less<>> m_functions;
    std::vector<Conditional> m_conditionals;
    std::vector<std::string> m_problems;
    std::set<std::string> m_missing;
    int m_depth = 0;
};

} // namespace akuma::test
