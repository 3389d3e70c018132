#pragma once

#include <chrono>
#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "api/replicator.h"
#include "storage/result.h"

namespace roost::cli {

// The `roost serve` options that configure replication to Phoenix.
struct ReplicationFlags {
  std::string endpoint;  // --phoenix-endpoint / PHOENIX_COLLECTOR_ENDPOINT
  std::string api_key;   // --phoenix-api-key / PHOENIX_API_KEY
  std::string headers;   // --phoenix-headers / PHOENIX_CLIENT_HEADERS
  std::string ca_file;   // --phoenix-ca
  std::string env_file;  // --env-file: re-read on SIGHUP
  size_t batch = 4096;
  std::string linger = "200ms";
  std::string connect_timeout = "10s";
  std::string timeout = "30s";
  std::string max_backoff = "60s";
  std::string auth_retry = "60s";
  std::string gzip_level = "auto";
  int nice = 10;
  int yield = 3;
};

// Adds the replication options to `cmd`; `flags` must outlive the parse.
void AddReplicationFlags(CLI::App* cmd, ReplicationFlags* flags);

// Parses "250ms", "2s", "5m", "1h". kInvalidArgument otherwise.
Result<std::chrono::milliseconds> ParseMillis(const std::string& text);

// Reads KEY=VALUE lines (blank lines and # comments skipped, an `export ` prefix and matching
// quotes around the value allowed). kIOError when unreadable, kInvalidArgument naming the line.
Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path);

// The replicator's options from the flags, with PHOENIX_COLLECTOR_ENDPOINT, PHOENIX_API_KEY and
// PHOENIX_CLIENT_HEADERS from the env file (when given) winning over flags and environment.
// An empty endpoint means replication is off. kInvalidArgument naming the bad option.
Result<api::ReplicatorOptions> MakeReplicatorOptions(const ReplicationFlags& flags);

// The gzip level of --phoenix-gzip-level `text` ("0".."9", "off": -1, "auto": off when
// `endpoint`'s host is this machine, else 1). kInvalidArgument otherwise.
Result<int> GzipLevelOf(const std::string& text, const std::string& endpoint);

}  // namespace roost::cli
