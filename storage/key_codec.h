#pragma once

// Every RocksDB key roost writes, in one place. All integers are big-endian so that the bytewise
// comparator orders keys as it orders their tuples.
//
//   family        key bytes                                                      value
//   ------------  -------------------------------------------------------------  ----------------
//   payload       | seq u64 | page u32 |                                          RecordPack
//   outbox        | seq u64 |                                                     OutboxValue
//   cols          | project u32 | bucket u32 | block u64 | column u8 |           ColumnChunk (fb)
//   blockmeta     | project u32 | bucket u32 | block u64 |                       BlockMeta (fb)
//   trace_idx     | trace id 16B | project u32 | bucket u32 | block u64 |        empty
//   session_idx   | project u32 | session u32 | bucket u32 | block u64 |         rows u32
//   agg           | project u32 | bucket u32 | dimension u8 | id u32 |          AggValue (fb)
//   dict          | kind u8 | string bytes... |                                  id u32
//                 | kind|0x80 u8 | id u32 |                                      string bytes
//   meta          | ascii name ... |                                              per name
//                 | "deadletter/" | index u64 |                                   DeadLetter
//
// seq numbers group commits; a payload page holds up to 256 whole span records of one commit, in
// arrival order, and is written once, by that commit (sealed blocks point at records by
// RecordRef). project, session and the ids in agg are dictionary ids (dict family); 0 = "none".
// bucket = start time in whole hours since the Unix epoch.
// OutboxValue = | rows u32 | min start i64 | (the commit's span count and earliest start; older
// entries hold the rows only). Outbox entries at or below the `outbox_cursor` meta value are
// acknowledged (and deleted). A DeadLetter value is | trace id 16B | span id 8B | at i64 |
// project length u32 | project | reason |.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "storage/column_view.h"

namespace roost::keys {

inline constexpr int64_t kBucketNanos = int64_t{3600} * 1000 * 1000 * 1000;

inline uint32_t BucketOf(int64_t unix_nano) {
  return static_cast<uint32_t>(unix_nano / kBucketNanos);
}
inline int64_t BucketStart(uint32_t bucket) { return static_cast<int64_t>(bucket) * kBucketNanos; }

inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}
inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}
// REQUIRES: p points at >= 4 (8) readable bytes.
inline uint32_t GetU32(const char* p) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}
inline uint64_t GetU64(const char* p) { return uint64_t{GetU32(p)} << 32 | GetU32(p + 4); }

// Aggregate dimensions. On disk: never renumber.
enum class AggDimension : uint8_t {
  kAll = 0,    // id is 0
  kModel = 1,  // id is a model dictionary id
  kName = 2,   // id is a name dictionary id
  kKind = 3,   // id is the SpanKind value
};

// (project, bucket, block): one sealed block.
struct BlockKey {
  uint32_t project = 0;
  uint32_t bucket = 0;
  uint64_t block = 0;
  auto operator<=>(const BlockKey&) const = default;
};

inline constexpr size_t kBlockKeySize = 16;

inline std::string EncodeBlockKey(const BlockKey& k) {
  std::string out;
  out.reserve(kBlockKeySize + 5);
  PutU32(&out, k.project);
  PutU32(&out, k.bucket);
  PutU64(&out, k.block);
  return out;
}
// REQUIRES: bytes.size() >= kBlockKeySize
inline BlockKey DecodeBlockKey(std::string_view bytes) {
  return BlockKey{GetU32(bytes.data()), GetU32(bytes.data() + 4), GetU64(bytes.data() + 8)};
}

inline std::string EncodeColumnKey(const BlockKey& k, uint8_t column) {
  std::string out = EncodeBlockKey(k);
  PutU8(&out, column);
  return out;
}
inline constexpr uint32_t kPayloadPageRows = 256;
inline constexpr size_t kPayloadKeySize = 12;
inline std::string EncodePayloadKey(uint64_t seq, uint32_t page) {
  std::string out;
  PutU64(&out, seq);
  PutU32(&out, page);
  return out;
}

// Where a span's whole record lives: commit seq (40 bits) and row within the commit (24 bits).
inline constexpr uint32_t kMaxCommitRows = 1u << 24;
inline uint64_t MakeRecordRef(uint64_t seq, uint32_t row) { return seq << 24 | row; }
inline uint64_t RecordRefSeq(uint64_t ref) { return ref >> 24; }
inline uint32_t RecordRefRow(uint64_t ref) { return static_cast<uint32_t>(ref & 0xffffff); }
// Prefix of every block key of `project` with bucket >= `bucket`.
inline std::string EncodeProjectBucketPrefix(uint32_t project, uint32_t bucket) {
  std::string out;
  PutU32(&out, project);
  PutU32(&out, bucket);
  return out;
}

inline std::string EncodeSeqKey(uint64_t seq) {
  std::string out;
  PutU64(&out, seq);
  return out;
}

inline constexpr const char* kDeadLetterPrefix = "deadletter/";
inline std::string EncodeDeadLetterKey(uint64_t index) {
  std::string out = kDeadLetterPrefix;
  PutU64(&out, index);
  return out;
}

inline constexpr size_t kTraceIndexKeySize = 32;
inline std::string EncodeTraceIndexKey(const std::array<uint8_t, 16>& trace, const BlockKey& k) {
  std::string out(reinterpret_cast<const char*>(trace.data()), trace.size());
  out += EncodeBlockKey(k);
  return out;
}

inline constexpr size_t kSessionIndexKeySize = 20;
inline std::string EncodeSessionIndexKey(uint32_t project, uint32_t session, uint32_t bucket,
                                         uint64_t block) {
  std::string out;
  PutU32(&out, project);
  PutU32(&out, session);
  PutU32(&out, bucket);
  PutU64(&out, block);
  return out;
}
inline std::string EncodeSessionPrefix(uint32_t project, uint32_t session) {
  std::string out;
  PutU32(&out, project);
  PutU32(&out, session);
  return out;
}

inline constexpr size_t kAggKeySize = 13;
inline std::string EncodeAggKey(uint32_t project, uint32_t bucket, AggDimension dim, uint32_t id) {
  std::string out;
  PutU32(&out, project);
  PutU32(&out, bucket);
  PutU8(&out, static_cast<uint8_t>(dim));
  PutU32(&out, id);
  return out;
}

inline std::string EncodeDictKey(DictKind kind, std::string_view s) {
  std::string out;
  PutU8(&out, static_cast<uint8_t>(kind));
  out.append(s);
  return out;
}
inline std::string EncodeDictReverseKey(DictKind kind, uint32_t id) {
  std::string out;
  PutU8(&out, static_cast<uint8_t>(kind) | 0x80);
  PutU32(&out, id);
  return out;
}
// The newest hour bucket of a row using a session or user id (format version 3).
inline std::string EncodeDictHourKey(DictKind kind, uint32_t id) {
  std::string out;
  PutU8(&out, static_cast<uint8_t>(kind) | 0x40);
  PutU32(&out, id);
  return out;
}
// The dictionary's own state, before every entry: the next id of each kind.
inline std::string DictNextIdsKey() { return std::string("\0n", 2); }

// Returns the key just past every key starting with `prefix` (for iterate_upper_bound), or
// nullopt when no such key exists (prefix all 0xff).
inline std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

}  // namespace roost::keys
