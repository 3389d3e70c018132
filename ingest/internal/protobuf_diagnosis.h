#pragma once

#include <string>
#include <string_view>

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace roost::ingest::internal {

// Explains why `data` does not parse as a `message` by walking its wire format against the
// schema: the first truncated or overlong varint, length running past its message, invalid wire
// type, field number 0, string field that is not valid UTF-8, or nesting deeper than
// `max_depth`, with its byte offset. Returns "" when it finds none of those (e.g. the data uses
// groups). Meant for the error path only: it is simple rather than fast. Thread-safe.
std::string DiagnoseProtobuf(std::string_view data, const google::protobuf::Descriptor* message,
                             int max_depth);

}  // namespace roost::ingest::internal
