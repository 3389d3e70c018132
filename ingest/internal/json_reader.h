#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace roost::ingest::internal {

// A strict, streaming JSON (RFC 8259) reader that hands events to a handler, without building a
// DOM. It exists for speed: nlohmann's SAX lexer alone runs at ~200 MB/s on OTLP bodies, below
// what ingest needs; this one scans strings 8 bytes at a time.
//
// Strictness matches nlohmann::json::accept: one value, surrounded by optional whitespace (and
// optionally preceded by a UTF-8 byte order mark); no
// comments, trailing commas, single quotes, NaN literals or leading zeros; strings must be valid
// UTF-8 without raw control characters, and escapes must pair surrogates. Numbers that do not fit
// a double (1e400) are refused. Duplicate keys are passed on as they come.
//
// The handler is any type with these members; each returns false to stop the read:
//   bool Null();  bool Bool(bool);  bool Int(int64_t);  bool Uint(uint64_t);  bool Double(double);
//   bool String(std::string& s);      // s may be moved from
//   bool Key(std::string_view key);   // valid only during the call
//   bool StartObject();  bool EndObject();  bool StartArray();  bool EndArray();
// Integers that fit int64 (negative) or uint64 (non-negative) arrive as Int/Uint, the rest as
// Double. Not thread-safe; one reader per text.
class JsonReader {
 public:
  // `text` must outlive the reader. At most `max_depth` objects and arrays may be open at once.
  JsonReader(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  // Reads the whole text. Returns true when it is one well-formed JSON value and the handler
  // accepted every event. On false, error() is kInvalidArgument ("invalid JSON at byte N: ...")
  // for a syntax problem or nesting deeper than max_depth, or OK if the handler stopped the read.
  template <typename Handler>
  bool Read(Handler& handler);

  const Status& error() const { return error_; }

 private:
  enum class State : uint8_t { kValue, kKey, kAfterValue };

  bool Fail(std::string_view what);
  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return;
      ++pos_;
    }
  }
  // REQUIRES: text_[pos_] == '"'. Reads the string into `out`.
  bool ReadString(std::string& out);
  bool ReadStringSlow(std::string& out);
  bool ReadEscape(std::string& out);
  bool ReadHex4(uint32_t* value);
  // Reads a number; sets `kind` to 'i' (int_), 'u' (uint_) or 'd' (double_).
  bool ReadNumber(char* kind);
  bool ReadLiteral(std::string_view literal);

  template <typename Handler>
  bool Open(Handler& handler, char bracket);
  // REQUIRES: text_[pos_] closes the innermost open container.
  template <typename Handler>
  bool Close(Handler& handler);
  template <typename Handler>
  bool ReadKey(Handler& handler);
  template <typename Handler>
  bool ReadValue(Handler& handler, State* state);

  std::string_view text_;
  size_t pos_ = 0;
  const int max_depth_;
  Status error_;
  std::vector<char> open_;  // '{' or '[' per open container
  std::string string_;      // scratch for string values
  std::string key_;         // scratch for keys
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
};

template <typename Handler>
bool JsonReader::Open(Handler& handler, char bracket) {
  if (static_cast<int>(open_.size()) >= max_depth_) {
    error_ = Status::InvalidArgument("JSON nested deeper than " + std::to_string(max_depth_) +
                                     " levels at byte " + std::to_string(pos_));
    return false;
  }
  open_.push_back(bracket);
  ++pos_;
  return bracket == '{' ? handler.StartObject() : handler.StartArray();
}

template <typename Handler>
bool JsonReader::Close(Handler& handler) {
  const char bracket = open_.back();
  open_.pop_back();
  ++pos_;
  return bracket == '{' ? handler.EndObject() : handler.EndArray();
}

template <typename Handler>
bool JsonReader::ReadKey(Handler& handler) {
  if (text_[pos_] != '"') return Fail("expected a string key");
  if (!ReadString(key_) || !handler.Key(key_)) return false;
  SkipWhitespace();
  if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("expected ':'");
  ++pos_;
  SkipWhitespace();
  return true;
}

template <typename Handler>
bool JsonReader::ReadValue(Handler& handler, State* state) {
  const char c = text_[pos_];
  switch (c) {
    case '{':
    case '[':
      if (!Open(handler, c)) return false;
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == (c == '{' ? '}' : ']')) return Close(handler);
      *state = c == '{' ? State::kKey : State::kValue;
      return true;
    case '"':
      return ReadString(string_) && handler.String(string_);
    case 't':
      return ReadLiteral("true") && handler.Bool(true);
    case 'f':
      return ReadLiteral("false") && handler.Bool(false);
    case 'n':
      return ReadLiteral("null") && handler.Null();
    default: {
      char kind = 0;
      if (!ReadNumber(&kind)) return false;
      return kind == 'i'   ? handler.Int(int_)
             : kind == 'u' ? handler.Uint(uint_)
                           : handler.Double(double_);
    }
  }
}

template <typename Handler>
bool JsonReader::Read(Handler& handler) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a UTF-8 byte order mark, as nlohmann allows
  SkipWhitespace();
  State state = State::kValue;
  while (true) {  // every pass consumes at least one byte of text_ or fails
    if (pos_ >= text_.size()) return Fail("unexpected end of input");
    if (state == State::kKey) {
      if (!ReadKey(handler)) return false;
      state = State::kValue;
      continue;
    }
    if (state == State::kValue) {
      // ReadValue leaves `state` alone when a whole value was read; it sets kKey or kValue
      // when it opened a non-empty container.
      state = State::kAfterValue;
      if (!ReadValue(handler, &state)) return false;
      if (state != State::kAfterValue) continue;
    } else {  // kAfterValue: a ',' or the end of the innermost container
      const char bracket = open_.back();
      if (text_[pos_] == ',') {
        ++pos_;
        SkipWhitespace();
        state = bracket == '{' ? State::kKey : State::kValue;
        continue;
      }
      if (text_[pos_] != (bracket == '{' ? '}' : ']')) {
        return Fail(bracket == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      if (!Close(handler)) return false;
    }
    // A value or container just ended.
    SkipWhitespace();
    if (open_.empty()) {
      return pos_ == text_.size() || Fail("unexpected characters after the JSON value");
    }
  }
}

}  // namespace roost::ingest::internal
