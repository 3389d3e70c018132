#include "query/pricing.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>
#include <regex>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "query/internal/builtin_prices.h"
#include "query/regex_specificity.h"

namespace roost::query {
namespace {

using nlohmann::json;

struct Entry {
  PriceEntry price;
  std::optional<std::regex> re;  // set for patterns
  int score = 0;
  uint64_t seq = 0;  // insertion order, for ties
};

// Compiles a pattern as Python's re would read the common subset: a leading `(?i)` (any number
// of inline flag groups, only the `i` flag) becomes case-insensitivity. kInvalidArgument
// otherwise.
Result<std::regex> CompilePattern(const std::string& pattern) {
  auto flags = std::regex::ECMAScript | std::regex::optimize;
  size_t i = 0;
  while (size_t n = InlineFlagGroupLength(pattern, i)) {
    for (size_t k = i + 2; k < i + n - 1; ++k) {
      if (pattern[k] != 'i') {
        return Status::InvalidArgument("regex \"" + pattern + "\": inline flag '" +
                                       std::string(1, pattern[k]) + "' is not supported");
      }
    }
    flags |= std::regex::icase;
    i += n;
  }
  try {
    return std::regex(pattern.substr(i), flags);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("regex \"" + pattern + "\" is invalid: " + e.what());
  }
}

Result<Entry> MakeEntry(PriceEntry price) {
  Entry e;
  if (!price.pattern.empty()) {
    Result<std::regex> re = CompilePattern(price.pattern);
    if (!re.ok()) return re.status();
    e.re = std::move(*re);
    e.score = RegexSpecificity(price.pattern);
  }
  e.price = std::move(price);
  return e;
}

// A price per million tokens, as a per-token rate. `where` names the field in errors.
Result<double> PerMillion(const json& v, const std::string& where) {
  if (!v.is_number()) return Status::InvalidArgument(where + " is not a number");
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < 0) {
    return Status::InvalidArgument(where + " is negative or not finite (" + v.dump() + ")");
  }
  return d / 1e6;
}

std::optional<double> TokenRates::*OwnField(std::string_view field) {
  static constexpr std::pair<std::string_view, std::optional<double> TokenRates::*> kFields[] = {
      {"input_per_million_tokens", &TokenRates::input},
      {"output_per_million_tokens", &TokenRates::output},
      {"cache_read_per_million_tokens", &TokenRates::cache_read},
      {"cache_write_per_million_tokens", &TokenRates::cache_write},
      {"audio_input_per_million_tokens", &TokenRates::prompt_audio},
      {"audio_output_per_million_tokens", &TokenRates::completion_audio},
      {"reasoning_per_million_tokens", &TokenRates::reasoning},
  };
  for (const auto& [name, member] : kFields) {
    if (name == field) return member;
  }
  return nullptr;
}

Result<PriceEntry> ParseOwnEntry(const std::string& key, const json& v) {
  const std::string where = "models.\"" + key + "\"";
  if (key.empty()) return Status::InvalidArgument("models has an empty model name");
  PriceEntry p;
  p.name = key;
  p.user = true;
  if (key.size() >= 2 && key.front() == '/' && key.back() == '/') {
    p.pattern = key.substr(1, key.size() - 2);
    if (p.pattern.empty()) return Status::InvalidArgument(where + " is an empty pattern");
  }
  if (!v.is_object()) return Status::InvalidArgument(where + " is not an object");
  for (const auto& [field, value] : v.items()) {
    if (field == "provider") {
      if (!value.is_string()) return Status::InvalidArgument(where + ".provider is not a string");
      p.provider = value.get<std::string>();
      continue;
    }
    auto member = OwnField(field);
    if (member == nullptr) {
      return Status::InvalidArgument(where + " has unknown field \"" + field + "\"");
    }
    Result<double> rate = PerMillion(value, where + "." + field);
    if (!rate.ok()) return rate.status();
    p.rates.*member = *rate;
  }
  if (!p.rates.input || !p.rates.output) {
    return Status::InvalidArgument(where +
                                   " needs input_per_million_tokens and output_per_million_tokens");
  }
  return p;
}

// Maps a Phoenix (token_type, is_prompt) to a rate; nullptr for types roost does not count.
std::optional<double> TokenRates::*PhoenixField(std::string_view type, bool is_prompt) {
  if (is_prompt) {
    if (type == "input") return &TokenRates::input;
    if (type == "cache_read") return &TokenRates::cache_read;
    if (type == "cache_write") return &TokenRates::cache_write;
    if (type == "audio") return &TokenRates::prompt_audio;
    return nullptr;
  }
  if (type == "output") return &TokenRates::output;
  if (type == "reasoning") return &TokenRates::reasoning;
  if (type == "audio") return &TokenRates::completion_audio;
  return nullptr;
}

Result<PriceEntry> ParsePhoenixEntry(size_t index, const json& v) {
  std::string where = "models[" + std::to_string(index) + "]";
  if (!v.is_object()) return Status::InvalidArgument(where + " is not an object");
  auto text = [&](const char* field, bool required) -> Result<std::string> {
    auto it = v.find(field);
    if (it == v.end() || it->is_null()) {
      if (required) return Status::InvalidArgument(where + " has no " + field);
      return std::string();
    }
    if (!it->is_string()) return Status::InvalidArgument(where + "." + field + " is not a string");
    return it->get<std::string>();
  };
  Result<std::string> name = text("name", true);
  if (!name.ok()) return name.status();
  where += " (\"" + *name + "\")";
  Result<std::string> pattern = text("name_pattern", true);
  if (!pattern.ok()) return pattern.status();
  if (pattern->empty()) return Status::InvalidArgument(where + ".name_pattern is empty");
  Result<std::string> provider = text("provider", false);
  if (!provider.ok()) return provider.status();
  PriceEntry p{*name, *pattern, *provider, true, {}};
  auto prices = v.find("token_prices");
  if (prices == v.end() || !prices->is_array()) {
    return Status::InvalidArgument(where + ".token_prices is missing or not an array");
  }
  for (size_t k = 0; k < prices->size(); ++k) {
    const json& tp = (*prices)[k];
    const std::string at = where + ".token_prices[" + std::to_string(k) + "]";
    if (!tp.is_object()) return Status::InvalidArgument(at + " is not an object");
    auto type = tp.find("token_type");
    auto rate = tp.find("base_rate");
    auto prompt = tp.find("is_prompt");
    if (type == tp.end() || !type->is_string()) {
      return Status::InvalidArgument(at + ".token_type is missing or not a string");
    }
    if (prompt == tp.end() || !prompt->is_boolean()) {
      return Status::InvalidArgument(at + ".is_prompt is missing or not a boolean");
    }
    if (rate == tp.end() || !rate->is_number()) {
      return Status::InvalidArgument(at + ".base_rate is missing or not a number");
    }
    const double r = rate->get<double>();
    if (!std::isfinite(r) || r < 0) {
      return Status::InvalidArgument(at + ".base_rate is negative or not finite");
    }
    if (auto member = PhoenixField(type->get<std::string>(), prompt->get<bool>())) {
      p.rates.*member = r;  // Phoenix rates are per token already
    }
  }
  return p;
}

Result<std::vector<PriceEntry>> ParsePricing(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return Status::InvalidArgument("is not a JSON object");
  auto models = doc.find("models");
  if (models == doc.end()) return Status::InvalidArgument("has no \"models\"");
  std::vector<PriceEntry> out;
  if (models->is_object()) {
    for (const auto& [key, value] : models->items()) {
      Result<PriceEntry> p = ParseOwnEntry(key, value);
      if (!p.ok()) return p.status();
      out.push_back(std::move(*p));
    }
  } else if (models->is_array()) {
    for (size_t i = 0; i < models->size(); ++i) {
      Result<PriceEntry> p = ParsePhoenixEntry(i, (*models)[i]);
      if (!p.ok()) return p.status();
      out.push_back(std::move(*p));
    }
  } else {
    return Status::InvalidArgument(
        "\"models\" is neither an object (roost's format) nor an "
        "array (Phoenix's cost manifest format)");
  }
  return out;
}

}  // namespace

