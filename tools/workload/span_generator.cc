#include "tools/workload/span_generator.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

namespace roost::workload {
namespace {

constexpr int64_t kNanosPerMicro = 1000;
constexpr int64_t kNanosPerMilli = 1000 * kNanosPerMicro;
constexpr int64_t kNanosPerSecond = 1000 * kNanosPerMilli;
constexpr double kMillisPerDay = 86400e3;

// Average spans per session, measured (about 20 turns of about 3.6 spans). Bounded runs use it to
// space sessions so that traffic fills the period; an error bends the density a little, never the
// span count.
constexpr double kMeanSpansPerSession = 75.0;

constexpr int kMaxLlmCalls = 4;
constexpr int kMaxToolCalls = 2;
constexpr int kMaxChildren = kMaxLlmCalls + kMaxToolCalls;
// Upper bounds on attributes per span kind, for reserve().
constexpr size_t kMaxRootAttributes = 8;
constexpr size_t kMaxLlmAttributes = 19;
constexpr size_t kMaxToolAttributes = 9;
// Out of 10,000 LLM and TOOL spans, how many fail.
constexpr uint32_t kFailuresPer10k = 200;
constexpr uint32_t kUserPool = 5000;
// Spans reserved in *out ahead of a batch, at most.
constexpr size_t kMaxReserve = 1 << 16;

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** seeded through splitmix64, with its distributions written out here because the
// standard library's differ between implementations. Transcendentals come from libm; callers
// round results to micro- or milliseconds or to whole tokens, so last-bit differences between libm
// versions practically never show in a span.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      s = SplitMix64(&seed);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0 (multiply-shift; bias below 2^-32).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((Next() >> 32) * n) >> 32); }
  // Uniform in [lo, hi]; REQUIRES hi - lo < 2^32 - 1.
  int64_t Between(int64_t lo, int64_t hi) { return lo + Below(static_cast<uint32_t>(hi - lo + 1)); }
  bool Chance(uint32_t per_10k) { return Below(10000) < per_10k; }
  // Uniform in (0, 1].
  double UniformOpen() { return static_cast<double>((Next() >> 11) + 1) * 0x1.0p-53; }

  // Standard normal by Box-Muller; the second value of each pair serves the next call.
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(UniformOpen()));
    const double theta = 2.0 * kPi * UniformOpen();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

