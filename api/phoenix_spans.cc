#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api/phoenix_json.h"
#include "api/phoenix_listing.h"
#include "api/phoenix_params.h"
#include "query/span_list.h"
#include "storage/span_store.h"

namespace roost::api::phoenix {
namespace {

using nlohmann::ordered_json;

// Kinds Phoenix accepts in span_kind that roost has no kind for (they match no span).
constexpr std::string_view kUnmatchedKinds[] = {"DECISION"};

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// One `attribute=key:value` filter with its value typed as Phoenix types it (json.loads, else
// the raw string).
struct AttributeFilter {
  std::string key;
  std::variant<bool, int64_t, double, std::string> want;

  // Phoenix's matching: a bool matches a stored bool; an integer matches a stored integer or
  // a whole double equal to it; a double matches a stored double; a string a stored string.
  // Array attributes never match.
  bool Matches(const Span& span) const {
    const AttributeValue* v = FindAttribute(span.attributes, key);
    if (v == nullptr) return false;
    if (const bool* b = std::get_if<bool>(&want)) {
      const bool* got = std::get_if<bool>(v);
      return got != nullptr && *got == *b;
    }
    if (const int64_t* i = std::get_if<int64_t>(&want)) {
      if (const int64_t* got = std::get_if<int64_t>(v)) return *got == *i;
      const double* got = std::get_if<double>(v);
      return got != nullptr && *got == static_cast<double>(*i);
    }
    if (const double* d = std::get_if<double>(&want)) {
      const double* got = std::get_if<double>(v);
      return got != nullptr && *got == *d;
    }
    const std::string* got = std::get_if<std::string>(v);
    return got != nullptr && *got == std::get<std::string>(want);
  }
};

Result<AttributeFilter> ParseAttribute(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("attribute: expected 'key:value', got '" + text + "'");
  }
  AttributeFilter f;
  f.key = text.substr(0, colon);
  const std::string value = text.substr(colon + 1);
  if (f.key.empty()) return Status::InvalidArgument("attribute: key must not be empty");
  if (value.empty()) return Status::InvalidArgument("attribute: value must not be empty");
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    f.want = value;
  } else if (parsed.is_boolean()) {
    f.want = parsed.get<bool>();
  } else if (parsed.is_number_integer() &&
             (parsed.is_number_unsigned() ? parsed.get<uint64_t>() <= INT64_MAX : true)) {
    f.want = parsed.get<int64_t>();
  } else if (parsed.is_number()) {
    f.want = parsed.get<double>();
  } else if (parsed.is_string()) {
    f.want = parsed.get<std::string>();
  } else {
    return Status::InvalidArgument("attribute: value '" + value +
                                   "' must be a string, integer, float or boolean");
  }
  return f;
}

