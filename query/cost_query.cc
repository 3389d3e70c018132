#include "query/cost_query.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

#include "query/internal/flat_index.h"
#include "query/internal/span_matcher.h"
#include "query/pricing.h"
#include "storage/span_store.h"

namespace roost::query {
namespace {

constexpr double kNanosPerUsd = 1e9;

// What one row adds: its cost in nano-USD and whether it is unpriced.
struct RowCost {
  int64_t nanos = 0;
  bool unpriced = false;
};

// Sums kept exact during the scan; cost in nano-USD, converted once at the end.
struct Sums {
  uint64_t spans = 0;
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t total_tokens = 0;
  int64_t cost_nanos = 0;
  uint64_t unpriced_spans = 0;

  void AddRow(const ColumnView& v, size_t r, RowCost cost) {
    spans++;
    prompt_tokens += v.prompt_tokens[r];
    completion_tokens += v.completion_tokens[r];
    total_tokens += v.total_tokens[r];
    cost_nanos += cost.nanos;
    unpriced_spans += cost.unpriced ? 1 : 0;
  }
  void Add(const Sums& o) {
    spans += o.spans;
    prompt_tokens += o.prompt_tokens;
    completion_tokens += o.completion_tokens;
    total_tokens += o.total_tokens;
    cost_nanos += o.cost_nanos;
    unpriced_spans += o.unpriced_spans;
  }
  CostFigures Figures() const {
    return CostFigures{spans,
                       prompt_tokens,
                       completion_tokens,
                       total_tokens,
                       static_cast<double>(cost_nanos) / kNanosPerUsd,
                       unpriced_spans};
  }
};

// Resolves each model dictionary id against the pricing table once per query.
class PriceCache {
 public:
  PriceCache(const SpanStore& store, const PricingTable& table) : store_(store), table_(table) {}

  // The rates of model id `model`, nullptr when unpriced or when the id's name could not be
  // read (then status() says why).
  const TokenRates* RatesOf(uint32_t model) {
    if (model < state_.size() && state_[model] != kUnknown) return rates_[model];
    if (model >= state_.size()) {
      state_.resize(model + 1, kUnknown);
      rates_.resize(model + 1, nullptr);
    }
    Result<std::string> name = store_.DictionaryString(DictKind::kModel, model);
    if (!name.ok()) {
      status_ = name.status();
      return nullptr;
    }
    const PriceEntry* entry = table_.Resolve(*name);
    rates_[model] = entry != nullptr ? &entry->rates : nullptr;
    state_[model] = kKnown;
    return rates_[model];
  }
  const Status& status() const { return status_; }

 private:
  static constexpr uint8_t kUnknown = 0;
  static constexpr uint8_t kKnown = 1;
  const SpanStore& store_;
  const PricingTable& table_;
  std::vector<uint8_t> state_;  // by model id
  std::vector<const TokenRates*> rates_;
  Status status_;
};

// The cost row r adds: `llm.cost.total` when present, else the computed cost of an LLM span
// with a model (unpriced when the model has no price), else nothing.
RowCost CostOfRow(const ColumnView& v, size_t r, PriceCache& prices) {
  const int64_t carried = v.cost_micros[r];
  if (carried >= 0) return RowCost{carried * 1000, false};  // -1: no `llm.cost.total`
  const uint32_t model = v.model[r];
  if (model == 0 || v.kind[r] != static_cast<uint8_t>(SpanKind::kLlm)) return RowCost{};
  const TokenRates* rates = prices.RatesOf(model);
  if (rates == nullptr) return RowCost{0, true};
  const SpanTokens tokens{v.prompt_tokens[r],      v.completion_tokens[r],
                          v.total_tokens[r],       v.cache_read_tokens[r],
                          v.cache_write_tokens[r], v.prompt_audio_tokens[r],
                          v.reasoning_tokens[r],   v.completion_audio_tokens[r]};
  return RowCost{std::llround(SpanCostUsd(*rates, tokens) * kNanosPerUsd), false};
}

// Sums per time bucket, buckets in order of first appearance.
struct BucketSums {
  FlatIndex index;  // bucket start -> slot
  std::vector<std::pair<int64_t, Sums>> slots;

