// Kannel's smsbox: one HTTP GET per text (sendsms), the text as UTF-8 with coding=2 so Kannel
// sends UCS-2, and a dlr-url on which Kannel reports delivery (%d becomes the report type).
#include <fmt/format.h>

#include "halld/link/http_client.hpp"
#include "halld/notify/channel.hpp"

namespace halld::notify {
namespace {

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

class KannelChannel final : public Channel {
 public:
  KannelChannel(asio::any_io_executor executor, KannelOptions options)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        endpoint_(link::parse_http_url(options_.sendsms_url)) {}
  std::string_view name() const override { return "kannel"; }

  asio::awaitable<SendOutcome> send(const TextMessage& message) override {
    link::HttpLimits limits;
    limits.connect_timeout = options_.timeout;
    limits.read_timeout = options_.timeout;
    limits.max_body_bytes = 64 * 1024;
    try {
      auto exchange = link::http_exchange(executor_, endpoint_,
                                          {"GET", sendsms_target(message), {}, {}}, limits);
      co_return judge(co_await std::move(exchange));
    } catch (const link::HttpFailure& e) {
      co_return SendOutcome{false, fmt::format("Kannel at {}", e.what()), false};
    }
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
  static SendOutcome judge(const link::HttpResponse& response) {
    std::string body = response.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    if (body.size() > 200) body.resize(200);
    const auto status = response.status;
    if (status == 200 || status == 202) return {true, body, false};
    return {false, fmt::format("Kannel answered {}: {}", status, body), false};
  }

  asio::any_io_executor executor_;
  KannelOptions options_;
  link::HttpEndpoint endpoint_;
};

}  // namespace

std::unique_ptr<Channel> make_kannel_channel(asio::any_io_executor executor,
                                             KannelOptions options) {
  return std::make_unique<KannelChannel>(std::move(executor), std::move(options));
}

}  // namespace halld::notify
