// Alarm texts through real gateways: a real Kannel (bearerbox + smsbox with Kannel's fake
// SMSC) takes a Chinese alarm as UCS-2 and calls halld back with delivery reports; a GSM modem
// (tools/modem_sim on a pseudo-terminal, PIN-locked) takes it when the first channel is down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <boost/asio/ip/tcp.hpp>

#include "halld/sms/pdu.hpp"
#include "halld_fixture.hpp"
#include "http_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// "%10N%25…" as fakesmsc prints a UCS-2 text: URL-encoded UTF-16BE bytes.
std::u16string ucs2_of_fakesmsc(std::string_view encoded) {
  std::string bytes;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      bytes += static_cast<char>(std::stoi(std::string(encoded.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      bytes += encoded[i] == '+' ? ' ' : encoded[i];
    }
  }
  std::u16string text;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    text += static_cast<char16_t>((static_cast<unsigned char>(bytes[i]) << 8) |
                                  static_cast<unsigned char>(bytes[i + 1]));
  }
  return text;
}

class SmsTest : public SimulatedHallTest {
 protected:
  void TearDown() override {
    if (HasFailure() && halld) std::cerr << "halld's output:\n" << halld->output();
  }

  // A rule that holds at once for the simulated hall (its queue is always under 1000), and the
  // hall manager to text about it.
  void alarm_the_hall(std::uint16_t port) {
    auto contact = http_request(
        port, "POST", "/api/v1/contacts", {{"Content-Type", "application/json"}},
        json{{"name", "王经理"}, {"phone", "+8613800138000"}, {"hall", "4101001"}}.dump());
    ASSERT_EQ(contact.status, 201) << contact.body;
    auto rule =
        http_request(port, "POST", "/api/v1/alarm-rules", {{"Content-Type", "application/json"}},
                     json{{"name", "排队人数测试告警"},
                          {"kind", "limit"},
                          {"indicator", "queue_length"},
                          {"direction", "below"},
                          {"warning", 1000},
                          {"hold_s", 0},
                          {"hall", "4101001"},
                          {"schedule", "always"}}
                         .dump());
    ASSERT_EQ(rule.status, 201) << rule.body;
  }

  // The first text recorded once it reaches `state`.
  json text_when(std::uint16_t port, const std::string& state, std::chrono::seconds limit = 60s) {
    for (auto until = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < until;) {
      auto texts = json::parse(http_get(port, "/api/v1/sms").body);
      if (!texts["items"].empty() && texts["items"].back()["state"] == state)
        return texts["items"].back();
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "no text reached " << state << ": " << http_get(port, "/api/v1/sms").body;
    return json::object();
  }
};

class Kannel {
 public:
  explicit Kannel(TempDir& dir) : dir_(dir) {
    const auto conf =
        dir.write("kannel.conf",
                  fmt::format(R"(group = core
admin-port = {}
admin-password = test
smsbox-port = {}
log-file = "{}"
log-level = 0
box-allow-ip = "127.0.0.1"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {}
log-file = "{}"
log-level = 0

group = sendsms-user
username = halld
password = secret
concatenation = true
)",
                              free_port(), free_port(), (dir.path() / "bearerbox.log").string(),
                              smsc_port, sendsms_port, (dir.path() / "smsbox.log").string()));
    bearerbox_ = std::make_unique<Process>(
        "/usr/sbin/bearerbox", std::vector<std::string>{conf.string()}, dir.path() / "bb.out");
    wait_for_port(smsc_port);
    smsbox_ = std::make_unique<Process>("/usr/sbin/smsbox", std::vector<std::string>{conf.string()},
                                        dir.path() / "sb.out");
    wait_for_port(sendsms_port);
    // fakesmsc reads messages to send from stdin until it closes; `sleep` keeps it open.
    fakesmsc_ = std::make_unique<Process>(
        "/bin/bash",
        std::vector<std::string>{
            "-c",
            fmt::format(
                "sleep 600 | exec /usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r {} -m 0 -i 0.1",
                smsc_port)},
        dir.path() / "fakesmsc.out");
  }
  ~Kannel() {
    for (auto* process : {fakesmsc_.get(), smsbox_.get(), bearerbox_.get()}) {
      if (!process) continue;
      process->signal(SIGTERM);
      process->wait(5s);
    }
  }
  // What the fake SMSC received: "from to ucs-2 <text>" lines.
  std::string received() const { return read_text(dir_.path() / "fakesmsc.out"); }

  const std::uint16_t smsc_port = free_port();
  const std::uint16_t sendsms_port = free_port();

 private:
  static void wait_for_port(std::uint16_t port) {
    for (int i = 0; i < 100; ++i) {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket socket(io);
      boost::system::error_code ec;
      socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec) return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "Kannel did not listen on " << port;
  }
  TempDir& dir_;
  std::unique_ptr<Process> bearerbox_, smsbox_, fakesmsc_;
};

