#include "halld/auth/hashing_pool.hpp"

#include <boost/asio/post.hpp>

#include "halld/auth/secrets.hpp"

namespace halld::auth {

HashingPool::HashingPool(std::size_t threads, std::size_t max_waiting, MetricsRegistry& metrics)
    : pool_(threads),
      max_waiting_(max_waiting),
      shed_(metrics.counter(
          "halld_auth_hashing_shed_total",
          "Password checks refused at once (503) because the hashing queue was full.")),
      queued_(metrics.gauge("halld_auth_hashing_queued",
                            "Password checks and hashes waiting or running.")) {}

HashingPool::~HashingPool() {
  pool_.join();
}

template <class Result, class Work>
asio::awaitable<Result> HashingPool::run(Work work) {
  if (waiting_.fetch_add(1) >= max_waiting_) {
    --waiting_;
    shed_.inc();
    throw HashingOverloaded();
  }
  queued_.add(1);
  auto initiate = [this, work = std::move(work)](auto handler) mutable {
    boost::asio::post(
        pool_, [this, work = std::move(work), handler = std::move(handler)]() mutable {
          std::exception_ptr error;
          Result value{};
          try {
            value = work();
          } catch (...) {
            error = std::current_exception();
          }
          --waiting_;
          queued_.add(-1);
          auto executor = asio::get_associated_executor(handler);
          asio::post(executor,
                     [handler = std::move(handler), error, value = std::move(value)]() mutable {
                       handler(error, std::move(value));
                     });
        });
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, Result)>(
      std::move(initiate), asio::use_awaitable);
}

namespace {
// Hashed once, then checked for names nobody has: such a check costs what a wrong password does.
const std::string& decoy_hash() {
  static const std::string hash = hash_password(random_hex(16));
  return hash;
}
}  // namespace

asio::awaitable<bool> HashingPool::verify(std::string password, std::string encoded) {
  return run<bool>([password = std::move(password), encoded = std::move(encoded)] {
    if (!encoded.empty()) return verify_password(password, encoded);
    verify_password(password, decoy_hash());
    return false;
  });
}

asio::awaitable<std::string> HashingPool::hash(std::string password) {
  return run<std::string>([password = std::move(password)] { return hash_password(password); });
}

}  // namespace halld::auth
