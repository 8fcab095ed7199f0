#include "core/jexl.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "core/number_syntax.h"
#include "core/utf8.h"

namespace azx {
namespace {

// JEXL narrows integer results to Integer/Long and falls back to BigInteger; 128 bits cover every
// realistic BigInteger and overflow beyond that is reported as an error.
__extension__ using Int128 = __int128;
__extension__ using UInt128 = unsigned __int128;

constexpr Int128 kInt128Max = static_cast<Int128>((static_cast<UInt128>(1) << 127) - 1);
constexpr Int128 kInt128Min = -kInt128Max - 1;
constexpr int kMaxNesting = 100;

std::string int128ToString(Int128 value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  // Work on the unsigned magnitude so that the minimum value does not overflow.
  UInt128 magnitude = negative ? static_cast<UInt128>(0) - static_cast<UInt128>(value)
                               : static_cast<UInt128>(value);
  std::string digits;
  while (magnitude > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  }
  return negative ? "-" + digits : digits;
}

template <typename F>
std::string javaFloatingToString(F value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string text(buf, ec == std::errc() ? end : buf);
  std::string sign;
  if (!text.empty() && text[0] == '-') {
    sign = "-";
    text.erase(0, 1);
  }
  // text is "d[.ddd]e[+-]xx": collect the significant digits and the decimal exponent.
  size_t ePos = text.find('e');
  std::string mantissa = text.substr(0, ePos);
  int exponent = std::atoi(text.c_str() + ePos + 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  F magnitude = std::fabs(value);
  if (magnitude >= static_cast<F>(1e-3) && magnitude < static_cast<F>(1e7)) {
    std::string out;
    if (exponent >= 0) {
      size_t intLen = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= intLen) {
        out = digits + std::string(intLen - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, intLen) + "." + digits.substr(intLen);
      }
    } else {
      out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    return sign + out;
  }
  std::string fraction = digits.size() > 1 ? digits.substr(1) : "0";
  return sign + digits.substr(0, 1) + "." + fraction + "E" + std::to_string(exponent);
}

bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) {
  return isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Java's String.compareTo orders by UTF-16 code units; decode UTF-8 (malformed bytes become
// U+FFFD like Java's decoder) and compare unit by unit.
std::u16string toUtf16(std::string_view text) {
  std::u16string out;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else {
      size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      if (need != 0 && i + need <= text.size()) {
        uint32_t value = c & (0xFF >> (need + 1));
        bool valid = true;
        for (size_t k = 1; k < need; ++k) {
          unsigned char cc = static_cast<unsigned char>(text[i + k]);
          if ((cc & 0xC0) != 0x80) {
            valid = false;
            break;
          }
          value = (value << 6) | (cc & 0x3F);
        }
        if (valid) {
          cp = value;
          len = need;
        }
      }
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

int compareJavaStrings(std::string_view a, std::string_view b) {
  std::u16string ua = toUtf16(a);
  std::u16string ub = toUtf16(b);
  return ua < ub ? -1 : (ua == ub ? 0 : 1);
}

// ----------------------------------------------------------------------------------------------
// Values and JexlArithmetic (lenient mode).

struct Value {
  enum class Type { Null, Boolean, Integer, Long, BigInteger, Float, Double, String };
  Type type = Type::Null;
  bool boolean = false;
  Int128 integer = 0;  // Integer, Long and BigInteger
  float single = 0;
  double real = 0;
  std::string text;

  static Value null() { return {}; }
  static Value ofBool(bool b) {
    Value v;
    v.type = Type::Boolean;
    v.boolean = b;
    return v;
  }
  static Value ofInteger(Type type, Int128 i) {
    Value v;
    v.type = type;
    v.integer = i;
    return v;
  }
  static Value ofFloat(float f) {
    Value v;
    v.type = Type::Float;
    v.single = f;
    return v;
  }
  static Value ofDouble(double d) {
    Value v;
    v.type = Type::Double;
    v.real = d;
    return v;
  }
  static Value ofString(std::string s) {
    Value v;
    v.type = Type::String;
    v.text = std::move(s);
    return v;
  }

  bool isNull() const { return type == Type::Null; }
  bool isFloatingPoint() const { return type == Type::Float || type == Type::Double; }
  bool isNumberable() const { return type == Type::Integer || type == Type::Long; }
};

using Type = Value::Type;

// Java distinguishes NumberFormatException (escapes JEXL untouched) from ArithmeticException
// (turned into 0.0 by the lenient / and %, otherwise into a JexlException); `+` relies on the
// former to fall back to concatenation.
enum class Fault { None, NumberFormat, Arithmetic };

struct Failure {
  Fault fault = Fault::None;
  std::string message;
};

Failure numberFormat(std::string_view input) {
  return {Fault::NumberFormat,
          "java.lang.NumberFormatException: For input string: \"" + std::string(input) + "\""};
}

// Object.toString() as Java prints it.
std::string javaToString(const Value& v) {
  switch (v.type) {
    case Type::Null:
      return "null";
    case Type::Boolean:
      return v.boolean ? "true" : "false";
    case Type::Integer:
    case Type::Long:
    case Type::BigInteger:
      return int128ToString(v.integer);
    case Type::Float:
      return javaFloatToString(v.single);
    case Type::Double:
      return javaDoubleToString(v.real);
    case Type::String:
      return v.text;
  }
  return {};
}

// JexlArithmetic.toString: null is "" and NaN is "" in lenient mode.
std::string arithmeticToString(const Value& v) {
  if (v.isNull()) return "";
  if (v.type == Type::Double && std::isnan(v.real)) return "";
  return javaToString(v);
}

bool isJavaWhitespace(char c) { return static_cast<unsigned char>(c) <= ' '; }

std::string_view javaTrim(std::string_view s) {
  while (!s.empty() && isJavaWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isJavaWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

// Double.parseDouble for the decimal forms (hexadecimal floating literals are not supported).
bool parseJavaDouble(std::string_view input, double& out) {
  std::string_view s = javaTrim(input);
  if (s.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') {
    negative = s[i] == '-';
    ++i;
  }
  std::string_view rest = s.substr(i);
  if (rest == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (rest == "Infinity") {
    out = negative ? -std::numeric_limits<double>::infinity()
                   : std::numeric_limits<double>::infinity();
    return true;
  }
  size_t start = i;
  if (!scanDecimalNumber(s, i)) return false;
  size_t numberEnd = i;
  if (i < s.size() && (s[i] == 'f' || s[i] == 'F' || s[i] == 'd' || s[i] == 'D')) ++i;
  if (i != s.size()) return false;
  std::string number(s.substr(start, numberEnd - start));
  out = std::strtod(number.c_str(), nullptr);
  if (negative) out = -out;
  return true;
}

// Digits with an optional sign, as accepted by Long.parseLong and new BigInteger(String).
bool parseSignedInteger(std::string_view s, Int128& out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  Int128 value = 0;
  for (; i < s.size(); ++i) {
    if (!isAsciiDigit(s[i])) return false;
    int digit = s[i] - '0';
    if (value > (kInt128Max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  out = negative ? -value : value;
  return true;
}

double floatToDouble(float f) {
  // JEXL converts a Float through its string form, so 1.1f becomes exactly 1.1.
  double d = 0;
  if (!parseJavaDouble(javaFloatToString(f), d)) d = static_cast<double>(f);
  return d;
}

Failure toDouble(const Value& v, double& out) {
  switch (v.type) {
    case Type::Null:
      out = 0;
      return {};
    case Type::Double:
      out = v.real;
      return {};
    case Type::Float:
      out = floatToDouble(v.single);
      return {};
    case Type::Integer:
    case Type::Long:
    case Type::BigInteger:
      out = static_cast<double>(v.integer);
      return {};
    case Type::Boolean:
      out = v.boolean ? 1.0 : 0.0;
      return {};
    case Type::String: {
      if (javaTrim(v.text).empty()) {
        out = std::numeric_limits<double>::quiet_NaN();
        return {};
      }
      if (!parseJavaDouble(v.text, out)) return numberFormat(javaTrim(v.text));
      return {};
    }
  }
  return {};
}

Failure toBigInteger(const Value& v, Int128& out) {
  switch (v.type) {
    case Type::Null:
      out = 0;
      return {};
    case Type::Integer:
    case Type::Long:
    case Type::BigInteger:
      out = v.integer;
      return {};
    case Type::Double:
      // new BigInteger(Double.toString(d)) always fails because of the decimal point.
      if (std::isnan(v.real)) {
        out = 0;
        return {};
      }
      return numberFormat(javaDoubleToString(v.real));
    case Type::Float:
      return numberFormat(javaFloatToString(v.single));
    case Type::String: {
      if (javaTrim(v.text).empty()) {
        out = 0;
        return {};
      }
      if (!parseSignedInteger(v.text, out)) return numberFormat(v.text);
      return {};
    }
    case Type::Boolean:
      return {Fault::Arithmetic,
              "BigInteger coercion: java.lang.Boolean:(" + javaToString(v) + ")"};
  }
  return {};
}

Failure toLong(const Value& v, int64_t& out) {
  switch (v.type) {
    case Type::Null:
      out = 0;
      return {};
    case Type::Double:
      out = 0;  // JexlArithmetic 2.1 quirk: toLong of any Double is 0.
      return {};
    case Type::Float: {
      float f = v.single;
      if (std::isnan(f)) {
        out = 0;
      } else if (f >= 9.2233720e18f) {
        out = std::numeric_limits<int64_t>::max();
      } else if (f <= -9.2233720e18f) {
        out = std::numeric_limits<int64_t>::min();
      } else {
        out = static_cast<int64_t>(f);
      }
      return {};
    }
    case Type::Integer:
    case Type::Long:
    case Type::BigInteger:
      out = static_cast<int64_t>(static_cast<uint64_t>(static_cast<UInt128>(v.integer)));
      return {};
    case Type::Boolean:
      out = v.boolean ? 1 : 0;
      return {};
    case Type::String: {
      if (v.text.empty()) {
        out = 0;
        return {};
      }
      Int128 value = 0;
      if (!parseSignedInteger(v.text, value) || value > std::numeric_limits<int64_t>::max() ||
          value < std::numeric_limits<int64_t>::min()) {
        return numberFormat(v.text);
      }
      out = static_cast<int64_t>(value);
      return {};
    }
  }
  return {};
}

bool toBoolean(const Value& v) {
  switch (v.type) {
    case Type::Null:
      return false;
    case Type::Boolean:
      return v.boolean;
    case Type::String:
      return !v.text.empty() && v.text != "false";
    default: {
      double d = 0;
      (void)toDouble(v, d);
      return !std::isnan(d) && d != 0.0;
    }
  }
}

bool isFloatingPointNumber(const Value& v) {
  if (v.isFloatingPoint()) return true;
  if (v.type == Type::String) return v.text.find_first_of(".eE") != std::string::npos;
  return false;
}

Value narrowBigInteger(const Value& l, const Value& r, Int128 result) {
  bool anyBig = l.type == Type::BigInteger || r.type == Type::BigInteger;
  if (!anyBig && result <= std::numeric_limits<int64_t>::max() &&
      result >= std::numeric_limits<int64_t>::min()) {
    bool anyLong = l.type == Type::Long || r.type == Type::Long;
    if (!anyLong && result <= std::numeric_limits<int32_t>::max() &&
        result >= std::numeric_limits<int32_t>::min()) {
      return Value::ofInteger(Type::Integer, result);
    }
    return Value::ofInteger(Type::Long, result);
  }
  return Value::ofInteger(Type::BigInteger, result);
}

// Outcome of an arithmetic operation: a value or the Java exception it would throw.
struct Op {
  Value value;
  Failure failure;

  static Op of(Value v) { return {std::move(v), {}}; }
  static Op fail(Failure f) { return {Value::null(), std::move(f)}; }
  bool failed() const { return failure.fault != Fault::None; }
};

Failure overflow() { return {Fault::Arithmetic, "integer overflow beyond 128 bits"}; }

enum class ArithOp { Add, Subtract, Multiply, Divide, Mod };

Op arithmetic(ArithOp op, const Value& l, const Value& r) {
  if (l.isNull() && r.isNull()) return Op::of(Value::ofInteger(Type::Integer, 0));
  if (isFloatingPointNumber(l) || isFloatingPointNumber(r)) {
    double a = 0;
    double b = 0;
    if (Failure f = toDouble(l, a); f.fault != Fault::None) return Op::fail(f);
    if (Failure f = toDouble(r, b); f.fault != Fault::None) return Op::fail(f);
    switch (op) {
      case ArithOp::Add:
        return Op::of(Value::ofDouble(a + b));
      case ArithOp::Subtract:
        return Op::of(Value::ofDouble(a - b));
      case ArithOp::Multiply:
        return Op::of(Value::ofDouble(a * b));
      case ArithOp::Divide:
        if (b == 0.0) return Op::fail({Fault::Arithmetic, "/"});
        return Op::of(Value::ofDouble(a / b));
      case ArithOp::Mod:
        if (b == 0.0) return Op::fail({Fault::Arithmetic, "%"});
        return Op::of(Value::ofDouble(std::fmod(a, b)));
    }
  }
  Int128 a = 0;
  Int128 b = 0;
  if (Failure f = toBigInteger(l, a); f.fault != Fault::None) return Op::fail(f);
  if (Failure f = toBigInteger(r, b); f.fault != Fault::None) return Op::fail(f);
  Int128 result = 0;
  switch (op) {
    case ArithOp::Add:
      if (__builtin_add_overflow(a, b, &result)) return Op::fail(overflow());
      break;
    case ArithOp::Subtract:
      if (__builtin_sub_overflow(a, b, &result)) return Op::fail(overflow());
      break;
    case ArithOp::Multiply:
      if (__builtin_mul_overflow(a, b, &result)) return Op::fail(overflow());
      break;
    case ArithOp::Divide:
      if (b == 0) return Op::fail({Fault::Arithmetic, "/"});
      if (a == kInt128Min && b == -1) return Op::fail(overflow());
      result = a / b;  // BigInteger.divide truncates towards zero like C++.
      break;
    case ArithOp::Mod:
      // BigInteger.mod: never negative, and a modulus <= 0 is an ArithmeticException.
      if (b <= 0) return Op::fail({Fault::Arithmetic, "BigInteger: modulus not positive"});
      result = a % b;
      if (result < 0) result += b;
      break;
  }
  return Op::of(narrowBigInteger(l, r, result));
}

Op add(const Value& l, const Value& r) {
  Op op = arithmetic(ArithOp::Add, l, r);
  // JexlArithmetic.add: "Well, use strings!" when a number conversion fails.
  if (op.failure.fault == Fault::NumberFormat) {
    return Op::of(Value::ofString(arithmeticToString(l) + arithmeticToString(r)));
  }
  return op;
}

Op negate(const Value& v) {
  switch (v.type) {
    case Type::Integer:
      // Integer.valueOf(-int) wraps around like Java.
      return Op::of(Value::ofInteger(Type::Integer,
                                     static_cast<int32_t>(0u - static_cast<uint32_t>(v.integer))));
    case Type::Long:
      return Op::of(Value::ofInteger(
          Type::Long, static_cast<int64_t>(0ull - static_cast<uint64_t>(v.integer))));
    case Type::BigInteger:
      if (v.integer == kInt128Min) return Op::fail(overflow());
      return Op::of(Value::ofInteger(Type::BigInteger, -v.integer));
    case Type::Double:
      return Op::of(Value::ofDouble(-v.real));
    case Type::Float:
      return Op::of(Value::ofFloat(-v.single));
    case Type::Boolean:
      return Op::of(Value::ofBool(!v.boolean));
    default:
      return Op::fail({Fault::Arithmetic, "Object negation:(" + javaToString(v) + ")"});
  }
}

// JexlArithmetic.compare (no BigDecimal support).
Failure compare(const Value& l, const Value& r, const char* op, int& out) {
  if (!l.isNull() && !r.isNull()) {
    if (l.type == Type::BigInteger || r.type == Type::BigInteger) {
      Int128 a = 0;
      Int128 b = 0;
      if (Failure f = toBigInteger(l, a); f.fault != Fault::None) return f;
      if (Failure f = toBigInteger(r, b); f.fault != Fault::None) return f;
      out = a < b ? -1 : (a > b ? 1 : 0);
      return {};
    }
    if (l.isFloatingPoint() || r.isFloatingPoint()) {
      double a = 0;
      double b = 0;
      if (Failure f = toDouble(l, a); f.fault != Fault::None) return f;
      if (Failure f = toDouble(r, b); f.fault != Fault::None) return f;
      if (std::isnan(a)) {
        out = std::isnan(b) ? 0 : -1;
      } else if (std::isnan(b)) {
        out = 1;
      } else {
        out = a < b ? -1 : (a > b ? 1 : 0);
      }
      return {};
    }
    if (l.isNumberable() || r.isNumberable()) {
      int64_t a = 0;
      int64_t b = 0;
      if (Failure f = toLong(l, a); f.fault != Fault::None) return f;
      if (Failure f = toLong(r, b); f.fault != Fault::None) return f;
      out = a < b ? -1 : (a > b ? 1 : 0);
      return {};
    }
    if (l.type == Type::String || r.type == Type::String) {
      out = compareJavaStrings(arithmeticToString(l), arithmeticToString(r));
      return {};
    }
    if (l.type == Type::Boolean && r.type == Type::Boolean) {
      // Boolean.compareTo (false < true); for "==" Boolean.equals gives the same answer.
      out = static_cast<int>(l.boolean) - static_cast<int>(r.boolean);
      return {};
    }
  }
  return {Fault::Arithmetic, std::string("Object comparison:(") + javaToString(l) + " " + op + " " +
                                 javaToString(r) + ")"};
}

Failure equalsOp(const Value& l, const Value& r, bool& out) {
  if (l.isNull() && r.isNull()) {
    out = true;
    return {};
  }
  if (l.isNull() || r.isNull()) {
    out = false;
    return {};
  }
  if (l.type == Type::Boolean || r.type == Type::Boolean) {
    out = toBoolean(l) == toBoolean(r);
    return {};
  }
  int c = 0;
  Failure f = compare(l, r, "==", c);
  out = c == 0;
  return f;
}

// ----------------------------------------------------------------------------------------------
// Lexer (JEXL 2.1 Parser.jjt token set).

enum class Tok {
  End,
  Integer,
  Float,
  String,
  Identifier,
  True,
  False,
  Null,
  Keyword,  // statement / function keywords this evaluator does not run
  LParen,
  RParen,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
  Semicolon,
  Colon,
  Comma,
  Dot,
  QMark,
  Elvis,
  And,
  Or,
  Eq,
  Ne,
  RegexMatch,
  RegexNoMatch,
  Gt,
  Ge,
  Lt,
  Le,
  Assign,
  Mod,
  Div,
  Not,
  Plus,
  Minus,
  Mult,
  Tilde,
  BitAnd,
  BitOr,
  BitXor,
};

struct Token {
  Tok kind = Tok::End;
  std::string text;  // source image; for strings the unescaped value
  size_t pos = 0;
};

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c == '@';
}
bool isIdentPart(char c) { return isIdentStart(c) || isAsciiDigit(c); }

Tok wordToken(std::string_view word) {
  static const std::pair<std::string_view, Tok> kWords[] = {
      {"if", Tok::Keyword},      {"else", Tok::Keyword},  {"for", Tok::Keyword},
      {"foreach", Tok::Keyword}, {"while", Tok::Keyword}, {"new", Tok::Keyword},
      {"var", Tok::Keyword},     {"empty", Tok::Keyword}, {"size", Tok::Keyword},
      {"return", Tok::Keyword},  {"null", Tok::Null},     {"true", Tok::True},
      {"false", Tok::False},     {"and", Tok::And},       {"or", Tok::Or},
      {"eq", Tok::Eq},           {"ne", Tok::Ne},         {"gt", Tok::Gt},
      {"ge", Tok::Ge},           {"lt", Tok::Lt},         {"le", Tok::Le},
      {"mod", Tok::Mod},         {"div", Tok::Div},       {"not", Tok::Not},
  };
  for (const auto& [text, kind] : kWords) {
    if (text == word) return kind;
  }
  return Tok::Identifier;
}

// Parser.buildString: "\\" + separator / backslash / uXXXX are escapes; any other escaped
// character keeps its backslash.
std::string unescapeString(std::string_view body, char sep) {
  std::string out;
  uint32_t pendingHigh = 0;
  auto flushHigh = [&]() {
    if (pendingHigh != 0) appendUtf8(out, pendingHigh);
    pendingHigh = 0;
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      flushHigh();
      out += c;
      continue;
    }
    char e = body[++i];
    if (e == 'u' && i + 4 < body.size() && isHexDigit(body[i + 1]) && isHexDigit(body[i + 2]) &&
        isHexDigit(body[i + 3]) && isHexDigit(body[i + 4])) {
      uint32_t unit =
          static_cast<uint32_t>(std::stoul(std::string(body.substr(i + 1, 4)), nullptr, 16));
      i += 4;
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        flushHigh();
        pendingHigh = unit;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF && pendingHigh != 0) {
        appendUtf8(out, 0x10000 + ((pendingHigh - 0xD800) << 10) + (unit - 0xDC00));
        pendingHigh = 0;
      } else {
        flushHigh();
        appendUtf8(out, unit);
      }
      continue;
    }
    flushHigh();
    if (e != sep && e != '\\') out += '\\';
    out += e;
  }
  flushHigh();
  return out;
}

size_t floatLiteralLength(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && isAsciiDigit(s[j])) ++j;
  if (j == i || j >= s.size() || s[j] != '.') return 0;
  size_t fracStart = ++j;
  while (j < s.size() && isAsciiDigit(s[j])) ++j;
  if (j == fracStart) return 0;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    size_t expStart = k;
    while (k < s.size() && isAsciiDigit(s[k])) ++k;
    if (k > expStart) j = k;
  }
  if (j < s.size() && std::string_view("dDfFbB").find(s[j]) != std::string_view::npos) ++j;
  return j - i;
}

size_t integerLiteralLength(std::string_view s, size_t i) {
  size_t j = i;
  if (s[i] == '0') {
    if (i + 2 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X') && isHexDigit(s[i + 2])) {
      j = i + 2;
      while (j < s.size() && isHexDigit(s[j])) ++j;
    } else {
      j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '7') ++j;
    }
  } else {
    while (j < s.size() && isAsciiDigit(s[j])) ++j;
  }
  if (j < s.size() && std::string_view("lLhH").find(s[j]) != std::string_view::npos) ++j;
  return j - i;
}

Result<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto lexError = [&](size_t at) {
    return Error{"Lexical error at position " + std::to_string(at) + " in '" + std::string(s) +
                 "'"};
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++i;
      continue;
    }
    if (s.compare(i, 2, "##") == 0 || s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
      continue;
    }
    if (s.compare(i, 2, "/*") == 0) {
      size_t close = s.find("*/", i + 2);
      if (close == std::string_view::npos) return lexError(i);
      i = close + 2;
      continue;
    }
    Token token;
    token.pos = i;
    if (isAsciiDigit(c)) {
      size_t floatLen = floatLiteralLength(s, i);
      size_t intLen = integerLiteralLength(s, i);
      size_t len = std::max(floatLen, intLen);
      token.kind = floatLen >= intLen && floatLen > 0 ? Tok::Float : Tok::Integer;
      token.text = std::string(s.substr(i, len));
      i += len;
      tokens.push_back(std::move(token));
      continue;
    }
    if (isIdentStart(c)) {
      size_t j = i;
      while (j < s.size() && isIdentPart(s[j])) ++j;
      token.text = std::string(s.substr(i, j - i));
      token.kind = wordToken(token.text);
      i = j;
      tokens.push_back(std::move(token));
      continue;
    }
    if (c == '"' || c == '\'') {
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        char d = s[j];
        // Raw line terminators (including U+2028/U+2029) may not appear in a literal.
        bool lineBreak =
            d == '\n' || d == '\r' ||
            (s.compare(j, 3, "\xE2\x80\xA8") == 0 || s.compare(j, 3, "\xE2\x80\xA9") == 0);
        if (lineBreak) break;
        if (d == c) {
          closed = true;
          break;
        }
        if (d == '\\') {
          if (j + 1 >= s.size()) break;
          char e = s[j + 1];
          if (e == '\n' || e == '\r' || s.compare(j + 1, 3, "\xE2\x80\xA8") == 0 ||
              s.compare(j + 1, 3, "\xE2\x80\xA9") == 0) {
            break;
          }
          j += 2;
          continue;
        }
        ++j;
      }
      if (!closed) return lexError(i);
      token.kind = Tok::String;
      token.text = unescapeString(s.substr(i + 1, j - i - 1), c);
      i = j + 1;
      tokens.push_back(std::move(token));
      continue;
    }
    static const std::pair<std::string_view, Tok> kSymbols[] = {
        {"?:", Tok::Elvis},
        {"&&", Tok::And},
        {"||", Tok::Or},
        {"==", Tok::Eq},
        {"!=", Tok::Ne},
        {"=~", Tok::RegexMatch},
        {"!~", Tok::RegexNoMatch},
        {">=", Tok::Ge},
        {"<=", Tok::Le},
        {"(", Tok::LParen},
        {")", Tok::RParen},
        {"{", Tok::LCurly},
        {"}", Tok::RCurly},
        {"[", Tok::LBracket},
        {"]", Tok::RBracket},
        {";", Tok::Semicolon},
        {":", Tok::Colon},
        {",", Tok::Comma},
        {".", Tok::Dot},
        {"?", Tok::QMark},
        {">", Tok::Gt},
        {"<", Tok::Lt},
        {"=", Tok::Assign},
        {"%", Tok::Mod},
        {"/", Tok::Div},
        {"!", Tok::Not},
        {"+", Tok::Plus},
        {"-", Tok::Minus},
        {"*", Tok::Mult},
        {"~", Tok::Tilde},
        {"&", Tok::BitAnd},
        {"|", Tok::BitOr},
        {"^", Tok::BitXor},
    };
    bool matched = false;
    for (const auto& [text, kind] : kSymbols) {
      if (s.compare(i, text.size(), text) == 0) {
        token.kind = kind;
        token.text = std::string(text);
        i += text.size();
        matched = true;
        break;
      }
    }
    if (!matched) return lexError(i);
    tokens.push_back(std::move(token));
  }
  Token end;
  end.kind = Tok::End;
  end.pos = s.size();
  tokens.push_back(end);
  return tokens;
}

// ----------------------------------------------------------------------------------------------
// Parser: builds a small AST; left-associative operator runs are kept flat so that evaluation
// depth is bounded by the nesting depth, which the parser limits.

struct Node;
using NodePtr = std::unique_ptr<Node>;

enum class NodeKind {
  Literal,
  Variable,  // an identifier or ant-style dotted name: always null in an empty context
  Ternary,
  Elvis,
  Or,     // flat run of ||
  And,    // flat run of &&
  BitOr,  // flat runs of | ^ &
  BitXor,
  BitAnd,
  Compare,   // one == != < > <= >=
  Additive,  // flat run of + and -
  Multiplicative,
  Negate,
  Complement,
  Not,
};

struct Node {
  NodeKind kind = NodeKind::Literal;
  Value literal;
  std::vector<NodePtr> children;
  std::vector<Tok> ops;  // operator between children[i] and children[i + 1]
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // Returns the first statement (nullptr for an empty script); error() is set on failure.
  NodePtr parseScript() {
    NodePtr first;
    bool haveFirst = false;
    while (!failed() && peek().kind != Tok::End) {
      if (accept(Tok::Semicolon)) continue;
      if (peek().kind == Tok::Keyword || peek().kind == Tok::LCurly) {
        unsupported(peek());
        return nullptr;
      }
      NodePtr expr = parseExpression();
      if (!expr) return nullptr;
      if (peek().kind != Tok::Semicolon && peek().kind != Tok::End) {
        fail(isExpressionStart(peek().kind) ? "Ambiguous statement, missing ';' between expressions"
                                            : "parse error",
             peek());
        return nullptr;
      }
      if (!haveFirst) {
        first = std::move(expr);
        haveFirst = true;
      }
    }
    return failed() ? nullptr : std::move(first);
  }

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }

 private:
  const Token& peek(size_t ahead = 0) const {
    size_t index = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[index];
  }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool accept(Tok kind) {
    if (peek().kind != kind) return false;
    next();
    return true;
  }
  static bool isExpressionStart(Tok kind) {
    switch (kind) {
      case Tok::Integer:
      case Tok::Float:
      case Tok::String:
      case Tok::Identifier:
      case Tok::True:
      case Tok::False:
      case Tok::Null:
      case Tok::LParen:
      case Tok::Minus:
      case Tok::Not:
      case Tok::Tilde:
        return true;
      default:
        return false;
    }
  }

  std::nullptr_t fail(const std::string& what, const Token& at) {
    if (!error_) {
      std::string near = at.kind == Tok::End ? "end of expression" : "'" + at.text + "'";
      error_ = Error{what + " at position " + std::to_string(at.pos) + " near " + near};
    }
    return nullptr;
  }
  std::nullptr_t unsupported(const Token& at) {
    return fail("unsupported JEXL construct (only side-effect free expressions are evaluated)", at);
  }

  static NodePtr makeNode(NodeKind kind) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    return node;
  }

  // Guards recursion (parentheses, unary operators, ternaries) against stack exhaustion.
  struct DepthGuard {
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    int& depth_;
  };

  NodePtr parseExpression() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNesting) return fail("expression nested too deeply", peek());
    NodePtr condition = parseOr();
    if (!condition) return nullptr;
    NodePtr result;
    if (accept(Tok::QMark)) {
      NodePtr whenTrue = parseExpression();
      if (!whenTrue) return nullptr;
      if (!accept(Tok::Colon)) return fail("parse error, expected ':'", peek());
      NodePtr whenFalse = parseExpression();
      if (!whenFalse) return nullptr;
      result = makeNode(NodeKind::Ternary);
      result->children.push_back(std::move(condition));
      result->children.push_back(std::move(whenTrue));
      result->children.push_back(std::move(whenFalse));
    } else if (accept(Tok::Elvis)) {
      NodePtr otherwise = parseExpression();
      if (!otherwise) return nullptr;
      result = makeNode(NodeKind::Elvis);
      result->children.push_back(std::move(condition));
      result->children.push_back(std::move(otherwise));
    } else {
      result = std::move(condition);
    }
    // An assignment would write into the (throw-away) context; not supported.
    if (peek().kind == Tok::Assign) return unsupported(peek());
    return result;
  }

  template <typename Sub>
  NodePtr parseRun(NodeKind kind, std::initializer_list<Tok> operators, Sub sub) {
    NodePtr first = (this->*sub)();
    if (!first) return nullptr;
    NodePtr run;
    while (true) {
      Tok kindAhead = peek().kind;
      bool isOp = false;
      for (Tok op : operators) isOp = isOp || op == kindAhead;
      if (!isOp) break;
      next();
      NodePtr operand = (this->*sub)();
      if (!operand) return nullptr;
      if (!run) {
        run = makeNode(kind);
        run->children.push_back(std::move(first));
      }
      run->ops.push_back(kindAhead);
      run->children.push_back(std::move(operand));
    }
    return run ? std::move(run) : std::move(first);
  }

  NodePtr parseOr() { return parseRun(NodeKind::Or, {Tok::Or}, &Parser::parseAnd); }
  NodePtr parseAnd() { return parseRun(NodeKind::And, {Tok::And}, &Parser::parseBitOr); }
  NodePtr parseBitOr() { return parseRun(NodeKind::BitOr, {Tok::BitOr}, &Parser::parseBitXor); }
  NodePtr parseBitXor() { return parseRun(NodeKind::BitXor, {Tok::BitXor}, &Parser::parseBitAnd); }
  NodePtr parseBitAnd() {
    return parseRun(NodeKind::BitAnd, {Tok::BitAnd}, &Parser::parseEquality);
  }

  // JEXL's equality and relational levels are not associative: at most one operator each.
  NodePtr parseEquality() {
    NodePtr left = parseRelational();
    if (!left) return nullptr;
    Tok op = peek().kind;
    if (op != Tok::Eq && op != Tok::Ne) return left;
    next();
    NodePtr right = parseRelational();
    if (!right) return nullptr;
    return makeCompare(op, std::move(left), std::move(right));
  }

  NodePtr parseRelational() {
    NodePtr left = parseAdditive();
    if (!left) return nullptr;
    Tok op = peek().kind;
    if (op == Tok::RegexMatch || op == Tok::RegexNoMatch) return unsupported(peek());
    if (op != Tok::Lt && op != Tok::Gt && op != Tok::Le && op != Tok::Ge) return left;
    next();
    NodePtr right = parseAdditive();
    if (!right) return nullptr;
    return makeCompare(op, std::move(left), std::move(right));
  }

  static NodePtr makeCompare(Tok op, NodePtr left, NodePtr right) {
    NodePtr node = makeNode(NodeKind::Compare);
    node->ops.push_back(op);
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    return node;
  }

  NodePtr parseAdditive() {
    return parseRun(NodeKind::Additive, {Tok::Plus, Tok::Minus}, &Parser::parseMultiplicative);
  }
  NodePtr parseMultiplicative() {
    return parseRun(NodeKind::Multiplicative, {Tok::Mult, Tok::Div, Tok::Mod}, &Parser::parseUnary);
  }

  NodePtr parseUnary() {
    Tok op = peek().kind;
    if (op == Tok::Minus || op == Tok::Tilde || op == Tok::Not) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxNesting) return fail("expression nested too deeply", peek());
      next();
      NodePtr operand = parseUnary();
      if (!operand) return nullptr;
      NodePtr node = makeNode(op == Tok::Minus   ? NodeKind::Negate
                              : op == Tok::Tilde ? NodeKind::Complement
                                                 : NodeKind::Not);
      node->children.push_back(std::move(operand));
      return node;
    }
    return parsePrimary();
  }

  NodePtr literal(Value v) {
    NodePtr node = makeNode(NodeKind::Literal);
    node->literal = std::move(v);
    return node;
  }

  // ASTNumberLiteral.setNatural / setReal.
  NodePtr numberLiteral(const Token& t) {
    std::string s = t.text;
    char last = s.back();
    if (t.kind == Tok::Integer) {
      Int128 value = 0;
      if (last == 'l' || last == 'L' || last == 'h' || last == 'H') {
        std::string digits = s.substr(0, s.size() - 1);
        if (!parseSignedInteger(digits, value)) return fail("invalid number literal", t);
        if (last == 'h' || last == 'H') return literal(Value::ofInteger(Type::BigInteger, value));
        if (value > std::numeric_limits<int64_t>::max()) return fail("invalid number literal", t);
        return literal(Value::ofInteger(Type::Long, value));
      }
      // Integer.valueOf / Long.valueOf read decimal digits; "0x.." cannot be read by either.
      if (!parseSignedInteger(s, value) || value > std::numeric_limits<int64_t>::max()) {
        return fail("invalid number literal (java.lang.NumberFormatException)", t);
      }
      if (value <= std::numeric_limits<int32_t>::max()) {
        return literal(Value::ofInteger(Type::Integer, value));
      }
      return literal(Value::ofInteger(Type::Long, value));
    }
    if (last == 'b' || last == 'B') return unsupported(t);  // BigDecimal literal
    if (last == 'd' || last == 'D') {
      double d = 0;
      if (!parseJavaDouble(s, d)) return fail("invalid number literal", t);
      return literal(Value::ofDouble(d));
    }
    std::string digits = (last == 'f' || last == 'F') ? s.substr(0, s.size() - 1) : s;
    float f = std::strtof(digits.c_str(), nullptr);
    return literal(Value::ofFloat(f));
  }

  NodePtr parsePrimary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::Integer:
      case Tok::Float:
        next();
        return numberLiteral(t);
      case Tok::True:
        next();
        return literal(Value::ofBool(true));
      case Tok::False:
        next();
        return literal(Value::ofBool(false));
      case Tok::Null:
        next();
        return literal(Value::null());
      case Tok::String: {
        next();
        if (peek().kind == Tok::Dot || peek().kind == Tok::LBracket) return unsupported(peek());
        return literal(Value::ofString(t.text));
      }
      case Tok::Identifier:
        return parseReference();
      case Tok::LParen: {
        next();
        NodePtr inner = parseExpression();
        if (!inner) return nullptr;
        if (!accept(Tok::RParen)) return fail("parse error, expected ')'", peek());
        if (peek().kind == Tok::Dot || peek().kind == Tok::LBracket) return unsupported(peek());
        return inner;
      }
      case Tok::Keyword:
      case Tok::LCurly:
      case Tok::LBracket:
        return unsupported(t);
      default:
        return fail("parse error", t);
    }
  }

  // identifier ( '.' (identifier | integer | string) )*: an ant-style variable name. Calls,
  // namespace functions and index access are rejected.
  NodePtr parseReference() {
    next();  // identifier
    if (peek().kind == Tok::LParen || peek().kind == Tok::LBracket) return unsupported(peek());
    if (peek().kind == Tok::Colon && peek(1).kind == Tok::Identifier &&
        peek(2).kind == Tok::LParen) {
      return unsupported(peek());
    }
    while (peek().kind == Tok::Dot) {
      next();
      const Token& part = peek();
      if (part.kind == Tok::Identifier) {
        next();
        if (peek().kind == Tok::LParen || peek().kind == Tok::LBracket) {
          return unsupported(peek());
        }
      } else if (part.kind == Tok::Integer || part.kind == Tok::String) {
        next();
      } else if (part.kind == Tok::Keyword) {
        return unsupported(part);
      } else {
        return fail("parse error", part);
      }
    }
    return makeNode(NodeKind::Variable);
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::optional<Error> error_;
};

