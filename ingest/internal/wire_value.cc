#include "ingest/internal/wire_value.h"

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "ingest/base64.h"
#include "ingest/internal/json_text.h"

namespace roost::ingest::internal {
namespace {

using Type = WireValue::Type;

void AppendJson(const WireValue& v, std::string* out) {
  switch (v.type) {
    case Type::kEmpty:
      out->append("null");
      return;
    case Type::kString:
      AppendJsonString(v.string_value, out);
      return;
    case Type::kBytes:
      AppendJsonString(Base64Encode(v.string_value), out);
      return;
    case Type::kBool:
      out->append(v.bool_value ? "true" : "false");
      return;
    case Type::kInt:
      out->append(std::to_string(v.int_value));
      return;
    case Type::kDouble:
      AppendJsonDouble(v.double_value, out);
      return;
    case Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(v.array[i], out);
      }
      out->push_back(']');
      return;
    case Type::kKvlist:
      out->push_back('{');
      for (size_t i = 0; i < v.kvlist.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(v.kvlist[i].key, out);
        out->push_back(':');
        AppendJson(v.kvlist[i].value, out);
      }
      out->push_back('}');
      return;
  }
}

// The text of one element of a mixed array.
std::string ElementText(WireValue&& v) {
  switch (v.type) {
    case Type::kEmpty:
      return "";
    case Type::kString:
      return std::move(v.string_value);
    case Type::kBytes:
      return Base64Encode(v.string_value);
    case Type::kBool:
      return v.bool_value ? "true" : "false";
    case Type::kInt:
      return std::to_string(v.int_value);
    case Type::kDouble: {
      char buf[32];
      const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.double_value);
      return std::string(buf, static_cast<size_t>(end - buf));
    }
    case Type::kArray:
    case Type::kKvlist:
      break;
  }
  std::string json;
  AppendJson(v, &json);
  return json;
}

template <typename T, typename Get>
std::vector<T> Collect(std::vector<WireValue>& values, Get get) {
  std::vector<T> out;
  out.reserve(values.size());
  for (WireValue& v : values) out.push_back(get(v));
  return out;
}

AttributeValue ArrayValue(std::vector<WireValue>&& values) {
  size_t strings = 0, bools = 0, ints = 0, doubles = 0;
  for (const WireValue& v : values) {
    strings += v.type == Type::kString;
    bools += v.type == Type::kBool;
    ints += v.type == Type::kInt;
    doubles += v.type == Type::kDouble;
  }
  const size_t n = values.size();
  if (n > 0 && bools == n) {
    return Collect<bool>(values, [](WireValue& v) { return v.bool_value; });
  }
  if (n > 0 && ints == n) {
    return Collect<int64_t>(values, [](WireValue& v) { return v.int_value; });
  }
  if (n > 0 && ints + doubles == n) {
    return Collect<double>(values, [](WireValue& v) {
      return v.type == Type::kInt ? static_cast<double>(v.int_value) : v.double_value;
    });
  }
  if (strings == n) {
    return Collect<std::string>(values, [](WireValue& v) { return std::move(v.string_value); });
  }
  return Collect<std::string>(values, [](WireValue& v) { return ElementText(std::move(v)); });
}

}  // namespace

void AppendAttribute(std::string key, WireValue&& value, Attributes* out) {
  switch (value.type) {
    case Type::kEmpty:
      out->push_back({std::move(key), std::monostate{}});
      return;
    case Type::kString:
      out->push_back({std::move(key), std::move(value.string_value)});
      return;
    case Type::kBytes:
      out->push_back({std::move(key), Base64Encode(value.string_value)});
      return;
    case Type::kBool:
      out->push_back({std::move(key), value.bool_value});
      return;
    case Type::kInt:
      out->push_back({std::move(key), value.int_value});
      return;
    case Type::kDouble:
      out->push_back({std::move(key), value.double_value});
      return;
    case Type::kArray:
      out->push_back({std::move(key), ArrayValue(std::move(value.array))});
      return;
    case Type::kKvlist:
      for (WireKeyValue& kv : value.kvlist) {
        AppendAttribute(key + "." + kv.key, std::move(kv.value), out);
      }
      return;
  }
}

}  // namespace roost::ingest::internal
