#include "halld/auth/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace halld::auth {

int RateLimiter::take(int key, int per_minute) {
  const auto now = now_();
  const double capacity = std::max(1, per_minute);
  const double per_second = capacity / 60.0;
  std::lock_guard lock(mutex_);
  auto [bucket, fresh] = buckets_.try_emplace(key, Bucket{capacity, now});
  auto& b = bucket->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * per_second);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return static_cast<int>(std::ceil((1.0 - b.tokens) / per_second));
}

}  // namespace halld::auth
