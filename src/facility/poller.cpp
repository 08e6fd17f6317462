#include "halld/facility/poller.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "halld/core/spawn.hpp"

namespace halld::facility {
namespace {

using namespace proto::modbus;
using std::chrono::steady_clock;

asio::awaitable<void> sleep_on(asio::steady_timer& timer, steady_clock::time_point until) {
  timer.expires_at(until);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace

Poller::Poller(store::ChannelRow row, std::vector<PolledDevice> devices, acq::LinkFactory make_link,
               const Clock& clock, ReadingSink sink)
    : row_(std::move(row)),
      devices_(std::move(devices)),
      make_link_(std::move(make_link)),
      clock_(clock),
      sink_(std::move(sink)),
      rtu_(row_.channel.link != records::ChannelLink::tcp_client) {
  for (const auto& d : devices_) {
    DeviceState state;
    state.id = d.archive.id;
    states_.push_back(std::move(state));
  }
  status_.code = row_.channel.code;
  status_.hall = row_.channel.hall_code;
  status_.protocol = "modbus";
  status_.link = std::string(records::to_string(row_.channel.link));
}

void Poller::start() {
  std::weak_ptr<Poller> weak = shared_from_this();
  link::LinkHandler handler;
  handler.on_up = [weak] {
    if (auto self = weak.lock()) self->on_up();
  };
  handler.on_bytes = [weak](std::span<const std::uint8_t> bytes) {
    if (auto self = weak.lock()) self->on_bytes(bytes);
  };
  handler.on_down = [weak](const std::string& why) {
    if (auto self = weak.lock()) self->on_down(why);
  };
  auto link = make_link_(std::move(handler));
  {
    std::lock_guard lock(state_mutex_);  // status() reads it from any thread
    link_ = std::move(link);
  }
  wake_.emplace(link_->strand());
  answer_.emplace(link_->strand());
  line_.emplace(link_->strand());
  quiet_.emplace(link_->strand());
  due_.assign(devices_.size(), steady_clock::now());
  link_->start();
  halld::spawn(link_->strand(), fmt::format("facility poller {}", row_.channel.code),
               run(shared_from_this()));
}

void Poller::stop() {
  if (!link_) return;  // never started
  asio::post(link_->strand(), [self = shared_from_this()] {
    self->stopping_ = true;
    self->wake_->cancel();
    self->answer_->cancel();
    self->line_->cancel();
    self->quiet_->cancel();
    self->link_->stop();
  });
}

void Poller::on_up() {
  up_ = true;
  received_.clear();
  {
    std::lock_guard lock(state_mutex_);
    status_.up = true;
    ++status_.connects;
  }
  wake_->cancel();
}

void Poller::on_down(const std::string& why) {
  up_ = false;
  answer_->cancel();
  std::lock_guard lock(state_mutex_);
  status_.up = false;
  status_.logged_in = false;
  status_.last_down_reason = why;
  // No device can answer through a link that is down: none may go on looking healthy.
  for (auto& state : states_) {
    if (!state.answering) continue;  // not polled yet: still unknown
    state.answering = false;
    state.problem = fmt::format("链路中断：{}", why);
  }
}

void Poller::on_bytes(std::span<const std::uint8_t> bytes) {
  if (!pending_) return;  // a late answer to a request given up on: nobody asked
  received_.insert(received_.end(), bytes.begin(), bytes.end());
  while (!received_.empty() && !answered_) {
    const auto reading = rtu_ ? read_rtu_answer(received_, *pending_)
                              : read_tcp_answer(received_, transaction_, *pending_);
    if (std::holds_alternative<NeedMore>(reading)) return;
    if (const auto* refused = std::get_if<Refused>(&reading)) {
      spdlog::debug("facility {}: bytes refused: {}", row_.channel.code, refused->reason);
      received_.erase(received_.begin(), received_.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                 refused->skip, received_.size())));
      continue;
    }
    answered_ = std::get<Answer>(reading);
    answer_->cancel();
  }
}

std::chrono::microseconds Poller::quiet_time() const {
  // 11 bits a character (start, 8 data, parity or a second stop, stop), 3.5 characters.
  const auto baud = std::max(row_.channel.serial.baud, 1);
  return std::max(std::chrono::microseconds(2000), std::chrono::microseconds(38'500'000LL / baud));
}

asio::awaitable<void> Poller::take_line(bool writer) {
  if (writer) ++writers_waiting_;
  while (!stopping_ && (busy_ || (!writer && writers_waiting_ > 0))) {
    co_await sleep_on(*line_, steady_clock::time_point::max());
  }
  if (writer) --writers_waiting_;
  busy_ = true;
}

void Poller::free_line() {
  busy_ = false;
  line_->cancel();
}

asio::awaitable<Poller::Exchanged> Poller::exchange(const Request& request,
                                                    const records::FacilityDevice& device) {
  const auto timeout = std::chrono::milliseconds(device.timeout_ms);
  for (int attempt = 0; attempt <= device.retries; ++attempt) {
    if (!up_ || stopping_) co_return Exchanged{std::nullopt, "链路未连接"};
    received_.clear();
    answered_.reset();
    pending_ = request;
    ++transaction_;
    std::vector<std::uint8_t> frame;
    try {
      frame = rtu_ ? rtu_frame(request) : tcp_frame(transaction_, request);
    } catch (const std::invalid_argument& e) {
      pending_.reset();
      co_return Exchanged{std::nullopt, e.what()};
    }
    link_->send(std::move(frame));
    co_await sleep_on(*answer_, steady_clock::now() + timeout);
    pending_.reset();
    if (rtu_) co_await sleep_on(*quiet_, steady_clock::now() + quiet_time());
    if (answered_) co_return Exchanged{std::move(answered_), ""};
  }
  co_return Exchanged{std::nullopt, fmt::format("{} 次请求均未在 {} ms 内应答", device.retries + 1,
                                                device.timeout_ms)};
}

asio::awaitable<void> Poller::poll(std::size_t index) {
  const auto& device = devices_[index];
  std::vector<records::FacilityReading> readings;
  std::string problem;
  bool answered = false;
  for (const auto& block : device.model->blocks) {
    co_await take_line(false);
    if (stopping_) co_return;
    auto exchanged = co_await exchange(
        read_request(block, static_cast<std::uint8_t>(device.archive.unit)), device.archive);
    free_line();
    if (!exchanged.answer) {
      problem = exchanged.failure;
      break;
    }
    answered = true;
    if (exchanged.answer->exception) {
      problem =
          fmt::format("设备拒绝读取 {} {}–{}：{}", to_string(block.table), block.start,
                      block.start + block.count - 1, exception_text(*exchanged.answer->exception));
      continue;
    }
    const auto now = clock_.now();
    for (const auto& r : block_readings(*device.model, block, *exchanged.answer)) {
      const auto& point = device.model->points[r.point];
      readings.push_back({device.archive.id, point.name, point.quantity, point.unit, r.value, now});
    }
  }
  {
    std::lock_guard lock(state_mutex_);
    auto& state = states_[index];
    ++state.polls;
    state.answering = answered;
    state.problem = problem;
    if (!problem.empty()) ++state.failures;
    if (answered) state.last_answer = clock_.now();
    for (const auto& r : readings) state.values[r.point] = r;
    status_.logged_in = std::any_of(states_.begin(), states_.end(),
                                    [](const DeviceState& s) { return s.answering == true; });
  }
  if (!readings.empty()) sink_(readings);
}

asio::awaitable<void> Poller::run(std::shared_ptr<Poller> keep_alive) {
  (void)keep_alive;  // the poller lives while its loop runs
  while (!stopping_) {
    if (!up_ || devices_.empty()) {
      co_await sleep_on(*wake_, steady_clock::time_point::max());
      continue;
    }
    const auto next =
        static_cast<std::size_t>(std::min_element(due_.begin(), due_.end()) - due_.begin());
    if (due_[next] > steady_clock::now()) {
      co_await sleep_on(*wake_, due_[next]);
      continue;
    }
    co_await poll(next);
    // The next poll is due an interval after this one was, unless the line fell that far behind.
    const auto interval = std::chrono::milliseconds(devices_[next].archive.poll_ms);
    due_[next] = std::max(due_[next] + interval, steady_clock::now());
  }
}

asio::awaitable<WriteOutcome> Poller::write(std::string device_id, std::string point_name,
                                            double value) {
  // The conversation belongs to the link's strand: the write runs there, its caller awaits it.
  return asio::co_spawn(
      link_->strand(),
      write_on_line(shared_from_this(), std::move(device_id), std::move(point_name), value),
      asio::use_awaitable);
}

asio::awaitable<WriteOutcome> Poller::write_on_line(std::shared_ptr<Poller> keep_alive,
                                                    std::string device_id, std::string point_name,
                                                    double value) {
  (void)keep_alive;
  const auto device = std::find_if(devices_.begin(), devices_.end(), [&](const PolledDevice& d) {
    return d.archive.id == device_id;
  });
  if (device == devices_.end())
    co_return WriteOutcome{"refused", fmt::format("通道上没有设施设备 {}", device_id)};
  const auto* point = device->model->point(point_name);
  if (!point) co_return WriteOutcome{"refused", fmt::format("设备型号中没有测点 {}", point_name)};
  Request request;
  try {
    request = write_request(*point, static_cast<std::uint8_t>(device->archive.unit), value);
  } catch (const std::invalid_argument& e) {
    co_return WriteOutcome{"refused", e.what()};
  }
  co_await take_line(true);
  if (stopping_) co_return WriteOutcome{"failed", "halld 正在停止"};
  auto exchanged = co_await exchange(request, device->archive);
  free_line();
  if (!exchanged.answer) co_return WriteOutcome{"failed", exchanged.failure};
  if (exchanged.answer->exception) {
    co_return WriteOutcome{
        "refused", fmt::format("设备拒绝写入：{}", exception_text(*exchanged.answer->exception))};
  }
  // Read it back at once, so the page shows what the device now holds.
  due_[static_cast<std::size_t>(device - devices_.begin())] = steady_clock::now();
  wake_->cancel();
  co_return WriteOutcome{"done", fmt::format("{} = {:g}{}", point->title, value, point->unit)};
}

acq::ChannelStatus Poller::status() const {
  std::lock_guard lock(state_mutex_);
  auto copy = status_;
  copy.peer = link_ ? link_->peer() : "";
  if (link_) {
    copy.connects = link_->connects();
    copy.bytes_in = link_->bytes_in();
    copy.bytes_out = link_->bytes_out();
  }
  for (const auto& s : states_) {
    acq::DeviceStatus d;
    d.device = s.id;
    d.answering = s.answering;
    d.events = s.polls;
    d.last_event = s.last_answer;
    copy.devices.push_back(std::move(d));
  }
  return copy;
}

std::vector<DeviceState> Poller::states() const {
  std::lock_guard lock(state_mutex_);
  return states_;
}

}  // namespace halld::facility
