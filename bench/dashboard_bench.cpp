// dashboard_bench: what the dashboards cost halld.
//
//   dashboard_bench http --port P --token T --target PATH [--requests N] [--connections C]
//     C keep-alive connections each send N/C GETs of PATH one after another; prints the
//     latency percentiles (ms) of the whole run and the requests per second.
//
//   dashboard_bench fanout --port P --token T [--clients N] [--seconds S] [--target PATH]
//     N WebSocket clients subscribe to the live stream (default: the province's hall
//     summaries); once every one has its snapshot (the overview, the stream's first message),
//     they count for S seconds. Each later message carries the time the engine published it
//     (published_ms), so lag = arrival − publication, on the same machine's clock. Prints how
//     many clients connected, how long until every snapshot arrived, messages received and the
//     lag percentiles (ms); messages that came while snapshots were still being sent apart.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "options.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using steady_clock = std::chrono::steady_clock;

using halld::bench::option;
using halld::bench::percentile;

int http_latency(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(std::stoi(option(argc, argv, "--port", "8080")));
  const auto token = option(argc, argv, "--token", "");
  const auto target = option(argc, argv, "--target", "/api/v1/live");
  const int requests = std::stoi(option(argc, argv, "--requests", "2000"));
  const int connections = std::stoi(option(argc, argv, "--connections", "4"));
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<int> failures{0};
  std::size_t bytes = 0;
  std::mutex bytes_mutex;
  const auto started = steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.connect({asio::ip::make_address("127.0.0.1"), port});
      beast::flat_buffer buffer;
      for (int i = 0; i < requests / connections; ++i) {
        http::request<http::empty_body> request{http::verb::get, target, 11};
        request.set(http::field::host, "127.0.0.1");
        request.set(http::field::authorization, "Bearer " + token);
        const auto sent = steady_clock::now();
        http::write(stream, request);
        http::response<http::string_body> response;
        http::read(stream, buffer, response);
        latencies[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(steady_clock::now() - sent).count());
        if (response.result() != http::status::ok) ++failures;
        std::lock_guard lock(bytes_mutex);
        bytes = response.body().size();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::cout << nlohmann::json{{"bench", "dashboard_http"},
                              {"target", target},
                              {"requests", all.size()},
                              {"connections", connections},
                              {"failures", failures.load()},
                              {"body_bytes", bytes},
                              {"latency_ms_p50", percentile(all, 0.5)},
                              {"latency_ms_p99", percentile(all, 0.99)},
                              {"requests_per_s", static_cast<double>(all.size()) / seconds}}
                   .dump()
            << std::endl;
  return failures.load() == 0 ? 0 : 1;
}

// What all the clients received (one thread runs the io_context).
struct Received {
  int connected = 0;
  int snapshots = 0;                        // clients that have their first message
  bool settled = false;                     // every client has its snapshot
  std::vector<double> settling_lags, lags;  // before and after settling
  std::uint64_t bytes = 0;                  // of the messages in `lags`
};

// One subscribed client: connects, then reads until the io_context stops.
struct Client : std::enable_shared_from_this<Client> {
  Client(asio::io_context& io, Received& received) : ws(io), received(received) {}
  beast::websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  Received& received;
  bool has_snapshot = false;

  void start(unsigned short port, const std::string& token, const std::string& target) {
    beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), port});
    ws.set_option(
        beast::websocket::stream_base::decorator([token](beast::websocket::request_type& request) {
          request.set(http::field::authorization, "Bearer " + token);
        }));
    ws.async_handshake("127.0.0.1", target, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      ++self->received.connected;
      self->read();
    });
  }
  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      const auto now_ms = std::chrono::duration<double, std::milli>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      // Only the publication time is read (not the whole JSON): the client must not be the
      // bottleneck of a fan-out measurement.
      const auto text = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      auto& r = self->received;
      static constexpr std::string_view key = "\"published_ms\":";
      if (!self->has_snapshot) {
        self->has_snapshot = true;
        ++r.snapshots;
      } else if (auto at = text.find(key); at != std::string::npos) {
        const double lag = now_ms - std::strtod(text.c_str() + at + key.size(), nullptr);
        if (!r.settled) {
          r.settling_lags.push_back(lag);
        } else {
          r.lags.push_back(lag);
          r.bytes += text.size();
        }
      }
      self->read();
    });
  }
};

int fanout(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(std::stoi(option(argc, argv, "--port", "8080")));
  const auto token = option(argc, argv, "--token", "");
  const auto target = option(argc, argv, "--target", "/api/v1/live/stream");
  const int clients = std::stoi(option(argc, argv, "--clients", "1000"));
  const int seconds = std::stoi(option(argc, argv, "--seconds", "30"));
  asio::io_context io;
  Received received;
  std::vector<std::shared_ptr<Client>> all;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < clients; ++i) {
    all.push_back(std::make_shared<Client>(io, received));
    all.back()->start(port, token, target);
  }
  // Until every client has its snapshot (a minute at most: some may fail to connect).
  while (received.snapshots < clients &&
         std::chrono::steady_clock::now() - started < std::chrono::minutes(1)) {
    io.run_for(std::chrono::milliseconds(20));
  }
  const double snapshots_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  received.settled = true;
  io.run_for(std::chrono::seconds(seconds));
  const auto& lags = received.lags;
  const int connected = received.connected;
  std::cout << nlohmann::json{{"bench", "dashboard_fanout"},
                              {"clients", clients},
                              {"connected", connected},
                              {"snapshots", received.snapshots},
                              {"all_snapshots_s", snapshots_s},
                              {"seconds", seconds},
                              {"messages", lags.size()},
                              {"messages_per_client",
                               connected ? static_cast<double>(lags.size()) / connected : 0.0},
                              {"bytes_per_message", lags.empty()
                                                        ? 0.0
                                                        : static_cast<double>(received.bytes) /
                                                              static_cast<double>(lags.size())},
                              {"lag_ms_p50", percentile(lags, 0.5)},
                              {"lag_ms_p99", percentile(lags, 0.99)},
                              {"lag_ms_max", percentile(lags, 1.0)},
                              {"settling_messages", received.settling_lags.size()},
                              {"settling_lag_ms_p50", percentile(received.settling_lags, 0.5)},
                              {"settling_lag_ms_p99", percentile(received.settling_lags, 0.99)}}
                   .dump()
            << std::endl;
  return 0;  // clients that could not connect in time are reported, not a failure to measure
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "http") return http_latency(argc, argv);
  if (mode == "fanout") return fanout(argc, argv);
  std::cerr << "usage: dashboard_bench http --port P --token T --target PATH [--requests N] "
               "[--connections C] | "
               "fanout --port P --token T [--clients N] [--seconds S] [--target PATH]\n";
  return 2;
}
