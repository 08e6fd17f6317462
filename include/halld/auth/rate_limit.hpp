// auth/rate_limit: a token bucket per API token, so one city's runaway script cannot starve
// the others. Owns: the buckets. Thread-safe; time is injected for tests.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace halld::auth {

class RateLimiter {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  explicit RateLimiter(Now now = std::chrono::steady_clock::now) : now_(std::move(now)) {}

  // Takes one request from `key`'s bucket, which holds a minute's worth and refills evenly;
  // returns 0 when allowed, else the seconds to wait before the next request would be.
  int take(int key, int per_minute);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };
  Now now_;
  std::mutex mutex_;
  std::unordered_map<int, Bucket> buckets_;
};

}  // namespace halld::auth
