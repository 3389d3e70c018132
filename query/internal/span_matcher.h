#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/query_types.h"
#include "storage/column_view.h"
#include "storage/result.h"
#include "storage/rollup.h"
#include "storage/span.h"

namespace roost {
class SpanStore;
}  // namespace roost

namespace roost::query {

// The text an attribute value is matched and grouped by: strings as they are, integers in
// decimal, doubles in the shortest form that reads back equal, booleans as true/false, arrays as
// [a,b,...] of those; nullopt for an attribute without a value.
std::optional<std::string> AttributeText(const AttributeValue& value);

// Whether an attribute value matches a filter value: a scalar whose AttributeText equals `want`,
// or an array with such an element. A value-less attribute matches nothing.
bool AttributeMatches(const AttributeValue& value, std::string_view want);

// Whether `span` passes every key=value attribute filter (AttributeMatches; a missing key fails).
bool AttributesMatch(const Span& span,
                     const std::vector<std::pair<std::string, std::string>>& filters);

// A QueryFilter and a grouping resolved against a store's dictionaries, so that rows are matched
// and keyed by integer compares only; attribute filters and attribute grouping read the matching
// rows' records. Built once per query; const methods are thread-safe (shards share one matcher).
class SpanMatcher {
 public:
  // Translates the filter's name and model to dictionary ids (a string the store never saw
  // matches nothing). `group_attribute` is the attribute key for GroupBy::kAttribute. Passes on
  // dictionary errors other than kNotFound.
  static Result<SpanMatcher> Make(const SpanStore& store, const QueryFilter& filter,
                                  GroupBy group_by, std::string group_attribute = "");

  // The columns Matches() and KeyOf() read, to add to a scan's columns.
  ColumnSet Columns() const;
  // True when no span can match (unknown name or model, empty time range).
  bool MatchesNothing() const { return nothing_; }
  // True when matching or keying reads whole records (attribute filters or grouping).
  bool NeedsRecords() const { return !attributes_.empty() || group_by_ == GroupBy::kAttribute; }
  // True when rollup cells (storage/rollup.h) can answer: no attribute filter, and a grouping
  // the cells carry (none, model, name, kind, project).
  bool CanUseRollups() const {
    return attributes_.empty() && group_by_ != GroupBy::kSession &&
           group_by_ != GroupBy::kAttribute;
  }

  // Whether row r of `v` passes the time range and every column filter (not attribute filters).
  [[gnu::always_inline]] bool Matches(const ColumnView& v, size_t r) const {
    const int64_t start = v.start[r];
    if (start < from_ || start >= to_) return false;
    if (kind_ && v.kind[r] != *kind_) return false;
    if (status_ && v.status[r] != *status_) return false;
    if (name_ && v.name[r] != *name_) return false;
    if (model_ && v.model[r] != *model_) return false;
    return true;
  }

  // Whether the spans of a rollup cell pass every filter (time is the caller's business).
  bool MatchesCell(const RollupCell& c) const {
    if (kind_ && c.kind != *kind_) return false;
    if (status_ && c.status != *status_) return false;
    if (name_ && c.name != *name_) return false;
    if (model_ && c.model != *model_) return false;
    return true;
  }

  // The group key of row r: a dictionary id (0 = lacking the value) or a SpanKind; 0 for kNone.
  // REQUIRES: !NeedsRecords() for kAttribute (use ForEachMatch).
  [[gnu::always_inline]] uint32_t KeyOf(const ColumnView& v, size_t r) const {
    switch (group_by_) {
      case GroupBy::kNone:
      case GroupBy::kAttribute:
        return 0;
      case GroupBy::kModel:
        return v.model[r];
      case GroupBy::kName:
        return v.name[r];
      case GroupBy::kKind:
        return v.kind[r];
      case GroupBy::kSession:
        return v.session[r];
      case GroupBy::kProject:
        return v.project;
    }
    return 0;
  }

  // The group key of a rollup cell of block `b`. REQUIRES: CanUseRollups().
  uint32_t KeyOfCell(const BlockRollup& b, const RollupCell& c) const {
    switch (group_by_) {
      case GroupBy::kModel:
        return c.model;
      case GroupBy::kName:
        return c.name;
      case GroupBy::kKind:
        return c.kind;
      case GroupBy::kProject:
        return b.project;
      default:
        return 0;
    }
  }

  // Calls fn(row, key) for every row of `v` that passes every filter, attribute filters
  // included, in row order. Reads the rows' records when NeedsRecords(). Passes on read errors.
  template <typename Fn>
  Status ForEachMatch(const SpanStore& store, const ColumnView& v, Fn&& fn) const {
    if (!NeedsRecords()) {
      for (size_t r = 0; r < v.rows; ++r) {
        if (Matches(v, r)) fn(r, KeyOf(v, r));
      }
      return Status::OK();
    }
    std::vector<uint32_t> rows, keys;
    if (Status s = SelectWithRecords(store, v, &rows, &keys); !s.ok()) return s;
    for (size_t i = 0; i < rows.size(); ++i) fn(rows[i], keys[i]);
    return Status::OK();
  }

  // The key shown for a group key from KeyOf(): the dictionary string, the kind's name or the
  // attribute text; null for kNone and for key 0.
  Result<std::optional<std::string>> KeyName(const SpanStore& store, uint32_t key) const;

 private:
  // The rows of `v` passing every filter, and their group keys, reading their records.
  Status SelectWithRecords(const SpanStore& store, const ColumnView& v, std::vector<uint32_t>* rows,
                           std::vector<uint32_t>* keys) const;

  // Attribute texts met while grouping by an attribute, as small ids (0 = lacking it).
  struct AttributeKeys {
    std::mutex mu;
    std::unordered_map<std::string, uint32_t> ids;  // guarded by mu
    std::vector<std::string> texts{""};             // guarded by mu; texts[id]
  };

  int64_t from_ = 0;
  int64_t to_ = 0;
  std::optional<uint8_t> kind_;
  std::optional<uint8_t> status_;
  std::optional<uint32_t> name_;
  std::optional<uint32_t> model_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  GroupBy group_by_ = GroupBy::kNone;
  std::string group_attribute_;
  std::shared_ptr<AttributeKeys> attribute_keys_ = std::make_shared<AttributeKeys>();
  bool nothing_ = false;
};

// The projects a filter covers: filter.project, or with all_projects every stored project.
Result<std::vector<std::string>> ProjectsOf(const SpanStore& store, const QueryFilter& filter);

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
