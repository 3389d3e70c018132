#pragma once

#include <cstdint>
#include <string>

#include "tools/roost/otlp_http_client.h"

namespace roost::cli {

// What a roost server says one project holds, read over HTTP from its projects route. `roost
// bench ingest` reads it before and after a run, so that against roost it checks by itself,
// without access to the server's data dir, that the server stored as many spans as it
// acknowledged.
struct ProjectCount {
  // The target answered GET /api/v1/projects as roost does (200, {"projects": [...]}); any other
  // OTLP endpoint (Phoenix, a collector) does not, and `reason` says what it answered.
  bool roost = false;
  std::string reason;
  uint64_t spans = 0;  // the project's span_count (0 when roost lists no such project)
};

// GET /api/v1/projects beside `target`'s OTLP path (the URL's path without a trailing
// "/v1/traces", so a prefix a proxy adds is kept), with `api_key` as a Bearer token when
// non-empty. Never fails: an unreachable or non-roost target gives roost = false.
ProjectCount ReadProjectCount(const HttpUrl& target, const std::string& api_key,
                              const std::string& project, const HttpClientOptions& http);

// The counts before and after a run beside what the run acknowledged.
struct StoredCountCheck {
  std::string project;
  uint64_t before = 0;
  uint64_t after = 0;
  uint64_t acknowledged = 0;
  uint64_t failed_requests = 0;  // a failed request may still have been stored

  // Spans the project gained during the run (0 if it lost some, e.g. to retention).
  uint64_t gained() const { return after > before ? after - before : 0; }
  bool exact() const { return after >= before && gained() == acknowledged; }
  // Not exact in a way the run explains: more than acknowledged while some requests failed (the
  // server may have stored a request whose answer never arrived).
  bool explained() const { return gained() > acknowledged && failed_requests > 0; }
  // One line saying how the counts compare.
  std::string Describe() const;
};

}  // namespace roost::cli
