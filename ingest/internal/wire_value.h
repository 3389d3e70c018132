#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/span.h"

namespace roost::ingest::internal {

struct WireKeyValue;

// An OTLP AnyValue as read from the wire, before it becomes roost attributes. Plain value type.
struct WireValue {
  enum class Type : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kBytes, kArray, kKvlist };

  Type type = Type::kEmpty;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::string string_value;  // kString: the text; kBytes: the raw bytes
  std::vector<WireValue> array;
  std::vector<WireKeyValue> kvlist;
};

struct WireKeyValue {
  std::string key;
  WireValue value;
};

// Appends the attribute(s) that `key` = `value` becomes to `out`, consuming `value`:
//   empty -> std::monostate; string, bool, int, double -> as they are;
//   bytes -> their standard base64 text (a string attribute);
//   kvlist -> flattened: one attribute per leaf, keys joined with '.' ("a.b.c"); an empty kvlist
//             adds nothing;
//   array  -> a homogeneous array: all strings, all bools, all ints, or all numbers (ints and
//             doubles mixed become doubles); an empty array is an empty string array; any other
//             mix becomes a string array of each element's text (bytes as base64, nested arrays
//             and kvlists as compact JSON, an empty value as "").
// Recursion follows the nesting of `value`, which the decoders bound.
void AppendAttribute(std::string key, WireValue&& value, Attributes* out);

}  // namespace roost::ingest::internal
