#include "api/ops_handlers.h"

#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/metrics.h"
#include "api/rfc3339.h"

namespace roost::api {
namespace {

constexpr size_t kDefaultDeadLetters = 100;
constexpr size_t kMaxDeadLetters = 10000;

nlohmann::ordered_json TimeOrNull(const std::optional<int64_t>& unix_nano) {
  if (!unix_nano) return nullptr;
  return FormatRfc3339(*unix_nano);
}

std::string Seconds(int64_t unix_nano) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(unix_nano) / 1e9);
  return buf;
}

void Metric(std::string* out, const char* name, const char* type, const char* help,
            const std::string& samples) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  *out += samples;
}

std::string Sample(const std::string& name, uint64_t value) {
  return name + " " + std::to_string(value) + "\n";
}

Response MethodNotAllowed() {
  Response r = ErrorResponse(405, "method not allowed; use GET");
  r.headers.emplace_back("Allow", "GET");
  return r;
}

Response DeadLetters(const Request& request, const SpanStore& store) {
  size_t limit = kDefaultDeadLetters;
  if (const std::string* text = request.Query("limit")) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit == 0 ||
        limit > kMaxDeadLetters) {
      return ErrorResponse(400, "limit: expected an integer in [1, " +
                                    std::to_string(kMaxDeadLetters) + "], got '" + *text + "'");
    }
  }
  Result<std::vector<DeadLetter>> dead = store.ListDeadLetters(limit);
  if (!dead.ok()) return ErrorResponse(500, dead.status().ToString());
  nlohmann::json list = nlohmann::json::array();
  for (const DeadLetter& d : *dead) {
    list.push_back({{"trace_id", d.trace_id.ToHex()},
                    {"span_id", d.span_id.ToHex()},
                    {"project", d.project},
                    {"reason", d.reason},
                    {"at", FormatRfc3339(d.at_unix_nano)}});
  }
  Response r;
  r.body = nlohmann::json{{"dead_letters", std::move(list)},
                          {"total", store.GetOutboxStats().dead_letter_spans}}
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

ReplicationStatus StatusOf(const SpanStore& store, const OpsDeps& deps) {
  return deps.replicator != nullptr ? deps.replicator->GetStatus()
                                    : DisabledReplicationStatus(store);
}

}  // namespace

