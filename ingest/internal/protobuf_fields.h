#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/span.h"

namespace roost::ingest::internal {

// How both protobuf paths (the wire reader and the libprotobuf messages) turn OTLP span fields
// into Span fields, so that they agree, problem messages included.

// Records a per-span problem in `error`; the first one wins.
inline void NoteProblem(std::string* error, std::string_view problem) {
  if (error->empty()) *error = problem;
}

// An id field: empty leaves `out` all zero (ValidateSpan reports it missing); any length but N
// is a problem naming `what`.
template <size_t N>
void ReadId(std::string_view bytes, std::array<uint8_t, N>* out, const char* what,
            std::string* error) {
  if (bytes.empty()) return;
  if (bytes.size() != N) {
    NoteProblem(error, std::string(what) + " must be " + std::to_string(N) + " bytes, got " +
                           std::to_string(bytes.size()));
    return;
  }
  std::memcpy(out->data(), bytes.data(), N);
}

// A fixed64 time: beyond int64 is a problem naming `what`, read as 0.
inline int64_t ReadTime(uint64_t nanos, const char* what, std::string* error) {
  if (nanos > static_cast<uint64_t>(INT64_MAX)) {
    NoteProblem(error, std::string(what) + " is out of range");
    return 0;
  }
  return static_cast<int64_t>(nanos);
}

// SpanKind and StatusCode numbers; unknown ones read as UNSPECIFIED / UNSET, as in Phoenix.
inline OtelSpanKind ReadKind(int kind) {
  return kind >= 0 && kind <= static_cast<int>(OtelSpanKind::kConsumer)
             ? static_cast<OtelSpanKind>(kind)
             : OtelSpanKind::kUnspecified;
}
inline StatusCode ReadStatusCode(int code) {
  return code == 1 ? StatusCode::kOk : code == 2 ? StatusCode::kError : StatusCode::kUnset;
}

}  // namespace roost::ingest::internal
