#include "query/internal/query_pool.h"

#include <algorithm>
#include <memory>

namespace roost::query {

QueryPool& QueryPool::Shared() {
  static QueryPool pool(std::max(1u, std::thread::hardware_concurrency()));
  return pool;
}

QueryPool::QueryPool(size_t threads) {
  workers_.reserve(std::max<size_t>(threads, 1));
  for (size_t i = 0; i < std::max<size_t>(threads, 1); ++i) {
    workers_.emplace_back([this] { Loop(); });
  }
}

QueryPool::~QueryPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void QueryPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

Status QueryPool::RunAll(size_t n, const std::function<Status(size_t)>& fn) {
  if (n == 0) return Status::OK();
  struct Shared {
    std::mutex mu;
    std::condition_variable done_cv;
    size_t remaining;
    std::vector<Status> results;
  };
  auto shared = std::make_shared<Shared>();
  shared->remaining = n;
  shared->results.resize(n);
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < n; ++i) {
      tasks_.emplace_back([shared, &fn, i] {
        Status s = fn(i);
        std::lock_guard task_lock(shared->mu);
        shared->results[i] = std::move(s);
        if (--shared->remaining == 0) shared->done_cv.notify_all();
      });
    }
  }
  cv_.notify_all();
  std::unique_lock lock(shared->mu);
  shared->done_cv.wait(lock, [&] { return shared->remaining == 0; });
  for (Status& s : shared->results) {
    if (!s.ok()) return std::move(s);
  }
  return Status::OK();
}

}  // namespace roost::query
