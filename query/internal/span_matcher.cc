#include "query/internal/span_matcher.h"

#include <charconv>
#include <string>
#include <variant>

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

void AppendScalar(const std::string& v, std::string* out) { out->append(v); }
void AppendScalar(bool v, std::string* out) { out->append(v ? "true" : "false"); }
void AppendScalar(int64_t v, std::string* out) { out->append(std::to_string(v)); }
void AppendScalar(double v, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ec == std::errc() ? end : buf);
}

}  // namespace

std::optional<std::string> AttributeText(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        std::string out;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                             std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
          AppendScalar(v, &out);
          return out;
        } else {
          out.push_back('[');
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out.push_back(',');
            using E = typename T::value_type;
            AppendScalar(static_cast<E>(v[i]), &out);
          }
          out.push_back(']');
          return out;
        }
      },
      value);
}

Result<std::vector<std::string>> ProjectsOf(const SpanStore& store, const QueryFilter& filter) {
  if (!filter.all_projects) return std::vector<std::string>{filter.project};
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return projects.status();
  std::vector<std::string> out;
  for (const ProjectSummary& p : *projects) out.push_back(p.name);
  return out;
}

Result<SpanMatcher> SpanMatcher::Make(const SpanStore& store, const QueryFilter& filter,
                                      GroupBy group_by, std::string group_attribute) {
  SpanMatcher m;
  m.attributes_ = filter.attributes;
  m.group_attribute_ = std::move(group_attribute);
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

Status SpanMatcher::SelectWithRecords(const SpanStore& store, const ColumnView& v,
                                      std::vector<uint32_t>* rows,
                                      std::vector<uint32_t>* keys) const {
  std::vector<uint32_t> candidates;
  for (size_t r = 0; r < v.rows; ++r) {
    if (Matches(v, r)) candidates.push_back(static_cast<uint32_t>(r));
  }
  if (candidates.empty()) return Status::OK();
  Result<std::vector<Span>> spans = store.ReadSpans(v, candidates);
  if (!spans.ok()) return spans.status();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Span& span = (*spans)[i];
    bool pass = true;
    for (const auto& [key, want] : attributes_) {
      const AttributeValue* value = FindAttribute(span.attributes, key);
      std::optional<std::string> text = value ? AttributeText(*value) : std::nullopt;
      if (!text || *text != want) {
        pass = false;
        break;
      }
    }
    if (!pass) continue;
    uint32_t key = KeyOf(v, candidates[i]);
    if (group_by_ == GroupBy::kAttribute) {
      const AttributeValue* value = FindAttribute(span.attributes, group_attribute_);
      std::optional<std::string> text = value ? AttributeText(*value) : std::nullopt;
      key = 0;
      if (text) {
        std::lock_guard lock(attribute_keys_->mu);
        auto [it, inserted] = attribute_keys_->ids.try_emplace(
            *text, static_cast<uint32_t>(attribute_keys_->texts.size()));
        if (inserted) attribute_keys_->texts.push_back(*text);
        key = it->second;
      }
    }
    rows->push_back(candidates[i]);
    keys->push_back(key);
  }
  return Status::OK();
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
    case GroupBy::kProject:
      kind = DictKind::kProject;
      break;
    case GroupBy::kAttribute: {
      if (key == 0) return std::optional<std::string>();
      std::lock_guard lock(attribute_keys_->mu);
      if (key >= attribute_keys_->texts.size())
        return Status::InvalidArgument("unknown attribute group key");
      return std::optional<std::string>(attribute_keys_->texts[key]);
    }
  }
  // Id 0 is the empty string: the span lacks the value.
  if (key == 0) return std::optional<std::string>();
  Result<std::string> s = store.DictionaryString(kind, key);
  if (!s.ok()) return s.status();
  return std::optional<std::string>(std::move(*s));
}

}  // namespace roost::query
