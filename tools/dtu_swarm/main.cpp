// dtu_swarm: many GPRS DTUs at once, for the DTU benchmark. Each dials halld's DTU server,
// sends its registration packet, logs its device in (site "D" + identity), and from then on only
// keeps the line alive as an idle hall's DTU does: a DTU heartbeat packet and a protocol
// heartbeat every interval. A DTU that loses its line dials again. Every second the stats file
// says how many are connected and how many have had their login accepted.
//
//   dtu_swarm --dtu HOST:PORT --count N --identity-base 13900000000 [--register T] [--heartbeat T]
//             [--interval-s 30] [--connect-rate 2000] [--stats-file F]
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "halld/core/asio.hpp"
#include "halld/core/spawn.hpp"
#include "halld/proto/frame/messages.hpp"
#include "halld/records/archive.hpp"

namespace {

using namespace halld;
using namespace std::chrono_literals;

struct Options {
  std::string host;
  std::uint16_t port = 0;
  std::uint64_t count = 1000;
  std::uint64_t identity_base = 13900000000;
  std::string register_template = "{id}", heartbeat_template = "\\xfe";
  std::chrono::seconds interval{30};
  double connect_rate = 2000;  // new connections per second
  std::string stats_file;
};

struct Totals {
  std::uint64_t connected = 0, logged_in = 0, dials = 0, failed_dials = 0;
};

class Dtu {
 public:
  Dtu(asio::io_context& io, const Options& options, Totals& totals, std::uint64_t index)
      : io_(io),
        options_(options),
        totals_(totals),
        identity_(std::to_string(options.identity_base + index)),
        index_(index) {}

  asio::awaitable<void> run() {
    asio::steady_timer timer(io_);
    timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(index_) / options_.connect_rate)));
    co_await timer.async_wait(asio::use_awaitable);
    const auto registration =
        records::expand_packet_template(options_.register_template, identity_);
    const auto dtu_heartbeat =
        records::expand_packet_template(options_.heartbeat_template, identity_);
    const auto login =
        proto::encode_frame(proto::encode_login(1, {"D" + identity_, "dtu_swarm", 1}));
    const auto heartbeat = proto::encode_frame(proto::encode_heartbeat(1));
    for (;;) {
      auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
      boost::system::error_code ec;
      ++totals_.dials;
      co_await socket->async_connect({asio::ip::make_address(options_.host), options_.port},
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (!ec)
        co_await asio::async_write(*socket, asio::buffer(registration),
                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        ++totals_.failed_dials;
        timer.expires_after(1s);
        co_await timer.async_wait(asio::use_awaitable);
        continue;
      }
      ++totals_.connected;
      timer.expires_after(50ms);  // the registration travels on its own, as a DTU sends it
      co_await timer.async_wait(asio::use_awaitable);
      co_await asio::async_write(*socket, asio::buffer(login),
                                 asio::redirect_error(asio::use_awaitable, ec));
      halld::spawn(io_.get_executor(), "dtu_swarm: reading", read(socket));
      while (!ec && socket->is_open()) {
        timer.expires_after(options_.interval);
        co_await timer.async_wait(asio::use_awaitable);
        co_await asio::async_write(*socket, asio::buffer(dtu_heartbeat),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (!ec)
          co_await asio::async_write(*socket, asio::buffer(heartbeat),
                                     asio::redirect_error(asio::use_awaitable, ec));
      }
      --totals_.connected;
      socket->close(ec);
    }
  }

 private:
  // Reads what halld sends; counts the login ack. Closes the socket when halld does.
  asio::awaitable<void> read(std::shared_ptr<asio::ip::tcp::socket> socket) {
    std::vector<std::uint8_t> buffer, chunk(256);
    bool logged_in = false;
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = co_await socket->async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      for (const auto& frame : proto::take_frames(buffer)) {
        auto ack = proto::decode_login_ack(frame);
        if (!logged_in && ack && ack->outcome == proto::LoginOutcome::accepted) {
          logged_in = true;
          ++totals_.logged_in;
        }
      }
    }
    if (logged_in) --totals_.logged_in;
    boost::system::error_code ignored;
    socket->close(ignored);
  }

  asio::io_context& io_;
  const Options& options_;
  Totals& totals_;
  std::string identity_;
  std::uint64_t index_;
};

asio::awaitable<void> report(asio::io_context& io, const Options& options, const Totals& totals) {
  asio::steady_timer timer(io);
  for (;;) {
    if (!options.stats_file.empty()) {
      nlohmann::json stats = {{"dtus", options.count},
                              {"connected", totals.connected},
                              {"logged_in", totals.logged_in},
                              {"dials", totals.dials},
                              {"failed_dials", totals.failed_dials}};
      std::ofstream(options.stats_file + ".tmp") << stats.dump() << '\n';
      std::rename((options.stats_file + ".tmp").c_str(), options.stats_file.c_str());
    }
    timer.expires_after(1s);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value = i + 1 < argc ? argv[++i] : "";
    bool ok = true;
    if (arg == "--dtu") {
      auto colon = value.rfind(':');
      ok = colon != std::string_view::npos && parse_number(value.substr(colon + 1), o.port) &&
           o.port != 0;
      o.host = std::string(value.substr(0, colon));
    } else if (arg == "--count")
      ok = parse_number(value, o.count) && o.count > 0;
    else if (arg == "--identity-base")
      ok = parse_number(value, o.identity_base);
    else if (arg == "--register")
      o.register_template = value;
    else if (arg == "--heartbeat")
      o.heartbeat_template = value;
    else if (arg == "--interval-s") {
      long s = 0;
      ok = parse_number(value, s) && s > 0;
      o.interval = std::chrono::seconds(s);
    } else if (arg == "--connect-rate")
      ok = parse_number(value, o.connect_rate) && o.connect_rate > 0;
    else if (arg == "--stats-file")
      o.stats_file = value;
    else
      ok = false;
    if (!ok) return std::nullopt;
  }
  try {
    (void)records::expand_packet_template(o.register_template, "1");
    (void)records::expand_packet_template(o.heartbeat_template, "1");
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  if (o.host.empty()) return std::nullopt;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: dtu_swarm --dtu HOST:PORT --count N --identity-base ID [--register T] "
                 "[--heartbeat T] "
                 "[--interval-s S] [--connect-rate R] [--stats-file F]\n");
    return 2;
  }
  asio::io_context io(1);
  Totals totals;
  std::vector<std::unique_ptr<Dtu>> dtus;
  for (std::uint64_t i = 0; i < options->count; ++i) {
    dtus.push_back(std::make_unique<Dtu>(io, *options, totals, i));
    halld::spawn(io.get_executor(), "dtu_swarm: a DTU", dtus.back()->run());
  }
  halld::spawn(io.get_executor(), "dtu_swarm: report", report(io, *options, totals));
  io.run();
  return 0;
}
