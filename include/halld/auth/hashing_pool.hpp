// auth/hashing_pool: argon2id work (checking and making password hashes) on threads of its own
// with a bounded queue, never on an I/O thread and never on the database pool: a flood of
// sign-ins waits here, or is shed at once, and delays no query, frame or page.
// Owns: its threads. The pool must be destroyed before the io_context that its callers await
// on (a thread that has just posted a result still holds that executor for a moment).
// Must not touch: the database, HTTP.
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "halld/core/asio.hpp"
#include "halld/core/metrics.hpp"

namespace halld::auth {

// Thrown when `max_waiting` jobs are queued already: the caller answers 503 with Retry-After.
struct HashingOverloaded : std::runtime_error {
  HashingOverloaded() : std::runtime_error("too many password checks are waiting") {}
};

class HashingPool {
 public:
  HashingPool(std::size_t threads, std::size_t max_waiting, MetricsRegistry& metrics);
  ~HashingPool();
  HashingPool(const HashingPool&) = delete;
  HashingPool& operator=(const HashingPool&) = delete;

  // Whether `password` matches the argon2id PHC string `encoded`; an empty `encoded` (a name
  // nobody has) costs the same check and answers false, so timing does not tell names apart.
  asio::awaitable<bool> verify(std::string password, std::string encoded);
  // A new argon2id PHC string of `password`.
  asio::awaitable<std::string> hash(std::string password);

 private:
  template <class Result, class Work>
  asio::awaitable<Result> run(Work work);

  boost::asio::thread_pool pool_;
  const std::size_t max_waiting_;
  std::atomic<std::size_t> waiting_{0};
  Counter& shed_;
  Gauge& queued_;
};

}  // namespace halld::auth