// Fills the id, kind, status, name and parent filters of `out` from the request. Sets
// *nothing when a filter can match no span (only malformed ids, or only unmatched kinds).
Status ParseSpanFilters(const Request& request, query::SpanListRequest* out, bool* nothing) {
  Result<std::vector<std::string>> trace_ids = Values(request, "trace_id");
  Result<std::vector<std::string>> span_ids = Values(request, "span_id");
  Result<std::vector<std::string>> names = Values(request, "name");
  Result<std::vector<std::string>> kinds = Values(request, "span_kind");
  Result<std::vector<std::string>> statuses = Values(request, "status_code");
  for (const auto* r : {&trace_ids, &span_ids, &names, &kinds, &statuses}) {
    if (!r->ok()) return r->status();
  }
  // Phoenix compares ids as strings: one that is not an id matches nothing.
  for (const std::string& t : *trace_ids) {
    if (Result<TraceId> id = TraceId::FromHex(t); id.ok()) out->trace_ids.push_back(*id);
  }
  for (const std::string& s : *span_ids) {
    if (Result<SpanId> id = SpanId::FromHex(s); id.ok()) out->span_ids.push_back(*id);
  }
  *nothing = (!trace_ids->empty() && out->trace_ids.empty()) ||
             (!span_ids->empty() && out->span_ids.empty());
  out->names = std::move(*names);
  for (const std::string& k : *kinds) {
    const std::string upper = Upper(k);
    const SpanKind kind = ParseSpanKind(upper);
    const bool unmatched = std::find(std::begin(kUnmatchedKinds), std::end(kUnmatchedKinds),
                                     upper) != std::end(kUnmatchedKinds);
    if (kind == SpanKind::kUnknown && upper != "UNKNOWN" && !unmatched) {
      return Status::InvalidArgument("span_kind: unknown span kind '" + k + "'");
    }
    if (!unmatched) out->kinds.push_back(kind);
  }
  if (!kinds->empty() && out->kinds.empty()) *nothing = true;
  for (const std::string& c : *statuses) {
    const std::string upper = Upper(c);
    if (upper == "OK") {
      out->statuses.push_back(StatusCode::kOk);
    } else if (upper == "ERROR") {
      out->statuses.push_back(StatusCode::kError);
    } else if (upper == "UNSET") {
      out->statuses.push_back(StatusCode::kUnset);
    } else {
      return Status::InvalidArgument("status_code: must be OK, ERROR or UNSET, got '" + c + "'");
    }
  }
  if (std::optional<std::string> parent = Value(request, "parent_id")) {
    if (*parent == "null") {
      out->parent = query::ParentFilter::kRootsOnly;
    } else if (Result<SpanId> id = SpanId::FromHex(*parent); id.ok()) {
      out->parent = query::ParentFilter::kChildOf;
      out->parent_span_id = *id;
    } else {
      *nothing = true;
    }
  }
  return Status::OK();
}

}  // namespace

Response HandleSpans(const Request& request, const SpanStore& store, const std::string& project,
                     uint32_t /*project_id*/) {
  query::SpanListRequest list;
  list.filter.project = project;
  Result<size_t> limit = Limit(request, kDefaultLimit, kMaxPageLimit);
  if (!limit.ok()) return StatusResponse(limit.status());
  list.limit = *limit;
  Result<std::optional<int64_t>> start = Time(request, "start_time");
  if (!start.ok()) return StatusResponse(start.status());
  Result<std::optional<int64_t>> end = Time(request, "end_time");
  if (!end.ok()) return StatusResponse(end.status());
  if (*start) list.filter.from = **start;
  if (*end) list.filter.to = **end;
  // Phoenix orders by insertion (sort=id) or start time; roost lists newest start first either
  // way (both are "newest first"); ascending order is not offered.
  Result<std::string> sort = Choice(request, "sort", {"id", "start_time"}, "id");
  if (!sort.ok()) return StatusResponse(sort.status());
  Result<std::string> order = Choice(request, "order", {"desc"}, "desc");
  if (!order.ok()) return StatusResponse(order.status());
  bool nothing = false;
  if (Status s = ParseSpanFilters(request, &list, &nothing); !s.ok()) return StatusResponse(s);
  Result<std::vector<std::string>> attributes = Values(request, "attribute");
  if (!attributes.ok()) return StatusResponse(attributes.status());
  std::vector<AttributeFilter> filters;
  for (const std::string& a : *attributes) {
    Result<AttributeFilter> f = ParseAttribute(a);
    if (!f.ok()) return StatusResponse(f.status());
    filters.push_back(std::move(*f));
  }
  if (!filters.empty()) {
    list.span_filter = [&filters](const Span& span) {
      return std::all_of(filters.begin(), filters.end(),
                         [&](const AttributeFilter& f) { return f.Matches(span); });
    };
  }
  if (std::optional<std::string> cursor = Value(request, "cursor")) list.cursor = *cursor;
  ordered_json data = ordered_json::array();
  if (nothing) return PageResponse(std::move(data), std::nullopt);
  Result<query::SpanListPage> page = query::ListSpans(store, list);
  if (!page.ok()) return StatusResponse(page.status());
  for (const Span& s : page->spans) data.push_back(SpanJson(s));
  return PageResponse(std::move(data), page->next_cursor);
}

}  // namespace roost::api::phoenix
