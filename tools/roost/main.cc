#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "tools/roost/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"roost: a self-hosted store for LLM-application traces (OTLP in, queries out)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("roost 0.1.0"));
  roost::cli::AddServeCommand(app);
  roost::cli::AddGenCommand(app);
  roost::cli::AddStatsCommand(app);
  roost::cli::AddQueryCommand(app);
  roost::cli::AddImportCommand(app);
  roost::cli::AddExportCommand(app);
  roost::cli::AddBenchCommand(app);
  roost::cli::AddBenchSinkCommand(*app.get_subcommand("bench"));
  roost::cli::AddStatusCommand(app);
  roost::cli::AddReplicateCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    // A command failed: its message says why.
    std::cerr << e.what() << "\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