double SpanCostUsd(const TokenRates& r, const SpanTokens& t) {
  uint64_t prompt = t.prompt;
  uint64_t completion = t.completion;
  if (t.total > prompt + completion) {
    if (prompt == 0) {
      prompt = t.total - completion;
    } else {
      completion = t.total - prompt;
    }
  }
  auto at = [](uint64_t n, const std::optional<double>& rate, const std::optional<double>& dflt) {
    return n == 0 ? 0.0 : static_cast<double>(n) * rate.value_or(dflt.value_or(0.0));
  };
  double cost =
      at(t.cache_read, r.cache_read, r.input) + at(t.cache_write, r.cache_write, r.input) +
      at(t.prompt_audio, r.prompt_audio, r.input) + at(t.reasoning, r.reasoning, r.output) +
      at(t.completion_audio, r.completion_audio, r.output);
  const uint64_t prompt_details = t.cache_read + t.cache_write + t.prompt_audio;
  const uint64_t completion_details = t.reasoning + t.completion_audio;
  if (prompt > prompt_details) cost += at(prompt - prompt_details, r.input, std::nullopt);
  if (completion > completion_details) {
    cost += at(completion - completion_details, r.output, std::nullopt);
  }
  return cost;
}

struct PricingTable::Rep {
  std::vector<Entry> entries;
  uint64_t next_seq = 0;
  // Rebuilt after every change: per tier (0 = files, 1 = built-in), exact names and patterns
  // in the order they are tried.
  std::unordered_map<std::string, size_t> exact[2];
  std::vector<size_t> patterns[2];

