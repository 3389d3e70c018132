// `roost export`: every span of a data dir (or one project, or a time range) as CSV or OTLP/JSON
// lines, streamed (tools/roost/span_exporter.h).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/query_params.h"
#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/span_exporter.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

constexpr std::chrono::milliseconds kProgressInterval{200};

struct ExportFlags {
  std::string data = "./roost-data";
  std::string project;
  std::string from;
  std::string to;
  std::string format;
  std::string out;
};

int64_t TimeOrFail(const std::string& text, const char* flag, int64_t absent) {
  if (text.empty()) return absent;
  Result<int64_t> t = api::ParseQueryTime(text);
  if (!t.ok()) Fail(std::string(flag) + ": " + t.status().message());
  return *t;
}

void RunExport(const ExportFlags& flags) {
  ExportOptions options;
  if (flags.format == "csv") {
    options.format = ExportFormat::kCsv;
  } else if (flags.format == "otlp-json") {
    options.format = ExportFormat::kOtlpJson;
  } else {
    Fail("--format: '" + flags.format + "' is not csv or otlp-json");
  }
  if (!flags.project.empty()) options.project = flags.project;
  options.from = TimeOrFail(flags.from, "--from", options.from);
  options.to = TimeOrFail(flags.to, "--to", options.to);

  if (spdlog::get("roost-export") == nullptr) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("roost-export"));
  }
  StoreOptions store_options;
  store_options.path = flags.data;
  store_options.read_only = true;
  Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(store_options);
  if (!store.ok()) Fail("cannot open " + flags.data + " read-only: " + store.status().ToString());

  const bool to_stdout = flags.out == "-";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      to_stdout ? nullptr : std::fopen(flags.out.c_str(), "wb"), &std::fclose);
  if (!to_stdout && file == nullptr) Fail("cannot create " + flags.out);
  std::FILE* out = to_stdout ? stdout : file.get();

  const auto begin = std::chrono::steady_clock::now();
  auto last = begin;
  if (::isatty(STDERR_FILENO) == 1) {
    options.progress = [&](uint64_t spans) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < kProgressInterval) return;
      last = now;
      const double s = std::chrono::duration<double>(now - begin).count();
      std::fprintf(stderr, "\r\033[Kexported %llu spans (%.0f/s)",
                   static_cast<unsigned long long>(spans), static_cast<double>(spans) / s);
    };
  }
  Result<uint64_t> written = ExportSpans(**store, options, out);
  if (options.progress) std::fputs("\r\033[K", stderr);
  if (!written.ok()) Fail(written.status().ToString());
  if (file != nullptr && std::fclose(file.release()) != 0) Fail("closing " + flags.out + " failed");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::fprintf(stderr, "exported %llu spans to %s in %.1f s\n",
               static_cast<unsigned long long>(*written), flags.out.c_str(), seconds);
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Write spans out as CSV or OTLP/JSON lines");
  cmd->add_option("--data", flags->data, "Data dir (opened read-only)")->envname("ROOST_DATA");
  cmd->add_option("--project", flags->project, "Only this project (default: every project)");
  cmd->add_option("--from", flags->from, "Spans starting at or after (RFC 3339 or epoch ms)");
  cmd->add_option("--to", flags->to, "Spans starting before (RFC 3339 or epoch ms)");
  cmd->add_option("--format", flags->format, "csv or otlp-json")->required();
  cmd->add_option("--out", flags->out, "Output file ('-' for stdout)")->required();
  cmd->callback([flags] { RunExport(*flags); });
}

}  // namespace roost::cli