  // Lognormal with the given median, clamped into [lo, hi] and rounded to an integer.
  int64_t LogNormal(double median, double sigma, double lo, double hi) {
    return std::llround(std::clamp(median * std::exp(sigma * Normal()), lo, hi));
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::array<uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

// Index into `per_10k` (weights summing to 10,000) drawn with those weights.
template <size_t N>
size_t PickWeighted(const std::array<uint32_t, N>& per_10k, Rng& rng) {
  uint32_t r = rng.Below(10000);
  for (size_t i = 0; i < N; ++i) {
    if (r < per_10k[i]) {
      return i;
    }
    r -= per_10k[i];
  }
  return N - 1;
}

struct Failure {
  std::string_view type;
  std::string_view message;
};

struct Model {
  std::string_view name;
  std::string_view provider;  // `llm.provider`
  std::string_view system;    // `llm.system`
  double usd_per_million_prompt;
  double usd_per_million_completion;
  double latency_factor;  // weighted so that the median over all calls stays near 2 s
  std::array<Failure, 2> failures;
};

constexpr std::array<Model, 6> kModels = {{
    {"gpt-4o-mini",
     "openai",
     "openai",
     0.15,
     0.60,
     0.85,
     {{{"openai.RateLimitError", "Error code: 429 - Rate limit reached for requests"},
       {"openai.APITimeoutError", "Request timed out."}}}},
    {"gpt-4o",
     "openai",
     "openai",
     2.50,
     10.0,
     1.05,
     {{{"openai.RateLimitError", "Error code: 429 - Rate limit reached for requests"},
       {"openai.InternalServerError", "Error code: 500 - The server had an error"}}}},
    {"claude-3-5-sonnet-20241022",
     "anthropic",
     "anthropic",
     3.0,
     15.0,
     1.15,
     {{{"anthropic.InternalServerError", "Error code: 529 - overloaded_error: Overloaded"},
       {"anthropic.RateLimitError", "Error code: 429 - rate_limit_error"}}}},
    {"claude-3-5-haiku-20241022",
     "anthropic",
     "anthropic",
     0.80,
     4.0,
     0.90,
     {{{"anthropic.InternalServerError", "Error code: 529 - overloaded_error: Overloaded"},
       {"anthropic.APITimeoutError", "Request timed out."}}}},
    {"gemini-1.5-pro",
     "google",
     "vertexai",
     1.25,
     5.0,
     1.10,
     {{{"google.api_core.exceptions.ResourceExhausted", "429 Resource has been exhausted"},
       {"google.api_core.exceptions.ServiceUnavailable", "503 The service is unavailable"}}}},
    {"mistral-large-latest",
     "mistralai",
     "mistralai",
     2.0,
     6.0,
     1.0,
     {{{"mistralai.models.SDKError", "API error occurred: Status 429"},
       {"httpx.ReadTimeout", "The read operation timed out"}}}},
}};
constexpr std::array<uint32_t, kModels.size()> kModelPer10k = {3300, 2500, 1900, 1100, 700, 500};

enum class Tool : uint8_t {
  kSearchDocs,
  kWebSearch,
  kFetchUrl,
  kCreateTicket,
  kRunSql,
  kListTables,
  kGetWeather,
  kBookFlight,
};
constexpr std::array<std::string_view, 8> kToolNames = {
    "search_docs", "web_search",  "fetch_url",   "create_ticket",
    "run_sql",     "list_tables", "get_weather", "book_flight"};
constexpr std::array<Failure, 3> kToolFailures = {{
    {"TimeoutError", "tool call timed out after 30 seconds"},
    {"ValueError", "tool arguments failed validation"},
    {"ConnectionError", "upstream service refused the connection"},
}};

struct Agent {
  std::string_view name;
  std::array<Tool, 3> tools;
};
constexpr std::array<Agent, 4> kAgents = {{
    {"support-bot", {Tool::kSearchDocs, Tool::kCreateTicket, Tool::kFetchUrl}},
    {"research-agent", {Tool::kWebSearch, Tool::kFetchUrl, Tool::kSearchDocs}},
    {"sql-agent", {Tool::kRunSql, Tool::kListTables, Tool::kSearchDocs}},
    {"travel-planner", {Tool::kGetWeather, Tool::kBookFlight, Tool::kWebSearch}},
}};
constexpr std::array<uint32_t, kAgents.size()> kAgentPer10k = {4000, 2500, 2000, 1500};

// LLM calls per turn (1..4) and tool calls per turn (0..2, at most one fewer than LLM calls: each
// tool result goes back to a model).
constexpr std::array<uint32_t, kMaxLlmCalls> kLlmCallsPer10k = {3000, 3800, 2200, 1000};
constexpr std::array<uint32_t, kMaxToolCalls + 1> kToolCallsPer10k = {4000, 3800, 2200};

constexpr std::array<std::string_view, 5> kTemperatures = {"0", "0.2", "0.5", "0.7", "1"};
constexpr std::array<std::string_view, 5> kMaxTokens = {"256", "512", "1024", "2048", "4096"};
constexpr std::array<std::string_view, 10> kCities = {"Paris",   "Berlin",   "Tokyo",  "Lisbon",
                                                      "Toronto", "Austin",   "Sydney", "Madrid",
                                                      "Seattle", "Singapore"};
constexpr std::array<std::string_view, 10> kAirports = {"CDG", "BER", "HND", "LIS", "YYZ",
                                                        "AUS", "SYD", "MAD", "SEA", "SIN"};

// Common words first: TextPool draws low indices more often, as in real prose.
constexpr std::string_view kWords[] = {
    "the",      "to",        "and",      "of",        "a",         "in",           "is",
    "for",      "that",      "you",      "it",        "on",        "with",         "this",
    "be",       "are",       "as",       "can",       "your",      "we",           "not",
    "or",       "have",      "will",     "at",        "from",      "by",           "if",
    "an",       "please",    "our",      "all",       "there",     "which",        "when",
    "what",     "how",       "more",     "about",     "also",      "then",         "should",
    "data",     "account",   "order",    "customer",  "request",   "report",       "plan",
    "team",     "time",      "service",  "issue",     "update",    "results",      "query",
    "table",    "policy",    "refund",   "invoice",   "payment",   "subscription", "user",
    "settings", "access",    "error",    "latency",   "model",     "response",     "document",
    "search",   "summary",   "number",   "week",      "month",     "today",        "flight",
    "weather",  "hotel",     "price",    "total",     "revenue",   "growth",       "region",
    "product",  "feature",   "release",  "version",   "support",   "ticket",       "email",
    "password", "login",     "billing",  "cost",      "usage",     "limit",        "quota",
    "api",      "key",       "project",  "dashboard", "metric",    "trend",        "sales",
    "quarter",  "annual",    "monthly",  "check",     "find",      "show",         "explain",
    "compare",  "list",      "need",     "help",      "want",      "looks",        "based",
    "using",    "available", "recent",   "latest",    "previous",  "current",      "new",
    "several",  "specific",  "detailed", "quick",     "important", "possible",     "likely",
    "because",  "however",   "although", "instead",   "first",     "next",         "finally",
    "here",     "sure",      "thanks",   "below",     "above",     "following",    "steps",
    "option",   "answer",    "question", "context",   "source",    "article",      "guide",
    "section",  "page",      "link",     "database",  "schema",    "column",       "rows",
    "count",    "average",   "median",   "increase",  "decrease",  "between",      "during",
    "after",    "before",    "within",   "across",    "each",      "every",
};
constexpr uint32_t kWordCount = static_cast<uint32_t>(std::size(kWords));

constexpr uint64_t kTextPoolSeed = 0x70726f7365ULL;
constexpr uint32_t kPoolSentences = 4096;
constexpr int kMaxSentencesPerText = 256;

// A fixed pool of sentences made from kWords, the same for every seed. Texts are runs of randomly
// chosen sentences: prose-like and about as compressible as prose, and cheap to build (a few
// appends per text instead of one per word). The pool (~300 KB) is larger than a storage block,
// so compression cannot simply find whole repeated sentences.
class TextPool {
 public:
  TextPool() {
    Rng rng(kTextPoolSeed);
    starts_.reserve(kPoolSentences + 1);
    for (uint32_t i = 0; i < kPoolSentences; ++i) {
      starts_.push_back(static_cast<uint32_t>(text_.size()));
      const int64_t words = rng.Between(5, 18);
      for (int64_t w = 0; w < words; ++w) {
        if (w > 0) {
          text_.push_back(' ');
        }
        const size_t at = text_.size();
        AppendWord(rng, &text_);
        if (w == 0) {
          text_[at] = static_cast<char>(std::toupper(static_cast<unsigned char>(text_[at])));
        }
      }
      text_.push_back(rng.Chance(1500) ? '?' : '.');
    }
    starts_.push_back(static_cast<uint32_t>(text_.size()));
  }

  // Appends whole sentences, space separated, until at least `bytes` bytes were added.
  void AppendProse(size_t bytes, Rng& rng, std::string* out) const {
    const size_t target = out->size() + bytes;
    for (int i = 0; i < kMaxSentencesPerText && out->size() < target; ++i) {
      if (!out->empty() && out->back() != ' ') {
        out->push_back(' ');
      }
      const uint32_t k = rng.Below(kPoolSentences);
      out->append(text_, starts_[k], starts_[k + 1] - starts_[k]);
    }
  }

  // Appends `count` lowercase words separated by `separator`.
  static void AppendWords(int count, char separator, Rng& rng, std::string* out) {
    for (int w = 0; w < count; ++w) {
      if (w > 0) {
        out->push_back(separator);
      }
      AppendWord(rng, out);
    }
  }

 private:
  // Skewed towards the common words at the front of kWords (density ~ -ln(x)).
  static void AppendWord(Rng& rng, std::string* out) {
    const uint64_t index = uint64_t{rng.Below(kWordCount)} * rng.Below(kWordCount) / kWordCount;
    out->append(kWords[index]);
  }

  std::string text_;
  std::vector<uint32_t> starts_;  // sentence k is text_[starts_[k], starts_[k + 1])
};

void AddString(Attributes* attributes, std::string_view key, std::string_view value) {
  Attribute& a = attributes->emplace_back();
  a.key.assign(key);
  a.value.emplace<std::string>(value);
}

void AddInt(Attributes* attributes, std::string_view key, int64_t value) {
  Attribute& a = attributes->emplace_back();
  a.key.assign(key);
  a.value.emplace<int64_t>(value);
}

void AddDouble(Attributes* attributes, std::string_view key, double value) {
  Attribute& a = attributes->emplace_back();
  a.key.assign(key);
  a.value.emplace<double>(value);
}

void AppendHex(uint64_t v, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) {
    out->push_back(kDigits[(v >> shift) & 0xf]);
  }
}

template <size_t N>
void StoreBigEndian(uint64_t v, size_t at, std::array<uint8_t, N>* bytes) {
  for (size_t i = 0; i < 8; ++i) {
    (*bytes)[at + i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  }
}

// One child of a turn's root span, planned before any span of the turn is emitted.
struct ChildPlan {
  SpanKind kind = SpanKind::kLlm;
  size_t model = 0;  // LLM: index into kModels
  Tool tool = Tool::kSearchDocs;
  bool failed = false;
  bool first_llm = false;
  bool last_llm = false;
  int64_t start_unix_nano = 0;
  int64_t end_unix_nano = 0;
};

// One turn, i.e. one trace. Planning draws the shape and times; spans are emitted from the plan,
// possibly across Next() calls, drawing their contents in a fixed order.
struct TurnPlan {
  TraceId trace_id;
  SpanId root_id;
  int64_t start_unix_nano = 0;
  int64_t end_unix_nano = 0;
  int index = 0;       // turn number within the session, from 0
  int span_count = 0;  // spans to emit, root first; fewer than planned only when cut
  int emitted = 0;
  int child_count = 0;
  std::array<ChildPlan, kMaxChildren> children;
};

struct SessionState {
  std::string id;
  std::string user_id;
  size_t agent = 0;
  size_t model = 0;  // the model most of the session's calls use
  int turns = 0;
  int turns_started = 0;
  int64_t next_turn_unix_nano = 0;
  std::string invocation_parameters;
  Attributes resource_attributes;
};

}  // namespace

Status ValidateGeneratorOptions(const GeneratorOptions& options) {
  if (options.end_unix_nano <= 0) {
    return Status::InvalidArgument("generator end time is unset");
  }
  if (options.end_unix_nano > SpanLimits{}.max_end_unix_nano - 86400 * kNanosPerSecond) {
    return Status::InvalidArgument("generator end time is after 2100");
  }
  if (!std::isfinite(options.days) || options.days <= 0 || options.days > kMaxGeneratorDays) {
    return Status::InvalidArgument("generator days must be in (0, 36500], got " +
                                   std::to_string(options.days));
  }
  if (static_cast<double>(options.end_unix_nano) <= options.days * kMillisPerDay * kNanosPerMilli) {
    return Status::InvalidArgument("generator period starts before 1970");
  }
  if (options.project.empty()) {
    return Status::InvalidArgument("generator project is empty");
  }
  return Status::OK();
}

struct SpanGenerator::Rep {
  explicit Rep(const GeneratorOptions& opts);

