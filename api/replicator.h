#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/otlp_body_encoder.h"
#include "api/otlp_sender.h"
#include "storage/result.h"
#include "storage/span_store.h"

namespace roost::api {

// Where replication stands. disabled: no endpoint configured; ok: the last exchange succeeded
// (or nothing was due); retrying: Phoenix unreachable, timing out, 429 or 5xx, backing off;
// auth_failed: Phoenix answered 401/403, retried slowly until the key is fixed.
enum class ReplicationState { kDisabled, kOk, kRetrying, kAuthFailed };
std::string_view ReplicationStateName(ReplicationState state);  // "disabled", "ok", ...

struct ReplicatorOptions {
  // Phoenix's base URL (PHOENIX_COLLECTOR_ENDPOINT); spans go to URL/v1/traces.
  std::string endpoint;
  // Sent as `Authorization: Bearer KEY` when non-empty (PHOENIX_API_KEY).
  std::string api_key;
  // Extra headers on every request (PHOENIX_CLIENT_HEADERS, see ParseClientHeaders).
  HeaderList headers;
  // PEM file of private CAs trusted besides the system store (https).
  std::string ca_file;
  // Spans per request (whole commits are taken, so a request may hold more when one commit does).
  size_t batch_spans = 4096;
  // A partial batch waits this long for more spans before it is sent.
  std::chrono::milliseconds linger{200};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  // Backoff after network errors, timeouts, 429 and 5xx: doubling from min to max, with jitter
  // (each wait is a uniform draw in [d/2, d]); a Retry-After wins, up to max_retry_after.
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds max_retry_after{600000};
  // The slow retry while Phoenix refuses the key (401/403).
  std::chrono::milliseconds auth_retry{60000};
  // gzip level of request bodies: 0 (stored blocks: no compression work) to 9; 1 is the fastest
  // that compresses; -1 sends them uncompressed (no Content-Encoding), cheapest for both ends
  // when Phoenix is on the same machine or LAN. Phoenix accepts any.
  int gzip_level = 1;
  // The replicator's threads run at this nice value (0: as the rest of roost), so that on a
  // busy machine ingest and queries get the CPU first and replication catches up afterwards.
  int nice = 10;
  // While ingest is busy (spans were queued during a batch at an eighth or more of the rate it
  // was delivered at), the replicator pauses after the batch for this many times as long as the
  // batch took (read, encode, send, acknowledge), at most max_yield: ingest gets the CPU (also
  // the CPU a local Phoenix spends decoding) and the queue absorbs the difference. Delivery
  // never stops: at least 1 / (1 + yield_factor) of the replicator's pace. 0: no pause.
  int yield_factor = 3;
  std::chrono::milliseconds max_yield{2000};
};

// What GET /api/v1/replication reports.
struct ReplicationStatus {
  ReplicationState state = ReplicationState::kDisabled;
  uint64_t pending_spans = 0;
  uint64_t replicated_spans = 0;
  uint64_t dead_letter_spans = 0;
  std::optional<std::string> last_error;
  std::optional<int64_t> last_success_unix_nano;    // wall clock of the last 2xx
  std::optional<int64_t> oldest_pending_unix_nano;  // see OutboxStats
  uint64_t pending_spans_kept_past_retention = 0;
  // Requests sent by this process, by outcome; spans delivered by this process.
  uint64_t requests_ok = 0;
  uint64_t requests_failed = 0;
  uint64_t spans_sent = 0;
  // Spans Phoenix took the request for but said it did not keep (an OTLP partial success), by
  // this process, and the last reason it gave. The OTLP spec forbids retrying those; they are
  // counted, logged and shown here instead (Phoenix does not say which spans they were).
  uint64_t phoenix_rejected_spans = 0;
  std::optional<std::string> last_phoenix_rejection;
};

// The status with replication off: the outbox figures alone (entries written while it was on
// still count as pending).
ReplicationStatus DisabledReplicationStatus(const SpanStore& store);

// Parses PHOENIX_CLIENT_HEADERS: `k=v,k2=v2` (as Phoenix's Python clients write it; keys and
// values trimmed, values percent-decoded) or a JSON object of strings (as its JavaScript clients
// do). Empty text gives no headers. kInvalidArgument naming the problem otherwise.
[[nodiscard]] Result<HeaderList> ParseClientHeaders(std::string_view text);

// Forwards the store's replication outbox to Phoenix (OTLP/HTTP protobuf, gzip) on its own
// thread with its own io_context: reads whole commits after the durable cursor, POSTs them in
// batches and moves the cursor only after a 2xx (at least once, resumed after restart). A batch
// Phoenix refuses with another 4xx is split in halves until the refused spans are found; those
// are dead-lettered (with the reason) and the rest delivered. Thread-safe.
class Replicator {
 public:
  // Validates the options (endpoint URL, CA file) and starts the thread. `store` (opened with
  // StoreOptions::outbox) must outlive the replicator. kInvalidArgument naming the problem.
  static Result<std::unique_ptr<Replicator>> Start(SpanStore& store, ReplicatorOptions options);
  // Stops the thread (aborting a request in flight); the cursor stays where the last 2xx left it.
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  ReplicationStatus GetStatus() const;

