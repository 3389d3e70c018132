#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/status.h"

namespace roost::query {

// The threads queries run their scans on: one per core, shared by every query of the process, so
// a large query uses both cores and no query runs on ingest's threads. Tasks run in FIFO order.
// Thread-safe. A task must not wait for other tasks of the pool (that could deadlock).
class QueryPool {
 public:
  // The process-wide pool (std::thread::hardware_concurrency() threads, at least 1), started on
  // first use.
  static QueryPool& Shared();

  explicit QueryPool(size_t threads);
  ~QueryPool();  // finishes queued tasks, then joins
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  size_t threads() const { return workers_.size(); }

  // Runs fn(0), ..., fn(n - 1) on the pool and waits for all of them. Returns the first non-OK
  // status in index order (every task still runs). Must not be called from a pool task.
  Status RunAll(size_t n, const std::function<Status(size_t)>& fn);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace roost::query
