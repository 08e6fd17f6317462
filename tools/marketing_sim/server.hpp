// The simulated marketing system's WebService over HTTP: SOAP 1.1 POSTs answered from the book,
// with the faults a real one shows, set at start or at run time through /control — answers
// slowed, SOAP Faults, cut (malformed) answers, GBK answers, a service that is down (503) or
// that hangs, a WS-Security username token required. GET /truth: the true ticket of every
// counter application (for measuring halld's linking); GET /stats: what was asked.
#pragma once

#include <atomic>
#include <optional>
#include <random>

#include "book.hpp"
#include "halld/core/asio.hpp"

namespace halld::tools {

struct ServiceFaults {
  std::chrono::milliseconds latency{0};
  double fault_rate = 0;      // SOAP Fault (soap:Server) instead of a page
  double malformed_rate = 0;  // the answer cut in the middle
  bool gbk = false;
  bool down = false;               // 503 from the web server
  bool stall = false;              // reads the request and never answers
  std::string username, password;  // set: a username token is required
};

class MarketingServer {
 public:
  MarketingServer(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint, Book& book,
                  ServiceFaults faults, std::uint64_t seed);
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  asio::awaitable<void> run();

 private:
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  struct Answer {
    unsigned status = 200;
    std::string content_type = "text/xml; charset=utf-8";
    std::string body;
  };
  // nullopt: no answer at all (the service hangs).
  asio::awaitable<std::optional<Answer>> answer(bool get, std::string target, std::string body);
  Answer soap(const std::string& body);
  Answer control(std::string_view target);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  Book& book_;
  ServiceFaults faults_;
  std::mt19937_64 random_;
  std::uint64_t requests_ = 0, faults_sent_ = 0, pages_sent_ = 0;
};

}  // namespace halld::tools