  // Replaces the key and extra headers (SIGHUP re-reading an env file) and retries at once.
  void UpdateCredentials(std::string api_key, HeaderList headers);

 private:
  enum class Outcome { kDelivered, kAuthFailed, kRetry };

  // Whole commits read from the outbox, with their request body. Two batches take turns (one on
  // the wire, the next in preparation), each keeping its memory from one use to the next.
  struct Batch {
    explicit Batch(int gzip_level) : encoder(gzip_level) {}
    OutboxBatch records;
    OtlpBodyEncoder encoder;
    std::string_view body;  // into `encoder`; empty until encoded
  };

  Replicator(SpanStore& store, ReplicatorOptions options, std::unique_ptr<OtlpSender> sender);
  void Run();
  // Reads and encodes the next batch after `after_seq` into `batch`. Touches no mutable member:
  // it runs on a helper thread while the previous batch is on the wire.
  Status Prepare(uint64_t after_seq, Batch* batch) const;
  // Sends `spans` (as `body` when given), splitting on 4xx; appends refused spans to `dead`.
  Outcome Deliver(std::span<const Span> spans, std::string_view body,
                  std::vector<DeadLetter>* dead);
  // Moves the cursor past a delivered batch (through `last_seq`, with its dead letters). False
  // when the store refused: the batch is to go again.
  bool Acknowledge(uint64_t last_seq, const std::vector<DeadLetter>& dead);
  Outcome Classify(const Result<OtlpReply>& reply, std::string* error);
  void SetState(ReplicationState state, const std::string& error);
  // Counts and logs the spans a 2xx `body` (an ExportTraceServiceResponse) says were rejected.
  void NotePartialSuccess(std::string_view body, size_t sent);
  // Sleeps up to `d`, waking early on Stop or UpdateCredentials. False when stopping.
  bool Wait(std::chrono::milliseconds d);
  std::chrono::milliseconds NextBackoff();
  // After a delivered batch of `spans` that took `took`: the pause that leaves the CPU to
  // ingest when spans kept arriving meanwhile (`queued_total` before it), else zero.
  std::chrono::milliseconds YieldPause(size_t spans, uint64_t queued_total_before,
                                       std::chrono::steady_clock::duration took) const;

  SpanStore& store_;
  const ReplicatorOptions options_;
  std::unique_ptr<OtlpSender> sender_;  // replicator thread only
  // Bodies of partial batches and of the halves of a split one; replicator thread only.
  OtlpBodyEncoder encoder_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                           // guarded by mu_
  bool woken_ = false;                              // guarded by mu_
  std::string api_key_;                             // guarded by mu_
  HeaderList headers_;                              // guarded by mu_
  ReplicationState state_ = ReplicationState::kOk;  // guarded by mu_
  std::optional<std::string> last_error_;           // guarded by mu_
  std::optional<int64_t> last_success_;             // guarded by mu_
  uint64_t requests_ok_ = 0, requests_failed_ = 0;  // guarded by mu_
  uint64_t spans_sent_ = 0;                         // guarded by mu_
  uint64_t phoenix_rejected_ = 0;                   // guarded by mu_
  std::optional<std::string> last_rejection_;       // guarded by mu_
  std::optional<int64_t> retry_after_ms_;           // replicator thread only
  int failures_ = 0;                                // replicator thread only
  std::thread thread_;
};

}  // namespace roost::api
