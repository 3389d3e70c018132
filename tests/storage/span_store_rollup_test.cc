// Block rollups and shared snapshots: ScanRollups covers every row exactly once (by a rollup cell
// or a row), its sums equal brute force, its sketches are within their accuracy, shards of one
// snapshot partition the rows, and a snapshot does not see later writes.

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/span_store.h"
#include "test_util.h"

namespace roost::test {
namespace {

// Per (kind, status, model name, has cost) figures, the cell granularity with names merged.
struct Figures {
  uint64_t count = 0;
  uint64_t prompt = 0;
  uint64_t completion = 0;
  uint64_t total = 0;
  int64_t cost_micros = 0;
  std::vector<double> durations;  // brute force only
};
using FigKey = std::tuple<uint8_t, uint8_t, std::string, bool>;

std::vector<Span> SkewedSpans(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(std::log(8e8), 1.1);  // ~0.8 s median, long tail
  const char* models[] = {"", "gpt-4o", "claude-sonnet-4"};
  const char* names[] = {"ChatCompletion", "retrieve", "tool"};
  std::vector<Span> out;
  for (size_t i = 0; i < n; ++i) {
    const int64_t start =
        kBaseTime + static_cast<int64_t>(rng() % (6 * kHour / 1000)) * 1000 + int64_t(i % 1000);
    Span s = MakeSpan(rng() % 500 + 1, i + 1, start);
    s.end_unix_nano = start + static_cast<int64_t>(latency(rng));
    s.name = names[rng() % 3];
    s.kind = rng() % 2 == 0 ? SpanKind::kLlm : SpanKind::kChain;
    s.status_code = rng() % 10 == 0 ? StatusCode::kError : StatusCode::kOk;
    s.model_name = models[rng() % 3];
    s.prompt_tokens = static_cast<int64_t>(rng() % 4000);
    s.completion_tokens = static_cast<int64_t>(rng() % 900);
    s.total_tokens = s.prompt_tokens + s.completion_tokens;
    if (rng() % 3 == 0) s.cost_usd = static_cast<double>(rng() % 50000) / 1e6;
    out.push_back(std::move(s));
  }
  return out;
}

double ExactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double rank = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (rank - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

class SpanStoreRollupTest : public SpanStoreTest {
 protected:
  // Runs ScanRollups over [from, to) in `shards` shards of one snapshot and collects figures and
  // per-key sketches; counts how many blocks came as rollups and how many row runs came.
  struct Collected {
    std::map<FigKey, Figures> figures;
    std::map<FigKey, DdSketch> sketches;
    uint64_t rollup_blocks = 0;
    uint64_t row_runs = 0;
  };
  Collected Collect(const SpanStore& store, int64_t from, int64_t to, uint32_t shards) {
    Collected c;
    std::shared_ptr<const ReadSnapshot> snapshot = store.Snapshot();
    auto model_of = [&](uint32_t id) {
      if (id == 0) return std::string();
      Result<std::string> s = store.DictionaryString(DictKind::kModel, id);
      EXPECT_THAT(s, IsOk());
      return s.ok() ? *s : std::string();
    };
    for (uint32_t shard = 0; shard < shards; ++shard) {
      ScanRequest req;
      req.from_unix_nano = from;
      req.to_unix_nano = to;
      req.shard = shard;
      req.shards = shards;
      req.columns = {Column::kStart,       Column::kDuration,
                     Column::kKind,        Column::kStatus,
                     Column::kModel,       Column::kPromptTokens,
                     Column::kTotalTokens, Column::kCompletionTokens,
                     Column::kCostMicros};
      Status s = store.ScanRollups(
          *snapshot, req,
          [&](const ColumnView& v) {
            c.row_runs++;
            for (size_t r = 0; r < v.rows; ++r) {
              if (v.start[r] < from || v.start[r] >= to) continue;
              FigKey key{v.kind[r], v.status[r], model_of(v.model[r]), v.cost_micros[r] >= 0};
              Figures& f = c.figures[key];
              f.count++;
              f.prompt += v.prompt_tokens[r];
              f.completion += v.completion_tokens[r];
              f.total += v.total_tokens[r];
              if (v.cost_micros[r] >= 0) f.cost_micros += v.cost_micros[r];
              c.sketches[key].Add(static_cast<double>(v.duration[r]));
            }
            return Status::OK();
          },
          [&](const BlockRollup& rollup) {
            c.rollup_blocks++;
            EXPECT_GE(rollup.min_start, from);
            EXPECT_LT(rollup.max_start, to);
            uint64_t rows = 0;
            for (const RollupCell& cell : rollup.cells) {
              FigKey key{cell.kind, cell.status, model_of(cell.model), cell.has_cost};
              Figures& f = c.figures[key];
              f.count += cell.count;
              f.prompt += cell.prompt_tokens;
              f.completion += cell.completion_tokens;
              f.total += cell.total_tokens;
              f.cost_micros += cell.cost_micros;
              EXPECT_THAT(c.sketches[key].Merge(cell.duration), IsOk());
              rows += cell.count;
            }
            EXPECT_EQ(rows, rollup.rows);
            return Status::OK();
          });
      EXPECT_THAT(s, IsOk());
    }
    return c;
  }

  static std::map<FigKey, Figures> BruteForce(const std::vector<Span>& spans, int64_t from,
                                              int64_t to) {
    std::map<FigKey, Figures> out;
    for (const Span& s : spans) {
      if (s.start_unix_nano < from || s.start_unix_nano >= to) continue;
      FigKey key{static_cast<uint8_t>(s.kind), static_cast<uint8_t>(s.status_code), s.model_name,
                 s.cost_usd.has_value()};
      Figures& f = out[key];
      f.count++;
      f.prompt += static_cast<uint64_t>(s.prompt_tokens);
      f.completion += static_cast<uint64_t>(s.completion_tokens);
      f.total += static_cast<uint64_t>(s.total_tokens);
      if (s.cost_usd) f.cost_micros += CostMicrosOf(s);
      f.durations.push_back(static_cast<double>(s.duration_nanos()));
    }
    return out;
  }

  static void ExpectMatches(const Collected& got, const std::map<FigKey, Figures>& want) {
    ASSERT_EQ(got.figures.size(), want.size());
    for (const auto& [key, w] : want) {
      SCOPED_TRACE("kind " + std::to_string(std::get<0>(key)) + " status " +
                   std::to_string(std::get<1>(key)) + " model '" + std::get<2>(key) + "'");
      auto it = got.figures.find(key);
      ASSERT_NE(it, got.figures.end());
      const Figures& g = it->second;
      EXPECT_EQ(g.count, w.count);
      EXPECT_EQ(g.prompt, w.prompt);
      EXPECT_EQ(g.completion, w.completion);
      EXPECT_EQ(g.total, w.total);
      EXPECT_EQ(g.cost_micros, w.cost_micros);
      const DdSketch& sketch = got.sketches.at(key);
      ASSERT_EQ(sketch.count(), w.count);
      for (double q : {0.0, 0.5, 0.9, 0.99, 1.0}) {
        const double exact = ExactQuantile(w.durations, q);
        EXPECT_NEAR(sketch.Quantile(q), exact, exact * 0.01) << "q=" << q;
      }
    }
  }
};

TEST_F(SpanStoreRollupTest, WholeRangeComesFromRollupsAndMatchesBruteForce) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = SkewedSpans(6000, 7);
  WriteOk(*store, spans);
  ASSERT_THAT(store->Flush(), IsOk());
  const int64_t from = kBaseTime - 2 * kHour;
  const int64_t to = kBaseTime + 10 * kHour;
  Collected got = Collect(*store, from, to, 1);
  EXPECT_GE(got.rollup_blocks, 6u);  // six hours, each sealed with a rollup
  EXPECT_EQ(got.row_runs, 0u);
  ExpectMatches(got, BruteForce(spans, from, to));
}

TEST_F(SpanStoreRollupTest, EdgesAndOpenRowsComeAsRowsEachRowOnce) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans = SkewedSpans(5000, 11);
  WriteOk(*store, std::vector<Span>(spans.begin(), spans.begin() + 3000));
  ASSERT_THAT(store->Flush(), IsOk());
  // The rest stays in open blocks.
  WriteOk(*store, std::vector<Span>(spans.begin() + 3000, spans.end()));
  // A range that cuts hours in half: the two edge hours are read as rows.
  const int64_t from = kBaseTime + kHour + kHour / 2;
  const int64_t to = kBaseTime + 4 * kHour + kHour / 3;
  for (uint32_t shards : {1u, 2u, 3u}) {
    SCOPED_TRACE("shards " + std::to_string(shards));
    Collected got = Collect(*store, from, to, shards);
    EXPECT_GT(got.rollup_blocks, 0u);
    EXPECT_GT(got.row_runs, 0u);
    ExpectMatches(got, BruteForce(spans, from, to));
  }
}

TEST_F(SpanStoreRollupTest, BlocksWithTooManyCellsAreReadAsRows) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans = SkewedSpans(400, 3);
  for (size_t i = 0; i < spans.size(); ++i) {
    spans[i].name = "unique-" + std::to_string(i);  // a cell per span: no rollup pays
    spans[i].start_unix_nano = kBaseTime + static_cast<int64_t>(i) * kSecond;
    spans[i].end_unix_nano = spans[i].start_unix_nano + 1000;
  }
  WriteOk(*store, spans);
  ASSERT_THAT(store->Flush(), IsOk());
  Collected got = Collect(*store, 0, kBaseTime + 100 * kHour, 1);
  EXPECT_EQ(got.rollup_blocks, 0u);
  EXPECT_GT(got.row_runs, 0u);
  ExpectMatches(got, BruteForce(spans, 0, kBaseTime + 100 * kHour));
}

