// `roost replicate --from T --to T`: re-sends the spans of a stored time range to a Phoenix (a
// backfill to a new Phoenix), independent of the outbox, with progress on stderr.

#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/otlp_sender.h"
#include "api/replicator.h"
#include "api/rfc3339.h"
#include "ingest/protobuf_encoder.h"
#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/gzip_compress.h"
#include "tools/roost/replication_flags.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

constexpr int kMaxAttempts = 8;

struct ReplicateFlags {
  std::string data = "./roost-data";
  std::string from;
  std::string to;
  std::string project;  // empty: every project
  ReplicationFlags phoenix;
};

// RFC 3339 or integer Unix epoch milliseconds, as the query routes take them.
int64_t ParseTime(const std::string& flag, const std::string& text) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  if (ec == std::errc() && end == text.data() + text.size()) return ms * 1'000'000;
  Result<int64_t> t = api::ParseRfc3339(text);
  if (!t.ok()) Fail(flag + ": " + t.status().message());
  return *t;
}

class Backfill {
 public:
  Backfill(std::unique_ptr<api::OtlpSender> sender, api::ReplicatorOptions options, uint64_t total)
      : sender_(std::move(sender)), options_(std::move(options)), total_(total) {}

  // Queues spans; sends every full batch.
  void Add(std::vector<Span> spans) {
    for (Span& s : spans) batch_.push_back(std::move(s));
    while (batch_.size() >= options_.batch_spans) Send();
  }

  void Finish() {
    while (!batch_.empty()) Send();
    Progress(/*force=*/true);
    std::fprintf(stderr, "\n");
  }

  uint64_t sent() const { return sent_; }
  uint64_t refused() const { return refused_; }

 private:
  void Send() {
    const size_t n = std::min(batch_.size(), options_.batch_spans);
    std::span<const Span> spans(batch_.data(), n);
    const bool gzip = options_.gzip_level >= 0;
    const std::string proto = ingest::EncodeProtobuf(spans);
    const std::string body = gzip ? GzipCompress(proto, options_.gzip_level) : proto;
    api::HeaderList headers = {{"Content-Type", "application/x-protobuf"}};
    if (gzip) headers.emplace_back("Content-Encoding", "gzip");
    if (!options_.api_key.empty())
      headers.emplace_back("Authorization", "Bearer " + options_.api_key);
    headers.insert(headers.end(), options_.headers.begin(), options_.headers.end());
    std::chrono::milliseconds wait(500);
    for (int attempt = 1;; ++attempt) {
      Result<api::OtlpReply> reply = sender_->Post(body, headers);
      const int status = reply.ok() ? reply->status : 0;
      if (status >= 200 && status < 300) {
        sent_ += n;
        break;
      }
      const std::string why = reply.ok() ? "HTTP " + std::to_string(status) + ": " + reply->body
                                         : reply.status().message();
      if (status == 401 || status == 403) Fail("Phoenix refused the key (" + why + ")");
      if (status >= 400 && status < 500 && status != 408 && status != 429) {
        std::fprintf(stderr, "\nPhoenix refused a batch of %zu spans: %s\n", n, why.c_str());
        refused_ += n;
        break;
      }
      if (attempt == kMaxAttempts) {
        Fail("giving up after " + std::to_string(attempt) + " attempts: " + why + " (" +
             std::to_string(sent_) + " spans sent)");
      }
      if (reply.ok() && reply->retry_after_seconds) {
        wait = std::chrono::seconds(*reply->retry_after_seconds);
      }
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, std::chrono::milliseconds(30000));
    }
    batch_.erase(batch_.begin(), batch_.begin() + static_cast<std::ptrdiff_t>(n));
    Progress(/*force=*/false);
  }

  void Progress(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_progress_ < std::chrono::seconds(1)) return;
    last_progress_ = now;
    std::fprintf(stderr, "\rsent %llu / %llu spans", static_cast<unsigned long long>(sent_),
                 static_cast<unsigned long long>(total_));
  }

  std::unique_ptr<api::OtlpSender> sender_;
  const api::ReplicatorOptions options_;
  const uint64_t total_;
  std::vector<Span> batch_;
  uint64_t sent_ = 0;
  uint64_t refused_ = 0;
  std::chrono::steady_clock::time_point last_progress_;
};