  size_t Next(size_t max_spans, std::vector<Span>* out);
  void ReserveFor(size_t max_spans, std::vector<Span>* out) const;
  void StartSession();
  int64_t NextSessionOffsetMillis();
  void BuildResourceAttributes();
  void PlanTurn();
  void LayoutChildren(int llm_calls, int tool_calls);
  void Emit(int index, Span* span);
  void FillCommon(SpanKind kind, std::string_view name, bool child, Span* span);
  void EmitRoot(Span* span);
  void EmitLlm(const ChildPlan& plan, Span* span);
  void AddLlmTokens(const ChildPlan& plan, Span* span);
  void EmitTool(const ChildPlan& plan, Span* span);
  void AppendToolParameters(Tool tool, std::string* out);
  void Fail(const Failure& failure, Span* span);
  TraceId NewTraceId();
  SpanId NewSpanId();

  GeneratorOptions options;
  int64_t period_millis = 0;
  int64_t period_start_unix_nano = 0;
  Rng traffic;  // everything but trace and span ids
  Rng ids;      // trace and span ids only, so id_salt changes nothing else
  TextPool prose;
  InstrumentationScope scope;
  SessionState session;
  TurnPlan turn;
  int64_t session_offset_millis = 0;  // last session's start, from the period start
  uint64_t generated = 0;
  // Reused text buffers.
  std::string question;
  std::string answer;
  std::string text;
};

SpanGenerator::Rep::Rep(const GeneratorOptions& opts)
    : options(opts), traffic(opts.seed), ids([&opts] {
        uint64_t seed_state = opts.seed ^ 0x6964735f73747265ULL;
        uint64_t salt_state = opts.id_salt ^ 0x243f6a8885a308d3ULL;
        return SplitMix64(&seed_state) ^ SplitMix64(&salt_state);
      }()) {
  assert(ValidateGeneratorOptions(opts).ok());
  // Release builds clamp what the assert rejects; an unset end puts the traffic in 1970.
  const double days =
      std::isfinite(opts.days) ? std::clamp(opts.days, 0.0, kMaxGeneratorDays) : 1.0;
  period_millis = std::llround(days * kMillisPerDay);
  period_start_unix_nano =
      std::max<int64_t>(opts.end_unix_nano - period_millis * kNanosPerMilli, kNanosPerSecond);
  scope.name = "openinference.instrumentation.openai";
  scope.version = "0.1.18";
}

size_t SpanGenerator::Rep::Next(size_t max_spans, std::vector<Span>* out) {
  assert(out != nullptr);
  ReserveFor(max_spans, out);
  size_t appended = 0;
  // Each pass appends one span, so the loop runs at most max_spans times.
  while (appended < max_spans) {
    if (turn.emitted == turn.span_count) {
      if (options.total_spans != 0 && generated >= options.total_spans) {
        break;
      }
      PlanTurn();
      // Keep traces whole: leave this one for the next call unless the batch is still empty.
      if (appended > 0 && static_cast<size_t>(turn.span_count) > max_spans - appended) {
        break;
      }
    }
    Emit(turn.emitted, &out->emplace_back());
    ++turn.emitted;
    ++appended;
    ++generated;
  }
  return appended;
}

void SpanGenerator::Rep::ReserveFor(size_t max_spans, std::vector<Span>* out) const {
  size_t wanted = std::min(max_spans, kMaxReserve);
  if (options.total_spans != 0) {
    wanted = std::min<uint64_t>(wanted, options.total_spans - generated);
  }
  const size_t needed = out->size() + wanted;
  // Grow geometrically so that callers appending batch after batch stay linear.
  if (needed > out->capacity()) {
    out->reserve(std::max(needed, 2 * out->capacity()));
  }
}

int64_t SpanGenerator::Rep::NextSessionOffsetMillis() {
  if (options.total_spans == 0) {
    // Poisson arrivals at a fixed rate, without end.
    const double mean_gap_millis = kMillisPerDay / kUnboundedSessionsPerDay;
    return session_offset_millis + std::llround(-std::log(traffic.UniformOpen()) * mean_gap_millis);
  }
  // The next of `sessions_left` sorted uniform start times over what is left of the period: the
  // minimum of that many uniforms, Beta(1, sessions_left). Re-estimating sessions_left from the
  // spans still to generate makes the sessions fill the period whatever their sizes.
  const double sessions_left =
      std::max(1.0, static_cast<double>(options.total_spans - generated) / kMeanSpansPerSession);
  const double fraction = -std::expm1(std::log(traffic.UniformOpen()) / sessions_left);
  const int64_t remaining = std::max<int64_t>(period_millis - session_offset_millis, 0);
  return session_offset_millis +
         static_cast<int64_t>(std::floor(static_cast<double>(remaining) * fraction));
}

void SpanGenerator::Rep::StartSession() {
  session_offset_millis = NextSessionOffsetMillis();
  session.next_turn_unix_nano = period_start_unix_nano + session_offset_millis * kNanosPerMilli +
                                traffic.Between(0, kNanosPerMilli - 1);
  session.turns = static_cast<int>(traffic.LogNormal(19.0, 0.45, 5, 40));
  session.turns_started = 0;
  session.agent = PickWeighted(kAgentPer10k, traffic);
  session.model = PickWeighted(kModelPer10k, traffic);
  session.id.assign("sess-");
  AppendHex(traffic.Next(), &session.id);
  const uint64_t user = uint64_t{traffic.Below(kUserPool)} * traffic.Below(kUserPool) / kUserPool;
  session.user_id = "user-" + std::to_string(10000 + user);
  std::string& params = session.invocation_parameters;
  params.assign(R"({"temperature":)");
  params.append(kTemperatures[traffic.Below(kTemperatures.size())]);
  params.append(R"(,"max_tokens":)");
  params.append(kMaxTokens[traffic.Below(kMaxTokens.size())]);
  params.push_back('}');
  BuildResourceAttributes();
}

void SpanGenerator::Rep::BuildResourceAttributes() {
  Attributes& resource = session.resource_attributes;
  resource.clear();
  AddString(&resource, "service.name", kAgents[session.agent].name);
  AddString(&resource, "openinference.project.name", options.project);
  AddString(&resource, "telemetry.sdk.language", "python");
  AddString(&resource, "telemetry.sdk.name", "opentelemetry");
}

void SpanGenerator::Rep::PlanTurn() {
  if (session.turns_started == session.turns) {
    StartSession();
  }
  turn.index = session.turns_started++;
  turn.trace_id = NewTraceId();
  turn.root_id = NewSpanId();
  turn.start_unix_nano = session.next_turn_unix_nano;
  const int llm_calls = 1 + static_cast<int>(PickWeighted(kLlmCallsPer10k, traffic));
  const int tool_calls =
      std::min(static_cast<int>(PickWeighted(kToolCallsPer10k, traffic)), llm_calls - 1);
  LayoutChildren(llm_calls, tool_calls);
  question.clear();
  prose.AppendProse(traffic.Between(40, 220), traffic, &question);
  answer.clear();
  prose.AppendProse(traffic.Between(60, 280), traffic, &answer);

  turn.emitted = 0;
  uint64_t spans = 1 + static_cast<uint64_t>(turn.child_count);
  if (options.total_spans != 0) {
    spans = std::min(spans, options.total_spans - generated);
  }
  turn.span_count = static_cast<int>(spans);
  const int64_t think_micros = traffic.LogNormal(20e6, 0.8, 2e6, 240e6);
  session.next_turn_unix_nano = turn.end_unix_nano + think_micros * kNanosPerMicro;
}

// Children run one after another: LLM, then (tool, LLM) pairs, then any remaining LLM calls.
void SpanGenerator::Rep::LayoutChildren(int llm_calls, int tool_calls) {
  const Agent& agent = kAgents[session.agent];
  int64_t t = turn.start_unix_nano + traffic.Between(2000, 30000) * kNanosPerMicro;
  turn.child_count = llm_calls + tool_calls;
  int llm_seen = 0;
  for (int i = 0; i < turn.child_count; ++i) {
    ChildPlan& child = turn.children[i];
    const bool is_tool = i % 2 == 1 && i / 2 < tool_calls;
    int64_t micros;
    if (is_tool) {
      child.kind = SpanKind::kTool;
      child.tool = agent.tools[traffic.Below(agent.tools.size())];
      micros = traffic.LogNormal(200e3, 0.6, 50e3, 800e3);
    } else {
      child.kind = SpanKind::kLlm;
      child.model = traffic.Chance(8000) ? session.model : PickWeighted(kModelPer10k, traffic);
      child.first_llm = llm_seen == 0;
      child.last_llm = ++llm_seen == llm_calls;
      micros = traffic.LogNormal(2e6 * kModels[child.model].latency_factor, 0.45, 0.3e6, 20e6);
    }
    child.failed = traffic.Chance(kFailuresPer10k);
    child.start_unix_nano = t;
    child.end_unix_nano = t + micros * kNanosPerMicro;
    t = child.end_unix_nano + traffic.Between(1000, 15000) * kNanosPerMicro;
  }
  turn.end_unix_nano = t + traffic.Between(1000, 25000) * kNanosPerMicro;
}

void SpanGenerator::Rep::Emit(int index, Span* span) {
  if (index == 0) {
    EmitRoot(span);
    return;
  }
  const ChildPlan& plan = turn.children[index - 1];
  span->start_unix_nano = plan.start_unix_nano;
  span->end_unix_nano = plan.end_unix_nano;
  if (plan.kind == SpanKind::kLlm) {
    EmitLlm(plan, span);
  } else {
    EmitTool(plan, span);
  }
}

void SpanGenerator::Rep::FillCommon(SpanKind kind, std::string_view name, bool child, Span* span) {
  span->trace_id = turn.trace_id;
  if (child) {
    span->span_id = NewSpanId();
    span->parent_span_id = turn.root_id;
  } else {
    span->span_id = turn.root_id;
  }
  span->name.assign(name);
  span->kind = kind;
  span->otel_kind = OtelSpanKind::kInternal;
  span->status_code = StatusCode::kOk;
  span->project = options.project;
  span->session_id = session.id;
  span->user_id = session.user_id;
  span->resource_attributes = session.resource_attributes;
  span->scope = scope;
  AddString(&span->attributes, "openinference.span.kind", SpanKindName(kind));
  AddString(&span->attributes, "session.id", session.id);
  AddString(&span->attributes, "user.id", session.user_id);
}

void SpanGenerator::Rep::EmitRoot(Span* span) {
  span->attributes.reserve(kMaxRootAttributes);
  FillCommon(SpanKind::kChain, "conversation", /*child=*/false, span);
  span->start_unix_nano = turn.start_unix_nano;
  span->end_unix_nano = turn.end_unix_nano;
  Attributes& attrs = span->attributes;
  AddString(&attrs, "agent.name", kAgents[session.agent].name);
  AddString(&attrs, "input.value", question);
  AddString(&attrs, "input.mime_type", "text/plain");
  AddString(&attrs, "output.value", answer);
  AddString(&attrs, "output.mime_type", "text/plain");
}

void SpanGenerator::Rep::EmitLlm(const ChildPlan& plan, Span* span) {
  span->attributes.reserve(kMaxLlmAttributes);
  FillCommon(SpanKind::kLlm, "ChatCompletion", /*child=*/true, span);
  const Model& model = kModels[plan.model];
  span->model_name.assign(model.name);
  span->provider.assign(model.provider);
  Attributes& attrs = span->attributes;
  AddString(&attrs, "llm.model_name", model.name);
  AddString(&attrs, "llm.provider", model.provider);
  AddString(&attrs, "llm.system", model.system);
  AddString(&attrs, "llm.invocation_parameters", session.invocation_parameters);
  // The first call sees the user's question; later ones see what the tools returned.
  const std::string* input = &question;
  if (!plan.first_llm) {
    text.clear();
    prose.AppendProse(traffic.Between(60, 220), traffic, &text);
    input = &text;
  }
  AddString(&attrs, "input.value", *input);
  AddString(&attrs, "input.mime_type", "text/plain");
  AddString(&attrs, "llm.input_messages.0.message.role", "user");
  AddString(&attrs, "llm.input_messages.0.message.content", *input);
  if (!plan.failed) {
    // The last call writes the turn's answer; earlier ones decide which tool to call next.
    const std::string* output = &answer;
    if (!plan.last_llm) {
      text.clear();
      prose.AppendProse(traffic.Between(30, 120), traffic, &text);
      output = &text;
    }
    AddString(&attrs, "output.value", *output);
    AddString(&attrs, "output.mime_type", "text/plain");
    AddString(&attrs, "llm.output_messages.0.message.role", "assistant");
  }
  AddLlmTokens(plan, span);
  if (plan.failed) {
    Fail(model.failures[traffic.Below(model.failures.size())], span);
  }
}

void SpanGenerator::Rep::AddLlmTokens(const ChildPlan& plan, Span* span) {
  const Model& model = kModels[plan.model];
  // Prompts grow as the conversation's history does.
  const double prompt_median = 800.0 * (1.0 + 0.05 * turn.index);
  span->prompt_tokens = traffic.LogNormal(prompt_median, 0.5, 300, 4000);
  // A failed call reports no completion.
  span->completion_tokens = plan.failed ? 0 : traffic.LogNormal(170, 0.7, 20, 800);
  span->total_tokens = span->prompt_tokens + span->completion_tokens;
  Attributes& attrs = span->attributes;
  AddInt(&attrs, "llm.token_count.prompt", span->prompt_tokens);
  const bool caches = model.provider == "openai" || model.provider == "anthropic";
  if (caches && span->prompt_tokens >= 1024 && traffic.Chance(4000)) {
    const int64_t cached = span->prompt_tokens * traffic.Between(30, 90) / 100;
    AddInt(&attrs, "llm.token_count.prompt_details.cache_read", cached);
    span->cache_read_tokens = cached;
  }
  AddInt(&attrs, "llm.token_count.completion", span->completion_tokens);
  AddInt(&attrs, "llm.token_count.total", span->total_tokens);
  if (traffic.Chance(1000)) {
    const double cost =
        (static_cast<double>(span->prompt_tokens) * model.usd_per_million_prompt +
         static_cast<double>(span->completion_tokens) * model.usd_per_million_completion) /
        1e6;
    AddDouble(&attrs, "llm.cost.total", cost);
    span->cost_usd = cost;
  }
}

void SpanGenerator::Rep::EmitTool(const ChildPlan& plan, Span* span) {
  span->attributes.reserve(kMaxToolAttributes);
  const std::string_view name = kToolNames[static_cast<size_t>(plan.tool)];
  FillCommon(SpanKind::kTool, name, /*child=*/true, span);
  Attributes& attrs = span->attributes;
  AddString(&attrs, "tool.name", name);
  text.clear();
  AppendToolParameters(plan.tool, &text);
  AddString(&attrs, "tool.parameters", text);
  AddString(&attrs, "input.value", text);
  AddString(&attrs, "input.mime_type", "application/json");
  if (plan.failed) {
    Fail(kToolFailures[traffic.Below(kToolFailures.size())], span);
    return;
  }
  text.clear();
  prose.AppendProse(traffic.Between(60, 240), traffic, &text);
  AddString(&attrs, "output.value", text);
  AddString(&attrs, "output.mime_type", "text/plain");
}

// JSON arguments as the model would write them; every piece is plain ASCII, nothing to escape.
void SpanGenerator::Rep::AppendToolParameters(Tool tool, std::string* out) {
  switch (tool) {
    case Tool::kSearchDocs:
    case Tool::kWebSearch:
      out->append(R"({"query":")");
      TextPool::AppendWords(static_cast<int>(traffic.Between(3, 7)), ' ', traffic, out);
      out->append(R"(","top_k":)" + std::to_string(traffic.Between(3, 10)) + "}");
      return;
    case Tool::kFetchUrl:
      out->append(R"({"url":"https://docs.example.com/)");
      TextPool::AppendWords(static_cast<int>(traffic.Between(2, 4)), '/', traffic, out);
      out->append(R"("})");
      return;
    case Tool::kCreateTicket:
      out->append(traffic.Chance(3000) ? R"({"priority":"high","summary":")"
                                       : R"({"priority":"normal","summary":")");
      TextPool::AppendWords(static_cast<int>(traffic.Between(4, 9)), ' ', traffic, out);
      out->append(R"("})");
      return;
    case Tool::kRunSql:
      out->append(R"({"query":"SELECT region, count(*) AS n, sum(amount) FROM )");
      TextPool::AppendWords(2, '_', traffic, out);
      out->append(" WHERE created_at > now() - interval '" +
                  std::to_string(traffic.Between(1, 90)) +
                  R"( days' GROUP BY 1 ORDER BY 2 DESC LIMIT 20"})");
      return;
    case Tool::kListTables:
      out->append(R"({"schema":"public","include_views":false})");
      return;
    case Tool::kGetWeather:
      out->append(R"({"city":")").append(kCities[traffic.Below(kCities.size())]);
      out->append(R"(","units":"metric"})");
      return;
    case Tool::kBookFlight:
      out->append(R"({"origin":"SFO","destination":")")
          .append(kAirports[traffic.Below(kAirports.size())]);
      out->append(R"(","date":"2024-11-)" + std::to_string(traffic.Between(10, 28)) + R"("})");
      return;
  }
}

