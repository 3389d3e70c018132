#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roost::ingest {

// Standard base64 (RFC 4648 section 4) with padding.
std::string Base64Encode(std::string_view bytes);

// Decodes standard or URL-safe base64, with or without padding, as protobuf's JSON parser
// accepts it. Returns nullopt for any other character or an impossible length.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace roost::ingest