  Sums& At(int64_t start) {
    const uint32_t slot = index.SlotOf(static_cast<uint64_t>(start));
    if (slot == slots.size()) slots.emplace_back(start, Sums{});
    return slots[slot].second;
  }
  void Add(const BucketSums& o) {
    for (const auto& [start, sums] : o.slots) At(start).Add(sums);
  }
  std::vector<CostBucket> Buckets() const {
    std::vector<CostBucket> out;
    out.reserve(slots.size());
    for (const auto& [start, sums] : slots) out.push_back(CostBucket{start, sums.Figures()});
    std::sort(out.begin(), out.end(), [](const CostBucket& a, const CostBucket& b) {
      return a.start_unix_nano < b.start_unix_nano;
    });
    return out;
  }
};

struct GroupState {
  uint32_t key = 0;
  Sums sums;
  BucketSums buckets;
};

// Scans the matching rows into `groups` (slot per group key in `group_index`).
Status Collect(const SpanStore& store, const CostRequest& request, const SpanMatcher& m,
               FlatIndex& group_index, std::vector<GroupState>& groups) {
  Result<std::vector<std::string>> projects = ProjectsOf(store, request.filter);
  if (!projects.ok()) return projects.status();
  ScanRequest scan;
  scan.from_unix_nano = request.filter.from;
  scan.to_unix_nano = request.filter.to;
  scan.columns = m.Columns();
  for (Column c :
       {Column::kPromptTokens, Column::kCompletionTokens, Column::kTotalTokens, Column::kCostMicros,
        Column::kKind, Column::kModel, Column::kCacheReadTokens, Column::kCacheWriteTokens,
        Column::kPromptAudioTokens, Column::kReasoningTokens, Column::kCompletionAudioTokens}) {
    scan.columns.Add(c);
  }
  const int64_t step = request.step_nanos;
  PriceCache prices(store, request.pricing != nullptr ? *request.pricing : BuiltInPricing());
  for (const std::string& project : *projects) {
    scan.project = project;
    Status s = store.Scan(scan, [&](const ColumnView& v) {
      Status matched = m.ForEachMatch(store, v, [&](size_t r, uint32_t key) {
        const RowCost cost = CostOfRow(v, r, prices);
        const uint32_t slot = group_index.SlotOf(key);
        if (slot == groups.size()) groups.emplace_back().key = key;
        GroupState& g = groups[slot];
        g.sums.AddRow(v, r, cost);
        if (step > 0) g.buckets.At(BucketStart(v.start[r], step)).AddRow(v, r, cost);
      });
      if (!matched.ok()) return matched;
      return prices.status();
    });
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

const PricingTable& BuiltInPricing() {
  static const PricingTable kTable = PricingTable::BuiltIn();
  return kTable;
}

Result<CostResult> RunCost(const SpanStore& store, const CostRequest& request) {
  if (request.step_nanos < 0) {
    return Status::InvalidArgument("cost: step " + std::to_string(request.step_nanos) +
                                   " ns is negative");
  }
  if (request.group_by == GroupBy::kAttribute && request.group_attribute.empty()) {
    return Status::InvalidArgument("cost: grouping by attribute needs an attribute key");
  }
  Result<SpanMatcher> matcher =
      SpanMatcher::Make(store, request.filter, request.group_by, request.group_attribute);
  if (!matcher.ok()) return matcher.status();

  FlatIndex group_index;
  std::vector<GroupState> groups;
  if (request.group_by == GroupBy::kNone) {
    group_index.SlotOf(0);
    groups.emplace_back();
  }
  if (!matcher->MatchesNothing()) {
    if (Status s = Collect(store, request, *matcher, group_index, groups); !s.ok()) return s;
  }

  CostResult out;
  Sums total;
  BucketSums total_buckets;
  for (const GroupState& g : groups) {
    Result<std::optional<std::string>> key = matcher->KeyName(store, g.key);
    if (!key.ok()) return key.status();
    out.groups.push_back(CostGroup{std::move(*key), g.sums.Figures(), g.buckets.Buckets()});
    total.Add(g.sums);
    total_buckets.Add(g.buckets);
  }
  SortByKey(out.groups);
  out.total = total.Figures();
  out.total_buckets = total_buckets.Buckets();
  return out;
}

}  // namespace roost::query
