#include "ingest/internal/protobuf_diagnosis.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>

#include <google/protobuf/descriptor.h>

#include "storage/span.h"

namespace roost::ingest::internal {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Reads a varint of at most 10 bytes at data[*pos]; false if truncated or longer.
bool ReadVarint(std::string_view data, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 70 && *pos < data.size(); shift += 7) {
    const auto b = static_cast<unsigned char>(data[(*pos)++]);
    *value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

class Walker {
 public:
  explicit Walker(int max_depth) : max_depth_(max_depth) {}

  // Walks `data`, which starts at byte `base` of the body.
  std::string Walk(std::string_view data, const Descriptor* message, size_t base, int depth) {
    if (depth > max_depth_) {
      return "messages nested deeper than " + std::to_string(max_depth_) + " at byte " +
             std::to_string(base);
    }
    size_t pos = 0;
    while (pos < data.size()) {  // every pass advances pos
      const size_t at = base + pos;
      uint64_t tag = 0;
      if (!ReadVarint(data, &pos, &tag)) return "truncated field tag at byte " + Str(at);
      const uint64_t number = tag >> 3;
      const int wire_type = static_cast<int>(tag & 7);
      if (number == 0) return "field number 0 at byte " + Str(at);
      uint64_t value = 0;
      switch (wire_type) {
        case 0:
          if (!ReadVarint(data, &pos, &value)) return "truncated varint at byte " + Str(at);
          break;
        case 1:
        case 5: {
          const size_t width = wire_type == 1 ? 8 : 4;
          if (data.size() - pos < width) return "truncated fixed-width field at byte " + Str(at);
          pos += width;
          break;
        }
        case 2: {
          if (!ReadVarint(data, &pos, &value)) return "truncated length at byte " + Str(at);
          if (value > data.size() - pos) {
            return "length " + Str(value) + " at byte " + Str(at) + " runs past the end (" +
                   Str(data.size() - pos) + " bytes left)";
          }
          const std::string_view payload = data.substr(pos, value);
          std::string problem = Payload(payload, message, number, base + pos, depth);
          if (!problem.empty()) return problem;
          pos += value;
          break;
        }
        case 3:
        case 4:
          return "";  // groups: valid but not worth following here
        default:
          return "invalid wire type " + Str(wire_type) + " at byte " + Str(at);
      }
    }
    return "";
  }

 private:
  static std::string Str(uint64_t v) { return std::to_string(v); }

  std::string Payload(std::string_view payload, const Descriptor* message, uint64_t number,
                      size_t base, int depth) {
    const FieldDescriptor* field =
        message->FindFieldByNumber(static_cast<int>(std::min<uint64_t>(number, INT32_MAX)));
    if (field == nullptr) return "";
    if (field->type() == FieldDescriptor::TYPE_STRING && !roost::IsValidUtf8(payload)) {
      return "string field " + field->full_name() + " at byte " + Str(base) + " is not valid UTF-8";
    }
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      return Walk(payload, field->message_type(), base, depth + 1);
    }
    return "";
  }

  const int max_depth_;
};

}  // namespace

std::string DiagnoseProtobuf(std::string_view data, const Descriptor* message, int max_depth) {
  return Walker(max_depth).Walk(data, message, 0, 0);
}

}  // namespace roost::ingest::internal
