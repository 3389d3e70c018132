#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "api/app_handler.h"
#include "api/http_types.h"
#include "storage/span_store.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tools/workload/span_generator.h"

namespace roost::fuzz {
namespace {

// One store per process, in a temp dir, holding a few hundred generated spans of the last hours,
// behind the whole HTTP surface of `roost serve`.
class App {
 public:
  App() {
    std::string dir = (std::filesystem::temp_directory_path() / "roost-fuzz-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    dir_ = dir;
    StoreOptions options;
    options.path = dir_ + "/data";
    options.block_cache_bytes = size_t{8} << 20;
    options.column_cache_bytes = size_t{8} << 20;
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    if (!store.ok()) std::abort();
    store_ = std::move(*store);
    workload::GeneratorOptions gen;
    gen.end_unix_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    gen.days = 0.25;
    gen.total_spans = 400;
    workload::SpanGenerator generator(gen);
    std::vector<Span> spans;
    generator.Next(200, &spans);
    if (!store_->Write(std::move(spans)).ok() || !store_->Flush().ok()) std::abort();
    spans.clear();
    generator.Next(200, &spans);  // these stay in open blocks
    if (!store_->Write(std::move(spans)).ok()) std::abort();
    handler_ = api::MakeAppHandler(*store_, {});
  }
  ~App() {
    handler_ = nullptr;
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  api::Response Handle(const api::Request& request) { return handler_(request); }

 private:
  std::string dir_;
  std::unique_ptr<SpanStore> store_;
  api::Handler handler_;
};

}  // namespace

// Input: a byte choosing the method and content type, the target up to the first newline, then
// the body.
std::string HttpRequest(std::string_view input) {
  static App app;
  if (input.empty()) return "";
  static constexpr const char* kMethods[] = {"GET", "POST", "DELETE", "PUT", "HEAD"};
  static constexpr const char* kTypes[] = {"application/json", "application/x-protobuf", ""};
  const auto selector = static_cast<uint8_t>(input[0]);
  input.remove_prefix(1);
  const size_t newline = input.find('\n');
  api::Request request;
  request.method = kMethods[selector % 5];
  request.target = std::string(input.substr(0, newline));
  if (newline != std::string_view::npos) request.body = std::string(input.substr(newline + 1));
  if (const char* type = kTypes[selector / 5 % 3]; *type != '\0') {
    request.headers["content-type"] = type;
  }
  // As the server does (api/http_server.cc).
  const std::string_view target = request.target;
  const size_t q = target.find('?');
  request.path = api::PercentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) request.query = api::ParseQuery(target.substr(q + 1));

  const api::Response response = app.Handle(request);
  const std::string where = request.method + " " + request.target + ": ";
  if (response.status < 200 || response.status > 599) {
    return where + "status " + std::to_string(response.status);
  }
  if (response.status == 500) return where + "500: " + response.body;
  const bool json = response.content_type.starts_with("application/json");
  if (response.status >= 400) {
    if (!json) return where + std::to_string(response.status) + " as " + response.content_type;
    const nlohmann::json error = nlohmann::json::parse(response.body, nullptr, false);
    if (!error.is_object() || !error.contains("error") || !error["error"].is_string() ||
        error["error"].get<std::string>().empty()) {
      return where + std::to_string(response.status) +
             " without {\"error\": ...}: " + response.body;
    }
  } else if (json && request.method != "HEAD" && !nlohmann::json::accept(response.body)) {
    return where + std::to_string(response.status) + " with a body that is not JSON";
  }
  return "";
}

}  // namespace roost::fuzz

ROOST_FUZZ_MAIN(roost::fuzz::HttpRequest)