TEST_F(SpanStoreRollupTest, RollupsSurviveRestart) {
  const std::vector<Span> spans = SkewedSpans(3000, 5);
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    WriteOk(*store, spans);
    ASSERT_THAT(store->Flush(), IsOk());
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  Collected got = Collect(*store, 0, kBaseTime + 100 * kHour, 2);
  EXPECT_GT(got.rollup_blocks, 0u);
  ExpectMatches(got, BruteForce(spans, 0, kBaseTime + 100 * kHour));
}

TEST_F(SpanStoreRollupTest, SnapshotDoesNotSeeLaterWritesOrSeals) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  std::vector<Span> spans = SkewedSpans(2000, 9);
  WriteOk(*store, std::vector<Span>(spans.begin(), spans.begin() + 1000));
  std::shared_ptr<const ReadSnapshot> snapshot = store->Snapshot();
  WriteOk(*store, std::vector<Span>(spans.begin() + 1000, spans.end()));
  ASSERT_THAT(store->Flush(), IsOk());  // seals rows the snapshot saw as open
  ScanRequest req;
  req.columns = {Column::kStart};
  uint64_t rows = 0;
  ASSERT_THAT(store->Scan(*snapshot, req,
                          [&](const ColumnView& v) {
                            rows += v.rows;
                            return Status::OK();
                          }),
              IsOk());
  EXPECT_EQ(rows, 1000u);
}

