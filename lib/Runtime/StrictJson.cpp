//===- StrictJson.cpp - the runtime's JSON parser -------------------------===//
//
// See StrictJson.h for what it accepts and why.
//
//===----------------------------------------------------------------------===//

#include "StrictJson.h"

#include <cstring>
#include <limits>
#include <set>
#include <utility>

namespace mlir::attn::rt::json {

namespace {

/// Deeper JSON is refused so that a hostile header cannot exhaust the stack
/// of the recursive parser; real headers nest three levels.
constexpr int kMaxDepth = 64;

const char *kindName(Value::Kind kind) {
  switch (kind) {
  case Value::Null:
    return "null";
  case Value::Bool:
    return "a boolean";
  case Value::Number:
    return "a number";
  case Value::String:
    return "a string";
  case Value::Array:
    return "an array";
  case Value::Object:
    return "an object";
  }
  return "a value";
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Parser {
public:
  explicit Parser(const std::string &json) : text(json) {}

  /// Parses all of the text as one value (with surrounding white space).
  /// On failure, errorOffset() and errorMessage() say where and why.
  bool parse(Value &root) {
    skipSpace();
    if (!parseValue(root, 0))
      return false;
    skipSpace();
    if (pos != text.size())
      return expected("the end of the text after the JSON value");
    return true;
  }

  size_t errorOffset() const { return failOffset; }
  const std::string &errorMessage() const { return message; }

private:
  const std::string &text;
  size_t pos = 0;
  size_t failOffset = 0;
  std::string message;

  bool atEnd() const { return pos >= text.size(); }

  bool fail(const std::string &what) {
    failOffset = pos;
    message = what;
    return false;
  }

  std::string found() const {
    if (atEnd())
      return "the end of the text";
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x20 && c < 0x7f)
      return std::string("'") + static_cast<char>(c) + "'";
    static const char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 15];
  }

  bool expected(const std::string &what) {
    return fail("expected " + what + ", found " + found());
  }

  void skipSpace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (atEnd() || text[pos] != c)
      return false;
    ++pos;
    return true;
  }

  bool parseLiteral(const char *word) {
    size_t length = std::strlen(word);
    if (text.compare(pos, length, word) != 0)
      return expected("a value");
    pos += length;
    return true;
  }

  bool parseValue(Value &v, int depth) {
    if (atEnd())
      return expected("a value");
    char c = text[pos];
    switch (c) {
    case '{':
      return parseObject(v, depth + 1);
    case '[':
      return parseArray(v, depth + 1);
    case '"':
      v.kind = Value::String;
      return parseString(v.text);
    case 't':
      v.kind = Value::Bool;
      v.boolean = true;
      return parseLiteral("true");
    case 'f':
      v.kind = Value::Bool;
      return parseLiteral("false");
    case 'n':
      v.kind = Value::Null;
      return parseLiteral("null");
    default:
      if (c == '-' || isDigit(c))
        return parseNumber(v);
      return expected("a value");
    }
  }

  bool checkDepth(int depth) {
    if (depth > kMaxDepth)
      return fail("arrays and objects nested more than " +
                  std::to_string(kMaxDepth) + " deep");
    return true;
  }

