#include "core/condition_expression.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/number_syntax.h"

namespace azx {
namespace {

constexpr int kMaxNesting = 100;

// ----------------------------------------------------------------------------------------------
// Text helpers. JavaScript strings are UTF-16; literals are decoded from UTF-8 so that equality
// and ordering work on code units like Nashorn.

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Decodes one UTF-8 sequence at `i`; malformed input yields U+FFFD and consumes one byte.
uint32_t decodeUtf8(std::string_view s, size_t i, size_t& length) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  length = 1;
  if (c < 0x80) return c;
  size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (need == 0 || i + need > s.size()) return 0xFFFD;
  uint32_t value = c & (0xFF >> (need + 1));
  for (size_t k = 1; k < need; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0xFFFD;
    value = (value << 6) | (cc & 0x3F);
  }
  length = need;
  return value;
}

void appendCodePoint(std::u16string& out, uint32_t cp) {
  if (cp >= 0x10000) {
    cp -= 0x10000;
    out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
    out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
  } else {
    out.push_back(static_cast<char16_t>(cp));
  }
}

bool isLineTerminator(uint32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029;
}

// WhiteSpace and LineTerminator of ECMAScript 5 (Zs approximated by its members in the BMP).
bool isJsWhitespace(uint32_t cp) {
  return cp == 0x09 || cp == 0x0B || cp == 0x0C || cp == 0x20 || cp == 0xA0 || cp == 0xFEFF ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000 || isLineTerminator(cp);
}

// ----------------------------------------------------------------------------------------------
// Values.

struct JsValue {
  enum class Type { Undefined, Null, Boolean, Number, String };
  Type type = Type::Undefined;
  bool boolean = false;
  double number = 0;
  std::u16string text;

  static JsValue undefined() { return {}; }
  static JsValue null() {
    JsValue v;
    v.type = Type::Null;
    return v;
  }
  static JsValue ofBool(bool b) {
    JsValue v;
    v.type = Type::Boolean;
    v.boolean = b;
    return v;
  }
  static JsValue ofNumber(double d) {
    JsValue v;
    v.type = Type::Number;
    v.number = d;
    return v;
  }
  static JsValue ofString(std::u16string s) {
    JsValue v;
    v.type = Type::String;
    v.text = std::move(s);
    return v;
  }
};

using JsType = JsValue::Type;

// ES5 9.3.1 ToNumber applied to a String.
double stringToNumber(const std::u16string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && isJsWhitespace(text[begin])) ++begin;
  while (end > begin && isJsWhitespace(text[end - 1])) --end;
  if (begin == end) return 0;
  std::string s;
  for (size_t i = begin; i < end; ++i) {
    if (text[i] > 0x7F) return std::numeric_limits<double>::quiet_NaN();
    s += static_cast<char>(text[i]);
  }
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity" || s == "+Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    double value = 0;
    for (size_t i = 2; i < s.size(); ++i) {
      if (!isHex(s[i])) return kNaN;
      value = value * 16 + hexValue(s[i]);
    }
    return value;
  }
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  if (!scanDecimalNumber(s, i) || i != s.size()) return kNaN;
  return std::strtod(s.c_str(), nullptr);
}

double toNumber(const JsValue& v) {
  switch (v.type) {
    case JsType::Undefined:
      return std::numeric_limits<double>::quiet_NaN();
    case JsType::Null:
      return 0;
    case JsType::Boolean:
      return v.boolean ? 1 : 0;
    case JsType::Number:
      return v.number;
    case JsType::String:
      return stringToNumber(v.text);
  }
  return 0;
}

bool toBoolean(const JsValue& v) {
  switch (v.type) {
    case JsType::Undefined:
    case JsType::Null:
      return false;
    case JsType::Boolean:
      return v.boolean;
    case JsType::Number:
      return v.number != 0 && !std::isnan(v.number);
    case JsType::String:
      return !v.text.empty();
  }
  return false;
}

bool strictEquals(const JsValue& a, const JsValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case JsType::Undefined:
    case JsType::Null:
      return true;
    case JsType::Boolean:
      return a.boolean == b.boolean;
    case JsType::Number:
      return a.number == b.number;
    case JsType::String:
      return a.text == b.text;
  }
  return false;
}

