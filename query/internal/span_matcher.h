#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query/query_types.h"
#include "storage/column_view.h"
#include "storage/result.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

// A QueryFilter and a GroupBy resolved against a store's dictionaries, so that rows are matched
// and keyed by integer compares only. Built once per query.
class SpanMatcher {
 public:
  // Translates the filter's name and model to dictionary ids (a string the store never saw
  // matches nothing). Passes on dictionary errors other than kNotFound.
  static Result<SpanMatcher> Make(const SpanStore& store, const QueryFilter& filter,
                                  GroupBy group_by);

  // The columns Matches() and KeyOf() read, to add to a scan's columns.
  ColumnSet Columns() const;
  // True when no span can match (unknown name or model, empty time range).
  bool MatchesNothing() const { return nothing_; }

  // Whether row r of `v` passes the time range and every filter.
  bool Matches(const ColumnView& v, size_t r) const {
    const int64_t start = v.start[r];
    if (start < from_ || start >= to_) return false;
    if (kind_ && v.kind[r] != *kind_) return false;
    if (status_ && v.status[r] != *status_) return false;
    if (name_ && v.name[r] != *name_) return false;
    if (model_ && v.model[r] != *model_) return false;
    return true;
  }

  // The group key of row r: a dictionary id (0 = lacking the value) or a SpanKind; 0 for kNone.
  uint32_t KeyOf(const ColumnView& v, size_t r) const {
    switch (group_by_) {
      case GroupBy::kNone:
        return 0;
      case GroupBy::kModel:
        return v.model[r];
      case GroupBy::kName:
        return v.name[r];
      case GroupBy::kKind:
        return v.kind[r];
      case GroupBy::kSession:
        return v.session[r];
    }
    return 0;
  }

  // The key shown for a group key from KeyOf(): the dictionary string or the kind's name; null
  // for kNone and for dictionary id 0.
  Result<std::optional<std::string>> KeyName(const SpanStore& store, uint32_t key) const;

 private:
  int64_t from_ = 0;
  int64_t to_ = 0;
  std::optional<uint8_t> kind_;
  std::optional<uint8_t> status_;
  std::optional<uint32_t> name_;
  std::optional<uint32_t> model_;
  GroupBy group_by_ = GroupBy::kNone;
  bool nothing_ = false;
};

// The start of the bucket of width `step` (> 0) holding time t: the largest multiple of step
// since the Unix epoch that is <= t.
inline int64_t BucketStart(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step < 0) --q;
  return q * step;
}

// Sorts `groups` (anything with an `std::optional<std::string> key`) by key, null key last.
template <typename Group>
void SortByKey(std::vector<Group>& groups) {
  std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (!a.key || !b.key) return a.key.has_value() && !b.key.has_value();
    return *a.key < *b.key;
  });
}

}  // namespace roost::query
