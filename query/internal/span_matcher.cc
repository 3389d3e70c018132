#include "query/internal/span_matcher.h"

#include <string>

#include "storage/span_store.h"

namespace roost::query {
namespace {

// The dictionary id of `value`, or nullopt when the store never saw it.
Result<std::optional<uint32_t>> FindId(const SpanStore& store, DictKind kind,
                                       const std::string& value) {
  Result<uint32_t> id = store.DictionaryId(kind, value);
  if (id.ok()) return std::optional<uint32_t>(*id);
  if (id.status().code() == Status::Code::kNotFound) return std::optional<uint32_t>();
  return id.status();
}

}  // namespace

Result<SpanMatcher> SpanMatcher::Make(const SpanStore& store, const QueryFilter& filter,
                                      GroupBy group_by) {
  SpanMatcher m;
  m.from_ = filter.from;
  m.to_ = filter.to;
  m.group_by_ = group_by;
  m.nothing_ = filter.from >= filter.to;
  if (filter.kind) m.kind_ = static_cast<uint8_t>(*filter.kind);
  if (filter.status) m.status_ = static_cast<uint8_t>(*filter.status);
  if (filter.name) {
    Result<std::optional<uint32_t>> id = FindId(store, DictKind::kName, *filter.name);
    if (!id.ok()) return id.status();
    if (*id) m.name_ = **id;
    m.nothing_ = m.nothing_ || !*id;
  }
  if (filter.model) {
    Result<std::optional<uint32_t>> id = FindId(store, DictKind::kModel, *filter.model);
    if (!id.ok()) return id.status();
    if (*id) m.model_ = **id;
    m.nothing_ = m.nothing_ || !*id;
  }
  return m;
}

ColumnSet SpanMatcher::Columns() const {
  ColumnSet c{Column::kStart};
  if (kind_ || group_by_ == GroupBy::kKind) c.Add(Column::kKind);
  if (status_) c.Add(Column::kStatus);
  if (name_ || group_by_ == GroupBy::kName) c.Add(Column::kName);
  if (model_ || group_by_ == GroupBy::kModel) c.Add(Column::kModel);
  if (group_by_ == GroupBy::kSession) c.Add(Column::kSession);
  return c;
}

Result<std::optional<std::string>> SpanMatcher::KeyName(const SpanStore& store,
                                                        uint32_t key) const {
  DictKind kind = DictKind::kName;
  switch (group_by_) {
    case GroupBy::kNone:
      return std::optional<std::string>();
    case GroupBy::kKind:
      return std::optional<std::string>(SpanKindName(static_cast<SpanKind>(key)));
    case GroupBy::kModel:
      kind = DictKind::kModel;
      break;
    case GroupBy::kName:
      kind = DictKind::kName;
      break;
    case GroupBy::kSession:
      kind = DictKind::kSession;
      break;
  }
  // Id 0 is the empty string: the span lacks the value.
  if (key == 0) return std::optional<std::string>();
  Result<std::string> s = store.DictionaryString(kind, key);
  if (!s.ok()) return s.status();
  return std::optional<std::string>(std::move(*s));
}

}  // namespace roost::query
