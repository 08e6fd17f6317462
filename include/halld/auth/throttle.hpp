// auth/throttle: slows password guessing without handing a guesser a way to lock anyone out
// (OWASP Authentication Cheat Sheet, "Account Lockout": a hard lock is itself a denial of
// service). Failed sign-ins are counted per (account, address) and per address; past a free
// allowance, each further failure doubles the time before the next attempt from there is even
// checked, up to a ceiling. An account is never locked as such: its owner, at another address,
// signs in while a guesser waits. A success forgets its (account, address) count; an
// administrator's unlock forgets every count of the account.
// Owns: the counters, in memory and bounded. Thread-safe; time is injected for tests.
// Must not touch: passwords, the database, HTTP.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace halld::auth {

struct ThrottlePolicy {
  std::size_t free_failures_per_account = 5;   // from one address, before waits begin
  std::size_t free_failures_per_address = 20;  // over every name tried from one address
  std::chrono::seconds max_wait{900};          // the ceiling of the doubling waits
};

class SignInThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit SignInThrottle(ThrottlePolicy policy, Clock clock = std::chrono::steady_clock::now);

  // How long `account` must wait before trying again from `address`; zero when it may try now.
  std::chrono::seconds wait(std::string_view account, std::string_view address);

  // Counts a wrong password (or an unknown name): the wait it now imposes, and whether this
  // failure began a block (the first failure past an allowance), which is worth a record.
  struct Failure {
    std::chrono::seconds wait{0};
    bool block_began = false;
    std::string_view by;  // "account_address" or "address": which count began the block
  };
  Failure failed(std::string_view account, std::string_view address);

  void succeeded(std::string_view account, std::string_view address);
  // Forgets every count of `account`; answers whether any of them was blocking.
  bool unlock(std::string_view account);
  // The latest time any address is blocked for `account` (for the administration's view).
  std::optional<std::chrono::steady_clock::time_point> blocked_until(std::string_view account);
  // Counts blocking now.
  std::size_t blocked();

  void set_policy(ThrottlePolicy policy);

 private:
  struct Count {
    std::size_t failures = 0;
    std::chrono::steady_clock::time_point last_failure;
    std::chrono::steady_clock::time_point blocked_until;
  };
  // Counts a failure against an allowance: true when it is the first one past it.
  bool count(Count& c, std::size_t allowance, std::chrono::steady_clock::time_point now);
  void forget_stale(std::chrono::steady_clock::time_point now);

  Clock clock_;
  std::mutex mutex_;
  ThrottlePolicy policy_;
  using PairCounts = std::map<std::pair<std::string, std::string>, Count, std::less<>>;
  // The first count of `account` (its addresses follow in order).
  PairCounts::iterator first_of(std::string_view account);

  PairCounts by_account_address_;
  std::map<std::string, Count, std::less<>> by_address_;
};

}  // namespace halld::auth
