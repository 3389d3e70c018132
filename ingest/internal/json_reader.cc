#include "ingest/internal/json_reader.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ingest/internal/utf8.h"

namespace roost::ingest::internal {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// True when one of the 8 bytes of `w` ends a plain run of string characters: '"', '\\', a
// control character (< 0x20) or a non-ASCII byte (>= 0x80, checked separately for UTF-8).
bool HasSpecialByte(uint64_t w) {
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  // (x - 0x01..) & ~x & 0x80.. is non-zero iff some byte of x is zero (or, for `w - 0x20..`,
  // below 0x20); non-ASCII bytes are caught by `w & kHighs`.
  const uint64_t zero_quote = (quote - kOnes) & ~quote;
  const uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  const uint64_t control = (w - kOnes * 0x20) & ~w;
  return ((zero_quote | zero_backslash | control) & kHighs) != 0 || (w & kHighs) != 0;
}

constexpr std::array<bool, 256> MakePlainTable() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}
constexpr std::array<bool, 256> kPlain = MakePlainTable();

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool JsonReader::Fail(std::string_view what) {
  error_ = Status::InvalidArgument("invalid JSON at byte " + std::to_string(pos_) + ": " +
                                   std::string(what));
  return false;
}

bool JsonReader::ReadString(std::string& out) {
  const size_t start = ++pos_;  // after the opening quote
  const size_t n = text_.size();
  const char* data = text_.data();
  // Fast path: plain ASCII up to the closing quote, 8 bytes at a time.
  while (pos_ + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, data + pos_, 8);
    if (HasSpecialByte(w)) break;
    pos_ += 8;
  }
  while (pos_ < n && kPlain[static_cast<unsigned char>(data[pos_])]) ++pos_;
  if (pos_ < n && data[pos_] == '"') {
    out.assign(data + start, pos_ - start);
    ++pos_;
    return true;
  }
  out.assign(data + start, pos_ - start);
  return ReadStringSlow(out);
}

// Continues a string after its plain prefix: escapes, UTF-8 sequences, the closing quote.
bool JsonReader::ReadStringSlow(std::string& out) {
  const size_t n = text_.size();
  while (pos_ < n) {  // every pass consumes at least one byte or fails
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (kPlain[c]) {
      const size_t run = pos_;
      while (pos_ < n && kPlain[static_cast<unsigned char>(text_[pos_])]) ++pos_;
      out.append(text_.data() + run, pos_ - run);
    } else if (c == '"') {
      ++pos_;
      return true;
    } else if (c == '\\') {
      if (!ReadEscape(out)) return false;
    } else if (c < 0x20) {
      return Fail("control character in a string (escape it)");
    } else {
      const size_t len = Utf8SequenceLength(text_, pos_);
      if (len == 0) return Fail("invalid UTF-8 in a string");
      out.append(text_.data() + pos_, len);
      pos_ += len;
    }
  }
  return Fail("unterminated string");
}

bool JsonReader::ReadHex4(uint32_t* value) {
  if (text_.size() - pos_ < 4) return Fail("truncated \\u escape");
  *value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = text_[pos_++];
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return Fail("invalid \\u escape");
    *value = *value << 4 | static_cast<uint32_t>(digit);
  }
  return true;
}

// REQUIRES: text_[pos_] == '\\'
bool JsonReader::ReadEscape(std::string& out) {
  ++pos_;
  if (pos_ >= text_.size()) return Fail("unterminated string");
  const char c = text_[pos_++];
  switch (c) {
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u':
      break;
    default:
      return Fail("invalid escape in a string");
  }
  uint32_t cp = 0;
  if (!ReadHex4(&cp)) return false;
  if (cp >= 0xdc00 && cp <= 0xdfff) return Fail("unpaired low surrogate in a \\u escape");
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (text_.substr(pos_, 2) != "\\u") return Fail("unpaired high surrogate in a \\u escape");
    pos_ += 2;
    uint32_t low = 0;
    if (!ReadHex4(&low)) return false;
    if (low < 0xdc00 || low > 0xdfff) return Fail("unpaired high surrogate in a \\u escape");
    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
  }
  AppendUtf8(cp, out);
  return true;
}

bool JsonReader::ReadLiteral(std::string_view literal) {
  if (text_.substr(pos_, literal.size()) != literal) return Fail("invalid literal");
  pos_ += literal.size();
  return true;
}

bool JsonReader::ReadNumber(char* kind) {
  const size_t start = pos_;
  const size_t n = text_.size();
  const bool negative = text_[pos_] == '-';
  if (negative) ++pos_;
  if (pos_ >= n || !IsDigit(text_[pos_])) return Fail("invalid value");
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  bool is_float = false;
  if (pos_ < n && text_[pos_] == '.') {
    is_float = true;
    ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail("invalid number");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < n && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    is_float = true;
    ++pos_;
    if (pos_ < n && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail("invalid number");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (!is_float) {
    const auto r =
        negative ? std::from_chars(first, last, int_) : std::from_chars(first, last, uint_);
    if (r.ec == std::errc()) {
      *kind = negative ? 'i' : 'u';
      return true;
    }  // too large for 64 bits: read as a double below
  }
  *kind = 'd';
  const auto r = std::from_chars(first, last, double_);
  if (r.ec == std::errc()) return true;
  // Out of range: strtod tells overflow (infinite, refused) from underflow (0 or subnormal).
  const std::string copy(first, last);
  double_ = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(double_)) return Fail("number out of range");
  return true;
}

}  // namespace roost::ingest::internal
