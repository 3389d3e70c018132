#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

namespace roost::api {

// A bound on bytes that concurrent requests hold at once (POST /v1/traces: inflated bodies and
// the spans decoded from them). A holder that is alone may take any amount, so one request larger
// than the bound is still served rather than refused forever. Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) {}
  ByteBudget(const ByteBudget&) = delete;
  ByteBudget& operator=(const ByteBudget&) = delete;

  size_t limit() const { return limit_; }
  size_t used() const {
    std::lock_guard lock(mu_);
    return used_;
  }

  // What one holder has taken; given back when it goes.
  class Lease {
   public:
    explicit Lease(ByteBudget& budget) : budget_(budget) {}
    ~Lease() { budget_.Give(held_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // Takes `n` more bytes: false (taking nothing) when that would pass the limit while other
    // holders hold some.
    bool Grow(size_t n) {
      if (!budget_.Take(n, held_)) return false;
      held_ += n;
      return true;
    }
    size_t held() const { return held_; }

   private:
    ByteBudget& budget_;
    size_t held_ = 0;
  };

 private:
  bool Take(size_t n, size_t already_held) {
    std::lock_guard lock(mu_);
    if (n > SIZE_MAX - used_) return false;
    const bool others_hold = used_ > already_held;
    if (others_hold && (n > limit_ || used_ > limit_ - n)) return false;
    used_ += n;
    return true;
  }
  void Give(size_t n) {
    std::lock_guard lock(mu_);
    used_ -= n;
  }

  const size_t limit_;
  mutable std::mutex mu_;
  size_t used_ = 0;  // guarded by mu_
};

}  // namespace roost::api
