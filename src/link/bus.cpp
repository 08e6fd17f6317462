#include "halld/link/bus.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace halld::link {
namespace {

// A device that keeps talking past any frame's size is noise; what is beyond this is dropped.
constexpr std::size_t max_answer_bytes = 64 * 1024;

}  // namespace

BusLink::BusLink(asio::any_io_executor executor, BusOptions options, BusDialect dialect,
                 LinkHandler handler)
    : SerialLink(std::move(executor), options.serial, std::move(handler)),
      bus_(std::move(options)),
      dialect_(std::move(dialect)),
      answer_timer_(strand_),
      gap_timer_(strand_) {}

std::string BusLink::peer() const {
  return fmt::format("{} bus {}", SerialLink::peer(), fmt::join(bus_.addresses, ","));
}

asio::awaitable<void> BusLink::talk(std::uint64_t generation) {
  auto live = [&] { return generation == generation_ && up_; };
  while (live()) {
    const auto cycle_end = std::chrono::steady_clock::now() + bus_.poll_interval;
    for (auto address : bus_.addresses) {
      // Under backpressure the master stops asking rather than let answers time out unread.
      while (live() && handler_.hold && handler_.hold()) {
        auto waiting = quiet(std::chrono::milliseconds(20));
        co_await std::move(waiting);
      }
      auto flushing = flush();
      if (!co_await std::move(flushing) || !live()) co_return;
      auto polling = poll(address);
      const bool answered = co_await std::move(polling);
      if (!live()) co_return;
      tell_answering(address, answered);
    }
    // Until the next cycle is due the bus is idle: acks and commands go out as they are queued.
    while (live() && std::chrono::steady_clock::now() < cycle_end) {
      auto flushing = flush();
      if (!co_await std::move(flushing)) co_return;
      write_wake_.expires_at(cycle_end);
      boost::system::error_code ignored;
      co_await write_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
}

asio::awaitable<bool> BusLink::poll(std::uint32_t address) {
  const auto request = dialect_.poll(address);
  for (int attempt = 0; attempt <= bus_.retries && up_; ++attempt) {
    answer_.clear();
    awaiting_answer_ = true;
    ++polls_;
    auto writing = write(request);
    if (!co_await std::move(writing)) co_return false;
    // A quick device may have answered while the poll was being written.
    if (dialect_.answer_size(answer_) == 0) {
      answer_timer_.expires_after(bus_.response_timeout);
      boost::system::error_code ignored;
      co_await answer_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    awaiting_answer_ = false;
    const auto size = dialect_.answer_size(answer_);
    if (size == 0) {
      discarded_ += answer_.size();
      if (up_) ++timeouts_;
    } else {
      discarded_ += answer_.size() - size;
      handler_.on_bytes(std::span(answer_.data(), size));
    }
    auto pausing = quiet(bus_.gap);
    co_await std::move(pausing);
    if (size > 0) co_return true;
  }
  co_return false;
}

asio::awaitable<bool> BusLink::flush() {
  while (!outbox_.empty() && up_) {
    auto bytes = std::move(outbox_.front());
    outbox_.pop_front();
    auto writing = write(bytes);
    if (!co_await std::move(writing)) co_return false;
    auto pausing = quiet(bus_.gap);
    co_await std::move(pausing);
  }
  co_return up_;
}

asio::awaitable<void> BusLink::quiet(std::chrono::milliseconds how_long) {
  gap_timer_.expires_after(how_long);
  boost::system::error_code ignored;
  co_await gap_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void BusLink::on_read(std::span<const std::uint8_t> bytes) {
  if (!awaiting_answer_ || answer_.size() + bytes.size() > max_answer_bytes) {
    discarded_ += bytes.size();  // nobody was asked, or the device babbles
    return;
  }
  answer_.insert(answer_.end(), bytes.begin(), bytes.end());
  if (dialect_.answer_size(answer_) > 0) answer_timer_.cancel();
}

void BusLink::tell_answering(std::uint32_t address, bool answering) {
  auto [known, first] = answering_.try_emplace(address, answering);
  if (!first && known->second == answering) return;
  known->second = answering;
  if (handler_.on_device) handler_.on_device(address, answering);
}

void BusLink::on_closed() {
  awaiting_answer_ = false;
  answer_timer_.cancel();
  gap_timer_.cancel();
  answering_.clear();
}

void BusLink::on_stop() {
  answer_timer_.cancel();
  gap_timer_.cancel();
}

}  // namespace halld::link
