// halld's AT conversation over a real pseudo-terminal with tools/modem_sim at its far end: the
// serial plumbing (raw mode, chunked reads) under the conversation the unit tests check in memory.
#include "halld/sms/modem.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "process.hpp"

namespace halld::testing {
namespace {

using namespace std::chrono_literals;

class ModemLine {
 public:
  explicit ModemLine(const std::string& device) : fd_(::open(device.c_str(), O_RDWR | O_NOCTTY)) {
    termios raw{};
    ::tcgetattr(fd_, &raw);
    ::cfmakeraw(&raw);
    ::tcsetattr(fd_, TCSANOW, &raw);
  }
  ~ModemLine() { ::close(fd_); }
  bool open() const { return fd_ >= 0; }
  void write(const std::string& bytes) {
    for (std::size_t at = 0; at < bytes.size();) {
      const auto n = ::write(fd_, bytes.data() + at, bytes.size() - at);
      ASSERT_GT(n, 0);
      at += static_cast<std::size_t>(n);
    }
  }
  // Until `done` says so or the time is up; what the session made of the modem's bytes.
  std::vector<sms::ModemOutcome> converse(
      sms::ModemSession& session, std::string to_write,
      const std::function<bool(const std::vector<sms::ModemOutcome>&)>& done) {
    std::vector<sms::ModemOutcome> outcomes;
    for (auto until = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < until && !done(outcomes);) {
      write(std::exchange(to_write, {}));
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[64];  // small reads: the conversation must survive any chunking
      const auto n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) continue;
      for (auto& o : session.feed(std::string_view(buffer, static_cast<std::size_t>(n)), to_write))
        outcomes.push_back(std::move(o));
    }
    return outcomes;
  }

 private:
  int fd_;
};

template <class T>
bool has(const std::vector<sms::ModemOutcome>& outcomes) {
  return std::any_of(outcomes.begin(), outcomes.end(),
                     [](const auto& o) { return std::holds_alternative<T>(o); });
}

TEST(ModemOverPty, APinLockedModemTakesALongChineseAlarm) {
  TempDir dir;
  Process modem(MODEM_SIM_BINARY,
                {"--port-file", (dir.path() / "modem.port").string(), "--messages-file",
                 (dir.path() / "messages.jsonl").string(), "--pin", "4321"},
                dir.path() / "modem.out");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "modem.port"); }));
  std::string device = read_text(dir.path() / "modem.port");
  device.erase(device.find_last_not_of('\n') + 1);
  ModemLine line(device);
  ASSERT_TRUE(line.open()) << device;

  sms::ModemSession session("4321");
  ASSERT_TRUE(has<sms::ModemReady>(line.converse(session, session.start(), has<sms::ModemReady>)));
  std::string text;
  for (int i = 0; i < 4; ++i)
    text +=
        "【严重告警】郑州市供电公司客户服务中心营业厅 排队人数 35 人，超过限值 30 "
        "人，请及时增开窗口。";
  auto parts = std::get<std::vector<sms::EncodedPdu>>(
      sms::encode_submit("+8613800138000", text, {.concat_reference = 9}));
  ASSERT_GT(parts.size(), 2u);
  std::string to_write;
  ASSERT_TRUE(session.send(parts, to_write));
  const auto outcomes = line.converse(session, to_write, has<sms::MessageSent>);
  ASSERT_TRUE(has<sms::MessageSent>(outcomes)) << "modem: " << modem.output();

  std::string recorded;
  for (int i = 0; i < 100 && recorded.empty(); ++i) {
    if (std::filesystem::exists(dir.path() / "messages.jsonl"))
      recorded = read_text(dir.path() / "messages.jsonl");
    if (recorded.empty()) std::this_thread::sleep_for(20ms);
  }
  const auto message = nlohmann::json::parse(recorded);
  EXPECT_EQ(message["to"], "+8613800138000");
  EXPECT_EQ(message["text"], text);
  EXPECT_EQ(message["parts"], parts.size());
}

}  // namespace
}  // namespace halld::testing
