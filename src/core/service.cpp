#include "halld/core/service.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace halld {
namespace {
std::atomic<std::uint64_t> failures{0};
}  // namespace

void report_coroutine_end(std::string_view what, std::exception_ptr failure) {
  if (!failure) return;
  failures.fetch_add(1, std::memory_order_relaxed);
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    spdlog::error("{}: ended by an exception: {}", what, e.what());
  } catch (...) {
    spdlog::error("{}: ended by an exception that is not a std::exception", what);
  }
}

std::uint64_t coroutine_failures() {
  return failures.load(std::memory_order_relaxed);
}

asio::awaitable<void> stop_service(Service& service) {
  auto initiate = [&service](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    service.stop([shared] {
      auto resume = asio::get_associated_executor(*shared);
      asio::post(resume, std::move(*shared));
    });
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiate),
                                                                     asio::use_awaitable);
}

void Loops::spawn(std::string_view what, asio::awaitable<void> loop) {
  ++running_;
  asio::co_spawn(strand_, std::move(loop),
                 [this, what = name_ + ": " + std::string(what)](std::exception_ptr e) {
                   report_coroutine_end(what, e);
                   ended();
                 });
}

void Loops::stop(std::function<void()> done) {
  stopping_ = true;
  done_ = std::move(done);
  if (running_ == 0 && done_) std::exchange(done_, {})();
}

void Loops::ended() {
  --running_;
  if (stopping_ && running_ == 0 && done_) std::exchange(done_, {})();
}

}  // namespace halld
