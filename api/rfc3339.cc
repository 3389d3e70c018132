#include "api/rfc3339.h"

#include <chrono>
#include <cstdio>

namespace roost::api {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Reads `n` decimal digits at `*pos`; -1 when they are not all digits.
int Digits(std::string_view s, size_t* pos, size_t n) {
  if (*pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  return v;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

Status Bad(std::string_view text) {
  return Status::InvalidArgument("not an RFC 3339 time: '" + std::string(text) + "'");
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int year = Digits(text, &pos, 4);
  if (year < 0 || !Expect(text, &pos, '-')) return Bad(text);
  int month = Digits(text, &pos, 2);
  if (month < 0 || !Expect(text, &pos, '-')) return Bad(text);
  int day = Digits(text, &pos, 2);
  if (day < 0 || pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return Bad(text);
  ++pos;
  int hour = Digits(text, &pos, 2);
  if (hour < 0 || !Expect(text, &pos, ':')) return Bad(text);
  int minute = Digits(text, &pos, 2);
  if (minute < 0 || !Expect(text, &pos, ':')) return Bad(text);
  int second = Digits(text, &pos, 2);
  if (second < 0) return Bad(text);
  int64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return Bad(text);
      fraction = fraction * 10 + (text[pos++] - '0');
    }
    if (digits == 0) return Bad(text);
    for (; digits < 9; ++digits) fraction *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos++] == '+' ? 1 : -1;
    int oh = Digits(text, &pos, 2);
    if (oh < 0 || !Expect(text, &pos, ':')) return Bad(text);
    int om = Digits(text, &pos, 2);
    if (om < 0 || oh > 23 || om > 59) return Bad(text);
    offset_seconds = int64_t{sign} * (int64_t{oh} * 3600 + int64_t{om} * 60);
  } else {
    return Bad(text);
  }
  if (pos != text.size()) return Bad(text);
  std::chrono::year_month_day ymd{std::chrono::year(year),
                                  std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  // Leap seconds (:60) are not representable in Unix time.
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return Bad(text);
  if (year < 1678 || year > 2261) {
    return Status::InvalidArgument("time out of range (years 1678..2261): '" + std::string(text) +
                                   "'");
  }
  int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  int64_t seconds =
      days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - offset_seconds;
  return seconds * kNanosPerSecond + fraction;
}

std::string FormatRfc3339(int64_t unix_nano) {
  int64_t seconds = unix_nano / kNanosPerSecond;
  int64_t nanos = unix_nano % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(rem / 3600),
                        int(rem / 60 % 60), int(rem % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (nanos != 0) {
    std::snprintf(buf, sizeof(buf), ".%09lld", static_cast<long long>(nanos));
    out += buf;
  }
  out += 'Z';
  return out;
}

}  // namespace roost::api
