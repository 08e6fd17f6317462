// hall_sim: a hall's queue-evaluation server as halld sees it: it listens, halld dials in, and
// it streams the hall's events in the queue-evaluation protocol with per-source sequence
// numbers, resending everything unacknowledged after each reconnect. It can instead dial halld
// as a GPRS DTU (--dtu), sit at the far end of a serial line (--serial: a pseudo-terminal whose
// device name goes to the port file), or be the keypads on an RS-485 bus that halld polls
// (--serial --bus 1,2,3: one keypad per address, --events each).
//
//   hall_sim --listen 127.0.0.1:0 --site 4101001 [--source 1] [--events 3000] [--rate 500]
//            [--speed S] [--arrivals-per-hour A] [--windows W] [--staffed S] [--queue-at-start N]
//            [--seed 1] [--cut-after K]
//            [--port-file F]
//            [--stats-file F] [--write-log F] [--exit-when-acked] [--start 2026-11-21T00:30:00Z]
//            [--backlog-hours A-B]
//
// --rate is events per second of real time (the simulated clock runs as fast as needed);
// --speed instead paces events by their own times, S simulated seconds per real second (1: live);
// --events 0 streams without end; --start sets the simulated clock's first instant (default:
// now), e.g. to replay a past day or to deliver events late;
// --backlog-hours A-B (with --speed) holds back the events of simulated hours A to B after the
// start and sends them at hour B, oldest first, before anything later: a link lost for a while, its
// backlog delivered late (ending, as a real one does, with windows open or a customer just called);
// --cut-after drops the first connection after K data frames, unacknowledged ones included,
// to test recovery; the stats file says how many events were made and acknowledged;
// --staffed S opens only S of the windows at opening time (halld's open_window command opens the
// others: an emergency plan's extra windows), --queue-at-start N has N customers at the door at
// the first opening (a crowded hall at once).
// --protocol-file F speaks the protocol a description names (docs/protocols/adapters.md: a
// vendor's binary or text protocol) instead of halld's own; events it does not carry are not
// sent.
// --marketing-listen HOST:PORT also serves the marketing system's WebService (SOAP 1.1), whose
// applications are made from these halls' tickets (tools/marketing_sim): --marketing-archive F
// (a halld import document: the archive it keeps, drifted), --marketing-city C (without one),
// --marketing-user U --marketing-password P (a WS-Security token required), --marketing-gbk,
// --marketing-port-file F; faults at run time through POST /control?down=1&stall=0&fault=0.2….
#include <fmt/format.h>
#include <pty.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backlog.hpp"
#include "book.hpp"
#include "bus_devices.hpp"
#include "device.hpp"
#include "device_protocol.hpp"
#include "halld/core/asio.hpp"
#include "halld/core/spawn.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"
#include "halld/records/archive.hpp"
#include "halld/records/event_json.hpp"
#include "options.hpp"
#include "pty.hpp"
#include "queue_model.hpp"
#include "server.hpp"
#include "terminal_model.hpp"

using namespace hall_sim;

namespace {

using namespace halld;
using namespace std::chrono_literals;

// What a simulator has done, for the stats file.
struct Counts {
  std::uint64_t events = 0, acks = 0, unacked = 0, connections = 0;
};

class Simulator {
 public:
  Simulator(asio::io_context& io, const Options& options, HallSetup hall)
      : io_(io),
        options_(options),
        hall_(std::move(hall)),
        acceptor_(io),
        outbox_(options_.source),
        protocol_(protocol_of(options_)),
        model_(make_model(options_, hall_, simulation_start_)) {
    if (!options_.write_log.empty())
      write_log_ = std::make_unique<std::ofstream>(options_.write_log, std::ios::app);
    if (options_.serial) {
      pty_.emplace();
      if (!options_.bus_addresses.empty()) {
        bus_.emplace(tools::BusDevicesOptions{.site = hall_.site,
                                              .addresses = options_.bus_addresses,
                                              .events_per_device = options_.events,
                                              .seed = hall_.seed,
                                              .start = simulation_start_});
      }
    }
    if (options_.dtu_port != 0 || options_.serial) return;
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options_.host), hall_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
  }

  // Set before serve(): told of every event the hall sends (the marketing system's books).
  void observe(std::function<void(const std::string& site, const records::Event&)> observer) {
    observer_ = std::move(observer);
  }

  // What halld is to be configured with: the TCP port, or the serial device's name.
  std::string address() const {
    if (pty_) return pty_->name;
    return std::to_string(options_.dtu_port != 0 ? 0 : acceptor_.local_endpoint().port());
  }