  void Index() {
    for (int t = 0; t < 2; ++t) {
      exact[t].clear();
      patterns[t].clear();
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      const int tier = e.price.user ? 0 : 1;
      if (e.re) {
        patterns[tier].push_back(i);
      } else {
        exact[tier][e.price.name] = i;
      }
    }
    for (int t = 0; t < 2; ++t) {
      std::sort(patterns[t].begin(), patterns[t].end(), [&](size_t a, size_t b) {
        const Entry& x = entries[a];
        const Entry& y = entries[b];
        if (x.score != y.score) return x.score > y.score;
        return t == 0 ? x.seq > y.seq : x.seq < y.seq;  // files: later wins; built-in: earlier
      });
    }
  }
};

PricingTable::PricingTable() : rep_(std::make_unique<Rep>()) {}
PricingTable::~PricingTable() = default;
PricingTable::PricingTable(PricingTable&&) noexcept = default;
PricingTable& PricingTable::operator=(PricingTable&&) noexcept = default;

PricingTable PricingTable::BuiltIn() {
  PricingTable table;
  for (const internal::BuiltInPrice& b : internal::kBuiltInPrices) {
    auto rate = [](double per_million) {
      return per_million < 0 ? std::optional<double>() : std::optional<double>(per_million / 1e6);
    };
    PriceEntry p{std::string(b.name), std::string(b.pattern), std::string(b.provider), false,
                 TokenRates{rate(b.input), rate(b.output), rate(b.cache_read), rate(b.cache_write),
                            rate(b.audio_input), std::nullopt, rate(b.audio_output)}};
    Result<Entry> e = MakeEntry(std::move(p));
    assert(e.ok());  // the built-in patterns are tested
    if (!e.ok()) continue;
    e->seq = table.rep_->next_seq++;
    table.rep_->entries.push_back(std::move(*e));
  }
  table.rep_->Index();
  return table;
}

Status PricingTable::MergeJson(std::string_view json_text, std::string_view source) {
  auto fail = [&](const Status& s) {
    return Status::InvalidArgument("pricing file " + std::string(source) + ": " + s.message());
  };
  Result<std::vector<PriceEntry>> parsed = ParsePricing(json_text);
  if (!parsed.ok()) return fail(parsed.status());
  std::vector<Entry> fresh;
  for (PriceEntry& p : *parsed) {
    Result<Entry> e = MakeEntry(std::move(p));
    if (!e.ok()) return fail(e.status());
    fresh.push_back(std::move(*e));
  }
  // All valid: commit. A file entry replaces an earlier file entry with the same key.
  for (Entry& e : fresh) {
    auto same = [&](const Entry& old) {
      return old.price.user && old.price.pattern == e.price.pattern &&
             (!e.price.pattern.empty() || old.price.name == e.price.name);
    };
    auto& entries = rep_->entries;
    entries.erase(std::remove_if(entries.begin(), entries.end(), same), entries.end());
    e.seq = rep_->next_seq++;
    entries.push_back(std::move(e));
  }
  rep_->Index();
  return Status::OK();
}

Status PricingTable::MergeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("pricing file " + path + ": cannot be opened");
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPricingFileBytes) {
      return Status::InvalidArgument("pricing file " + path + ": larger than " +
                                     std::to_string(kMaxPricingFileBytes) + " bytes");
    }
  }
  if (in.bad()) return Status::IOError("pricing file " + path + ": read failed");
  return MergeJson(text, path);
}

const PriceEntry* PricingTable::Resolve(std::string_view model) const {
  if (model.empty()) return nullptr;
  const std::string name(model);
  for (int tier = 0; tier < 2; ++tier) {
    auto it = rep_->exact[tier].find(name);
    if (it != rep_->exact[tier].end()) return &rep_->entries[it->second].price;
    if (name.size() > kMaxPatternMatchBytes) continue;
    for (size_t i : rep_->patterns[tier]) {
      const Entry& e = rep_->entries[i];
      try {
        if (std::regex_search(name, *e.re, std::regex_constants::match_continuous)) {
          return &e.price;
        }
      } catch (const std::regex_error&) {
        // Too complex for this name (libstdc++ limits): the entry does not match it.
      }
    }
  }
  return nullptr;
}

std::vector<const PriceEntry*> PricingTable::Entries() const {
  std::vector<const PriceEntry*> out;
  for (const Entry& e : rep_->entries) {
    if (e.price.user) out.push_back(&e.price);
  }
  for (const Entry& e : rep_->entries) {
    if (!e.price.user) out.push_back(&e.price);
  }
  return out;
}

size_t PricingTable::size() const { return rep_->entries.size(); }

}  // namespace roost::query
