#include "uapi_headers.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace akuma::test {

namespace {

bool is_identifier_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

std::string_view take_identifier(std::string_view& text) {
    size_t length = 0;
    if (!text.empty() && is_identifier_start(text[0]))
        while (length < text.size() && is_identifier_char(text[length]))
            length++;
    std::string_view identifier = text.substr(0, length);
    text.remove_prefix(length);
    return identifier;
}

// Translation phases 2 and 3: spliced lines, comments replaced by a space.
std::string splice_and_strip_comments(std::string_view source) {
    std::string spliced;
    spliced.reserve(source.size());
    for (size_t i = 0; i < source.size(); i++) {
        if (source[i] == '\\' && i + 1 < source.size() && source[i + 1] == '\n') {
            i++;
            continue;
        }
        spliced += source[i];
    }
    std::string out;
    out.reserve(spliced.size());
    for (size_t i = 0; i < spliced.size(); i++) {
        char c = spliced[i];
        if (c == '/' && i + 1 < spliced.size() && spliced[i + 1] == '*') {
            size_t end = spliced.find("*/", i + 2);
            i = end == std::string::npos ? spliced.size() : end + 1;
            out += ' ';
        } else if (c == '/' && i + 1 < spliced.size() && spliced[i + 1] == '/') {
            while (i + 1 < spliced.size() && spliced[i + 1] != '\n')
                i++;
        } else if (c == '"' || c == '\'') {
            out += c;
            for (i++; i < spliced.size() && spliced[i] != c && spliced[i] != '\n'; i++) {
                out += spliced[i];
                if (spliced[i] == '\\' && i + 1 < spliced.size())
                    out += spliced[++i];
            }
            if (i < spliced.size())
                out += spliced[i];
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

UapiHeaders::UapiHeaders(std::filesystem::path include_root)
    : m_root(std::move(include_root)) { }

bool UapiHeaders::include(std::string_view relative) {
    std::filesystem::path path = m_root / relative;
    if (!std::filesystem::is_regular_file(path))
        return false;
    process_file(path);
    return true;
}

void UapiHeaders::process_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        m_problems.push_back("cannot read " + path.string());
        return;
    }
    std::stringstream contents;
    contents << file.rdbuf();
    if (++m_depth > 64) {
        m_problems.push_back("#include nested too deeply at " + path.string());
    } else {
        size_t conditionals = m_conditionals.size();
        process_text(contents.str(), path.parent_path());
        if (m_conditionals.size() != conditionals) {
            m_problems.push_back("unterminated #if in " + path.string());
            m_conditionals.resize(conditionals);
        }
    }
    m_depth--;
}

void UapiHeaders::process_text(std::string_view text, const std::filesystem::path& directory) {
    std::string clean = splice_and_strip_comments(text);
    std::string_view rest = clean;
    while (!rest.empty()) {
        size_t newline = rest.find('\n');
        std::string_view line = trim(rest.substr(0, newline));
        rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
        if (!line.empty() && line[0] == '#')
            directive(trim(line.substr(1)), directory);
    }
}

void UapiHeaders::directive(std::string_view line, const std::filesystem::path& directory) {
    std::string_view word = take_identifier(line);
    line = trim(line);
    auto condition_problem = [&](std::string_view what) {
        m_problems.push_back("#" + std::string(word) + " " + std::string(line) + ": " + std::string(what));
    };
    if (word == "if" || word == "ifdef" || word == "ifndef") {
        bool parent = active();
        bool condition = false;
        if (parent) {
            if (word == "if") {
                auto result = evaluate_condition(line);
                if (!result)
                    condition_problem("cannot evaluate");
                condition = result.value_or(0) != 0;
            } else {
                std::string_view name = take_identifier(line);
                condition = defined(name) == (word == "ifdef");
            }
        }
        m_conditionals.push_back({ parent, parent && condition, parent && condition, false });
        return;
    }
    if (word == "elif" || word == "else" || word == "endif") {
        if (m_conditionals.empty()) {
            condition_problem("without #if");
            return;
        }
        Conditional& conditional = m_conditionals.back();
        if (word == "endif") {
            m_conditionals.pop_back();
        } else if (conditional.seen_else) {
            condition_problem("after #else");
        } else if (word == "else") {
            conditional.active = conditional.parent_active && !conditional.taken;
            conditional.taken = true;
            conditional.seen_else = true;
        } else if (conditional.parent_active && !conditional.taken) {
            auto result = evaluate_condition(line);
            if (!result)
                condition_problem("cannot evaluate");
            conditional.active = result.value_or(0) != 0;
            conditional.taken = conditional.active;
        } else {
            conditional.active = false;
        }
        return;
    }
    if (!active())
        return;
    if (word == "define") {
        std::string name(take_identifier(line));
        if (name.empty()) {
            condition_problem("no macro name");
        } else if (!line.empty() && line[0] == '(') { // NAME( with no space: function-like
            m_objects.erase(name);
            m_functions.insert(name);
        } else {
            m_functions.erase(name);
            m_objects[name] = std::string(trim(line));
        }
    } else if (word == "undef") {
        std::string name(take_identifier(line));
        m_objects.erase(name);
        m_functions.erase(name);
    } else if (word == "include") {
        if (line.size() < 2
            || !((line.front() == '<' && line.find('>') != std::string_view::npos)
                || (line.front() == '"' && line.find('"', 1) != std::string_view::npos))) {
            condition_problem("unsupported form");
            return;
        }
        char close = line.front() == '<' ? '>' : '"';
        std::string name(line.substr(1, line.find(close, 1) - 1));
        if (close == '"' && std::filesystem::is_regular_file(directory / name))
            process_file(directory / name);
        else if (std::filesystem::is_regular_file(m_root / name))
            process_file(m_root / name);
        else
            m_missing.insert(name);
    } else if (word == "error") {
        condition_problem("active #error");
    }
    // #warning, #pragma, #line and the null directive change no macro.
}

bool UapiHeaders::defined(std::string_view name) const {
    return m_objects.contains(name) || m_functions.contains(name);
}

std::optional<int64_t> UapiHeaders::evaluate_condition(std::string_view expression) {
    auto tokens = tokenize(expression);
    if (!tokens)
        return std::nullopt;
    std::set<std::string> hidden;
    auto expanded = expand(*tokens, hidden, true);
    if (!expanded)
        return std::nullopt;
    return evaluate(*expanded, true);
}

std::optional<int64_t> UapiHeaders::value(std::string_view name) const {
    auto macro = m_objects.find(name);
    if (macro == m_objects.end())
        return std::nullopt;
    auto tokens = tokenize(macro->second);
    if (!tokens)
        return std::nullopt;
    std::set<std::string> hidden { std::string(name) };
    auto expanded = expand(*tokens, hidden, false);
    if (!expanded)
        return std::nullopt;
    return evaluate(*expanded, false);
}

std::vector<std::string> UapiHeaders::names_with_prefix(std::string_view prefix) const {
    std::vector<std::string> names;
    for (auto it = m_objects.lower_bound(prefix); it != m_objects.end() && it->first.starts_with(prefix);
         ++it)
        names.push_back(it->first);
    return names;
}

std::optional<std::vector<UapiHeaders::Token>> UapiHeaders::tokenize(std::string_view text) {
    std::vector<Token> tokens;
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            i++;
        } else if (is_identifier_start(c)) {
            size_t start = i;
            while (i < text.size() && is_identifier_char(text[i]))
                i++;
            tokens.push_back({ Token::Kind::Identifier, std::string(text.substr(start, i - start)) });
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t start = i;
            while (i < text.size() && (is_identifier_char(text[i]) || text[i] == '.'))
                i++;
            std::string_view literal = text.substr(start, i - start);
            while (!literal.empty()
                && (literal.back() == 'u' || literal.back() == 'U' || literal.back() == 'l'
                    || literal.back() == 'L'))
                literal.remove_suffix(1);
            int base = 10;
            if (literal.size() > 1 && literal[0] == '0' && (literal[1] == 'x' || literal[1] == 'X')) {
                base = 16;
                literal.remove_prefix(2);
            } else if (literal.size() > 1 && literal[0] == '0') {
                base = 8;
                literal.remove_prefix(1);
            }
            uint64_t number = 0;
            auto [end, error]
                = std::from_chars(literal.data(), literal.data() + literal.size(), number, base);
            if (literal.empty() || error != std::errc {} || end != literal.data() + literal.size())
                return std::nullopt; // floating point, a bad suffix, too large
            tokens.push_back({ Token::Kind::Number, std::string(text.substr(start, i - start)), number });
        } else if (c == '\'') {
            // 'x' or a simple escape; values of ioctl type letters and the like.
            uint64_t number;
            if (i + 2 < text.size() && text[i + 1] != '\\' && text[i + 2] == '\'') {
                number = static_cast<unsigned char>(text[i + 1]);
                i += 3;
            } else if (i + 3 < text.size() && text[i + 1] == '\\' && text[i + 3] == '\'') {
                switch (text[i + 2]) {
                case 'n':
                    number = '\n';
                    break;
                case 't':
                    number = '\t';
                    break;
                case '0':
                    number = 0;
                    break;
                case '\\':
                    number = '\\';
                    break;
                case '\'':
                    number = '\'';
                    break;
                default:
                    return std::nullopt;
                }
                i += 4;
            } else {
                return std::nullopt;
            }
            tokens.push_back({ Token::Kind::Number, "'", number });
        } else {
            static constexpr std::string_view two_char[]
                = { "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "##" };
            std::string_view rest = text.substr(i);
            std::string punctuator;
            for (std::string_view candidate : two_char)
                if (rest.starts_with(candidate))
                    punctuator = candidate;
            if (punctuator.empty()) {
                if (std::string_view("()+-*/%~!<>&^|?:,#").find(c) == std::string_view::npos)
                    return std::nullopt; // string literals, braces, ...: not an integer expression
                punctuator = c;
            }
            i += punctuator.size();
            tokens.push_back({ Token::Kind::Punctuator, punctuator });
        }
    }
    return tokens;
}

std::optional<std::vector<UapiHeaders::Token>> UapiHeaders::expand(
    const std::vector<Token>& tokens, std::set<std::string>& hidden, bool in_condition) const {
    std::vector<Token> out;
    for (size_t i = 0; i < tokens.size(); i++) {
        const Token& token = tokens[i];
        if (token.kind != Token::Kind::Identifier) {
            out.push_back(token);
            continue;
        }
        if (in_condition && token.text == "defined") {
            bool parenthesized = i + 1 < tokens.size() && tokens[i + 1].text == "(";
            size_t name_index = i + (parenthesized ? 2 : 1);
            if (name_index >= tokens.size() || tokens[name_index].kind != Token::Kind::Identifier
                || (parenthesized && (name_index + 1 >= tokens.size() || tokens[name_index + 1].text != ")")))
                return std::nullopt;
            out.push_back({ Token::Kind::Number, "defined", defined(tokens[name_index].text) ? 1u : 0u });
            i = name_index + (parenthesized ? 1 : 0);
            continue;
        }
        if (hidden.contains(token.text)) {
            out.push_back(token);
            continue;
        }
        if (m_functions.contains(token.text)) {
            if (i + 1 < tokens.size() && tokens[i + 1].text == "(")
                return std::nullopt;
            out.push_back(token);
            continue;
        }
        auto macro = m_objects.find(token.text);
        if (macro == m_objects.end()) {
            out.push_back(token);
            continue;
        }
        auto body = tokenize(macro->second);
        if (!body)
            return std::nullopt;
        hidden.insert(token.text);
        auto expanded = expand(*body, hidden, in_condition);
        hidden.erase(token.text);
        if (!expanded)
            return std::nullopt;
        out.insert(out.end(), expanded->begin(), expanded->end());
    }
    return out;
}

namespace {

// Integer constant expressions over expanded tokens, with C's precedence.
// Arithmetic wraps in 64 bits; comparisons are signed (the values here are
// small or compared for equality).
template <typename Token> class ExpressionParser {
public:
    ExpressionParser(const std::vector<Token>& tokens, bool in_condition)
        : m_tokens(tokens)
        , m_in_condition(in_condition) { }

    std::optional<int64_t> parse() {
        int64_t result = conditional();
        if (m_failed || m_position != m_tokens.size())
            return std::nullopt;
        return result;
    }

private:
    bool at(std::string_view punctuator) const {
        return m_position < m_tokens.size() && m_tokens[m_position].kind == Token::Kind::Punctuator
            && m_tokens[m_position].text == punctuator;
    }
    bool accept(std::string_view punctuator) {
        if (!at(punctuator))
            return false;
        m_position++;
        return true;
    }
    void expect(std::string_view punctuator) {
        if (!accept(punctuator))
            m_failed = true;
    }

    int64_t conditional() {
        int64_t condition = binary(0);
        if (!accept("?"))
            return condition;
        int64_t if_true = conditional();
        expect(":");
        int64_t if_false = conditional();
        return condition ? if_true : if_false;
    }

    // Binary operators by precedence level, lowest first.
    static int level_of(std::string_view op) {
        static constexpr std::string_view levels[][4] = {
            { "||" },
            { "&&" },
            { "|" },
            { "^" },
            { "&" },
            { "==", "!=" },
            { "<", ">", "<=", ">=" },
            { "<<", ">>" },
            { "+", "-" },
            { "*", "/", "%" },
        };
        for (int level = 0; level < 10; level++)
            for (std::string_view candidate : levels[level])
                if (!candidate.empty() && candidate == op)
                    return level;
        return -1;
    }

    int64_t binary(int min_level) {
        int64_t left = unary();
        for (;;) {
            if (m_failed || m_position >= m_tokens.size()
                || m_tokens[m_position].kind != Token::Kind::Punctuator)
                return left;
            std::string op = m_tokens[m_position].text;
            int level = level_of(op);
            if (level < min_level)
                return left;
            m_position++;
            int64_t right = binary(level + 1);
            left = apply(op, left, right);
        }
    }

    int64_t apply(std::string_view op, int64_t left, int64_t right) {
        uint64_t l = static_cast<uint64_t>(left), r = static_cast<uint64_t>(right);
        if (op == "||")
            return left || right;
        if (op == "&&")
            return left && right;
        if (op == "|")
            return static_cast<int64_t>(l | r);
        if (op == "^")
            return static_cast<int64_t>(l ^ r);
        if (op == "&")
            return static_cast<int64_t>(l & r);
        if (op == "==")
            return left == right;
        if (op == "!=")
            return left != right;
        if (op == "<")
            return left < right;
        if (op == ">")
            return left > right;
        if (op == "<=")
            return left <= right;
        if (op == ">=")
            return left >= right;
        if (op == "<<" || op == ">>") {
            if (r >= 64) {
                m_failed = true;
                return 0;
            }
            return op == "<<" ? static_cast<int64_t>(l << r) : left >> r;
        }
        if (op == "+")
            return static_cast<int64_t>(l + r);
        if (op == "-")
            return static_cast<int64_t>(l - r);
        if (op == "*")
            return static_cast<int64_t>(l * r);
        if (right == 0 || (left == INT64_MIN && right == -1)) {
            m_failed = true;
            return 0;
        }
        return op == "/" ? left / right : left % right;
    }

    // A cast such as (__sighandler_t) or (unsigned long): identifiers that
    // are no macros, in parentheses, followed by an operand.
    bool skip_cast() {
        if (m_in_condition || !at("("))
            return false;
        size_t i = m_position + 1;
        size_t names = 0;
        while (i < m_tokens.size() && m_tokens[i].kind == Token::Kind::Identifier) {
            i++;
            names++;
        }
        while (i < m_tokens.size() && m_tokens[i].text == "*")
            i++;
        if (names == 0 || i + 1 >= m_tokens.size() || m_tokens[i].text != ")")
            return false;
        const Token& next = m_tokens[i + 1];
        if (next.kind == Token::Kind::Punctuator && next.text != "(" && next.text != "-" && next.text != "~"
            && next.text != "!" && next.text != "+")
            return false;
        m_position = i + 1;
        return true;
    }

    int64_t unary() {
        if (m_failed || m_position >= m_tokens.size()) {
            m_failed = true;
            return 0;
        }
        if (accept("-"))
            return static_cast<int64_t>(0 - static_cast<uint64_t>(unary()));
        if (accept("+"))
            return unary();
        if (accept("~"))
            return ~unary();
        if (accept("!"))
            return !unary();
        if (skip_cast())
            return unary();
        if (accept("(")) {
            int64_t inner = conditional();
            expect(")");
            return inner;
        }
        const Token& token = m_tokens[m_position++];
        if (token.kind == Token::Kind::Number)
            return static_cast<int64_t>(token.number);
        if (token.kind == Token::Kind::Identifier && m_in_condition)
            return 0; // an identifier left after expansion is 0 in #if
        m_failed = true;
        return 0;
    }

    const std::vector<Token>& m_tokens;
    bool m_in_condition;
    size_t m_position = 0;
    bool m_failed = false;
};

} // namespace

std::optional<int64_t> UapiHeaders::evaluate(const std::vector<Token>& tokens, bool in_condition) {
    return ExpressionParser<Token>(tokens, in_condition).parse();
}

} // namespace akuma::test