// The rows of `view` whose start lies in [from, to).
std::vector<uint32_t> RowsInRange(const ColumnView& view, int64_t from, int64_t to) {
  std::vector<uint32_t> rows;
  for (uint32_t r = 0; r < view.rows; ++r) {
    if (view.start[r] >= from && view.start[r] < to) rows.push_back(r);
  }
  return rows;
}

void RunReplicate(const ReplicateFlags& f) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("roost-replicate"));
  Result<api::ReplicatorOptions> options = MakeReplicatorOptions(f.phoenix);
  if (!options.ok()) Fail(options.status().message());
  if (options->endpoint.empty())
    Fail("--phoenix-endpoint (or PHOENIX_COLLECTOR_ENDPOINT) is required");
  Result<api::OtlpEndpoint> endpoint = api::ParseOtlpEndpoint(options->endpoint);
  if (!endpoint.ok()) Fail("--phoenix-endpoint: " + endpoint.status().message());
  api::OtlpSenderOptions sender_options;
  sender_options.ca_file = options->ca_file;
  sender_options.connect_timeout = options->connect_timeout;
  sender_options.request_timeout = options->request_timeout;
  Result<std::unique_ptr<api::OtlpSender>> sender =
      api::OtlpSender::Create(*endpoint, sender_options);
  if (!sender.ok()) Fail(sender.status().message());
  const int64_t from = f.from.empty() ? INT64_MIN : ParseTime("--from", f.from);
  const int64_t to = f.to.empty() ? INT64_MAX : ParseTime("--to", f.to);
  if (from >= to) Fail("--from must be before --to");

  StoreOptions store_options;
  store_options.path = f.data;
  store_options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(store_options);
  if (!store.ok()) Fail("cannot open " + f.data + " read-only: " + store.status().ToString());
  std::vector<std::string> projects;
  if (!f.project.empty()) {
    projects.push_back(f.project);
  } else {
    Result<std::vector<ProjectSummary>> all = (*store)->ListProjects();
    if (!all.ok()) Fail(all.status().ToString());
    for (const ProjectSummary& p : *all) projects.push_back(p.name);
  }
  uint64_t total = 0;
  for (const std::string& project : projects) {
    ScanRequest request{project, from, to, ColumnSet{Column::kStart}};
    Status s = (*store)->Scan(request, [&](const ColumnView& view) {
      total += RowsInRange(view, from, to).size();
      return Status::OK();
    });
    if (!s.ok()) Fail(s.ToString());
  }
  Backfill backfill(std::move(*sender), *options, total);
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& project : projects) {
    ScanRequest request{project, from, to, ColumnSet{Column::kStart}};
    Status s = (*store)->Scan(request, [&](const ColumnView& view) {
      Result<std::vector<Span>> spans = (*store)->ReadSpans(view, RowsInRange(view, from, to));
      if (!spans.ok()) return spans.status();
      backfill.Add(std::move(*spans));
      return Status::OK();
    });
    if (!s.ok()) Fail(s.ToString());
  }
  backfill.Finish();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("replicated %llu spans to %s in %.1f s (%llu refused)\n",
              static_cast<unsigned long long>(backfill.sent()), endpoint->ToString().c_str(),
              took.count(), static_cast<unsigned long long>(backfill.refused()));
}

}  // namespace

void AddReplicateCommand(CLI::App& app) {
  auto f = std::make_shared<ReplicateFlags>();
  CLI::App* cmd = app.add_subcommand("replicate", "Re-send a stored time range to Phoenix");
  cmd->add_option("--data", f->data, "Data dir (read-only; a server may be running on it)")
      ->envname("ROOST_DATA");
  cmd->add_option("--from", f->from, "Start of the range (RFC 3339 or epoch ms; default: all)");
  cmd->add_option("--to", f->to, "End of the range, exclusive (default: all)");
  cmd->add_option("--project", f->project, "Only this project (default: every project)");
  AddReplicationFlags(cmd, &f->phoenix);
  cmd->callback([f] { RunReplicate(*f); });
}

}  // namespace roost::cli
