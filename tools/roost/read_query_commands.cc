// `roost query projects|sessions|session|trace|spans`: roost's read API from a data dir or a
// server (tools/roost/api_source.h). `--json` prints the API's JSON exactly; otherwise an aligned
// table made from that JSON.

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/roost/api_source.h"
#include "tools/roost/commands.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {
namespace {

using json = nlohmann::ordered_json;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxCellChars = 48;

struct ReadFlags {
  ApiSource source;
  bool json = false;
  std::string id;  // session id or trace id (positional)
  // Named like the HTTP parameters; empty = absent.
  Params params = {{"project", ""}, {"from", ""},   {"to", ""},    {"kind", ""},   {"name", ""},
                   {"model", ""},   {"status", ""}, {"limit", ""}, {"cursor", ""}, {"parent", ""}};
  std::vector<std::string> trace_ids;
  std::vector<std::string> attributes;
};

struct TableColumn {
  const char* header;
  const char* field;
};

const std::vector<TableColumn> kSpanColumns = {
    {"start_time", "start_time"}, {"trace_id", "trace_id"}, {"span_id", "span_id"},
    {"parent", "parent_span_id"}, {"kind", "kind"},         {"name", "name"},
    {"status", "status"},         {"ms", "duration_ms"},    {"model", "model"},
    {"tokens", "total_tokens"},   {"cost_usd", "cost_usd"}};

std::string Cell(const json& v) {
  std::string s;
  if (v.is_null()) {
    s = "-";
  } else if (v.is_string()) {
    s = v.get<std::string>();
  } else {
    s = v.dump();
  }
  if (s.size() > kMaxCellChars) s = s.substr(0, kMaxCellChars - 3) + "...";
  return s;
}

// Prints `rows` (an array of objects) as a table of `columns`, aligned: text left, numbers right.
void PrintTable(const json& rows, const std::vector<TableColumn>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  for (const TableColumn& c : columns) width.push_back(std::string(c.header).size());
  for (const json& row : rows) {
    std::vector<std::string>& line = cells.emplace_back();
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(Cell(row.contains(columns[i].field) ? row[columns[i].field] : json()));
      width[i] = std::max(width[i], line.back().size());
    }
  }
  auto print_line = [&](const std::vector<std::string>& line, const json* row) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i) {
      const bool number =
          row != nullptr && row->contains(columns[i].field) && (*row)[columns[i].field].is_number();
      const std::string pad(width[i] - line[i].size(), ' ');
      out += i == 0 ? "" : "  ";
      out += number ? pad + line[i] : line[i] + pad;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  std::vector<std::string> headers;
  for (const TableColumn& c : columns) headers.push_back(c.header);
  print_line(headers, nullptr);
  for (size_t r = 0; r < cells.size(); ++r) print_line(cells[r], &rows[r]);
}

json ParseOrFail(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) Fail("the answer is not JSON: " + body.substr(0, 200));
  return j;
}

Params WithLists(const ReadFlags& flags) {
  Params params = flags.params;
  for (const std::string& t : flags.trace_ids) params.emplace_back("trace_id", t);
  for (const std::string& a : flags.attributes) params.emplace_back("attribute", a);
  return params;
}

// Fetches and prints: the JSON as is with --json, else a table of body[list] by `columns`.
void Run(const ReadFlags& flags, const std::string& path, const Params& params, const char* list,
         const std::vector<TableColumn>& columns) {
  const std::string body = FetchApiJson(flags.source, path, params);
  if (flags.json) {
    std::printf("%s\n", body.c_str());
    return;
  }
  const json j = ParseOrFail(body);
  PrintTable(j.value(list, json::array()), columns);
  if (j.contains("next_cursor") && !j["next_cursor"].is_null()) {
    std::printf("next cursor: %s\n", j["next_cursor"].get<std::string>().c_str());
  }
}

// Options named as the HTTP parameters (--project, --from, ...); `names` picks which.
void AddParamFlags(CLI::App* cmd, ReadFlags* flags, const std::vector<std::string>& names) {
  AddApiSourceFlags(cmd, &flags->source);
  cmd->add_flag("--json", flags->json, "Print the HTTP API's JSON instead of a table");
  for (auto& [name, value] : flags->params) {
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    cmd->add_option("--" + name, value, "As the HTTP parameter " + name);
  }
}

// Subcommands keep their flags alive through shared_ptr captured by the callback.
CLI::App* Sub(CLI::App* query, const char* name, const char* about,
              std::shared_ptr<ReadFlags>* flags) {
  *flags = std::make_shared<ReadFlags>();
  return query->add_subcommand(name, about);
}

}  // namespace

void AddReadQueryCommands(CLI::App* query) {
  const std::vector<std::string> filters = {"project", "from",  "to",     "kind",
                                            "name",    "model", "status", "limit"};
  std::shared_ptr<ReadFlags> f;

  CLI::App* projects = Sub(query, "projects", "Projects with span counts and time ranges", &f);
  AddParamFlags(projects, f.get(), {});
  projects->callback([f] {
    Run(*f, "/api/v1/projects", f->params, "projects",
        {{"name", "name"},
         {"spans", "span_count"},
         {"first_start", "first_start"},
         {"last_start", "last_start"}});
  });

  CLI::App* sessions = Sub(query, "sessions", "Sessions by last activity, with totals", &f);
  AddParamFlags(sessions, f.get(), filters);
  sessions->callback([f] {
    Run(*f, "/api/v1/sessions", f->params, "sessions",
        {{"session_id", "session_id"},
         {"spans", "span_count"},
         {"traces", "trace_count"},
         {"first_start", "first_start"},
         {"last_start", "last_start"},
         {"tokens", "total_tokens"},
         {"cost_usd", "cost_usd"},
         {"errors", "error_count"},
         {"p50_ms", "p50_ms"}});
  });

  CLI::App* session = Sub(query, "session", "One session's spans in start order", &f);
  AddParamFlags(session, f.get(), {"project"});
  session->add_option("session_id", f->id, "Session id")->required();
  session->callback(
      [f] { Run(*f, "/api/v1/sessions/" + f->id, f->params, "spans", kSpanColumns); });

  CLI::App* trace = Sub(query, "trace", "One trace's spans in start order", &f);
  AddParamFlags(trace, f.get(), {});
  trace->add_option("trace_id", f->id, "Trace id (32 hex digits)")->required();
  trace->callback([f] { Run(*f, "/api/v1/traces/" + f->id, {}, "spans", kSpanColumns); });

  CLI::App* spans = Sub(query, "spans", "Spans newest first, a page at a time", &f);
  AddParamFlags(
      spans, f.get(),
      {"project", "from", "to", "kind", "name", "model", "status", "limit", "cursor", "parent"});
  spans->add_option("--trace-id", f->trace_ids, "Only these traces (repeatable)");
  spans->add_option("--attribute", f->attributes, "KEY=VALUE attribute filter (repeatable)");
  spans->callback([f] { Run(*f, "/api/v1/spans", WithLists(*f), "spans", kSpanColumns); });
}

}  // namespace roost::cli