// ES5 11.9.3 Abstract Equality Comparison for primitive values.
bool looseEquals(const JsValue& a, const JsValue& b) {
  if (a.type == b.type) return strictEquals(a, b);
  auto isNullish = [](const JsValue& v) {
    return v.type == JsType::Undefined || v.type == JsType::Null;
  };
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b);
  if (a.type == JsType::Boolean) return looseEquals(JsValue::ofNumber(toNumber(a)), b);
  if (b.type == JsType::Boolean) return looseEquals(a, JsValue::ofNumber(toNumber(b)));
  // Remaining mixed case: number vs string.
  return toNumber(a) == toNumber(b);
}

// ES5 11.8.5: returns nullopt for "undefined" (a NaN operand), which makes every operator false.
std::optional<bool> lessThan(const JsValue& a, const JsValue& b) {
  if (a.type == JsType::String && b.type == JsType::String) return a.text < b.text;
  double x = toNumber(a);
  double y = toNumber(b);
  if (std::isnan(x) || std::isnan(y)) return std::nullopt;
  return x < y;
}

// ----------------------------------------------------------------------------------------------
// Lexer.

enum class Tok {
  End,
  Number,
  String,
  Identifier,
  True,
  False,
  Null,
  LParen,
  RParen,
  Semicolon,
  Not,
  Minus,
  Plus,
  AndAnd,
  OrOr,
  Eq,
  Ne,
  StrictEq,
  StrictNe,
  Lt,
  Le,
  Gt,
  Ge,
};

struct Token {
  Tok kind = Tok::End;
  double number = 0;
  std::u16string text;
};

bool isIdentStartByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool isIdentPartByte(char c) { return isIdentStartByte(c) || isDigit(c); }