TEST_F(SpanStoreRollupTest, BadShardIsAnError) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ScanRequest req;
  req.shard = 2;
  req.shards = 2;
  EXPECT_THAT(store->Scan(*store->Snapshot(), req, [](const ColumnView&) { return Status::OK(); }),
              IsError(Status::Code::kInvalidArgument, "shard"));
}

// Spans with every token detail, some irregular (total above prompt + completion, or details
// above their count).
std::vector<Span> DetailedSpans(size_t n, uint32_t seed) {
  std::vector<Span> spans = SkewedSpans(n, seed);
  std::mt19937_64 rng(seed);
  for (Span& s : spans) {
    s.cache_read_tokens = static_cast<int64_t>(rng() % 300);
    s.cache_write_tokens = static_cast<int64_t>(rng() % 200);
    s.prompt_audio_tokens = static_cast<int64_t>(rng() % 50);
    s.reasoning_tokens = static_cast<int64_t>(rng() % 400);
    s.completion_audio_tokens = static_cast<int64_t>(rng() % 30);
    if (rng() % 50 == 0) s.total_tokens += 7;
  }
  return spans;
}

bool Irregular(const Span& s) {
  return s.total_tokens > s.prompt_tokens + s.completion_tokens ||
         s.cache_read_tokens + s.cache_write_tokens + s.prompt_audio_tokens > s.prompt_tokens ||
         s.reasoning_tokens + s.completion_audio_tokens > s.completion_tokens;
}

