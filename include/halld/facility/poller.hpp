// facility/poller: halld as the Modbus master of one channel's facility devices — Modbus TCP to a
// device or gateway, or Modbus RTU on a serial line (an RS-485 adapter's port). One request on
// the line at a time: each device is polled at its own interval, block by block of its model,
// with its own answer timeout and retries; a write (an air conditioner's set point, lights on or
// off) waits for the line and goes before the next poll. RTU frames are separated by the line's
// quiet time. Owns: the conversation, each device's comm state and latest values.
// Lifetime: the run coroutine holds a shared_ptr until stop() ends it; the link calls back
// through a weak_ptr. Must not touch: storage (the facility service stores what it is given).
#pragma once

#include <deque>
#include <map>
#include <mutex>

#include "halld/acq/channel.hpp"
#include "halld/core/clock.hpp"
#include "halld/proto/modbus/device_model.hpp"

namespace halld::facility {

struct PolledDevice {
  records::FacilityDevice archive;
  std::shared_ptr<const proto::modbus::DeviceModel> model;
};

// A device as the poller last found it.
struct DeviceState {
  std::string id;
  std::optional<bool> answering;  // nullopt: not polled yet
  std::optional<std::chrono::system_clock::time_point> last_answer;
  std::string problem;  // why its last poll failed, empty when it did not
  std::uint64_t polls = 0;
  std::uint64_t failures = 0;
  std::map<std::string, records::FacilityReading> values;  // the latest, by point
};

// How a write ended, as the command record keeps it: done, refused (the device answered with an
// exception, or the value is out of the point's bounds) or failed (no answer, link down).
struct WriteOutcome {
  std::string state;
  std::string detail;
};

class Poller : public std::enable_shared_from_this<Poller> {
 public:
  using ReadingSink = std::function<void(const std::vector<records::FacilityReading>&)>;
  Poller(store::ChannelRow row, std::vector<PolledDevice> devices, acq::LinkFactory make_link,
         const Clock& clock, ReadingSink sink);
  void start();
  void stop();

  // Writes `value` to the device's point once the line is free. Any executor.
  asio::awaitable<WriteOutcome> write(std::string device, std::string point, double value);

  const store::ChannelRow& row() const { return row_; }
  acq::ChannelStatus status() const;        // thread-safe
  std::vector<DeviceState> states() const;  // thread-safe
  const std::vector<PolledDevice>& devices() const { return devices_; }

 private:
  struct Exchanged {
    std::optional<proto::modbus::Answer> answer;
    std::string failure;  // no answer: why
  };
  asio::awaitable<void> run(std::shared_ptr<Poller> keep_alive);
  asio::awaitable<WriteOutcome> write_on_line(std::shared_ptr<Poller> keep_alive,
                                              std::string device, std::string point, double value);
  asio::awaitable<void> poll(std::size_t device);
  asio::awaitable<Exchanged> exchange(const proto::modbus::Request& request,
                                      const records::FacilityDevice& device);
  asio::awaitable<void> take_line(bool writer);
  void free_line();
  void on_bytes(std::span<const std::uint8_t> bytes);
  void on_up();
  void on_down(const std::string& why);
  // Between RTU frames the line stays quiet for at least 3.5 characters (at least 2 ms).
  std::chrono::microseconds quiet_time() const;

  store::ChannelRow row_;
  std::vector<PolledDevice> devices_;
  acq::LinkFactory make_link_;
  const Clock& clock_;
  ReadingSink sink_;
  const bool rtu_;
  std::shared_ptr<link::Link> link_;
  // On the link's strand, made with the link:
  std::optional<asio::steady_timer> wake_;    // the poll loop's sleep until a device is due
  std::optional<asio::steady_timer> answer_;  // waits for the answer; cancelled when it is in
  std::optional<asio::steady_timer> line_;    // waits for the line; cancelled when it is free
  std::optional<asio::steady_timer> quiet_;   // the RTU line's quiet time after an exchange
  std::vector<std::chrono::steady_clock::time_point> due_;  // per device
  std::vector<std::uint8_t> received_;
  std::optional<proto::modbus::Request> pending_;
  std::optional<proto::modbus::Answer> answered_;
  std::uint16_t transaction_ = 0;
  bool up_ = false;
  bool busy_ = false;
  int writers_waiting_ = 0;
  bool stopping_ = false;

  mutable std::mutex state_mutex_;
  std::vector<DeviceState> states_;
  acq::ChannelStatus status_;
};

}  // namespace halld::facility
