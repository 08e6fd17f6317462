// The session over an in-memory stream that breaks at every step in turn: split at every byte,
// fed byte by byte, and with each byte corrupted.
#include "halld/proto/frame/session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/proto/queue_eval/queue_eval.hpp"

namespace halld::proto {
namespace {

using records::Timestamp;
const Timestamp now{std::chrono::seconds(1795425300)};

std::vector<records::Event> sample_events() {
  return {{now, records::TicketIssued{"A001", "bill_payment", records::CustomerClassCode::general,
                                      records::TicketSource::kiosk}},
          {now, records::TicketCalled{"A001", 2, "S-07"}},
          {now, records::EvaluationGiven{"A001", 2, "S-07", records::EvaluationResult::satisfied}}};
}

struct Script {
  std::vector<std::uint8_t> bytes;
  std::vector<std::pair<std::size_t, std::size_t>> frame_spans;  // [begin, end) of each frame
  void add(const Frame& frame) {
    auto encoded = encode_frame(frame);
    frame_spans.push_back({bytes.size(), bytes.size() + encoded.size()});
    bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  }
};

// login, heartbeat, three data frames (seq 1..3), a command result.
Script device_script() {
  Script s;
  s.add(encode_login(9, {"4101001", "QS-01", 1}));
  s.add(encode_heartbeat(9));
  std::uint32_t seq = 1;
  for (const auto& e : sample_events())
    s.add(EventCodec<queue_eval::Protocol>::encode(9, seq++, e));
  s.add(encode_command_result(9, {77, CommandOutcome::done, ""}));
  return s;
}

Session new_session(SessionLimits limits = {}) {
  return Session(frame_codec(decode_uplink<queue_eval::Protocol>), "4101001", limits);
}

struct Outcome {
  std::vector<std::uint32_t> delivered;
  std::vector<records::Event> events;
  int logins = 0, sends = 0, answers = 0, closes = 0;
  void take(const std::vector<Session::Action>& actions) {
    for (const auto& a : actions) {
      if (auto* d = std::get_if<Session::Deliver>(&a)) {
        delivered.push_back(d->sequence);
        events.push_back(d->event);
      }
      logins += std::holds_alternative<Session::LoggedIn>(a);
      sends += std::holds_alternative<Session::Send>(a);
      answers += std::holds_alternative<Session::Answered>(a);
      closes += std::holds_alternative<Session::Close>(a);
    }
  }
};

TEST(Session, WholeExchange) {
  auto session = new_session();
  Outcome out;
  out.take(session.on_bytes(device_script().bytes, now));
  EXPECT_EQ(out.logins, 1);
  EXPECT_EQ(out.sends, 2) << "login ack and heartbeat ack";
  EXPECT_THAT(out.delivered, ::testing::ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(out.events, sample_events());
  EXPECT_EQ(out.answers, 1);
  EXPECT_EQ(session.buffered(), 0u);
  EXPECT_EQ(session.frames_received(), 6u);
}

TEST(Session, SameOutcomeWhereverTheStreamIsSplit) {
  const auto script = device_script();
  for (std::size_t cut = 0; cut <= script.bytes.size(); ++cut) {
    auto session = new_session();
    Outcome out;
    out.take(session.on_bytes(std::span(script.bytes).first(cut), now));
    out.take(session.on_bytes(std::span(script.bytes).subspan(cut), now));
    ASSERT_THAT(out.delivered, ::testing::ElementsAre(1u, 2u, 3u)) << "cut at " << cut;
    ASSERT_EQ(out.events, sample_events());
  }
  auto session = new_session();
  Outcome out;
  for (auto byte : script.bytes) out.take(session.on_bytes(std::span(&byte, 1), now));
  EXPECT_THAT(out.delivered, ::testing::ElementsAre(1u, 2u, 3u)) << "byte by byte";
}

TEST(Session, ACorruptByteLosesOnlyItsOwnFrame) {
  const auto script = device_script();
  for (std::size_t at = 0; at < script.bytes.size(); ++at) {
    auto bytes = script.bytes;
    bytes[at] ^= 0x5A;
    auto session = new_session();
    Outcome out;
    out.take(session.on_bytes(bytes, now));
    std::size_t damaged = 0;
    while (!(script.frame_spans[damaged].first <= at && at < script.frame_spans[damaged].second))
      ++damaged;
    std::vector<std::uint32_t> expected;
    if (damaged != 0) {  // a damaged login leaves every data frame before_login, undelivered
      for (std::uint32_t seq = 1; seq <= 3; ++seq) {
        if (damaged != seq + 1) expected.push_back(seq);
      }
    }
    ASSERT_EQ(out.delivered, expected) << "byte " << at << " in frame " << damaged;
    for (std::size_t i = 0; i < out.events.size(); ++i) {
      ASSERT_EQ(out.events[i], sample_events()[out.delivered[i] - 1])
          << "nothing corrupt is delivered";
    }
    std::uint64_t errors = 0;
    for (auto n : session.errors()) errors += n;
    // Either the damage was seen, or a damaged LEN makes the session wait for bytes that never
    // come.
    ASSERT_TRUE(errors >= 1 || session.buffered() > 0) << "byte " << at;
  }
}

TEST(Session, DataBeforeLoginIsCountedAndLeftUnacknowledged) {
  auto session = new_session();
  auto data = encode_frame(EventCodec<queue_eval::Protocol>::encode(9, 1, sample_events()[0]));
  Outcome out;
  out.take(session.on_bytes(data, now));
  EXPECT_TRUE(out.delivered.empty());
  EXPECT_EQ(out.sends, 0);
  EXPECT_EQ(session.errors()[static_cast<std::size_t>(SessionError::before_login)], 1u);
  out.take(session.on_bytes(encode_frame(encode_login(9, {"4101001", "QS-01", 1})), now));
  out.take(session.on_bytes(data, now));
  EXPECT_THAT(out.delivered, ::testing::ElementsAre(1u));
}

TEST(Session, AcknowledgesOnlyWhenToldTheEventIsDurable) {
  auto session = new_session();
  auto actions = session.on_durable(9, 41);
  ASSERT_EQ(actions.size(), 1u);
  auto bytes = std::get<Session::Send>(actions[0]).bytes;
  auto frame = std::get<Decoded>(decode_frame(bytes)).frame;
  EXPECT_EQ(frame.function, function::data_ack);
  EXPECT_EQ(frame.direction, Direction::downlink);
  EXPECT_EQ(frame.sequence, 41u);
  EXPECT_EQ(frame.source, 9u);
}

TEST(Session, RefusesALoginForAnotherSite) {
  auto session = new_session();
  Outcome out;
  auto actions = session.on_bytes(encode_frame(encode_login(9, {"4199999", "QS-01", 1})), now);
  out.take(actions);
  EXPECT_EQ(out.closes, 1);
  auto send = std::find_if(actions.begin(), actions.end(),
                           [](const auto& a) { return std::holds_alternative<Session::Send>(a); });
  ASSERT_NE(send, actions.end());
  auto ack =
      decode_login_ack(std::get<Decoded>(decode_frame(std::get<Session::Send>(*send).bytes)).frame);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->outcome, LoginOutcome::unknown_site);
  EXPECT_TRUE(session.closed());
  EXPECT_TRUE(session.on_bytes(device_script().bytes, now).empty())
      << "a closed session does nothing";
}

TEST(Session, ClosesWhenTheErrorBudgetIsSpent) {
  auto session = new_session({.error_budget = 3});
  Outcome out;
  std::vector<std::uint8_t> noise;
  for (int i = 0; i < 10; ++i) {
    auto frame = encode_frame(encode_heartbeat(9));
    frame[5] ^= 1;  // bad CRC
    noise.insert(noise.end(), frame.begin(), frame.end());
  }
  out.take(session.on_bytes(noise, now));
  EXPECT_EQ(out.closes, 1);
  EXPECT_EQ(session.errors()[static_cast<std::size_t>(SessionError::bad_crc)], 4u);
}

TEST(Session, BufferStaysBoundedUnderGarbage) {
  auto session = new_session({.error_budget = 1'000'000});
  std::vector<std::uint8_t> junk(100'000, 0x68);  // start bytes with impossible lengths
  junk[1] = 0xff;
  session.on_bytes(junk, now);
  EXPECT_LE(session.buffered(), max_frame_size);
}

}  // namespace
}  // namespace halld::proto

namespace halld::proto {
namespace {

TEST(SessionTest, RefusedBytesAreReportedWithTheirDeviceAndFirstBytes) {
  auto session = new_session();
  Outcome outcome;
  outcome.take(session.on_bytes(encode_frame(encode_login(9, {"4101001", "QS-01", 1})), now));
  // Garbage, then a data frame with a damaged CRC, then one numbered 0.
  std::vector<std::uint8_t> bytes = {0x01, 0x02, 0x03};
  auto damaged = encode_frame(EventCodec<queue_eval::Protocol>::encode(9, 5, sample_events()[0]));
  damaged[damaged.size() - 2] ^= 0xFF;
  bytes.insert(bytes.end(), damaged.begin(), damaged.end());
  auto zero = encode_frame(EventCodec<queue_eval::Protocol>::encode(9, 0, sample_events()[1]));
  bytes.insert(bytes.end(), zero.begin(), zero.end());
  std::vector<Session::Refused> refused;
  for (auto& action : session.on_bytes(bytes, now)) {
    if (auto* r = std::get_if<Session::Refused>(&action)) refused.push_back(*r);
    EXPECT_FALSE(std::holds_alternative<Session::Deliver>(action))
        << "nothing refused is delivered";
  }
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0].error, SessionError::garbage);
  EXPECT_EQ(refused[0].source, std::nullopt);
  EXPECT_EQ(refused[0].head, (std::vector<std::uint8_t>{0x01, 0x02, 0x03}));
  EXPECT_EQ(refused[1].error, SessionError::bad_crc);
  EXPECT_EQ(refused[1].head.size(), Session::refused_head_bytes);
  EXPECT_EQ(refused[1].head.front(), 0x68);
  EXPECT_EQ(refused[2].error, SessionError::zero_sequence);
  EXPECT_EQ(refused[2].source, std::optional<std::uint32_t>(9));
  EXPECT_EQ(session.errors()[static_cast<std::size_t>(SessionError::zero_sequence)], 1u);
}

TEST(SessionTest, ALoginOfVersionTwoDeclaresTheSequenceEpoch) {
  auto session = new_session();
  Login login{"4101001", "QS-01", login_with_epoch, 42};
  const auto frame = encode_login(9, login);
  ASSERT_EQ(frame.payload.size(), 1 + 7 + 1 + 5 + 2 + 4u);
  std::optional<Session::LoggedIn> logged_in;
  for (auto& action : session.on_bytes(encode_frame(frame), now)) {
    if (auto* l = std::get_if<Session::LoggedIn>(&action)) logged_in = *l;
  }
  ASSERT_TRUE(logged_in);
  EXPECT_EQ(logged_in->source, 9u);
  EXPECT_EQ(logged_in->login.epoch, 42u);
  // Version 3 is not known: refused with the login ack's "unsupported version".
  auto later = new_session();
  Outcome outcome;
  outcome.take(later.on_bytes(encode_frame(encode_login(9, {"4101001", "QS-01", 3, 1})), now));
  EXPECT_EQ(outcome.logins, 0);
  EXPECT_EQ(outcome.closes, 1);
}

}  // namespace
}  // namespace halld::proto
