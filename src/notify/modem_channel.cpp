// A pool of GSM modems (短信猫), each on its own serial port and with its own AT conversation
// (sms/modem). Each modem has one coroutine that opens the port, runs the readiness check,
// reads the modem's answers and watches for silence; a text borrows one ready, idle modem,
// writes its first part and waits for the conversation to report the whole message sent or
// failed. Everything runs on the channel's strand, so a modem is never written to by two at once.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <list>

#include "halld/core/spawn.hpp"
#include "halld/notify/channel.hpp"
#include "halld/sms/modem.hpp"

namespace halld::notify {
namespace {

using namespace std::chrono_literals;

struct Modem {
  Modem(asio::strand<asio::any_io_executor>& strand, std::string device, std::string pin)
      : device(std::move(device)), port(strand), session(std::move(pin)), wake(strand) {}
  std::string device;
  asio::serial_port port;
  sms::ModemSession session;
  bool borrowed = false;
  std::optional<std::chrono::steady_clock::time_point>
      answer_due;                     // while the modem owes an answer
  std::optional<SendOutcome> result;  // of the message in flight
  asio::steady_timer wake;            // cancelled when `result` is set
  std::string trouble;                // why it is not ready
};

class ModemChannel final : public Channel {
 public:
  ModemChannel(asio::any_io_executor executor, ModemOptions options, MetricsRegistry& metrics)
      : strand_(asio::make_strand(executor)),
        options_(std::move(options)),
        idle_(strand_),
        failures_(metrics.counter("halld_sms_modem_failures_total",
                                  "Texts a modem refused or did not answer.")) {
    if (options_.devices.empty())
      throw std::invalid_argument("the modem channel needs at least one device");
    for (const auto& device : options_.devices) {
      auto& modem = modems_.emplace_back(strand_, device, options_.pin);
      halld::spawn(strand_, "sms modem: conversation", run(modem));
    }
    metrics.gauge_callback("halld_sms_modems_ready", "GSM modems ready to send.",
                           [this] { return static_cast<double>(ready_); });
  }

  std::string_view name() const override { return "modem"; }

  asio::awaitable<SendOutcome> send(const TextMessage& message) override {
    co_return co_await asio::co_spawn(strand_, send_on_strand(message), asio::use_awaitable);
  }

  void stop() override {
    asio::post(strand_, [this] {
      stopping_ = true;
      for (auto& modem : modems_) {
        boost::system::error_code ignored;
        modem.port.close(ignored);
        modem.wake.cancel();
      }
      idle_.cancel();
    });
  }

