#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace roost::internal {

// A stable 64-bit hash of (trace id, span id). Persisted in the kSpanHash column, so it must never
// change (std::hash would not do). Ids are random already; this mixes them (splitmix64 finalizer).
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline uint64_t LoadU64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t TraceHash(const std::array<uint8_t, 16>& trace) {
  return Mix64(LoadU64(trace.data()) ^ Mix64(LoadU64(trace.data() + 8) + 0x9e3779b97f4a7c15ULL));
}

inline uint64_t SpanHash(const std::array<uint8_t, 16>& trace, const std::array<uint8_t, 8>& span) {
  return Mix64(TraceHash(trace) ^ Mix64(LoadU64(span.data()) + 0x632be59bd9b4e019ULL));
}

}  // namespace roost::internal
