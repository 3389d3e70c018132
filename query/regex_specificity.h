#pragma once

#include <cstddef>
#include <string_view>

namespace roost::query {

// Phoenix's regex specificity score of `pattern` (phoenix/server/cost_tracking/
// regex_specificity.py, same weights): higher is more specific, at least 1. Full anchors
// (^...$) +10000, one anchor +5000, each literal +1000, escaped character +950, class +500,
// \d \w \s +400, negated class +300, \D \W \S +250, {n} -50, {n,m} -100, `.` -200, `?` -100,
// `+` `*` -150, `|` -300, plus 2 per pattern character. Leading inline flags such as `(?i)` and
// group syntax such as `(?:` are not content. Used to pick the most specific matching price
// pattern. Pure function; thread-safe.
int RegexSpecificity(std::string_view pattern);

// The length of a global inline flag group like `(?i)` starting at `at` in `pattern`, or 0.
size_t InlineFlagGroupLength(std::string_view pattern, size_t at);

}  // namespace roost::query
