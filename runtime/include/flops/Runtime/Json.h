//===- Json.h - Minimal JSON values, parser and writer helpers --*- C++ -*-===//
//
// Part of the FLOPS-MLIR runtime.
//
//===----------------------------------------------------------------------===//
//
// Just enough JSON for safetensors headers and metrics lines (RFC 8259):
// a strict parser (UTF-8 validated, duplicate object keys and nesting deeper
// than 64 rejected, no trailing content other than whitespace) that keeps
// object members in file order and number literals as written, plus string
// and number formatting for writers.
//
//===----------------------------------------------------------------------===//

#ifndef FLOPS_RUNTIME_JSON_H
#define FLOPS_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flops {
namespace rt {

struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  /// Number: the value (nearest double).
  double number = 0;
  /// String: the decoded UTF-8 text. Number: the literal as written.
  std::string text;
  /// Array: the elements. Object: the member values, parallel to `keys`.
  std::vector<JsonValue> items;
  /// Object: the member names in file order (unique).
  std::vector<std::string> keys;

  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }
  bool isNumber() const { return kind == Kind::Number; }
  /// Object member by name; nullptr when absent or not an object.
  const JsonValue *find(std::string_view key) const;
  /// True when this is a number written as a plain non-negative integer
  /// (no sign, fraction or exponent) that fits in uint64.
  bool getUint64(uint64_t *value) const;
};

/// Parses one JSON document. On failure returns false with "at byte N: ..."
/// in *error; *out is then unspecified.
bool parseJson(std::string_view text, JsonValue *out,
               std::string *error = nullptr);

/// Appends `s` as a quoted JSON string ("\"", "\\" and control characters
/// escaped; other bytes copied).
void appendJsonString(std::string &out, std::string_view s);
std::string jsonString(std::string_view s);

/// Shortest text that parses back to the same value ("null" for NaN and
/// infinities, which JSON cannot represent).
std::string jsonNumber(double v);
std::string jsonNumber(float v);

} // namespace rt
} // namespace flops

#endif // FLOPS_RUNTIME_JSON_H
