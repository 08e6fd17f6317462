#include "server.hpp"

#include <fmt/format.h>

#include <iostream>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "halld/core/spawn.hpp"

namespace halld::tools {
namespace {
namespace beast = boost::beast;
namespace http = beast::http;
namespace wire = proto::marketing;

// "a=1&b=2" → the value of `name`, or "".
std::string query_value(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {};
  auto query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos)
      return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

MarketingServer::MarketingServer(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint,
                                 Book& book, ServiceFaults faults, std::uint64_t seed)
    : io_(io), acceptor_(io, endpoint), book_(book), faults_(std::move(faults)), random_(seed) {}

asio::awaitable<void> MarketingServer::run() {
  for (;;) {
    auto accepting = acceptor_.async_accept(asio::use_awaitable);
    auto socket = co_await std::move(accepting);
    halld::spawn(io_.get_executor(), "marketing_sim: connection", serve(std::move(socket)));
  }
}

asio::awaitable<void> MarketingServer::serve(asio::ip::tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    boost::system::error_code ec;
    auto reading =
        http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    co_await std::move(reading);
    if (ec) co_return;
    auto request = parser.release();
    auto answering =
        answer(request.method() == http::verb::get, std::string(request.target()), request.body());
    auto answer = co_await std::move(answering);
    if (!answer) co_return;  // hanging: the connection is dropped unanswered
    http::response<http::string_body> response{static_cast<http::status>(answer->status),
                                               request.version()};
    response.set(http::field::content_type, answer->content_type);
    response.body() = std::move(answer->body);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto writing =
        http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    co_await std::move(writing);
    if (ec || !response.keep_alive()) co_return;
  }
}

asio::awaitable<std::optional<MarketingServer::Answer>> MarketingServer::answer(bool get,
                                                                                std::string target,
                                                                                std::string body) {
  ++requests_;
  if (get && target.starts_with("/truth"))
    co_return Answer{200, "application/json", book_.truth().dump()};
  if (get && target.starts_with("/stats"))
    co_return Answer{200, "application/json",
                     nlohmann::json{{"applications", book_.applications()},
                                    {"requests", requests_},
                                    {"faults", faults_sent_},
                                    {"pages", pages_sent_}}
                         .dump()};
  if (target.starts_with("/control")) co_return control(target);
  if (faults_.down)
    co_return Answer{503, "text/html", "<html><body>503 Service Unavailable</body></html>"};
  const auto delay =
      faults_.stall ? std::chrono::milliseconds(std::chrono::hours(1)) : faults_.latency;
  if (delay.count() > 0) {
    asio::steady_timer timer(io_, delay);
    boost::system::error_code ec;
    auto waiting = timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_await std::move(waiting);
  }
  if (faults_.stall) co_return std::nullopt;
  co_return soap(body);
}

MarketingServer::Answer MarketingServer::soap(const std::string& body) {
  std::uniform_real_distribution<double> unit(0, 1);
  auto fault = [this](std::string_view code, std::string_view text) {
    ++faults_sent_;
    return Answer{500, "text/xml; charset=utf-8", wire::build_fault(code, text)};
  };
  wire::ReadRequest read;
  try {
    read = wire::read_request(body);
  } catch (const std::invalid_argument& e) {
    return fault("soap:Client", e.what());
  }
  if (!faults_.username.empty() && (!read.token || read.token->username != faults_.username ||
                                    !wire::token_matches(*read.token, faults_.password)))
    return fault("wsse:FailedAuthentication", "用户名令牌无效");
  if (unit(random_) < faults_.fault_rate) return fault("soap:Server", "营销系统繁忙，请稍后再试");
  auto page = book_.page(read.request);
  ++pages_sent_;
  Answer answer;
  answer.body = wire::build_answer(page, faults_.gbk ? "GBK" : "UTF-8");
  if (faults_.gbk) answer.content_type = "text/xml; charset=GBK";
  if (unit(random_) < faults_.malformed_rate) answer.body.resize(answer.body.size() / 2);
  return answer;
}

MarketingServer::Answer MarketingServer::control(std::string_view target) {
  auto flag = [&](std::string_view name, bool& value) {
    const auto v = query_value(target, name);
    if (!v.empty()) value = v == "1";
  };
  auto rate = [&](std::string_view name, double& value) {
    const auto v = query_value(target, name);
    if (!v.empty()) value = std::stod(v);
  };
  flag("down", faults_.down);
  flag("stall", faults_.stall);
  flag("gbk", faults_.gbk);
  rate("fault", faults_.fault_rate);
  rate("malformed", faults_.malformed_rate);
  if (const auto v = query_value(target, "latency_ms"); !v.empty())
    faults_.latency = std::chrono::milliseconds(std::stoll(v));
  std::cout << fmt::format(
                   "marketing_sim: down={} stall={} gbk={} fault={} malformed={} latency={} ms",
                   faults_.down, faults_.stall, faults_.gbk, faults_.fault_rate,
                   faults_.malformed_rate, faults_.latency.count())
            << std::endl;
  return {200, "application/json", R"({"ok":true})"};
}

}  // namespace halld::tools
