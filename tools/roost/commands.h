#pragma once

#include <CLI/CLI.hpp>

namespace roost::cli {

// Each adds one subcommand (and its callback) to the `roost` command line. A callback that fails
// prints a message on stderr and exits non-zero through CLI::RuntimeError.
void AddBenchCommand(CLI::App& app);
void AddExportCommand(CLI::App& app);
void AddGenCommand(CLI::App& app);
void AddImportCommand(CLI::App& app);
void AddQueryCommand(CLI::App& app);
// The read-API subcommands of `roost query` (projects, sessions, session, trace, spans).
void AddReadQueryCommands(CLI::App* query);
// Adds `sink` under the `bench` subcommand.
void AddBenchSinkCommand(CLI::App& bench);
void AddReplicateCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddStatsCommand(CLI::App& app);
void AddStatusCommand(CLI::App& app);

}  // namespace roost::cli