// As OpenTelemetry's record_exception: status ERROR with a message, and an "exception" event.
void SpanGenerator::Rep::Fail(const Failure& failure, Span* span) {
  span->status_code = StatusCode::kError;
  span->status_message.assign(failure.type).append(": ").append(failure.message);
  SpanEvent& event = span->events.emplace_back();
  event.name = "exception";
  event.time_unix_nano = span->end_unix_nano;
  event.attributes.reserve(2);
  AddString(&event.attributes, "exception.type", failure.type);
  AddString(&event.attributes, "exception.message", failure.message);
}

TraceId SpanGenerator::Rep::NewTraceId() {
  TraceId id;
  const uint64_t hi = ids.Next();
  uint64_t lo = ids.Next();
  if (hi == 0 && lo == 0) {
    lo = 1;  // all-zero ids are invalid
  }
  StoreBigEndian(hi, 0, &id.bytes);
  StoreBigEndian(lo, 8, &id.bytes);
  return id;
}

SpanId SpanGenerator::Rep::NewSpanId() {
  SpanId id;
  uint64_t v = ids.Next();
  if (v == 0) {
    v = 1;
  }
  StoreBigEndian(v, 0, &id.bytes);
  return id;
}

SpanGenerator::SpanGenerator(const GeneratorOptions& options)
    : rep_(std::make_unique<Rep>(options)) {}
SpanGenerator::~SpanGenerator() = default;
SpanGenerator::SpanGenerator(SpanGenerator&&) noexcept = default;
SpanGenerator& SpanGenerator::operator=(SpanGenerator&&) noexcept = default;

size_t SpanGenerator::Next(size_t max_spans, std::vector<Span>* out) {
  return rep_->Next(max_spans, out);
}

uint64_t SpanGenerator::generated() const { return rep_->generated; }

}  // namespace roost::workload
