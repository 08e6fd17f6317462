// link/bus: a multi-drop RS-485 bus that halld polls as master (e.g. the evaluation keypads at
// a hall's windows). Owns: the poll cycle — one outstanding request on the bus at a time, a
// response timeout, retries, a quiet gap between frames, each device polled at least once per
// poll interval — and whether each device answers. What a poll looks like and when an answer
// is whole belong to the protocol and are handed in as a BusDialect, so the link still knows
// bytes only. Downlink bytes (acks, commands) go out between polls, never while a device may
// be answering; bytes nobody asked for are discarded and counted.
#pragma once

#include <map>

#include "halld/link/serial.hpp"

namespace halld::link {

struct BusDialect {
  std::function<std::vector<std::uint8_t>(std::uint32_t address)> poll;
  // Bytes of the first whole answer at the front of `received`; 0 while it is not whole yet.
  std::function<std::size_t(std::span<const std::uint8_t> received)> answer_size;
};

struct BusOptions {
  SerialOptions serial;
  std::vector<std::uint32_t> addresses;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds response_timeout{300};
  int retries = 2;  // further polls of a device that did not answer, before moving on
  std::chrono::milliseconds gap{20};
};

class BusLink final : public SerialLink {
 public:
  BusLink(asio::any_io_executor executor, BusOptions options, BusDialect dialect,
          LinkHandler handler);
  std::string peer() const override;
  std::uint64_t polls() const { return polls_; }
  std::uint64_t timeouts() const { return timeouts_; }
  std::uint64_t discarded_bytes() const { return discarded_; }

 private:
  asio::awaitable<void> talk(std::uint64_t generation) override;
  void on_read(std::span<const std::uint8_t> bytes) override;
  void on_closed() override;
  void on_stop() override;

  // Polls one device, retrying; true when it answered (the answer went up to the handler).
  asio::awaitable<bool> poll(std::uint32_t address);
  // Writes what the channel queued, each frame followed by the gap; false when the port failed.
  asio::awaitable<bool> flush();
  asio::awaitable<void> quiet(std::chrono::milliseconds how_long);
  void tell_answering(std::uint32_t address, bool answering);

  BusOptions bus_;
  BusDialect dialect_;
  asio::steady_timer answer_timer_;  // the response timeout, cut short when the answer is whole
  asio::steady_timer gap_timer_;
  std::vector<std::uint8_t> answer_;
  bool awaiting_answer_ = false;
  std::map<std::uint32_t, bool> answering_;  // this connection's view, by address
  std::atomic<std::uint64_t> polls_ = 0, timeouts_ = 0, discarded_ = 0;
};

}  // namespace halld::link