bool isReservedWord(std::string_view word) {
  static const std::string_view kReserved[] = {
      "break",   "case",   "catch",    "class",  "const",  "continue", "debugger",
      "default", "delete", "do",       "else",   "enum",   "export",   "extends",
      "finally", "for",    "function", "if",     "import", "in",       "instanceof",
      "new",     "return", "super",    "switch", "this",   "throw",    "try",
      "typeof",  "var",    "void",     "while",  "with",
  };
  for (std::string_view r : kReserved) {
    if (r == word) return true;
  }
  return false;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : s_(source) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> tokens;
    while (true) {
      if (!skipWhitespaceAndComments()) return Error{"SyntaxError: unterminated comment"};
      if (i_ >= s_.size()) break;
      Result<Token> token = nextToken();
      if (!token) return token.error();
      tokens.push_back(std::move(*token));
    }
    tokens.push_back(Token{});
    return tokens;
  }

 private:
  bool skipWhitespaceAndComments() {
    while (i_ < s_.size()) {
      size_t length = 0;
      uint32_t cp = decodeUtf8(s_, i_, length);
      if (isJsWhitespace(cp)) {
        i_ += length;
      } else if (s_.compare(i_, 2, "//") == 0) {
        while (i_ < s_.size()) {
          cp = decodeUtf8(s_, i_, length);
          if (isLineTerminator(cp)) break;
          i_ += length;
        }
      } else if (s_.compare(i_, 2, "/*") == 0) {
        size_t close = s_.find("*/", i_ + 2);
        if (close == std::string_view::npos) return false;
        i_ = close + 2;
      } else {
        break;
      }
    }
    return true;
  }

  Result<Token> nextToken() {
    char c = s_[i_];
    if (isDigit(c) || (c == '.' && i_ + 1 < s_.size() && isDigit(s_[i_ + 1]))) return number();
    if (c == '\'' || c == '"') return stringLiteral();
    if (isIdentStartByte(c)) return identifier();
    static const std::pair<std::string_view, Tok> kPunctuators[] = {
        {"===", Tok::StrictEq}, {"!==", Tok::StrictNe}, {"==", Tok::Eq},     {"!=", Tok::Ne},
        {"<=", Tok::Le},        {">=", Tok::Ge},        {"&&", Tok::AndAnd}, {"||", Tok::OrOr},
        {"<", Tok::Lt},         {">", Tok::Gt},         {"!", Tok::Not},     {"(", Tok::LParen},
        {")", Tok::RParen},     {"-", Tok::Minus},      {"+", Tok::Plus},    {";", Tok::Semicolon},
    };
    for (const auto& [text, kind] : kPunctuators) {
      if (s_.compare(i_, text.size(), text) == 0) {
        // Operators outside the subset (<<, >>, ++, --, +=, ...) must not be mis-read.
        if (i_ + text.size() < s_.size()) {
          char after = s_[i_ + text.size()];
          bool longer = (text == "<" && after == '<') || (text == ">" && after == '>') ||
                        (text == "-" && (after == '-' || after == '=')) ||
                        (text == "+" && (after == '+' || after == '='));
          if (longer) break;
        }
        Token t;
        t.kind = kind;
        i_ += text.size();
        return t;
      }
    }
    return Error{"SyntaxError: unexpected character at position " + std::to_string(i_)};
  }

  Result<Token> number() {
    size_t start = i_;
    Token t;
    t.kind = Tok::Number;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
      i_ += 2;
      size_t digitsStart = i_;
      double value = 0;
      while (i_ < s_.size() && isHex(s_[i_])) value = value * 16 + hexValue(s_[i_++]);
      if (i_ == digitsStart) return Error{"SyntaxError: invalid hex literal"};
      t.number = value;
    } else if (s_[i_] == '0' && i_ + 1 < s_.size() && isDigit(s_[i_ + 1])) {
      // Legacy octal (non-strict Nashorn); a literal with 8 or 9 is read as decimal.
      size_t j = i_;
      bool octal = true;
      while (j < s_.size() && isDigit(s_[j])) {
        if (s_[j] > '7') octal = false;
        ++j;
      }
      double value = 0;
      for (size_t k = i_; k < j; ++k) value = value * (octal ? 8 : 10) + (s_[k] - '0');
      i_ = j;
      t.number = value;
    } else {
      while (i_ < s_.size() && isDigit(s_[i_])) ++i_;
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        while (i_ < s_.size() && isDigit(s_[i_])) ++i_;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        size_t j = i_ + 1;
        if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
        size_t expStart = j;
        while (j < s_.size() && isDigit(s_[j])) ++j;
        if (j == expStart) return Error{"SyntaxError: missing exponent"};
        i_ = j;
      }
      t.number = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    }
    // "The source character immediately following a NumericLiteral must not be an
    // IdentifierStart or DecimalDigit."
    if (i_ < s_.size() && (isIdentStartByte(s_[i_]) || isDigit(s_[i_]))) {
      return Error{"SyntaxError: identifier starts immediately after numeric literal"};
    }
    return t;
  }

  Result<Token> stringLiteral() {
    char quote = s_[i_++];
    Token t;
    t.kind = Tok::String;
    while (true) {
      if (i_ >= s_.size()) return Error{"SyntaxError: unterminated string literal"};
      size_t length = 0;
      uint32_t cp = decodeUtf8(s_, i_, length);
      if (cp == static_cast<unsigned char>(quote)) {
        ++i_;
        return t;
      }
      if (isLineTerminator(cp)) return Error{"SyntaxError: unterminated string literal"};
      if (cp != '\\') {
        appendCodePoint(t.text, cp);
        i_ += length;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) return Error{"SyntaxError: unterminated string literal"};
      Result<bool> escaped = escape(t.text);
      if (!escaped) return escaped.error();
    }
  }

  // One escape sequence after the backslash (ES5 7.8.4 plus Annex B octal escapes).
  Result<bool> escape(std::u16string& out) {
    char e = s_[i_];
    size_t length = 0;
    uint32_t cp = decodeUtf8(s_, i_, length);
    if (isLineTerminator(cp)) {  // line continuation
      i_ += length;
      if (cp == '\r' && i_ < s_.size() && s_[i_] == '\n') ++i_;
      return true;
    }
    switch (e) {
      case 'b':
        out.push_back(u'\b');
        break;
      case 'f':
        out.push_back(u'\f');
        break;
      case 'n':
        out.push_back(u'\n');
        break;
      case 'r':
        out.push_back(u'\r');
        break;
      case 't':
        out.push_back(u'\t');
        break;
      case 'v':
        out.push_back(u'\v');
        break;
      case 'x':
      case 'u': {
        size_t count = e == 'x' ? 2 : 4;
        if (i_ + count >= s_.size()) return Error{"SyntaxError: invalid escape"};
        uint32_t value = 0;
        for (size_t k = 1; k <= count; ++k) {
          if (!isHex(s_[i_ + k])) return Error{"SyntaxError: invalid escape"};
          value = value * 16 + static_cast<uint32_t>(hexValue(s_[i_ + k]));
        }
        out.push_back(static_cast<char16_t>(value));
        i_ += count + 1;
        return true;
      }
      default:
        if (e >= '0' && e <= '7') {
          // Up to three octal digits, value at most 0377.
          uint32_t value = static_cast<uint32_t>(e - '0');
          size_t maxDigits = e <= '3' ? 3 : 2;
          size_t k = 1;
          while (k < maxDigits && i_ + k < s_.size() && s_[i_ + k] >= '0' && s_[i_ + k] <= '7') {
            value = value * 8 + static_cast<uint32_t>(s_[i_ + k] - '0');
            ++k;
          }
          out.push_back(static_cast<char16_t>(value));
          i_ += k;
          return true;
        }
        appendCodePoint(out, cp);
        i_ += length;
        return true;
    }
    ++i_;
    return true;
  }

  Result<Token> identifier() {
    size_t start = i_;
    while (i_ < s_.size() && isIdentPartByte(s_[i_])) ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    Token t;
    if (word == "true") {
      t.kind = Tok::True;
    } else if (word == "false") {
      t.kind = Tok::False;
    } else if (word == "null") {
      t.kind = Tok::Null;
    } else if (isReservedWord(word)) {
      return Error{"SyntaxError: unsupported keyword " + std::string(word)};
    } else {
      t.kind = Tok::Identifier;
      for (char c : word) t.text.push_back(static_cast<char16_t>(static_cast<unsigned char>(c)));
    }
    return t;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// ----------------------------------------------------------------------------------------------
// Parser and evaluator. The tree is evaluated lazily so that && and || short-circuit exactly
// like JavaScript (an unknown identifier on the skipped side is never looked up).

enum class NodeKind { Literal, Identifier, Or, And, Equality, Relational, Not, Negate, Plus };

struct Node {
  NodeKind kind = NodeKind::Literal;
  JsValue value;
  std::u16string name;
  std::vector<std::unique_ptr<Node>> children;
  std::vector<Tok> ops;
};
using NodePtr = std::unique_ptr<Node>;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // Program := (';' | Expression ';'?)*, statements separated by ';'. Returns the statements.
  Result<std::vector<NodePtr>> parseProgram() {
    std::vector<NodePtr> statements;
    while (peek() != Tok::End) {
      if (accept(Tok::Semicolon)) continue;
      NodePtr expr = parseExpression();
      if (!expr) return *error_;
      if (peek() != Tok::Semicolon && peek() != Tok::End)
        return Error{"SyntaxError: unexpected token"};
      statements.push_back(std::move(expr));
    }
    return statements;
  }

 private:
  Tok peek() const { return tokens_[pos_].kind; }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool accept(Tok kind) {
    if (peek() != kind) return false;
    next();
    return true;
  }
  std::nullptr_t fail(const std::string& message) {
    if (!error_) error_ = Error{"SyntaxError: " + message};
    return nullptr;
  }
  static NodePtr makeNode(NodeKind kind) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    return node;
  }

  struct DepthGuard {
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    int& depth_;
  };

  NodePtr parseExpression() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail("expression nested too deeply");
    return parseRun(NodeKind::Or, {Tok::OrOr}, &Parser::parseAnd);
  }
  NodePtr parseAnd() { return parseRun(NodeKind::And, {Tok::AndAnd}, &Parser::parseEquality); }
  NodePtr parseEquality() {
    return parseRun(NodeKind::Equality, {Tok::Eq, Tok::Ne, Tok::StrictEq, Tok::StrictNe},
                    &Parser::parseRelational);
  }
  NodePtr parseRelational() {
    return parseRun(NodeKind::Relational, {Tok::Lt, Tok::Le, Tok::Gt, Tok::Ge},
                    &Parser::parseUnary);
  }

  // Left-associative runs are kept flat to bound recursion during evaluation.
  NodePtr parseRun(NodeKind kind, std::initializer_list<Tok> operators, NodePtr (Parser::*sub)()) {
    NodePtr first = (this->*sub)();
    if (!first) return nullptr;
    NodePtr run;
    while (true) {
      Tok op = peek();
      bool isOp = false;
      for (Tok candidate : operators) isOp = isOp || candidate == op;
      if (!isOp) break;
      next();
      NodePtr operand = (this->*sub)();
      if (!operand) return nullptr;
      if (!run) {
        run = makeNode(kind);
        run->children.push_back(std::move(first));
      }
      run->ops.push_back(op);
      run->children.push_back(std::move(operand));
    }
    return run ? std::move(run) : std::move(first);
  }

  NodePtr parseUnary() {
    Tok op = peek();
    if (op == Tok::Not || op == Tok::Minus || op == Tok::Plus) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return fail("expression nested too deeply");
      next();
      NodePtr operand = parseUnary();
      if (!operand) return nullptr;
      NodePtr node = makeNode(op == Tok::Not     ? NodeKind::Not
                              : op == Tok::Minus ? NodeKind::Negate
                                                 : NodeKind::Plus);
      node->children.push_back(std::move(operand));
      return node;
    }
    return parsePrimary();
  }

  NodePtr literal(JsValue v) {
    NodePtr node = makeNode(NodeKind::Literal);
    node->value = std::move(v);
    return node;
  }

  NodePtr parsePrimary() {
    const Token& t = next();
    switch (t.kind) {
      case Tok::Number:
        return literal(JsValue::ofNumber(t.number));
      case Tok::String:
        return literal(JsValue::ofString(t.text));
      case Tok::True:
        return literal(JsValue::ofBool(true));
      case Tok::False:
        return literal(JsValue::ofBool(false));
      case Tok::Null:
        return literal(JsValue::null());
      case Tok::Identifier: {
        NodePtr node = makeNode(NodeKind::Identifier);
        node->name = t.text;
        return node;
      }
      case Tok::LParen: {
        NodePtr inner = parseExpression();
        if (!inner) return nullptr;
        if (!accept(Tok::RParen)) return fail("expected ')'");
        return inner;
      }
      default:
        return fail("unexpected token");
    }
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::optional<Error> error_;
};

