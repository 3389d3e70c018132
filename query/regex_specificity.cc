#include "query/regex_specificity.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace roost::query {
namespace {

// Weights of Phoenix's regex_specificity.py.
constexpr int kFullAnchor = 10000;
constexpr int kPartialAnchor = 5000;
constexpr int kLiteral = 1000;
constexpr int kEscaped = 950;
constexpr int kCharClass = 500;
constexpr int kShorthand = 400;
constexpr int kNegatedClass = 300;
constexpr int kNegatedShorthand = 250;
constexpr int kQuantifierExact = -50;
constexpr int kQuantifierRange = -100;
constexpr int kWildcard = -200;
constexpr int kOptional = -100;
constexpr int kMultiple = -150;
constexpr int kAlternation = -300;

bool IsFlag(char c) { return std::string_view("aiLmsux").find(c) != std::string_view::npos; }
bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

size_t SkipInlineFlags(std::string_view p) {
  size_t i = 0;
  while (size_t n = InlineFlagGroupLength(p, i)) i += n;
  return i;
}

bool HasEndAnchor(std::string_view p) {
  if (p.empty() || p.back() != '$') return false;
  size_t backslashes = 0;
  for (size_t j = p.size() - 1; j > 0 && p[j - 1] == '\\'; --j) ++backslashes;
  return backslashes % 2 == 0;
}

// Length of a group opener whose `(?...` is syntax, not content: (?: (?= (?! (?<= (?<!
// (?P<name> and scoped flags like (?i: or (?-i:.
size_t GroupOpenerAt(std::string_view c, size_t at) {
  if (c.substr(at, 2) != "(?") return 0;
  size_t i = at + 2;
  for (std::string_view s : {":", "=", "!", "<=", "<!"}) {
    if (c.substr(i, s.size()) == s) return i + s.size() - at;
  }
  if (c.substr(i, 2) == "P<") {
    size_t j = i + 2;
    while (j < c.size() && (std::isalnum(static_cast<unsigned char>(c[j])) || c[j] == '_')) ++j;
    return j > i + 2 && j < c.size() && c[j] == '>' ? j + 1 - at : 0;
  }
  while (i < c.size() && IsFlag(c[i])) ++i;
  if (i < c.size() && c[i] == '-') {
    size_t j = i + 1;
    while (j < c.size() && std::string_view("imsx").find(c[j]) != std::string_view::npos) ++j;
    if (j == i + 1) return 0;
    i = j;
  }
  return i < c.size() && c[i] == ':' ? i + 1 - at : 0;
}

// Position of the `]` closing the class opened at `start`, or npos.
size_t BracketEnd(std::string_view c, size_t start) {
  for (size_t i = start + 1; i < c.size(); ++i) {
    if (c[i] != ']') continue;
    size_t backslashes = 0;
    for (size_t j = i; j > 0 && c[j - 1] == '\\'; --j) ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return std::string_view::npos;
}

// Score of a `{...}` quantifier, or nullopt when it is not one (then `{` is a literal).
std::optional<int> QuantifierScore(std::string_view q) {
  const size_t comma = q.find(',');
  if (comma == std::string_view::npos) {
    if (!IsDigits(q)) return std::nullopt;
    return kQuantifierExact;
  }
  const std::string_view lo = q.substr(0, comma);
  const std::string_view hi = q.substr(comma + 1);
  if (!IsDigits(lo) || hi.find(',') != std::string_view::npos) return std::nullopt;
  if (!hi.empty()) {
    if (!IsDigits(hi)) return std::nullopt;
    if (lo.size() > 9 || hi.size() > 9 || std::stol(std::string(lo)) > std::stol(std::string(hi))) {
      return std::nullopt;
    }
  }
  return kQuantifierRange;
}

int CharScore(char ch) {
  switch (ch) {
    case '.':
      return kWildcard;
    case '?':
      return kOptional;
    case '|':
      return kAlternation;
    case '+':
    case '*':
      return kMultiple;
    case '(':
    case ')':
    case '^':
    case '$':
      return 0;
    default:
      return kLiteral;
  }
}

int ContentScore(std::string_view c) {
  int score = 0;
  size_t i = 0;
  while (i < c.size()) {
    const char ch = c[i];
    if (ch == '\\' && i + 1 < c.size()) {
      const char e = c[i + 1];
      score += std::string_view("dws").find(e) != std::string_view::npos   ? kShorthand
               : std::string_view("DWS").find(e) != std::string_view::npos ? kNegatedShorthand
                                                                           : kEscaped;
      i += 2;
    } else if (size_t opener = ch == '(' ? GroupOpenerAt(c, i) : 0) {
      i += opener;
    } else if (ch == '[') {
      const size_t end = BracketEnd(c, i);
      if (end == std::string_view::npos) {
        score += kLiteral;
        i += 1;
      } else {
        score += i + 1 < c.size() && c[i + 1] == '^' ? kNegatedClass : kCharClass;
        i = end + 1;
      }
    } else if (ch == '{') {
      const size_t end = c.find('}', i);
      std::optional<int> q;
      if (end != std::string_view::npos) q = QuantifierScore(c.substr(i + 1, end - i - 1));
      score += q.value_or(kLiteral);
      i = q ? end + 1 : i + 1;
    } else {
      score += CharScore(ch);
      i += 1;
    }
  }
  return score;
}

}  // namespace

size_t InlineFlagGroupLength(std::string_view p, size_t at) {
  if (p.substr(at, 2) != "(?") return 0;
  size_t i = at + 2;
  while (i < p.size() && IsFlag(p[i])) ++i;
  return i > at + 2 && i < p.size() && p[i] == ')' ? i + 1 - at : 0;
}

int RegexSpecificity(std::string_view pattern) {
  const size_t i = SkipInlineFlags(pattern);
  const bool start = i < pattern.size() && pattern[i] == '^';
  const bool end = HasEndAnchor(pattern);
  int score = start && end ? kFullAnchor : (start || end) ? kPartialAnchor : 0;
  std::string_view content = pattern.substr(i + (start ? 1 : 0));
  if (end && !content.empty() && content.back() == '$') content.remove_suffix(1);
  score += ContentScore(content);
  score += static_cast<int>(std::min<size_t>(pattern.size(), 1 << 20)) * 2;
  return std::max(score, 1);
}

}  // namespace roost::query
