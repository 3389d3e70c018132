// `roost stats`: what a data dir holds.

#include <cstdio>

#include "storage/span_store.h"
#include "tools/roost/commands.h"
#include "tools/roost/store_flags.h"

namespace roost::cli {

void AddStatsCommand(CLI::App& app) {
  auto data = std::make_shared<std::string>("./roost-data");
  CLI::App* cmd = app.add_subcommand("stats", "Show the projects and size of a data dir");
  cmd->add_option("--data", *data, "Data dir")->envname("ROOST_DATA");
  cmd->callback([data] {
    StoreOptions options;
    options.path = *data;
    options.read_only = true;
    Result<std::unique_ptr<SpanStore>> store = SpanStore::Open(options);
    if (!store.ok()) Fail(store.status().ToString());
    Result<std::vector<ProjectSummary>> projects = (*store)->ListProjects();
    if (!projects.ok()) Fail(projects.status().ToString());
    std::printf("%-32s %14s\n", "project", "spans");
    for (const ProjectSummary& p : *projects) {
      std::printf("%-32s %14llu\n", p.name.c_str(), static_cast<unsigned long long>(p.span_count));
    }
    StoreStats stats = (*store)->Stats();
    std::printf("unsealed spans: %llu\nsst bytes: %llu\ndictionary strings: %llu\n",
                static_cast<unsigned long long>(stats.open_rows),
                static_cast<unsigned long long>(stats.live_data_bytes),
                static_cast<unsigned long long>(stats.dictionary_strings));
  });
}

}  // namespace roost::cli