TEST_F(SpanStoreRollupTest, CellsSumTokenDetailsAndCountIrregularSpans) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = DetailedSpans(4000, 13);
  WriteOk(*store, spans);
  ASSERT_THAT(store->Flush(), IsOk());
  uint64_t want[6] = {};  // the five detail sums, then irregular spans
  for (const Span& s : spans) {
    want[0] += static_cast<uint64_t>(s.cache_read_tokens);
    want[1] += static_cast<uint64_t>(s.cache_write_tokens);
    want[2] += static_cast<uint64_t>(s.prompt_audio_tokens);
    want[3] += static_cast<uint64_t>(s.reasoning_tokens);
    want[4] += static_cast<uint64_t>(s.completion_audio_tokens);
    want[5] += Irregular(s) ? 1 : 0;
  }
  ASSERT_GT(want[5], 0u);
  ASSERT_LT(want[5], spans.size());
  uint64_t got[6] = {};
  uint64_t rows = 0;
  ASSERT_THAT(store->ScanRollups(
                  *store->Snapshot(), ScanRequest{},
                  [&](const ColumnView& v) {
                    ADD_FAILURE() << v.rows << " rows not from a rollup";
                    return Status::OK();
                  },
                  [&](const BlockRollup& b) {
                    EXPECT_TRUE(b.token_details);
                    for (const RollupCell& c : b.cells) {
                      got[0] += c.cache_read_tokens;
                      got[1] += c.cache_write_tokens;
                      got[2] += c.prompt_audio_tokens;
                      got[3] += c.reasoning_tokens;
                      got[4] += c.completion_audio_tokens;
                      got[5] += c.irregular_tokens;
                      rows += c.count;
                    }
                    return Status::OK();
                  }),
              IsOk());
  EXPECT_EQ(rows, spans.size());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i], want[i]) << "figure " << i;
}

TEST_F(SpanStoreRollupTest, RefusedRollupsComeAsRows) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<Span> spans = SkewedSpans(3000, 17);
  WriteOk(*store, spans);
  ASSERT_THAT(store->Flush(), IsOk());
  ScanRequest req;
  req.columns = {Column::kStart};
  uint64_t asked = 0;
  req.accept_rollup = [&](const BlockRollup& b) { return ++asked % 2 == 0 || b.rows == 0; };
  uint64_t rows = 0;
  uint64_t rollups = 0;
  ASSERT_THAT(store->ScanRollups(
                  *store->Snapshot(), req,
                  [&](const ColumnView& v) {
                    rows += v.rows;
                    return Status::OK();
                  },
                  [&](const BlockRollup& b) {
                    rollups++;
                    rows += b.rows;
                    return Status::OK();
                  }),
              IsOk());
  EXPECT_GE(asked, 2u);
  EXPECT_EQ(rollups, asked / 2);  // every second block accepted, the others read as rows
  EXPECT_EQ(rows, spans.size());
}

}  // namespace
}  // namespace roost::test