 private:
  asio::awaitable<SendOutcome> send_on_strand(TextMessage message) {
    // Each message gets its own concatenation reference so that the parts of two texts to one
    // phone never mix.
    auto encoded =
        sms::encode_submit(message.phone, message.text, {.concat_reference = next_reference_++});
    if (auto* error = std::get_if<sms::PduError>(&encoded))
      co_return SendOutcome{false, error->message, false};
    auto parts = std::get<std::vector<sms::EncodedPdu>>(std::move(encoded));

    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    Modem* modem = nullptr;
    while (!stopping_ && !(modem = idle_modem())) {
      if (std::chrono::steady_clock::now() >= deadline)
        co_return SendOutcome{false, describe_trouble(), false};
      idle_.expires_after(200ms);
      boost::system::error_code ignored;
      co_await idle_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (!modem) co_return SendOutcome{false, "stopping", false};
    modem->borrowed = true;
    modem->result.reset();
    std::string to_write;
    if (!modem->session.send(std::move(parts), to_write)) {
      modem->borrowed = false;
      co_return SendOutcome{false, fmt::format("{}: not ready", modem->device), false};
    }
    write(*modem, to_write);
    while (!modem->result && !stopping_) {
      modem->wake.expires_after(1s);
      boost::system::error_code ignored;
      co_await modem->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    modem->borrowed = false;
    idle_.cancel();  // another text may be waiting for a modem
    if (!modem->result) co_return SendOutcome{false, "stopping", false};
    if (!modem->result->accepted) failures_.inc();
    co_return *modem->result;
  }

  Modem* idle_modem() {
    for (auto& modem : modems_) {
      if (!modem.borrowed && modem.session.ready() && !modem.session.busy()) return &modem;
    }
    return nullptr;
  }

  std::string describe_trouble() const {
    std::vector<std::string> troubles;
    for (const auto& modem : modems_) {
      troubles.push_back(
          fmt::format("{}: {}", modem.device, modem.trouble.empty() ? "busy" : modem.trouble));
    }
    return fmt::format("no modem free within {} s ({})", options_.timeout.count(),
                       fmt::join(troubles, "; "));
  }

  void write(Modem& modem, const std::string& bytes) {
    if (bytes.empty()) return;
    boost::system::error_code ec;
    // Small writes (a command, or one PDU of at most a few hundred bytes): done in place so that
    // two writers can never interleave on the line.
    asio::write(modem.port, asio::buffer(bytes), ec);
    if (ec) {
      modem.trouble = fmt::format("write: {}", ec.message());
      modem.port.close(ec);
      return;
    }
    modem.answer_due = std::chrono::steady_clock::now() + options_.timeout;
  }

  void handle(Modem& modem, std::vector<sms::ModemOutcome> outcomes) {
    for (auto& outcome : outcomes) {
      if (std::holds_alternative<sms::ModemReady>(outcome)) {
        modem.trouble.clear();
        modem.answer_due.reset();
        spdlog::info("sms: modem {} ready", modem.device);
      } else if (auto* not_ready = std::get_if<sms::ModemNotReady>(&outcome)) {
        modem.trouble = not_ready->reason;
        modem.answer_due.reset();
        spdlog::warn("sms: modem {} not ready: {}", modem.device, not_ready->reason);
      } else if (auto* sent = std::get_if<sms::MessageSent>(&outcome)) {
        modem.answer_due.reset();
        modem.result = SendOutcome{true,
                                   fmt::format("{} (references {})", modem.device,
                                               fmt::join(sent->message_references, ",")),
                                   false};
        modem.wake.cancel();
      } else if (auto* failed = std::get_if<sms::MessageFailed>(&outcome)) {
        modem.answer_due.reset();
        modem.result =
            SendOutcome{false, fmt::format("{}: {}", modem.device, failed->reason), false};
        modem.wake.cancel();
      }
    }
    ready_ = static_cast<std::size_t>(std::count_if(
        modems_.begin(), modems_.end(), [](const Modem& m) { return m.session.ready(); }));
  }

  bool open(Modem& modem) {
    boost::system::error_code ec;
    modem.port.open(modem.device, ec);
    if (!ec) modem.port.set_option(asio::serial_port::baud_rate(options_.baud), ec);
    if (!ec) modem.port.set_option(asio::serial_port::character_size(8), ec);
    if (!ec) modem.port.set_option(asio::serial_port::parity(asio::serial_port::parity::none), ec);
    if (!ec)
      modem.port.set_option(asio::serial_port::stop_bits(asio::serial_port::stop_bits::one), ec);
    if (!ec)
      modem.port.set_option(asio::serial_port::flow_control(asio::serial_port::flow_control::none),
                            ec);
    if (ec) {
      modem.trouble = fmt::format("cannot open: {}", ec.message());
      boost::system::error_code ignored;
      modem.port.close(ignored);
      return false;
    }
    return true;
  }

  // The modem's life: open, check readiness, read answers; silence past the deadline fails the
  // step in progress and starts the conversation again; a lost port is opened again.
  asio::awaitable<void> run(Modem& modem) {
    asio::steady_timer pause(strand_);
    while (!stopping_) {
      if (!modem.port.is_open() && !open(modem)) {
        pause.expires_after(5s);
        boost::system::error_code ignored;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        continue;
      }
      write(modem, modem.session.start());
      halld::spawn(strand_, "sms modem: watch", watch(modem));
      char buffer[512];
      for (;;) {
        boost::system::error_code ec;
        const auto n = co_await modem.port.async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          if (!stopping_) modem.trouble = fmt::format("read: {}", ec.message());
          break;
        }
        std::string to_write;
        handle(modem, modem.session.feed(std::string_view(buffer, n), to_write));
        write(modem, to_write);
        if (!modem.port.is_open()) break;
      }
      boost::system::error_code ignored;
      modem.port.close(ignored);
      handle(modem, modem.session.timed_out());  // a message in flight fails
      if (!stopping_) {
        pause.expires_after(2s);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
    }
  }

  // Runs while the port is open: an answer overdue fails the step and restarts the check; a
  // modem not ready is asked again every half minute.
  asio::awaitable<void> watch(Modem& modem) {
    asio::steady_timer tick(strand_);
    auto next_check = std::chrono::steady_clock::now() + 30s;
    while (!stopping_ && modem.port.is_open()) {
      tick.expires_after(500ms);
      boost::system::error_code ignored;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      const auto now = std::chrono::steady_clock::now();
      if (modem.answer_due && now > *modem.answer_due) {
        spdlog::warn("sms: modem {} did not answer within {} s", modem.device,
                     options_.timeout.count());
        modem.trouble = "no answer";
        modem.answer_due.reset();
        handle(modem, modem.session.timed_out());
        write(modem, modem.session.start());
      } else if (!modem.session.ready() && !modem.session.busy() && !modem.answer_due &&
                 now > next_check) {
        next_check = now + 30s;
        write(modem, modem.session.start());
      }
      if (modem.session.ready()) next_check = now + 30s;
    }
  }

  asio::strand<asio::any_io_executor> strand_;
  ModemOptions options_;
  std::list<Modem> modems_;  // stable addresses: each modem's coroutines hold a reference
  asio::steady_timer idle_;  // texts waiting for a modem sleep on it
  std::uint8_t next_reference_ = 1;
  bool stopping_ = false;
  std::atomic<std::size_t> ready_ = 0;  // read by the metrics scrape
  Counter& failures_;
};

}  // namespace

std::unique_ptr<Channel> make_modem_channel(asio::any_io_executor executor, ModemOptions options,
                                            MetricsRegistry& metrics) {
  return std::make_unique<ModemChannel>(std::move(executor), std::move(options), metrics);
}

}  // namespace halld::notify
