#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace roost::query {

// Keeps the storage of large scratch vectors between queries, up to a byte budget, so that a
// repeated query (a dashboard's) fills memory it already has instead of fresh pages: on a 10M-span
// store, page faults and regrowth copies of new vectors took about half the time of exact
// quantiles. Vectors are handed out largest first. Thread-safe.
template <typename T>
class VectorRecycler {
 public:
  explicit VectorRecycler(size_t max_bytes) : max_bytes_(max_bytes) {}

  // An empty vector: the largest kept one, or a new one.
  std::vector<T> Take() {
    std::lock_guard lock(mu_);
    if (kept_.empty()) return {};
    std::vector<T> v = std::move(kept_.back());
    kept_.pop_back();
    bytes_ -= v.capacity() * sizeof(T);
    return v;
  }

  // Takes `v` back, cleared, when it is large enough to be worth keeping and fits the budget
  // (smaller kept vectors make room for a larger one); otherwise frees it.
  void Give(std::vector<T>&& v) {
    const size_t bytes = v.capacity() * sizeof(T);
    if (bytes < kMinBytes || bytes > max_bytes_) return;
    v.clear();
    std::lock_guard lock(mu_);
    while (bytes_ + bytes > max_bytes_ && !kept_.empty() &&
           kept_.front().capacity() * sizeof(T) < bytes) {
      bytes_ -= kept_.front().capacity() * sizeof(T);
      kept_.erase(kept_.begin());
    }
    if (bytes_ + bytes > max_bytes_) return;
    auto at = std::lower_bound(kept_.begin(), kept_.end(), v.capacity(),
                               [](const std::vector<T>& k, size_t c) { return k.capacity() < c; });
    kept_.insert(at, std::move(v));
    bytes_ += bytes;
  }

  size_t kept_bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  // Smaller vectors come from malloc's free lists cheaply anyway.
  static constexpr size_t kMinBytes = size_t{64} << 10;

  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::vector<std::vector<T>> kept_;  // guarded by mu_; by capacity, ascending
  size_t bytes_ = 0;                  // guarded by mu_; capacity bytes of kept_
};

}  // namespace roost::query
