//===- StrictJson.h - the runtime's JSON parser -----------------*- C++ -*-===//
//
// Plain C++ (no LLVM or MLIR): the runtime cannot use llvm::json, and its
// checkpoint reader (SafeTensorsReader.cpp) parses headers that are
// untrusted input. So this is a small recursive-descent parser of RFC 8259
// JSON in UTF-8 and nothing more (no comments, trailing commas, NaN, or
// duplicate keys, which would make a header mean two things), bounded in
// nesting depth. A number keeps whether it was written as an integer and
// its exact value below 2^64: offsets can exceed a double's 53-bit
// mantissa, so numbers are never converted through floating point.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNTIME_STRICTJSON_H
#define ATTN_LIB_RUNTIME_STRICTJSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn::rt::json {

/// A parsed JSON value. An object keeps its members in file order as two
/// parallel vectors (a member struct holding a Value could not be declared
/// inside Value).
struct Value {
  enum Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Null;
  bool boolean = false;
  /// For a number: whether it has no fraction or exponent, its sign, and
  /// its magnitude, exact unless `tooLarge` (at least 2^64).
  bool integral = false;
  bool negative = false;
  bool tooLarge = false;
  uint64_t magnitude = 0;
  /// A string's value, or a number's text as written (for messages).
  std::string text;
  std::vector<Value> items;
  std::vector<std::string> keys;
  std::vector<Value> values;

  /// The member called `key` of an object, or nullptr. A linear search:
  /// callers look up a few keys of small objects and iterate large ones.
  const Value *get(const std::string &key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key)
        return &values[i];
    return nullptr;
  }
};

/// Parses all of `text` as one JSON value (with surrounding white space)
/// into `root`. On failure returns false, with the byte it failed at in
/// `errorOffset` and why in `error`.
bool parse(const std::string &text, Value &root, size_t &errorOffset,
           std::string &error);

/// `text` in quotes, with control characters escaped and long text cut, so
/// that a corrupt name cannot garble a message.
std::string quote(const std::string &text);

/// A short description of `v` for messages: a number as written, a string
/// quoted, anything else by kind.
std::string describe(const Value &v);

/// Why `v` is not an integer in [0, max], or "" (and sets `out`). `-0` is
/// zero.
std::string getUnsigned(const Value &v, uint64_t max, uint64_t &out);

} // namespace mlir::attn::rt::json

#endif // ATTN_LIB_RUNTIME_STRICTJSON_H