Result<JsValue> evaluate(const Node& node) {
  switch (node.kind) {
    case NodeKind::Literal:
      return node.value;
    case NodeKind::Identifier:
      // Only the harmless globals exist; anything else (java, Packages, ...) is unreachable.
      if (node.name == u"undefined") return JsValue::undefined();
      if (node.name == u"NaN") return JsValue::ofNumber(std::numeric_limits<double>::quiet_NaN());
      if (node.name == u"Infinity") {
        return JsValue::ofNumber(std::numeric_limits<double>::infinity());
      }
      return Error{"ReferenceError: identifier is not defined"};
    case NodeKind::Or:
    case NodeKind::And: {
      bool isOr = node.kind == NodeKind::Or;
      Result<JsValue> current = evaluate(*node.children[0]);
      for (size_t i = 1; i < node.children.size(); ++i) {
        if (!current) return current;
        // || stops at a truthy operand, && at a falsy one; the operand itself is the result.
        if (toBoolean(*current) == isOr) return current;
        current = evaluate(*node.children[i]);
      }
      return current;
    }
    case NodeKind::Equality:
    case NodeKind::Relational: {
      Result<JsValue> left = evaluate(*node.children[0]);
      if (!left) return left;
      JsValue current = std::move(*left);
      for (size_t i = 1; i < node.children.size(); ++i) {
        Result<JsValue> right = evaluate(*node.children[i]);
        if (!right) return right;
        const JsValue& r = *right;
        bool result = false;
        switch (node.ops[i - 1]) {
          case Tok::Eq:
            result = looseEquals(current, r);
            break;
          case Tok::Ne:
            result = !looseEquals(current, r);
            break;
          case Tok::StrictEq:
            result = strictEquals(current, r);
            break;
          case Tok::StrictNe:
            result = !strictEquals(current, r);
            break;
          case Tok::Lt:
            result = lessThan(current, r).value_or(false);
            break;
          case Tok::Gt:
            result = lessThan(r, current).value_or(false);
            break;
          case Tok::Le: {
            std::optional<bool> greater = lessThan(r, current);
            result = greater.has_value() && !*greater;
            break;
          }
          case Tok::Ge: {
            std::optional<bool> less = lessThan(current, r);
            result = less.has_value() && !*less;
            break;
          }
          default:
            return Error{"unknown operator"};
        }
        current = JsValue::ofBool(result);
      }
      return current;
    }
    case NodeKind::Not:
    case NodeKind::Negate:
    case NodeKind::Plus: {
      Result<JsValue> operand = evaluate(*node.children[0]);
      if (!operand) return operand;
      if (node.kind == NodeKind::Not) return JsValue::ofBool(!toBoolean(*operand));
      double n = toNumber(*operand);
      return JsValue::ofNumber(node.kind == NodeKind::Negate ? -n : n);
    }
  }
  return Error{"unknown node"};
}