std::string ReplicationStatusJson(const ReplicationStatus& s) {
  // Ordered as documented (nlohmann::json would sort the keys).
  nlohmann::ordered_json j = {
      {"state", std::string(ReplicationStateName(s.state))},
      {"pending_spans", s.pending_spans},
      {"replicated_spans", s.replicated_spans},
      {"dead_letter_spans", s.dead_letter_spans},
      {"last_error",
       s.last_error ? nlohmann::ordered_json(*s.last_error) : nlohmann::ordered_json(nullptr)},
      {"last_success", TimeOrNull(s.last_success_unix_nano)},
      {"oldest_pending", TimeOrNull(s.oldest_pending_unix_nano)},
      {"phoenix_rejected_spans", s.phoenix_rejected_spans},
      {"last_phoenix_rejection", s.last_phoenix_rejection
                                     ? nlohmann::ordered_json(*s.last_phoenix_rejection)
                                     : nlohmann::ordered_json(nullptr)},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RenderMetrics(const SpanStore& store, const OpsDeps& deps) {
  const ReplicationStatus rs = StatusOf(store, deps);
  const StoreStats st = store.Stats();
  std::string out;
  std::string states;
  for (ReplicationState s : {ReplicationState::kDisabled, ReplicationState::kOk,
                             ReplicationState::kRetrying, ReplicationState::kAuthFailed}) {
    states += "roost_replication_state{state=\"" + std::string(ReplicationStateName(s)) + "\"} " +
              (s == rs.state ? "1" : "0") + "\n";
  }
  Metric(&out, "roost_replication_state", "gauge", "1 for the replication state roost is in.",
         states);
  Metric(&out, "roost_replication_pending_spans", "gauge", "Spans queued for Phoenix.",
         Sample("roost_replication_pending_spans", rs.pending_spans));
  Metric(&out, "roost_replication_replicated_spans_total", "counter",
         "Spans Phoenix accepted (over the data dir's life).",
         Sample("roost_replication_replicated_spans_total", rs.replicated_spans));
  Metric(&out, "roost_replication_dead_letter_spans_total", "counter",
         "Spans Phoenix refused, set aside (over the data dir's life).",
         Sample("roost_replication_dead_letter_spans_total", rs.dead_letter_spans));
  Metric(&out, "roost_replication_phoenix_rejected_spans_total", "counter",
         "Spans Phoenix accepted a request for but reported rejecting (OTLP partial success), "
         "by this process.",
         Sample("roost_replication_phoenix_rejected_spans_total", rs.phoenix_rejected_spans));
  Metric(&out, "roost_replication_requests_total", "counter",
         "Export requests sent to Phoenix by this process, by outcome.",
         "roost_replication_requests_total{outcome=\"ok\"} " + std::to_string(rs.requests_ok) +
             "\nroost_replication_requests_total{outcome=\"failed\"} " +
             std::to_string(rs.requests_failed) + "\n");
  Metric(&out, "roost_replication_pending_spans_kept_past_retention", "gauge",
         "Pending spans whose hours expired, kept until replicated (last retention pass).",
         Sample("roost_replication_pending_spans_kept_past_retention",
                rs.pending_spans_kept_past_retention));
  if (rs.oldest_pending_unix_nano) {
    Metric(&out, "roost_replication_oldest_pending_timestamp_seconds", "gauge",
           "Start time of the oldest pending commit's earliest span.",
           "roost_replication_oldest_pending_timestamp_seconds " +
               Seconds(*rs.oldest_pending_unix_nano) + "\n");
  }
  if (rs.last_success_unix_nano) {
    Metric(&out, "roost_replication_last_success_timestamp_seconds", "gauge",
           "When Phoenix last accepted a batch.",
           "roost_replication_last_success_timestamp_seconds " +
               Seconds(*rs.last_success_unix_nano) + "\n");
  }
  Metric(&out, "roost_ingest_spans_total", "counter", "Spans received by this process, by outcome.",
         "roost_ingest_spans_total{outcome=\"stored\"} " + std::to_string(st.committed_spans) +
             "\nroost_ingest_spans_total{outcome=\"duplicate\"} " +
             std::to_string(st.duplicate_spans) +
             "\nroost_ingest_spans_total{outcome=\"rejected\"} " +
             std::to_string(st.rejected_spans) + "\n");
  Metric(&out, "roost_store_bytes", "gauge", "Bytes in the store's files, by kind.",
         "roost_store_bytes{kind=\"all\"} " + std::to_string(st.live_data_bytes) +
             "\nroost_store_bytes{kind=\"columns\"} " + std::to_string(st.column_bytes) +
             "\nroost_store_bytes{kind=\"records\"} " + std::to_string(st.record_bytes) +
             "\nroost_store_bytes{kind=\"index\"} " + std::to_string(st.index_bytes) +
             "\nroost_store_bytes{kind=\"outbox\"} " + std::to_string(st.outbox_bytes) + "\n");
  Metric(&out, "roost_ingest_queued_spans", "gauge",
         "Spans waiting in the write queue for their group commit.",
         Sample("roost_ingest_queued_spans", st.queued_spans));
  Metric(&out, "roost_store_open_rows", "gauge", "Rows in open (not yet sealed) blocks.",
         Sample("roost_store_open_rows", st.open_rows));
  Metric(&out, "roost_store_open_page_bytes", "gauge",
         "Bytes of payload pages held in memory for the rows of open blocks.",
         Sample("roost_store_open_page_bytes", st.open_page_bytes));
  Metric(&out, "roost_store_dictionary_strings", "gauge",
         "Strings (projects, span names, models, session and user ids) held in memory.",
         Sample("roost_store_dictionary_strings", st.dictionary_strings));
  Metric(&out, "roost_store_writes_stopped", "gauge",
         "1 while the store refuses writes (a full disk, until space is freed), else 0.",
         Sample("roost_store_writes_stopped", st.writes_stopped.empty() ? 0 : 1));
  if (deps.metrics != nullptr) out += deps.metrics->Render();
  return out;
}

std::optional<Response> HandleOpsRoute(const Request& request, const SpanStore& store,
                                       const OpsDeps& deps) {
  if (request.path != "/api/v1/replication" && request.path != "/api/v1/replication/dead_letters" &&
      request.path != "/metrics") {
    return std::nullopt;
  }
  if (request.method != "GET") return MethodNotAllowed();
  Response r;
  if (request.path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4";
    r.body = RenderMetrics(store, deps);
  } else if (request.path == "/api/v1/replication") {
    r.body = ReplicationStatusJson(StatusOf(store, deps));
  } else {
    r = DeadLetters(request, store);
  }
  return r;
}

}  // namespace roost::api