// ----------------------------------------------------------------------------------------------
// Interpreter.

Error failureError(const Failure& f, const char* context) {
  if (f.fault == Fault::NumberFormat) return Error{f.message};
  return Error{std::string(context) + ": " + f.message};
}

Result<Value> evaluate(const Node& node);

Result<Value> evaluateCompare(const Node& node) {
  Result<Value> left = evaluate(*node.children[0]);
  if (!left) return left;
  Result<Value> right = evaluate(*node.children[1]);
  if (!right) return right;
  const Value& l = *left;
  const Value& r = *right;
  Tok op = node.ops[0];
  bool result = false;
  Failure failure;
  const char* name = "";
  switch (op) {
    case Tok::Eq:
    case Tok::Ne:
      name = op == Tok::Eq ? "== error" : "!= error";
      failure = equalsOp(l, r, result);
      if (op == Tok::Ne) result = !result;
      break;
    default: {
      name = op == Tok::Lt   ? "< error"
             : op == Tok::Gt ? "> error"
             : op == Tok::Le ? "<= error"
                             : ">= error";
      bool orEqual = op == Tok::Le || op == Tok::Ge;
      if (l.isNull() && r.isNull()) {
        result = orEqual;  // the identity shortcut (left == right) of JexlArithmetic
      } else if (l.isNull() || r.isNull()) {
        result = false;
      } else {
        int c = 0;
        const char* symbol = op == Tok::Lt   ? "<"
                             : op == Tok::Gt ? ">"
                             : op == Tok::Le ? "<="
                                             : ">=";
        failure = compare(l, r, symbol, c);
        result = op == Tok::Lt ? c < 0 : op == Tok::Gt ? c > 0 : op == Tok::Le ? c <= 0 : c >= 0;
      }
      break;
    }
  }
  if (failure.fault != Fault::None) return failureError(failure, name);
  return Value::ofBool(result);
}