// Java's regex \b treats letters, digits and '_' as word characters; non-ASCII bytes are taken
// as letters.
bool isWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool equalsIgnoreCaseAt(std::string_view text, size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = text[pos + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

// String.replace(CharSequence, CharSequence): every non-overlapping occurrence, left to right.
std::string replaceAll(const std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  std::string out;
  size_t start = 0;
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, start)) {
    out.append(text, start, pos - start);
    out += to;
    start = pos + from.size();
  }
  out.append(text, start, std::string::npos);
  return out;
}

bool isReferencePartChar(char c) { return c != ':' && c != '{' && c != '}'; }

}  // namespace

Result<bool> tryEvaluateConditionExpression(std::string_view expression) {
  Result<std::vector<Token>> tokens = Lexer(expression).run();
  if (!tokens) return tokens.error();
  Parser parser(std::move(*tokens));
  Result<std::vector<NodePtr>> program = parser.parseProgram();
  if (!program) return program.error();
  // The completion value of a script is that of its last expression statement.
  JsValue result = JsValue::undefined();
  for (const NodePtr& statement : *program) {
    Result<JsValue> value = evaluate(*statement);
    if (!value) return value.error();
    result = std::move(*value);
  }
  switch (result.type) {
    case JsType::Boolean:
      return result.boolean;
    case JsType::Undefined:
    case JsType::Null:
      return false;  // ScriptEngine.eval returns null; Azkaban treats it as false
    default:
      // Azkaban's `(boolean) object` cast fails for strings and numbers.
      return Error{"condition did not evaluate to a boolean"};
  }
}

