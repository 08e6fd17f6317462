#include "halld/auth/throttle.hpp"

#include <algorithm>

namespace halld::auth {
namespace {

// Enough for every (name, address) pair a province's staff use in a day many times over; an
// attacker who fills it only empties it (the stalest counts go first).
constexpr std::size_t max_counts = 100'000;

using Pair = std::pair<std::string, std::string>;

std::chrono::seconds remaining(std::chrono::steady_clock::time_point until,
                               std::chrono::steady_clock::time_point now) {
  if (until <= now) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(until - now);
}

}  // namespace

SignInThrottle::SignInThrottle(ThrottlePolicy policy, Clock clock)
    : clock_(std::move(clock)), policy_(policy) {}

void SignInThrottle::set_policy(ThrottlePolicy policy) {
  std::lock_guard lock(mutex_);
  policy_ = policy;
}

std::chrono::seconds SignInThrottle::wait(std::string_view account, std::string_view address) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  std::chrono::seconds longest{0};
  if (auto it = by_account_address_.find(Pair(account, address)); it != by_account_address_.end()) {
    longest = remaining(it->second.blocked_until, now);
  }
  if (auto it = by_address_.find(address); it != by_address_.end()) {
    longest = std::max(longest, remaining(it->second.blocked_until, now));
  }
  return longest;
}

bool SignInThrottle::count(Count& c, std::size_t allowance,
                           std::chrono::steady_clock::time_point now) {
  // A count left alone for twice the ceiling starts over: the guesser has gone.
  if (c.failures > 0 && now - c.last_failure > 2 * policy_.max_wait) c.failures = 0;
  ++c.failures;
  c.last_failure = now;
  if (c.failures <= allowance) return false;
  const auto doublings = std::min<std::size_t>(c.failures - allowance - 1, 30);
  const auto wait =
      std::min<std::chrono::seconds>(std::chrono::seconds(1LL << doublings), policy_.max_wait);
  c.blocked_until = now + wait;
  return c.failures == allowance + 1;
}

SignInThrottle::Failure SignInThrottle::failed(std::string_view account, std::string_view address) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  if (by_account_address_.size() + by_address_.size() >= max_counts) forget_stale(now);
  auto& pair = by_account_address_[Pair(account, address)];
  auto& from = by_address_.try_emplace(std::string(address)).first->second;
  Failure failure;
  if (count(pair, policy_.free_failures_per_account, now)) failure = {{}, true, "account_address"};
  if (count(from, policy_.free_failures_per_address, now) && !failure.block_began)
    failure = {{}, true, "address"};
  failure.wait = std::max(remaining(pair.blocked_until, now), remaining(from.blocked_until, now));
  return failure;
}

void SignInThrottle::succeeded(std::string_view account, std::string_view address) {
  std::lock_guard lock(mutex_);
  if (auto it = by_account_address_.find(Pair(account, address)); it != by_account_address_.end()) {
    by_account_address_.erase(it);
  }
}

bool SignInThrottle::unlock(std::string_view account) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  bool was_blocking = false;
  auto it = first_of(account);
  while (it != by_account_address_.end() && it->first.first == account) {
    was_blocking = was_blocking || it->second.blocked_until > now;
    it = by_account_address_.erase(it);
  }
  return was_blocking;
}

std::optional<std::chrono::steady_clock::time_point> SignInThrottle::blocked_until(
    std::string_view account) {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  std::optional<std::chrono::steady_clock::time_point> latest;
  for (auto it = first_of(account); it != by_account_address_.end() && it->first.first == account;
       ++it) {
    const auto until = it->second.blocked_until;
    if (until > now && (!latest || until > *latest)) latest = until;
  }
  return latest;
}

std::size_t SignInThrottle::blocked() {
  const auto now = clock_();
  std::lock_guard lock(mutex_);
  const auto blocking = [now](const auto& entry) { return entry.second.blocked_until > now; };
  return static_cast<std::size_t>(
      std::count_if(by_account_address_.begin(), by_account_address_.end(), blocking) +
      std::count_if(by_address_.begin(), by_address_.end(), blocking));
}

SignInThrottle::PairCounts::iterator SignInThrottle::first_of(std::string_view account) {
  // Pairs are ordered by account first: an account's counts are one run from here.
  return by_account_address_.lower_bound(Pair(account, std::string()));
}

void SignInThrottle::forget_stale(std::chrono::steady_clock::time_point now) {
  const auto stale = [&](const auto& entry) {
    return entry.second.blocked_until <= now && now - entry.second.last_failure > policy_.max_wait;
  };
  std::erase_if(by_account_address_, stale);
  std::erase_if(by_address_, stale);
  if (by_account_address_.size() + by_address_.size() >= max_counts) {
    // Still full of live counts: keep the addresses' (they bound any one guesser) and start
    // the pairs over.
    by_account_address_.clear();
  }
}

}  // namespace halld::auth
