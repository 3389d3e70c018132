#include "tools/roost/replication_flags.h"

#include <cctype>
#include <fstream>

#include "api/otlp_sender.h"

namespace roost::cli {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

Result<int> GzipLevelOf(const std::string& text, const std::string& endpoint) {
  if (text == "off") return -1;
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '9') return text[0] - '0';
  if (text != "auto") {
    return Status::InvalidArgument("--phoenix-gzip-level: expected 0-9, off or auto, got '" + text +
                                   "'");
  }
  // On loopback, bytes cost nothing to carry and compressing them costs CPU on both ends.
  Result<api::OtlpEndpoint> parsed = api::ParseOtlpEndpoint(endpoint);
  if (!parsed.ok()) return 1;  // reported where the endpoint is used
  const std::string& host = parsed->host;
  const bool loopback = host == "localhost" || host == "::1" || host.starts_with("127.") ||
                        host.ends_with(".localhost");
  return loopback ? -1 : 1;
}

void AddReplicationFlags(CLI::App* cmd, ReplicationFlags* f) {
  cmd->add_option("--phoenix-endpoint", f->endpoint,
                  "Replicate to this Phoenix (http[s]://host[:port]; spans go to /v1/traces)")
      ->envname("PHOENIX_COLLECTOR_ENDPOINT");
  cmd->add_option("--phoenix-api-key", f->api_key, "Phoenix API key (Authorization: Bearer)")
      ->envname("PHOENIX_API_KEY");
  cmd->add_option("--phoenix-headers", f->headers,
                  "Extra headers for Phoenix: k=v,k2=v2 or a JSON object")
      ->envname("PHOENIX_CLIENT_HEADERS");
  cmd->add_option("--phoenix-ca", f->ca_file, "PEM file of CAs trusted for https to Phoenix");
  cmd->add_option("--env-file", f->env_file,
                  "KEY=VALUE file for the PHOENIX_* settings; re-read on SIGHUP");
  cmd->add_option("--replication-batch", f->batch, "Spans per request to Phoenix");
  cmd->add_option("--replication-linger", f->linger, "Wait for a fuller batch, e.g. 200ms");
  cmd->add_option("--phoenix-connect-timeout", f->connect_timeout, "Connect + TLS bound, e.g. 10s");
  cmd->add_option("--phoenix-timeout", f->timeout, "Request bound, e.g. 30s");
  cmd->add_option("--replication-max-backoff", f->max_backoff, "Longest retry wait, e.g. 60s");
  cmd->add_option("--replication-auth-retry", f->auth_retry,
                  "Retry interval while Phoenix refuses the key, e.g. 60s");
  cmd->add_option("--phoenix-gzip-level", f->gzip_level,
                  "gzip level of request bodies: 0 (stored) to 9 (smallest), off, or auto (off "
                  "for a Phoenix on this machine, else 1)");
  cmd->add_option("--replication-nice", f->nice,
                  "Nice value of the replicator's threads (0: same priority as ingest)")
      ->check(CLI::Range(0, 19));
  cmd->add_option("--replication-yield", f->yield,
                  "While ingest is busy, pause this many times as long as each batch took "
                  "(0: no pause)")
      ->check(CLI::Range(0, 20));
}

Result<std::chrono::milliseconds> ParseMillis(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) {
    return Status::InvalidArgument("duration '" + text + "' must be a number with ms, s, m or h");
  }
  const int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return Status::InvalidArgument("duration '" + text + "' needs a unit: ms, s, m or h");
  }
  return std::chrono::milliseconds(n * scale);
}

Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read env file " + path);
  std::map<std::string, std::string> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("export ", 0) == 0) line = Trim(line.substr(7));
    const size_t eq = line.find('=');
    if (eq == std::string::npos || Trim(line.substr(0, eq)).empty()) {
      return Status::InvalidArgument(path + " line " + std::to_string(number) +
                                     ": expected KEY=VALUE");
    }
    std::string value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[Trim(line.substr(0, eq))] = value;
  }
  return out;
}

Result<api::ReplicatorOptions> MakeReplicatorOptions(const ReplicationFlags& f) {
  api::ReplicatorOptions o;
  o.endpoint = f.endpoint;
  o.api_key = f.api_key;
  std::string headers = f.headers;
  if (!f.env_file.empty()) {
    Result<std::map<std::string, std::string>> env = ReadEnvFile(f.env_file);
    if (!env.ok()) return Status::InvalidArgument("--env-file: " + env.status().message());
    if (auto it = env->find("PHOENIX_COLLECTOR_ENDPOINT"); it != env->end())
      o.endpoint = it->second;
    if (auto it = env->find("PHOENIX_API_KEY"); it != env->end()) o.api_key = it->second;
    if (auto it = env->find("PHOENIX_CLIENT_HEADERS"); it != env->end()) headers = it->second;
  }
  Result<api::HeaderList> parsed = api::ParseClientHeaders(headers);
  if (!parsed.ok()) return parsed.status();
  o.headers = std::move(*parsed);
  o.ca_file = f.ca_file;
  if (f.batch == 0) return Status::InvalidArgument("--replication-batch must be at least 1");
  o.batch_spans = f.batch;
  Result<int> gzip = GzipLevelOf(f.gzip_level, o.endpoint);
  if (!gzip.ok()) return gzip.status();
  o.gzip_level = *gzip;
  o.nice = f.nice;
  o.yield_factor = f.yield;
  struct Duration {
    const char* flag;
    const std::string& text;
    std::chrono::milliseconds* out;
  };
  for (const Duration& d :
       {Duration{"--replication-linger", f.linger, &o.linger},
        Duration{"--phoenix-connect-timeout", f.connect_timeout, &o.connect_timeout},
        Duration{"--phoenix-timeout", f.timeout, &o.request_timeout},
        Duration{"--replication-max-backoff", f.max_backoff, &o.max_backoff},
        Duration{"--replication-auth-retry", f.auth_retry, &o.auth_retry}}) {
    Result<std::chrono::milliseconds> ms = ParseMillis(d.text);
    if (!ms.ok())
      return Status::InvalidArgument(std::string(d.flag) + ": " + ms.status().message());
    *d.out = *ms;
  }
  o.min_backoff = std::min(o.min_backoff, o.max_backoff);
  return o;
}

}  // namespace roost::cli
