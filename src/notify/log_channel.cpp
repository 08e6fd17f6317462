// The demo's channel: texts as JSON lines in a file, flushed one by one so a reader (or a test)
// sees each text as it is "sent".
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "halld/notify/channel.hpp"
#include "halld/records/event_json.hpp"

namespace halld::notify {
namespace {

class LogChannel final : public Channel {
 public:
  explicit LogChannel(std::filesystem::path file) : file_(std::move(file)) {}
  std::string_view name() const override { return "log"; }

  asio::awaitable<SendOutcome> send(const TextMessage& message) override {
    co_return write(message);
  }

 private:
  SendOutcome write(const TextMessage& message) {
    std::ofstream out(file_, std::ios::app);
    if (!out) return {false, fmt::format("cannot open {}", file_.string()), false};
    const nlohmann::json line = {{"id", message.id},
                                 {"at", records::iso8601_micros(std::chrono::system_clock::now())},
                                 {"phone", message.phone},
                                 {"text", message.text}};
    out << line.dump() << '\n';
    out.flush();
    if (!out) return {false, fmt::format("cannot write {}", file_.string()), false};
    return {true, file_.string(), true};
  }

  std::filesystem::path file_;
};

}  // namespace

std::unique_ptr<Channel> make_log_channel(std::filesystem::path file) {
  return std::make_unique<LogChannel>(std::move(file));
}

}  // namespace halld::notify
