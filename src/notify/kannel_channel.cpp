// Kannel's smsbox: one HTTP GET per text (sendsms), the text as UTF-8 with coding=2 so Kannel
// sends UCS-2, and a dlr-url on which Kannel reports delivery (%d becomes the report type).
#include <fmt/format.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "halld/notify/channel.hpp"

namespace halld::notify {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

struct Endpoint {
  std::string host;
  std::string port;
  std::string path;
};

// "http://host[:port]/path"; the configuration admits http:// URLs only.
Endpoint split_url(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    throw std::invalid_argument(fmt::format("not an http:// URL: {}", url));
  url.remove_prefix(scheme.size());
  const auto slash = url.find('/');
  const auto authority = url.substr(0, slash);
  Endpoint e;
  e.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const auto colon = authority.rfind(':');
  e.host = std::string(authority.substr(0, colon));
  e.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (e.host.empty()) throw std::invalid_argument(fmt::format("no host in {}", url));
  return e;
}

class KannelChannel final : public Channel {
 public:
  KannelChannel(asio::any_io_executor executor, KannelOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        endpoint_(split_url(options_.sendsms_url)) {}
  std::string_view name() const override { return "kannel"; }

  asio::awaitable<SendOutcome> send(const TextMessage& message) override {
    const auto target = sendsms_target(message);
    beast::tcp_stream stream(executor_);
    stream.expires_after(options_.timeout);
    asio::ip::tcp::resolver resolver(executor_);
    http::response<http::string_body> response;
    try {
      auto addresses =
          co_await resolver.async_resolve(endpoint_.host, endpoint_.port, asio::use_awaitable);
      co_await stream.async_connect(addresses, asio::use_awaitable);
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, endpoint_.host);
      request.set(http::field::user_agent, "halld");
      co_await http::async_write(stream, request, asio::use_awaitable);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 * 1024);
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
      response = parser.release();
    } catch (const boost::system::system_error& e) {
      co_return SendOutcome{
          false,
          fmt::format("Kannel at {}:{}: {}", endpoint_.host, endpoint_.port, e.code().message()),
          false};
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    co_return judge(response);
  }

 private:
  std::string sendsms_target(const TextMessage& message) const {
    const auto dlr_url = fmt::format("{}/api/v1/sms/dlr?id={}&token={}&status=%d",
                                     options_.callback_url(), message.id, message.dlr_token);
    return fmt::format(
        "{}?username={}&password={}&from={}&to={}&text={}&charset=UTF-8&coding=2&dlr-mask=31&dlr-"
        "url={}",
        endpoint_.path, percent_encode(options_.username), percent_encode(options_.password),
        percent_encode(options_.from), percent_encode(message.phone), percent_encode(message.text),
        percent_encode(dlr_url));
  }

  // 202 "0: Accepted for delivery" or "3: Queued for later delivery"; anything else is a refusal.
  static SendOutcome judge(const http::response<http::string_body>& response) {
    std::string body = response.body();
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    if (body.size() > 200) body.resize(200);
    const auto status = response.result_int();
    if (status == 200 || status == 202) return {true, body, false};
    return {false, fmt::format("Kannel answered {}: {}", status, body), false};
  }

  asio::any_io_executor executor_;
  KannelOptions options_;
  Endpoint endpoint_;
};

}  // namespace

std::unique_ptr<Channel> make_kannel_channel(asio::any_io_executor executor,
                                             KannelOptions options) {
  return std::make_unique<KannelChannel>(std::move(executor), std::move(options));
}

}  // namespace halld::notify