  // Ends once every event is made and acknowledged (with --exit-when-acked), else never.
  asio::awaitable<void> serve() {
    if (bus_) {
      auto answering = answer_polls();
      co_await std::move(answering);
      co_return;
    }
    while (!finished()) {
      if (pty_) {
        // A serial line has no connections: the conversation starts again (login first) after
        // halld has been silent too long.
        auto talking = converse(asio::posix::stream_descriptor(io_, ::dup(pty_->device_end)));
        co_await std::move(talking);
        asio::steady_timer pause(io_, 200ms);  // a line that fails at once is not hammered
        co_await pause.async_wait(asio::use_awaitable);
        continue;
      }
      asio::ip::tcp::socket socket(io_);
      if (options_.dtu_port != 0) {
        auto dialling = dial();
        socket = co_await std::move(dialling);
      } else {
        socket = co_await acceptor_.async_accept(asio::use_awaitable);
      }
      ++connections_;
      auto talking = converse(std::move(socket));
      co_await std::move(talking);
    }
  }

  bool finished() const {
    if (bus_) return options_.exit_when_acked && bus_->all_made() && bus_->unacked() == 0;
    return options_.exit_when_acked && all_made() && outbox_.unacked() == 0;
  }
  Counts counts() const {
    if (bus_) return {bus_->events_made(), bus_->acks(), bus_->unacked(), connections_};
    return {outbox_.events_made(), outbox_.acks(), outbox_.unacked(), connections_};
  }
  const std::vector<double>& ack_latencies_ms() const { return outbox_.ack_latencies_ms(); }

 private:
  using Model = std::variant<tools::QueueModel, tools::TerminalFleet>;
  static Model make_model(const Options& o, const HallSetup& hall, records::Timestamp start) {
    if (!o.terminals.empty()) {
      return tools::TerminalFleet(
          {.seed = hall.seed, .terminals = o.terminals, .hours = o.hours, .start = start});
    }
    return tools::QueueModel({.seed = hall.seed,
                              .windows = o.windows,
                              .staffed = o.staffed,
                              .queue_at_start = o.queue_at_start,
                              .arrivals_per_hour = o.arrivals_per_hour,
                              .hours = o.hours,
                              .staff_prefix = hall.site + "-",
                              .start = start});
  }
  static std::unique_ptr<tools::DeviceProtocol> protocol_of(const Options& o) {
    if (o.protocol_file.empty()) return tools::halld_protocol(!o.terminals.empty());
    std::ifstream in(o.protocol_file);
    std::stringstream text;
    text << in.rdbuf();
    return tools::described_protocol(std::make_shared<const proto::described::Description>(
        proto::described::load_description(text.str())));
  }
  static std::optional<tools::Backlog> backlog_of(const Options& o, records::Timestamp start) {
    if (!o.backlog_hours) return std::nullopt;
    return tools::Backlog(start + std::chrono::hours(o.backlog_hours->first),
                          start + std::chrono::hours(o.backlog_hours->second));
  }
  tools::Backlog::Due next_from_model() {
    auto from_model = [this] {
      return std::visit([](auto& model) { return model.next(); }, model_);
    };
    if (backlog_) return backlog_->next(from_model);
    auto event = from_model();
    const auto at = event.at;
    return {std::move(event), at};
  }
  // The frame of a new event, in the protocol of what is simulated.
  std::vector<std::uint8_t> add_to_outbox(const records::Event& event) {
    auto frame = outbox_.add(
        [&](std::uint32_t sequence) { return protocol_->event(options_.source, sequence, event); });
    if (observer_ && !frame.empty()) observer_(hall_.site, event);
    return frame;
  }

