#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/span.h"

namespace roost::api::internal {

// SpanJson as a value, to embed in larger bodies.
nlohmann::ordered_json SpanValue(const Span& span);

// Serializes `value` compactly; invalid UTF-8 is replaced, never thrown on.
std::string Dump(const nlohmann::ordered_json& value);

}  // namespace roost::api::internal
