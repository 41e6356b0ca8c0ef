//===- Json.cpp - Minimal JSON values, parser and writer helpers ----------===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//

#include "flops/Runtime/Json.h"

#include <charconv>
#include <cmath>
#include <new>

using namespace flops::rt;

namespace {

constexpr int kMaxDepth = 64;

class Parser {
public:
  explicit Parser(std::string_view s) : s(s) {}

  bool parseDocument(JsonValue *out) {
    skipWs();
    if (!parseValue(out, 0))
      return false;
    skipWs();
    if (pos != s.size())
      return fail("unexpected content after the JSON value");
    return true;
  }

  std::string error;

private:
  std::string_view s;
  size_t pos = 0;

  bool fail(const std::string &msg) {
    error = "at byte " + std::to_string(pos) + ": " + msg;
    return false;
  }

  void skipWs() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }

  bool literal(std::string_view word) {
    if (s.substr(pos, word.size()) != word)
      return fail("invalid literal");
    pos += word.size();
    return true;
  }

  bool parseValue(JsonValue *out, int depth) {
    if (depth > kMaxDepth)
      return fail("nesting deeper than " + std::to_string(kMaxDepth));
    if (pos >= s.size())
      return fail("unexpected end of input, expected a value");
    char c = s[pos];
    *out = JsonValue();
    switch (c) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"':
      out->kind = JsonValue::Kind::String;
      return parseString(&out->text);
    case 't':
      out->kind = JsonValue::Kind::Bool;
      out->boolean = true;
      return literal("true");
    case 'f':
      out->kind = JsonValue::Kind::Bool;
      return literal("false");
    case 'n':
      return literal("null");
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return parseNumber(out);
      return fail(std::string("unexpected character '") +
                  (c >= 0x20 && c < 0x7f ? std::string(1, c) : "?") + "'");
    }
  }

  bool parseObject(JsonValue *out, int depth) {
    out->kind = JsonValue::Kind::Object;
    ++pos; // '{'
    skipWs();
    if (pos < s.size() && s[pos] == '}') {
      ++pos;
      return true;
    }
    for (;;) {
      skipWs();
      if (pos >= s.size() || s[pos] != '"')
        return fail("expected a member name string");
      std::string key;
      size_t keyPos = pos;
      if (!parseString(&key))
        return false;
      for (const std::string &k : out->keys)
        if (k == key) {
          pos = keyPos;
          return fail("duplicate member name \"" + key + "\"");
        }
      skipWs();
      if (pos >= s.size() || s[pos] != ':')
        return fail("expected ':' after a member name");
      ++pos;
      skipWs();
      out->keys.push_back(std::move(key));
      out->items.emplace_back();
      if (!parseValue(&out->items.back(), depth + 1))
        return false;
      skipWs();
      if (pos >= s.size())
        return fail("unexpected end of input inside an object");
      if (s[pos] == ',') {
        ++pos;
        continue;
      }
      if (s[pos] == '}') {
        ++pos;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool parseArray(JsonValue *out, int depth) {
    out->kind = JsonValue::Kind::Array;
    ++pos; // '['
    skipWs();
    if (pos < s.size() && s[pos] == ']') {
      ++pos;
      return true;
    }
    for (;;) {
      skipWs();
      out->items.emplace_back();
      if (!parseValue(&out->items.back(), depth + 1))
        return false;
      skipWs();
      if (pos >= s.size())
        return fail("unexpected end of input inside an array");
      if (s[pos] == ',') {
        ++pos;
        continue;
      }
      if (s[pos] == ']') {
        ++pos;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t *v) {
    if (s.size() - pos < 4)
      return fail("truncated \\u escape");
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s[pos + i];
      r <<= 4;
      if (c >= '0' && c <= '9')
        r |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        r |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        r |= uint32_t(c - 'A' + 10);
      else
        return fail("invalid hex digit in \\u escape");
    }
    pos += 4;
    *v = r;
    return true;
  }

  /// Length of the valid UTF-8 sequence starting at pos, 0 if invalid.
  size_t utf8Length() const {
    auto byte = [&](size_t i) -> uint8_t {
      return pos + i < s.size() ? uint8_t(s[pos + i]) : 0;
    };
    auto cont = [&](size_t i) { return (byte(i) & 0xC0) == 0x80; };
    uint8_t b0 = byte(0);
    if (b0 < 0x80)
      return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF)
      return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
      if (!cont(1) || !cont(2))
        return 0;
      if (b0 == 0xE0 && byte(1) < 0xA0)
        return 0; // Overlong.
      if (b0 == 0xED && byte(1) >= 0xA0)
        return 0; // Surrogate.
      return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
      if (!cont(1) || !cont(2) || !cont(3))
        return 0;
      if (b0 == 0xF0 && byte(1) < 0x90)
        return 0; // Overlong.
      if (b0 == 0xF4 && byte(1) >= 0x90)
        return 0; // Above U+10FFFF.
      return 4;
    }
    return 0;
  }

  bool parseString(std::string *out) {
    ++pos; // '"'
    out->clear();
    for (;;) {
      if (pos >= s.size())
        return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c < 0x20)
        return fail("unescaped control character in a string");
      if (c != '\\') {
        size_t n = utf8Length();
        if (n == 0)
          return fail("invalid UTF-8 in a string");
        out->append(s.substr(pos, n));
        pos += n;
        continue;
      }
      ++pos;
      if (pos >= s.size())
        return fail("unterminated escape");
      char e = s[pos++];
      switch (e) {
      case '"':
        *out += '"';
        break;
      case '\\':
        *out += '\\';
        break;
      case '/':
        *out += '/';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(&cp))
          return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return fail("unpaired low surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo = 0;
          if (s.substr(pos, 2) != "\\u")
            return fail("unpaired high surrogate in \\u escape");
          pos += 2;
          if (!hex4(&lo))
            return false;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return fail("unpaired high surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        appendUtf8(*out, cp);
        break;
      }
      default:
        --pos;
        return fail("invalid escape in a string");
      }
    }
  }

  bool parseNumber(JsonValue *out) {
    size_t start = pos;
    auto digit = [&] { return pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; };
    if (s[pos] == '-')
      ++pos;
    if (!digit())
      return fail("invalid number");
    if (s[pos] == '0') {
      ++pos;
    } else {
      while (digit())
        ++pos;
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      if (!digit())
        return fail("invalid number: expected digits after '.'");
      while (digit())
        ++pos;
    }
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
      ++pos;
      if (pos < s.size() && (s[pos] == '+' || s[pos] == '-'))
        ++pos;
      if (!digit())
        return fail("invalid number: expected exponent digits");
      while (digit())
        ++pos;
    }
    out->kind = JsonValue::Kind::Number;
    out->text = std::string(s.substr(start, pos - start));
    double v = 0;
    auto res = std::from_chars(out->text.data(), out->text.data() + out->text.size(), v);
    if (res.ec == std::errc::result_out_of_range) {
      // Overflow to infinity, underflow to zero, like strtod.
      bool neg = out->text[0] == '-';
      bool tiny = false;
      size_t ePos = out->text.find_first_of("eE");
      if (ePos != std::string::npos && out->text[ePos + 1] == '-')
        tiny = true;
      v = tiny ? (neg ? -0.0 : 0.0) : (neg ? -HUGE_VAL : HUGE_VAL);
    }
    out->number = v;
    return true;
  }
};

} // namespace

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key)
      return &items[i];
  return nullptr;
}

bool JsonValue::getUint64(uint64_t *value) const {
  if (kind != Kind::Number || text.empty())
    return false;
  for (char c : text)
    if (c < '0' || c > '9')
      return false;
  uint64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size())
    return false;
  *value = v;
  return true;
}

bool flops::rt::parseJson(std::string_view text, JsonValue *out,
                          std::string *error) {
  try {
    Parser p(text);
    if (!p.parseDocument(out)) {
      if (error)
        *error = p.error;
      return false;
    }
  } catch (const std::bad_alloc &) {
    if (error)
      *error = "out of memory parsing JSON";
    return false;
  }
  return true;
}

void flops::rt::appendJsonString(std::string &out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += ch;
      }
    }
  }
  out += '"';
}

std::string flops::rt::jsonString(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

std::string flops::rt::jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string flops::rt::jsonNumber(float v) {
  if (!std::isfinite(v))
    return "null";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}