bool evaluateConditionExpression(std::string_view expression) {
  Result<bool> result = tryEvaluateConditionExpression(expression);
  return result.ok() && *result;
}

std::string substituteConditionReferences(std::string expression, const ConditionLookup& lookup) {
  static const std::string_view kMacros[] = {"all_success", "all_failed", "all_done", "one_failed",
                                             "one_success"};
  // (?i)\b(macro)\b: only the first match is looked for, then its exact text is replaced
  // everywhere (String.replace), as FlowRunner does.
  std::string replaced = expression;
  bool found = false;
  for (size_t pos = 0; pos < expression.size() && !found; ++pos) {
    if (pos > 0 && isWordByte(expression[pos - 1])) continue;
    for (std::string_view macro : kMacros) {
      size_t end = pos + macro.size();
      if (equalsIgnoreCaseAt(expression, pos, macro) &&
          (end == expression.size() || !isWordByte(expression[end]))) {
        replaced = replaceAll(expression, expression.substr(pos, macro.size()), "true");
        found = true;
        break;
      }
    }
  }

  // \$\{([^:{}]+):([^:{}]+)\}, matched over the text as it was before any reference was replaced.
  const std::string scanned = replaced;
  size_t start = 0;
  while (true) {
    size_t pos = scanned.find("${", start);
    if (pos == std::string::npos) break;
    size_t jobEnd = pos + 2;
    while (jobEnd < scanned.size() && isReferencePartChar(scanned[jobEnd])) ++jobEnd;
    bool matched = false;
    if (jobEnd > pos + 2 && jobEnd < scanned.size() && scanned[jobEnd] == ':') {
      size_t paramEnd = jobEnd + 1;
      while (paramEnd < scanned.size() && isReferencePartChar(scanned[paramEnd])) ++paramEnd;
      if (paramEnd > jobEnd + 1 && paramEnd < scanned.size() && scanned[paramEnd] == '}') {
        matched = true;
        std::string job = scanned.substr(pos + 2, jobEnd - pos - 2);
        std::string param = scanned.substr(jobEnd + 1, paramEnd - jobEnd - 1);
        std::optional<std::string> value = lookup(job, param);
        if (value) {
          replaced =
              replaceAll(replaced, scanned.substr(pos, paramEnd + 1 - pos), "'" + *value + "'");
        }
        start = paramEnd + 1;
      }
    }
    if (!matched) start = pos + 1;
  }
  return replaced;
}

}  // namespace azx
