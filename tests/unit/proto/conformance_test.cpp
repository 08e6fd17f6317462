// halld's side of every conformance vector in tests/data/protocols/conformance
// (docs/protocols/framing.md, "Conformance vectors"): each step's bytes in give exactly the
// frames sent back — login and heartbeat answers, then the data acks of what was delivered,
// as halld sends them once the events are durable — the events delivered, the refusals and
// whether the connection is closed.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/frame/session.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"
#include "halld/records/event_json.hpp"
#include "process.hpp"

namespace halld::proto {
namespace {

using nlohmann::json;

std::vector<std::uint8_t> bytes_of(const std::string& hex) {
  std::vector<std::uint8_t> out;
  std::istringstream in(hex);
  std::string pair;
  while (in >> pair) out.push_back(static_cast<std::uint8_t>(std::stoul(pair, nullptr, 16)));
  return out;
}

std::vector<std::filesystem::path> vectors() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(HALLD_SOURCE_DIR "/tests/data/protocols/conformance")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The session under test: halld's compiled codec, or the description of the same protocol.
using CodecFor = std::function<std::shared_ptr<const SessionCodec>(const std::string& protocol)>;

void holds_every_vector(const CodecFor& codec_for) {
  const auto files = vectors();
  ASSERT_GE(files.size(), 7u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const auto vector = json::parse(testing::read_text(file));
    Session session(codec_for(vector.at("protocol")), vector.at("site"));
    const auto now = records::Timestamp(std::chrono::seconds(1795425300));
    ASSERT_EQ(vector.at("now"), records::iso8601(now));
    int step_number = 0;
    for (const auto& step : vector.at("steps")) {
      SCOPED_TRACE("step " + std::to_string(++step_number));
      json sent = json::array(), delivered = json::array(), refused = json::array();
      json logged_in;
      bool closed = false;
      std::vector<Session::Deliver> durable;
      for (auto& action : session.on_bytes(bytes_of(step.at("in")), now)) {
        if (auto* send = std::get_if<Session::Send>(&action)) sent.push_back(to_hex(send->bytes));
        if (auto* deliver = std::get_if<Session::Deliver>(&action)) {
          delivered.push_back({{"source", deliver->source},
                               {"sequence", deliver->sequence},
                               {"event", records::to_json(deliver->event)}});
          durable.push_back(*deliver);
        }
        if (auto* r = std::get_if<Session::Refused>(&action))
          refused.push_back(to_string(r->error));
        if (auto* l = std::get_if<Session::LoggedIn>(&action)) {
          logged_in = {{"source", l->source}, {"version", l->login.version}};
          if (l->login.version >= login_with_epoch) logged_in["epoch"] = l->login.epoch;
        }
        closed = closed || std::holds_alternative<Session::Close>(action);
      }
      for (const auto& d : durable) {
        for (auto& action : session.on_durable(d.source, d.sequence))
          sent.push_back(to_hex(std::get<Session::Send>(action).bytes));
      }
      EXPECT_EQ(sent, step.value("send", json::array()));
      EXPECT_EQ(delivered, step.value("deliver", json::array()));
      EXPECT_EQ(refused, step.value("refused", json::array()));
      EXPECT_EQ(logged_in, step.value("logged_in", json()));
      EXPECT_EQ(closed, step.value("close", false));
    }
  }
}

TEST(ConformanceTest, EveryVectorIsHeldToTheLetter) {
  holds_every_vector([](const std::string& protocol) {
    return frame_codec(protocol == "terminal" ? decode_uplink<terminal::Protocol>
                                              : decode_uplink<queue_eval::Protocol>);
  });
}

TEST(ConformanceTest, EveryVectorIsHeldToTheLetterByTheDescriptionsOfHalldsProtocols) {
  holds_every_vector([](const std::string& protocol) {
    return described::session_codec(std::make_shared<const described::Description>(
        described::load_description(testing::read_text(
            std::string(HALLD_SOURCE_DIR "/config/protocols/halld_") + protocol + ".yaml"))));
  });
}

}  // namespace
}  // namespace halld::proto