  // What the simulated server does with a command from halld; nullopt when the frame is none.
  std::optional<proto::CommandResult> answer_command(const proto::Frame& frame) {
    using proto::CommandOutcome;
    auto result = [&](CommandOutcome outcome, std::string detail = {}) {
      return proto::CommandResult{frame.sequence, outcome, std::move(detail)};
    };
    if (std::holds_alternative<tools::TerminalFleet>(model_)) {
      auto command =
          proto::decode_command<proto::terminal::Protocol, proto::terminal::Command>(frame);
      if (!command) return std::nullopt;
      const auto& terminal =
          std::visit([](const auto& c) -> const std::string& { return c.terminal; }, *command);
      const bool known =
          terminal.empty() || std::any_of(options_.terminals.begin(), options_.terminals.end(),
                                          [&](const auto& t) { return t.code == terminal; });
      return known ? result(CommandOutcome::done)
                   : result(CommandOutcome::refused, "no terminal " + terminal);
    }
    auto command =
        proto::decode_command<proto::queue_eval::Protocol, proto::queue_eval::Command>(frame);
    if (!command) return std::nullopt;
    return std::visit(
        [&](const auto& c) {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, proto::queue_eval::OpenWindow> ||
                        std::is_same_v<T, proto::queue_eval::CloseWindow>) {
            auto& queue = std::get<tools::QueueModel>(model_);
            const bool opening = std::is_same_v<T, proto::queue_eval::OpenWindow>;
            const auto at = std::min(simulated_now(queue.now()), queue.now());
            std::optional<records::Event> change;
            if (!(opening ? queue.open_window(c.window, at, change)
                          : queue.close_window(c.window, at, change)))
              return result(CommandOutcome::refused, fmt::format("no window {}", c.window));
            if (change) urgent_.push_back(std::move(*change));
            std::cout << fmt::format("hall_sim {}: window {} {}", hall_.site, c.window,
                                     opening ? "opened" : "closed")
                      << std::endl;
            return result(CommandOutcome::done);
          } else if constexpr (std::is_same_v<T, proto::queue_eval::ShowMessage>) {
            // What the hall's LED boards and screens now show.
            std::cout << (c.text.empty() ? fmt::format("hall_sim {}: screens cleared", hall_.site)
                                         : fmt::format("hall_sim {}: screens show \"{}\" for {} s",
                                                       hall_.site, c.text, c.seconds))
                      << std::endl;
            return result(CommandOutcome::done);
          } else if constexpr (std::is_same_v<T, proto::queue_eval::SetQueueParameter>) {
            return result(CommandOutcome::unsupported,
                          "queue parameters are set at the queue server's console");
          } else {
            return result(CommandOutcome::done);
          }
        },
        *command);
  }

  // The frames of a command's answer: what the command changed goes out first, as a queue
  // system reports it, then the result.
  std::vector<std::uint8_t> answer_frames(const proto::CommandResult& result) {
    std::vector<std::uint8_t> frames;
    for (const auto& event : std::exchange(urgent_, {})) {
      const auto frame = add_to_outbox(event);
      frames.insert(frames.end(), frame.begin(), frame.end());
    }
    const auto answer = protocol_->command_result(options_.source, result);
    frames.insert(frames.end(), answer.begin(), answer.end());
    return frames;
  }

  // The simulated time now: by the pace with --speed, else `model_time` (the model's own).
  records::Timestamp simulated_now(records::Timestamp model_time) const {
    if (options_.speed <= 0) return model_time;
    const auto real = std::chrono::duration<double>(std::chrono::steady_clock::now() - real_start_);
    return simulation_start_ +
           std::chrono::duration_cast<std::chrono::seconds>(real * options_.speed);
  }

  bool all_made() const { return options_.events != 0 && outbox_.events_made() >= options_.events; }

  // With --speed, how long until simulated time `at` is due; zero when it is (or in --rate mode).
  std::chrono::steady_clock::duration until_due(records::Timestamp at) const {
    if (options_.speed <= 0) return {};
    auto simulated = std::chrono::duration<double>(at - simulation_start_);
    auto due = real_start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 simulated / options_.speed);
    auto now = std::chrono::steady_clock::now();
    return due > now ? due - now : std::chrono::steady_clock::duration{};
  }

  // As a DTU: connect to halld (again and again until it answers) and send the registration.
  asio::awaitable<asio::ip::tcp::socket> dial() {
    asio::steady_timer pause(io_);
    for (;;) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      co_await socket.async_connect({asio::ip::make_address(options_.dtu_host), options_.dtu_port},
                                    asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        co_await asio::async_write(socket, asio::buffer(hall_.registration),
                                   asio::redirect_error(asio::use_awaitable, ec));
        // The registration travels on its own, as a DTU sends it, before the device speaks.
        pause.expires_after(50ms);
        co_await pause.async_wait(asio::use_awaitable);
        if (!ec) co_return socket;
      }
      pause.expires_after(200ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
  }

  // The keypads on a bus: they answer polls, and say nothing otherwise.
  asio::awaitable<void> answer_polls() {
    asio::posix::stream_descriptor line(io_, ::dup(pty_->device_end));
    std::vector<std::uint8_t> chunk(4096);
    boost::system::error_code ec;
    while (!finished()) {
      std::size_t n = co_await line.async_read_some(asio::buffer(chunk),
                                                    asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      const auto reply = bus_->on_bytes(std::span(chunk.data(), n));
      if (!reply.empty())
        co_await asio::async_write(line, asio::buffer(reply),
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  template <class Stream>
  asio::awaitable<void> converse(Stream socket) {
    // Buffers awaited on are named locals: GCC 12 mishandles temporaries in co_await expressions.
    boost::system::error_code ec;
    bool logged_in = !protocol_->logs_in();
    // The first words: the login; without one, what was not acknowledged, at once.
    const auto opening =
        logged_in ? outbox_.resend_all() : protocol_->login(options_.source, hall_.site);
    const auto heartbeat = protocol_->heartbeat(options_.source);
    if (!opening.empty())
      co_await asio::async_write(socket, asio::buffer(opening),
                                 asio::redirect_error(asio::use_awaitable, ec));
    bool open = !ec;
    socket.non_blocking(true, ec);  // reads below take what has arrived and never wait
    std::uint64_t frames_this_connection = 0;
    rate_start_ = std::chrono::steady_clock::now();
    made_at_rate_start_ = outbox_.events_made();
    std::vector<std::uint8_t> buffer;
    asio::steady_timer pace(io_);
    auto last_heartbeat = std::chrono::steady_clock::now();
    auto last_dtu_heartbeat = last_heartbeat;
    auto last_heard = last_heartbeat;
    std::vector<std::uint8_t> chunk(
        8192);  // on the heap: a big coroutine frame trips GCC 12's -Wmismatched-new-delete
    while (open) {
      // Take whatever arrived (acks, login ack) without holding up the event stream.
      for (;;) {
        std::size_t n = socket.read_some(asio::buffer(chunk), ec);
        if (ec) break;
        last_heard = std::chrono::steady_clock::now();
        buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      }
      if (ec != asio::error::would_block) break;  // halld closed the connection
      // halld answers every heartbeat: this long without a byte, the line is as good as cut.
      if (std::chrono::steady_clock::now() - last_heard > 12s) break;
      ec.clear();
      for (const auto& heard : protocol_->take(buffer)) {
        if (heard.kind == tools::Heard::Kind::data_ack) outbox_.acknowledged(heard.sequence);
        if (heard.frame) {
          if (auto result = answer_command(*heard.frame)) {
            const auto answer = answer_frames(*result);
            co_await asio::async_write(socket, asio::buffer(answer),
                                       asio::redirect_error(asio::use_awaitable, ec));
          }
        }
        if (heard.kind == tools::Heard::Kind::login_accepted && !logged_in) {
          logged_in = true;
          auto resend = outbox_.resend_all();
          if (!resend.empty())
            co_await asio::async_write(socket, asio::buffer(resend),
                                       asio::redirect_error(asio::use_awaitable, ec));
        }
      }
      if (finished()) break;
      if (logged_in && !all_made()) {
        // Everything due goes out in one write: with --rate, the events the rate allows since the
        // last write (so a fast rate costs one syscall per batch, not per event); with --speed,
        // the events whose time has come.
        std::vector<std::uint8_t> due;
        const auto now = std::chrono::steady_clock::now();
        auto allowance =
            options_.speed > 0
                ? std::numeric_limits<std::uint64_t>::max()
                : static_cast<std::uint64_t>(
                      std::chrono::duration<double>(now - rate_start_).count() * options_.rate) -
                      (outbox_.events_made() - made_at_rate_start_);
        while (allowance-- > 0 && !all_made() && due.size() < 256 * 1024) {
          if (!next_event_) next_event_ = next_from_model();
          if (until_due(next_event_->at) != std::chrono::steady_clock::duration{}) break;
          auto frame = add_to_outbox(next_event_->event);
          next_event_.reset();
          due.insert(due.end(), frame.begin(), frame.end());
          if (options_.cut_after && connections_ == 1 &&
              ++frames_this_connection >= options_.cut_after)
            break;
        }
        if (!due.empty()) {
          due_empty_since_.reset();
          if (write_log_)
            *write_log_ << std::chrono::steady_clock::now().time_since_epoch().count() << ' '
                        << due.size() << ' ' << hall_.site << std::endl;
          co_await asio::async_write(socket, asio::buffer(due),
                                     asio::redirect_error(asio::use_awaitable, ec));
        }
        if (options_.cut_after && connections_ == 1 && frames_this_connection >= options_.cut_after)
          break;
      }
      if (std::chrono::steady_clock::now() - last_heartbeat > 5s) {
        last_heartbeat = std::chrono::steady_clock::now();
        co_await asio::async_write(socket, asio::buffer(heartbeat),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      // Like a DTU, only while the line is idle, so a heartbeat packet travels on its own.
      if (!due_empty_since_) due_empty_since_ = std::chrono::steady_clock::now();
      if (!hall_.dtu_heartbeat.empty() &&
          std::chrono::steady_clock::now() - *due_empty_since_ > options_.dtu_heartbeat_interval &&
          std::chrono::steady_clock::now() - last_dtu_heartbeat > options_.dtu_heartbeat_interval) {
        last_dtu_heartbeat = std::chrono::steady_clock::now();
        co_await asio::async_write(socket, asio::buffer(hall_.dtu_heartbeat),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) break;
      auto wait =
          options_.speed > 0 && next_event_
              ? std::min<std::chrono::steady_clock::duration>(until_due(next_event_->at), 200ms)
              : std::chrono::steady_clock::duration(std::chrono::milliseconds(2));
      pace.expires_after(wait);
      co_await pace.async_wait(asio::use_awaitable);
      open = socket.is_open();
    }
    socket.close(ec);
  }

  asio::io_context& io_;
  const Options& options_;
  HallSetup hall_;
  records::Timestamp simulation_start_ = options_.start.value_or(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  std::chrono::steady_clock::time_point real_start_ = std::chrono::steady_clock::now();
  asio::ip::tcp::acceptor acceptor_;
  std::optional<tools::Pty> pty_;
  std::optional<tools::BusDevices> bus_;
  tools::DeviceOutbox outbox_;
  std::unique_ptr<tools::DeviceProtocol> protocol_;  // what the device speaks
  std::unique_ptr<std::ofstream> write_log_;         // with --write-log
  std::function<void(const std::string&, const records::Event&)> observer_;
  Model model_;  // starts at simulation_start_, declared above it
  std::optional<tools::Backlog> backlog_ = backlog_of(options_, simulation_start_);
  std::optional<tools::Backlog::Due> next_event_;  // made by the model, not yet due
  std::vector<records::Event> urgent_;  // what a command changed, to send before its answer
  std::chrono::steady_clock::time_point rate_start_;  // --rate counts from here, per connection
  std::uint64_t made_at_rate_start_ = 0;
  std::uint64_t connections_ = 0;
  std::optional<std::chrono::steady_clock::time_point> due_empty_since_;  // the line is idle since
};

// Keeps the stats file (every second, and at the end) and ends the run once every simulator has
// finished.
class Reporter {
 public:
  Reporter(asio::io_context& io, const Options& options,
           std::vector<std::unique_ptr<Simulator>>& simulators)
      : io_(io), options_(options), simulators_(simulators) {}

  asio::awaitable<void> run() {
    asio::steady_timer tick(io_);
    auto last_write = std::chrono::steady_clock::now();
    for (;;) {
      const bool all_finished = std::all_of(simulators_.begin(), simulators_.end(),
                                            [](const auto& s) { return s->finished(); });
      if (all_finished || std::chrono::steady_clock::now() - last_write > 1s) {
        write_stats();
        last_write = std::chrono::steady_clock::now();
      }
      if (all_finished) break;
      tick.expires_after(100ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    io_.stop();
  }

 private:
  static double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }

  void write_stats() const {
    if (options_.stats_file.empty()) return;
    Counts total;
    std::vector<double> latencies;
    for (const auto& s : simulators_) {
      auto c = s->counts();
      total.events += c.events;
      total.acks += c.acks;
      total.unacked += c.unacked;
      total.connections += c.connections;
      latencies.insert(latencies.end(), s->ack_latencies_ms().begin(), s->ack_latencies_ms().end());
    }
    auto percentile = [&](double p) {
      if (latencies.empty()) return 0.0;
      auto at = latencies.begin() +
                static_cast<std::ptrdiff_t>(p * static_cast<double>(latencies.size() - 1));
      std::nth_element(latencies.begin(), at, latencies.end());
      return *at;
    };
    nlohmann::json stats = {{"halls", simulators_.size()},
                            {"events", total.events},
                            {"acks", total.acks},
                            {"unacked", total.unacked},
                            {"connections", total.connections},
                            {"ack_latency_ms_p50", percentile(0.50)},
                            {"ack_latency_ms_p99", percentile(0.99)},
                            {"cpu_s", cpu_seconds()}};
    std::ofstream(options_.stats_file + ".tmp") << stats.dump() << '\n';
    std::rename((options_.stats_file + ".tmp").c_str(), options_.stats_file.c_str());
  }

  asio::io_context& io_;
  const Options& options_;
  std::vector<std::unique_ptr<Simulator>>& simulators_;
};

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
  std::vector<HallSetup> halls;
  for (std::size_t i = 0; options && i < options->sites.size(); ++i) {
    auto hall = hall_setup(*options, i);
    if (!hall)
      options.reset();
    else
      halls.push_back(std::move(*hall));
  }
  if (!options) {
    std::fprintf(
        stderr,
        "usage: hall_sim (--listen HOST:PORT | --dtu HALLD_HOST:PORT --identity ID [--register T] "
        "[--dtu-heartbeat T] [--dtu-heartbeat-ms MS] | --serial [--bus ADDR,ADDR,...]) --site "
        "HALL[,HALL...] "
        "[--terminals CODE[:24h],...] [--source N] [--events N] [--rate R] [--speed S] "
        "[--arrivals-per-hour A] "
        "[--windows W] [--staffed S] [--queue-at-start N] [--hours HH:MM-HH:MM|24h] [--seed N] "
        "[--cut-after K] [--port-file F] "
        "[--stats-file F] "
        "[--exit-when-acked] [--start 2026-11-21T00:30:00Z]\n"
        "  T: a DTU packet template, {id} for the identity and \\xHH for a byte\n"
        "  several halls: one per site, on consecutive ports (or DTU identities) from the first\n"
        "  --terminals: a terminal-management server (site = its server id) for these terminals\n");
    return 2;
  }
  asio::io_context io;
  std::vector<std::unique_ptr<Simulator>> simulators;
  std::string addresses;
  for (auto& hall : halls) {
    simulators.push_back(std::make_unique<Simulator>(io, *options, std::move(hall)));
    addresses += simulators.back()->address() + "\n";
  }
  if (!options->port_file.empty()) {
    std::ofstream(options->port_file + ".tmp") << addresses;
    std::rename((options->port_file + ".tmp").c_str(), options->port_file.c_str());
  }
  const char* what = !options->terminals.empty()       ? "a terminal-management server"
                     : !options->bus_addresses.empty() ? "keypads on a bus"
                                                       : "halls";
  if (options->serial) {
    std::printf("hall_sim: %s at the far end of %s\n", what, simulators.front()->address().c_str());
  } else if (options->dtu_port != 0) {
    std::printf("hall_sim: %zu %s dialling %s:%u as DTUs\n", simulators.size(), what,
                options->dtu_host.c_str(), options->dtu_port);
  } else {
    std::printf("hall_sim: %zu %s listening on %s from port %s for halld\n", simulators.size(),
                what, options->host.c_str(), simulators.front()->address().c_str());
  }
  std::fflush(stdout);
  std::optional<tools::Book> book;
  std::optional<tools::MarketingServer> marketing;
  if (options->marketing_port) {
    book.emplace(tools::BookOptions{.seed = options->seed});
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    if (!options->marketing_archive.empty()) {
      std::ifstream file(options->marketing_archive);
      book->load_archive(nlohmann::json::parse(file), now);
    } else {
      book->add_halls(options->sites, options->marketing_city, options->windows, now);
    }
    marketing.emplace(
        io,
        asio::ip::tcp::endpoint(asio::ip::make_address(options->host), *options->marketing_port),
        *book,
        tools::ServiceFaults{.gbk = options->marketing_gbk,
                             .username = options->marketing_user,
                             .password = options->marketing_password},
        options->seed);
    for (auto& simulator : simulators)
      simulator->observe([&book](const std::string& site, const records::Event& event) {
        book->observe(site, event);
      });
    if (!options->marketing_port_file.empty()) {
      std::ofstream(options->marketing_port_file + ".tmp") << marketing->port() << "\n";
      std::rename((options->marketing_port_file + ".tmp").c_str(),
                  options->marketing_port_file.c_str());
    }
    std::printf("hall_sim: the marketing system's WebService on %s:%u\n", options->host.c_str(),
                marketing->port());
    std::fflush(stdout);
    halld::spawn(io.get_executor(), "hall_sim: marketing", marketing->run());
  }
  for (auto& simulator : simulators)
    halld::spawn(io.get_executor(), "hall_sim: " + simulator->address(), simulator->serve());
  Reporter reporter(io, *options, simulators);
  halld::spawn(io.get_executor(), "hall_sim: reporter", reporter.run());
  io.run();
  return 0;
}