Result<Value> evaluate(const Node& node) {
  switch (node.kind) {
    case NodeKind::Literal:
      return node.literal;
    case NodeKind::Variable:
      return Value::null();
    case NodeKind::Ternary: {
      Result<Value> condition = evaluate(*node.children[0]);
      if (!condition) return condition;
      bool truthy = !condition->isNull() && toBoolean(*condition);
      return evaluate(*node.children[truthy ? 1 : 2]);
    }
    case NodeKind::Elvis: {
      Result<Value> condition = evaluate(*node.children[0]);
      if (!condition) return condition;
      if (!condition->isNull() && toBoolean(*condition)) return condition;
      return evaluate(*node.children[1]);
    }
    case NodeKind::Or:
    case NodeKind::And: {
      bool isOr = node.kind == NodeKind::Or;
      for (const NodePtr& child : node.children) {
        Result<Value> v = evaluate(*child);
        if (!v) return v;
        if (toBoolean(*v) == isOr) return Value::ofBool(isOr);
      }
      return Value::ofBool(!isOr);
    }
    case NodeKind::BitOr:
    case NodeKind::BitXor:
    case NodeKind::BitAnd: {
      Result<Value> acc = evaluate(*node.children[0]);
      if (!acc) return acc;
      Value current = std::move(*acc);
      for (size_t i = 1; i < node.children.size(); ++i) {
        Result<Value> rhs = evaluate(*node.children[i]);
        if (!rhs) return rhs;
        int64_t a = 0;
        int64_t b = 0;
        if (Failure f = toLong(current, a); f.fault != Fault::None)
          return failureError(f, "bitwise error");
        if (Failure f = toLong(*rhs, b); f.fault != Fault::None)
          return failureError(f, "bitwise error");
        int64_t r = node.kind == NodeKind::BitOr    ? (a | b)
                    : node.kind == NodeKind::BitXor ? (a ^ b)
                                                    : (a & b);
        current = Value::ofInteger(Type::Long, r);
      }
      return current;
    }
    case NodeKind::Compare:
      return evaluateCompare(node);
    case NodeKind::Additive:
    case NodeKind::Multiplicative: {
      Result<Value> acc = evaluate(*node.children[0]);
      if (!acc) return acc;
      Value current = std::move(*acc);
      for (size_t i = 1; i < node.children.size(); ++i) {
        Result<Value> rhs = evaluate(*node.children[i]);
        if (!rhs) return rhs;
        Tok op = node.ops[i - 1];
        Op result;
        const char* name = "+/- error";
        switch (op) {
          case Tok::Plus:
            result = add(current, *rhs);
            break;
          case Tok::Minus:
            result = arithmetic(ArithOp::Subtract, current, *rhs);
            break;
          case Tok::Mult:
            name = "* error";
            result = arithmetic(ArithOp::Multiply, current, *rhs);
            break;
          case Tok::Div:
          case Tok::Mod:
            name = op == Tok::Div ? "divide error" : "% error";
            result = arithmetic(op == Tok::Div ? ArithOp::Divide : ArithOp::Mod, current, *rhs);
            // The lenient interpreter turns an ArithmeticException of / and % into 0.0.
            if (result.failure.fault == Fault::Arithmetic) result = Op::of(Value::ofDouble(0.0));
            break;
          default:
            return Error{"unknown operator"};
        }
        if (result.failed()) return failureError(result.failure, name);
        current = std::move(result.value);
      }
      return current;
    }
    case NodeKind::Negate: {
      Result<Value> v = evaluate(*node.children[0]);
      if (!v) return v;
      Op result = negate(*v);
      if (result.failed()) return failureError(result.failure, "arithmetic error");
      return std::move(result.value);
    }
    case NodeKind::Complement: {
      Result<Value> v = evaluate(*node.children[0]);
      if (!v) return v;
      int64_t a = 0;
      if (Failure f = toLong(*v, a); f.fault != Fault::None) return failureError(f, "~ error");
      return Value::ofInteger(Type::Long, ~a);
    }
    case NodeKind::Not: {
      Result<Value> v = evaluate(*node.children[0]);
      if (!v) return v;
      return Value::ofBool(!toBoolean(*v));
    }
  }
  return Error{"unknown node"};
}

}  // namespace

std::string javaDoubleToString(double value) { return javaFloatingToString(value); }
std::string javaFloatToString(float value) { return javaFloatingToString(value); }

Result<std::optional<std::string>> evaluateJexlExpression(std::string_view expression) {
  Result<std::vector<Token>> tokens = tokenize(expression);
  if (!tokens) return tokens.error();
  Parser parser(std::move(*tokens));
  NodePtr root = parser.parseScript();
  if (parser.failed()) return parser.error();
  if (!root) return std::optional<std::string>();  // an empty script evaluates to null
  Result<Value> value = evaluate(*root);
  if (!value) return value.error();
  if (value->isNull()) return std::optional<std::string>();
  return std::optional<std::string>(javaToString(*value));
}

}  // namespace azx