TEST_F(SmsTest, KannelSendsAChineseAlarmAsUcs2AndReportsItsDelivery) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/bearerbox") &&
              std::filesystem::exists("/usr/lib/kannel/test/fakesmsc"))
      << "Kannel is missing: apt-get install kannel kannel-extras (scripts/test installs them)";
  Kannel kannel(dir);
  config = write_config("", "", "info",
                        fmt::format(R"([sms]
channels = ["kannel"]
kannel_url = "http://127.0.0.1:{}/cgi-bin/sendsms"
kannel_username = "halld"
kannel_password = "secret"
group_window_s = 0
)",
                                    kannel.sendsms_port));
  start_simulator({"--events", "0", "--speed", "1", "--arrivals-per-hour", "60", "--hours", "24h"});
  auto port = start(config);
  ASSERT_NE(port, 0);
  alarm_the_hall(port);

  auto text = text_when(port, "delivered");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text["channel"], "kannel");
  EXPECT_EQ(text["phone"], "+8613800138000");
  const auto body = text["text"].get<std::string>();
  EXPECT_THAT(body, HasSubstr("郑州市供电公司客户服务中心营业厅"));
  EXPECT_THAT(body, HasSubstr("排队人数"));
  // Kannel reported both stages: accepted by the SMSC (8) and delivered to the phone (1).
  EXPECT_THAT(text["reports"].get<std::vector<int>>(), ::testing::UnorderedElementsAre(1, 8));

  // The fake SMSC got exactly that text, as UCS-2.
  const auto expected = std::get<std::u16string>(sms::utf16_of(body));
  std::string line;
  for (int i = 0; i < 50 && line.empty(); ++i) {
    const auto received = kannel.received();
    if (auto at = received.find("Got message"); at != std::string::npos)
      line = received.substr(at, received.find('\n', at) - at);
    else
      std::this_thread::sleep_for(100ms);
  }
  ASSERT_THAT(line, HasSubstr(" +8613800138000 ucs-2 ")) << kannel.received();
  auto encoded = line.substr(line.find(" ucs-2 ") + 7);
  encoded = encoded.substr(0, encoded.find('>'));
  EXPECT_EQ(ucs2_of_fakesmsc(encoded), expected);

  // A report that does not quote the text's token changes nothing.
  auto forged = http_get(
      port, fmt::format("/api/v1/sms/dlr?id={}&token=forged&status=2", text["id"].get<int>()));
  EXPECT_EQ(forged.status, 404);
  EXPECT_EQ(
      http_get(port, fmt::format("/api/v1/sms/dlr?id={}&token=x&status=3", text["id"].get<int>()))
          .status,
      400);
  EXPECT_EQ(json::parse(http_get(port, "/api/v1/sms").body)["items"].back()["state"], "delivered");
  log_after_stop();
}

TEST_F(SmsTest, WhenKannelIsDownAPinLockedModemTakesTheText) {
  Process modem(MODEM_SIM_BINARY,
                {"--port-file", (dir.path() / "modem.port").string(), "--messages-file",
                 (dir.path() / "modem.jsonl").string(), "--pin", "4321"},
                dir.path() / "modem.out");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "modem.port"); }));
  auto device = read_text(dir.path() / "modem.port");
  device.erase(device.find_last_not_of('\n') + 1);
  config = write_config("", "", "info",
                        fmt::format(R"([sms]
channels = ["kannel", "modem"]
kannel_url = "http://127.0.0.1:{}/cgi-bin/sendsms"
modem_devices = ["{}"]
modem_pin = "4321"
modem_timeout_s = 10
group_window_s = 0
)",
                                    free_port(), device));
  start_simulator({"--events", "0", "--speed", "1", "--arrivals-per-hour", "60", "--hours", "24h"});
  auto port = start(config);
  ASSERT_NE(port, 0);
  alarm_the_hall(port);

  auto text = text_when(port, "sent");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text["channel"], "modem");
  EXPECT_THAT(text["error"].get<std::string>(),
              HasSubstr("kannel"));  // the refusal that led to the modem
  std::string received;
  for (int i = 0; i < 50 && received.empty(); ++i) {
    if (std::filesystem::exists(dir.path() / "modem.jsonl"))
      received = read_text(dir.path() / "modem.jsonl");
    if (received.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(received.empty()) << modem.output();
  auto message = json::parse(received.substr(0, received.find('\n')));
  EXPECT_EQ(message["to"], "+8613800138000");
  EXPECT_EQ(message["text"], text["text"]);
  log_after_stop();
}

}  // namespace
}  // namespace halld::testing
