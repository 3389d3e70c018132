#include "tools/roost/span_exporter.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "api/rfc3339.h"
#include "api/span_json.h"
#include "ingest/json_encoder.h"
#include "storage/span_store.h"

namespace roost::cli {

const char* const kCsvColumns =
    "trace_id,span_id,parent_span_id,name,kind,status,status_message,start_time,end_time,"
    "start_unix_nano,end_unix_nano,duration_ns,duration_ms,project,session_id,user_id,model,"
    "provider,prompt_tokens,completion_tokens,total_tokens,cost_usd,attributes,events";

namespace {

// Appends one CSV field (RFC 4180), preceded by a comma unless first.
void Field(std::string_view value, bool first, std::string* out) {
  if (!first) out->push_back(',');
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (char c : value) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

template <typename T>
std::string Number(T v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

void AppendCsvRow(const Span& s, std::string* out) {
  const std::string fields[] = {s.trace_id.ToHex(),
                                s.span_id.ToHex(),
                                s.parent_span_id ? s.parent_span_id->ToHex() : "",
                                s.name,
                                std::string(SpanKindName(s.kind)),
                                std::string(StatusCodeName(s.status_code)),
                                s.status_message,
                                api::FormatRfc3339(s.start_unix_nano),
                                api::FormatRfc3339(s.end_unix_nano),
                                Number(s.start_unix_nano),
                                Number(s.end_unix_nano),
                                Number(s.duration_nanos()),
                                Number(static_cast<double>(s.duration_nanos()) / 1e6),
                                s.project,
                                s.session_id,
                                s.user_id,
                                s.model_name,
                                s.provider,
                                Number(s.prompt_tokens),
                                Number(s.completion_tokens),
                                Number(s.total_tokens),
                                s.cost_usd ? Number(*s.cost_usd) : "",
                                api::AttributesJson(s.attributes),
                                api::EventsJson(s.events)};
  bool first = true;
  for (const std::string& f : fields) {
    Field(f, first, out);
    first = false;
  }
  out->push_back('\n');
}

Status Put(std::FILE* out, const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
    return Status::IOError(std::string("writing the export: ") + std::strerror(errno));
  }
  return Status::OK();
}

// Writes one chunk of spans in the chosen format.
Status WriteChunk(const std::vector<Span>& spans, ExportFormat format, std::FILE* out) {
  std::string bytes;
  if (format == ExportFormat::kCsv) {
    for (const Span& s : spans) AppendCsvRow(s, &bytes);
  } else {
    bytes = ingest::EncodeJson(std::span<const Span>(spans.data(), spans.size()));
    bytes.push_back('\n');
  }
  return Put(out, bytes);
}

Status ExportProject(const SpanStore& store, const std::string& project,
                     const ExportOptions& options, std::FILE* out, uint64_t* written) {
  ScanRequest scan;
  scan.project = project;
  scan.from_unix_nano = options.from;
  scan.to_unix_nano = options.to;
  scan.columns = {Column::kStart};
  std::vector<uint32_t> rows;
  return store.Scan(scan, [&](const ColumnView& v) -> Status {
    for (size_t r = 0; r < v.rows;) {
      rows.clear();
      for (; r < v.rows && rows.size() < kExportChunkSpans; ++r) {
        const int64_t start = v.start[r];
        if (start >= options.from && start < options.to) rows.push_back(static_cast<uint32_t>(r));
      }
      if (rows.empty()) continue;
      Result<std::vector<Span>> spans = store.ReadSpans(v, rows);
      if (!spans.ok()) return spans.status();
      if (Status s = WriteChunk(*spans, options.format, out); !s.ok()) return s;
      *written += spans->size();
      if (options.progress) options.progress(*written);
    }
    return Status::OK();
  });
}

}  // namespace

Result<uint64_t> ExportSpans(const SpanStore& store, const ExportOptions& options, std::FILE* out) {
  Result<std::vector<ProjectSummary>> projects = store.ListProjects();
  if (!projects.ok()) return projects.status();
  std::vector<std::string> names;
  for (const ProjectSummary& p : *projects) {
    if (!options.project || p.name == *options.project) names.push_back(p.name);
  }
  if (options.project && names.empty()) {
    // A project known to the dictionary but empty (all expired) exports nothing.
    if (!store.DictionaryId(DictKind::kProject, *options.project).ok()) {
      return Status::InvalidArgument("unknown project '" + *options.project + "'");
    }
  }
  if (options.format == ExportFormat::kCsv) {
    if (Status s = Put(out, std::string(kCsvColumns) + "\n"); !s.ok()) return s;
  }
  uint64_t written = 0;
  for (const std::string& name : names) {
    if (Status s = ExportProject(store, name, options, out, &written); !s.ok()) return s;
  }
  if (std::fflush(out) != 0) {
    return Status::IOError(std::string("writing the export: ") + std::strerror(errno));
  }
  return written;
}

}  // namespace roost::cli
