#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace roost::api::testing {

// A child process with stdout and stderr on pipes. Every wait is bounded. Killed (SIGKILL) and
// reaped on destruction if still running. Not thread-safe.
class Subprocess {
 public:
  // Starts `argv[0]` (searched on PATH when it has no '/'). nullptr with `*error` set on failure.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           std::string* error);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Reads output until stdout holds a line containing `needle`; returns that line, or nullopt
  // after `timeout` or when the process closed stdout first.
  std::optional<std::string> WaitForLine(std::string_view needle,
                                         std::chrono::milliseconds timeout);
  // Reads output until the process has exited and closed its pipes; returns its exit code
  // (128 + signal number when killed), or nullopt after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int signal);

  // Everything read so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  Subprocess() = default;
  // Reads whatever is available within `timeout`; false when both pipes are closed.
  bool Pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> exit_code_;
  std::string out_;
  std::string err_;
};

}  // namespace roost::api::testing