  bool parseObject(Value &v, int depth) {
    if (!checkDepth(depth))
      return false;
    v.kind = Value::Object;
    ++pos;
    skipSpace();
    if (consume('}'))
      return true;
    std::set<std::string> seen;
    for (;;) {
      skipSpace();
      if (atEnd() || text[pos] != '"')
        return expected("a string key");
      size_t keyOffset = pos;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second) {
        pos = keyOffset;
        return fail("duplicate key " + quote(key));
      }
      skipSpace();
      if (!consume(':'))
        return expected("':' after an object key");
      skipSpace();
      v.keys.push_back(std::move(key));
      v.values.emplace_back();
      if (!parseValue(v.values.back(), depth))
        return false;
      skipSpace();
      if (consume('}'))
        return true;
      if (!consume(','))
        return expected("',' or '}' in an object");
    }
  }

  bool parseArray(Value &v, int depth) {
    if (!checkDepth(depth))
      return false;
    v.kind = Value::Array;
    ++pos;
    skipSpace();
    if (consume(']'))
      return true;
    for (;;) {
      skipSpace();
      v.items.emplace_back();
      if (!parseValue(v.items.back(), depth))
        return false;
      skipSpace();
      if (consume(']'))
        return true;
      if (!consume(','))
        return expected("',' or ']' in an array");
    }
  }

  /// The length of the well-formed UTF-8 sequence of two or more bytes at
  /// `pos`, or 0. Overlong forms, surrogates and code points above
  /// U+10FFFF are not well-formed.
  size_t utf8Length() const {
    auto byte = [&](size_t i) -> unsigned {
      return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i])
                                   : 0x100; // Matches no range below.
    };
    auto in = [](unsigned b, unsigned lo, unsigned hi) {
      return b >= lo && b <= hi;
    };
    unsigned b0 = byte(0);
    size_t length;
    unsigned lo = 0x80, hi = 0xbf; // The range of the second byte.
    if (in(b0, 0xc2, 0xdf)) {
      length = 2;
    } else if (in(b0, 0xe0, 0xef)) {
      length = 3;
      if (b0 == 0xe0)
        lo = 0xa0;
      else if (b0 == 0xed)
        hi = 0x9f;
    } else if (in(b0, 0xf0, 0xf4)) {
      length = 4;
      if (b0 == 0xf0)
        lo = 0x90;
      else if (b0 == 0xf4)
        hi = 0x8f;
    } else {
      return 0;
    }
    if (!in(byte(1), lo, hi))
      return 0;
    for (size_t i = 2; i < length; ++i)
      if (!in(byte(i), 0x80, 0xbf))
        return 0;
    return length;
  }

  bool parseHex4(uint32_t &value) {
    value = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      int digit = atEnd() ? -1 : hexValue(text[pos]);
      if (digit < 0)
        return expected("four hex digits after \\u");
      value = value * 16 + static_cast<uint32_t>(digit);
    }
    return true;
  }

  /// Decodes the escape at `pos` (a backslash) onto `out`. A \u escape of a
  /// UTF-16 surrogate pair becomes one code point; a lone surrogate has no
  /// UTF-8 form and is refused.
  bool parseEscape(std::string &out) {
    size_t start = pos++;
    if (atEnd())
      return fail("unterminated string");
    char c = text[pos++];
    switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      pos = start;
      return fail(std::string("invalid escape '\\") + c + "'");
    }
    uint32_t cp;
    if (!parseHex4(cp))
      return false;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      pos = start;
      return fail("\\u escape of a lone low surrogate");
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      uint32_t low;
      if (text.compare(pos, 2, "\\u") != 0)
        return expected("a \\u escape of a low surrogate after a high one");
      pos += 2;
      if (!parseHex4(low))
        return false;
      if (low < 0xdc00 || low > 0xdfff) {
        pos -= 6;
        return fail("\\u escape after a high surrogate is not a low one");
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    appendUtf8(out, cp);
    return true;
  }

  bool parseString(std::string &out) {
    ++pos;
    for (;;) {
      if (atEnd())
        return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (!parseEscape(out))
          return false;
      } else if (c < 0x20) {
        return fail("unescaped control character in a string");
      } else if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos;
      } else {
        size_t length = utf8Length();
        if (!length)
          return fail("invalid UTF-8 in a string");
        out.append(text, pos, length);
        pos += length;
      }
    }
  }

  bool parseNumber(Value &v) {
    size_t start = pos;
    v.kind = Value::Number;
    v.integral = true;
    if (consume('-'))
      v.negative = true;
    if (atEnd() || !isDigit(text[pos]))
      return expected("a digit");
    if (text[pos] == '0') {
      ++pos;
      if (!atEnd() && isDigit(text[pos]))
        return fail("leading zero in a number");
    } else {
      for (; !atEnd() && isDigit(text[pos]); ++pos) {
        unsigned digit = static_cast<unsigned>(text[pos] - '0');
        if (v.tooLarge ||
            v.magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10)
          v.tooLarge = true;
        else
          v.magnitude = v.magnitude * 10 + digit;
      }
    }
    if (consume('.')) {
      v.integral = false;
      if (atEnd() || !isDigit(text[pos]))
        return expected("a digit after '.'");
      while (!atEnd() && isDigit(text[pos]))
        ++pos;
    }
    if (!atEnd() && (text[pos] == 'e' || text[pos] == 'E')) {
      v.integral = false;
      ++pos;
      if (!consume('+'))
        consume('-');
      if (atEnd() || !isDigit(text[pos]))
        return expected("a digit in the exponent");
      while (!atEnd() && isDigit(text[pos]))
        ++pos;
    }
    v.text = text.substr(start, pos - start);
    return true;
  }
};

} // namespace

bool parse(const std::string &text, Value &root, size_t &errorOffset,
           std::string &error) {
  Parser parser(text);
  if (parser.parse(root))
    return true;
  errorOffset = parser.errorOffset();
  error = parser.errorMessage();
  return false;
}

std::string quote(const std::string &text) {
  constexpr size_t kMaxShown = 200;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown)
    out += "...";
  return out + "'";
}

std::string describe(const Value &v) {
  if (v.kind == Value::Number)
    return v.text.size() > 40 ? v.text.substr(0, 40) + "..." : v.text;
  if (v.kind == Value::String)
    return "the string " + quote(v.text);
  return kindName(v.kind);
}

std::string getUnsigned(const Value &v, uint64_t max, uint64_t &out) {
  if (v.kind != Value::Number || !v.integral)
    return describe(v) + ", not an integer";
  if (v.negative && (v.tooLarge || v.magnitude != 0))
    return describe(v) + ", a negative number";
  if (v.tooLarge || v.magnitude > max)
    return describe(v) + ", larger than " + std::to_string(max);
  out = v.magnitude;
  return "";
}

} // namespace mlir::attn::rt::json
