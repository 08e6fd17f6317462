// The protocol language against halld's compiled codecs: the descriptions of halld's own two
// protocols (config/protocols/halld_*.yaml) pass the golden vectors the compiled codecs pass
// (tests/data/protocols/*.json), read every payload the compiled decoder reads the same way
// when any one bit of it is flipped, and descriptions that are ambiguous or unsafe are refused
// with the line at fault.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/proto/commands.hpp"
#include "halld/proto/described/interpreter.hpp"
#include "halld/proto/described/vectors.hpp"
#include "halld/proto/queue_eval/queue_eval.hpp"
#include "halld/proto/terminal/terminal.hpp"
#include "halld/records/event_json.hpp"
#include "process.hpp"

namespace halld::proto::described {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::shared_ptr<const Description> description(const std::string& name) {
  return std::make_shared<const Description>(load_description(
      testing::read_text(std::string(HALLD_SOURCE_DIR "/config/protocols/") + name + ".yaml")));
}

json vectors(const std::string& name) {
  return json::parse(
      testing::read_text(std::string(HALLD_SOURCE_DIR "/tests/data/protocols/") + name + ".json"));
}

records::Timestamp time_of(const json& text) {
  return records::parse_instant(text.get<std::string>(), std::chrono::minutes(0))->at;
}

// What a frame means, the same way for both codecs: the uplink message, or why it is refused.
std::string meaning(const Uplink& uplink) {
  return std::visit(
      [](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, records::Event>)
          return records::to_json(m).dump();
        else if constexpr (std::is_same_v<M, Login>)
          return fmt::format("login {} {} {} {}", m.site, m.device_id, m.version, m.epoch);
        else if constexpr (std::is_same_v<M, Heartbeat>)
          return "heartbeat";
        else if constexpr (std::is_same_v<M, CommandResult>)
          return fmt::format("result {} {} {}", m.command, to_string(m.outcome), m.detail);
        else
          return std::string(to_string(m));
      },
      uplink);
}

template <class Protocol>
std::string compiled_meaning(std::span<const std::uint8_t> bytes) {
  auto result = decode_frame(bytes);
  if (auto* rejected = std::get_if<Rejected>(&result))
    return std::string(to_string(static_cast<ReadError>(rejected->error)));
  return meaning(decode_uplink<Protocol>(std::get<Decoded>(result).frame));
}

std::string interpreted_meaning(const Interpreter& interpreter,
                                std::span<const std::uint8_t> bytes) {
  auto reading = interpreter.read_uplink(bytes, records::Timestamp{});
  if (auto* skip = std::get_if<Skip>(&reading)) return std::string(to_string(skip->error));
  if (std::holds_alternative<NeedMore>(reading)) return "need more";
  return meaning(std::get<Received>(reading).uplink);
}

// The vector's command in the form operators write it (docs/protocols/commands.md).
json command_json(const json& decoded) {
  const auto& commands = decoded["command"];
  const auto kind = commands.begin().key();
  json command = commands.begin().value();
  command["kind"] = kind;
  if (kind == "set_in_service") {
    command["in_service"] = command["mode"] == "in_service";
    command.erase("mode");
  }
  return command;
}

template <class Protocol>
void passes_the_golden_vectors(const std::string& protocol, const std::string& vectors_name,
                               records::ChannelProtocol compiled) {
  const Interpreter interpreter(description(protocol));
  const auto all = vectors(vectors_name);
  ASSERT_FALSE(all.empty());
  for (const auto& vector : all) {
    SCOPED_TRACE(vector["name"].get<std::string>());
    const auto bytes = from_hex(vector["hex"].get<std::string>());
    const auto hex = vector["hex"].get<std::string>();
    const auto source = vector["source"].get<std::uint32_t>();
    const auto sequence = vector["sequence"].get<std::uint32_t>();
    const auto& decoded = vector["decoded"];
    if (vector["direction"] == "uplink") {
      auto reading = interpreter.read_uplink(bytes, records::Timestamp{});
      ASSERT_TRUE(std::holds_alternative<Received>(reading))
          << interpreted_meaning(interpreter, bytes);
      const auto& received = std::get<Received>(reading);
      EXPECT_EQ(received.size, bytes.size());
      EXPECT_EQ(received.source, source);
      EXPECT_EQ(received.sequence, sequence);
      EXPECT_EQ(meaning(received.uplink), compiled_meaning<Protocol>(bytes));
      // And back to the same bytes.
      const auto again = std::visit(
          [&](const auto& m) -> std::vector<std::uint8_t> {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, records::Event>)
              return interpreter.event(source, sequence, m);
            else if constexpr (std::is_same_v<M, Login>)
              return interpreter.login(source, m);
            else if constexpr (std::is_same_v<M, Heartbeat>)
              return interpreter.heartbeat(source);
            else if constexpr (std::is_same_v<M, CommandResult>)
              return interpreter.command_result(source, m);
            else
              return {};
          },
          received.uplink);
      EXPECT_EQ(to_hex(again), hex);
      continue;
    }
    std::vector<std::uint8_t> written;
    if (decoded.contains("login_ack")) {
      written = interpreter.login_ack(source, LoginOutcome::accepted,
                                      time_of(decoded["login_ack"]["server_time"]));
    } else if (decoded.contains("heartbeat_ack")) {
      written = interpreter.heartbeat_ack(source, time_of(decoded["heartbeat_ack"]["server_time"]));
    } else if (decoded.contains("data_ack")) {
      written = interpreter.data_ack(source, decoded["data_ack"]["sequence"].get<std::uint32_t>());
    } else {
      const auto command = command_json(decoded);
      written = interpreter.command(source, sequence, command);
      EXPECT_EQ(to_hex(encode_command_json(compiled, source, sequence, command)), hex);
      auto reading = interpreter.read_downlink(bytes);
      ASSERT_TRUE(std::holds_alternative<DownlinkFrame>(reading));
      const auto& frame = std::get<DownlinkFrame>(reading);
      EXPECT_EQ(frame.role, Role::command);
      EXPECT_EQ(frame.sequence, sequence);
      EXPECT_EQ(frame.values, decoded["command"].begin().value());
    }
    EXPECT_EQ(to_hex(written), hex);
  }
}

TEST(DescribedTest, TheQueueEvaluationDescriptionPassesTheCompiledCodecsGoldenVectors) {
  passes_the_golden_vectors<queue_eval::Protocol>("halld_queue_eval", "queue_eval",
                                                  records::ChannelProtocol::queue_eval);
}

TEST(DescribedTest, TheTerminalDescriptionPassesTheCompiledCodecsGoldenVectors) {
  passes_the_golden_vectors<terminal::Protocol>("halld_terminal", "terminal",
                                                records::ChannelProtocol::terminal);
}

// Every uplink vector with each bit of its payload flipped (the CRC made right again, so that
// the payload itself is judged): both codecs read the same, or refuse it for the same reason.
template <class Protocol>
void reads_every_damaged_payload_alike(const std::string& protocol,
                                       const std::string& vectors_name) {
  const Interpreter interpreter(description(protocol));
  int compared = 0, refused = 0;
  for (const auto& vector : vectors(vectors_name)) {
    if (vector["direction"] != "uplink") continue;
    auto frame = std::get<Decoded>(decode_frame(from_hex(vector["hex"].get<std::string>()))).frame;
    for (std::size_t at = 0; at < frame.payload.size(); ++at) {
      for (int bit = 0; bit < 8; ++bit) {
        auto damaged = frame;
        damaged.payload[at] ^= static_cast<std::uint8_t>(1 << bit);
        const auto bytes = encode_frame(damaged);
        const auto expected = compiled_meaning<Protocol>(bytes);
        ASSERT_EQ(interpreted_meaning(interpreter, bytes), expected)
            << vector["name"] << " byte " << at << " bit " << bit;
        ++compared;
        refused += expected == "malformed_payload" || expected == "unknown_function";
      }
    }
  }
  EXPECT_GT(compared, 500);
  EXPECT_GT(refused, 50) << "the damage must reach the refusals too";
}

TEST(DescribedTest, EveryDamagedQueueEvaluationPayloadIsReadAsTheCompiledCodecReadsIt) {
  reads_every_damaged_payload_alike<queue_eval::Protocol>("halld_queue_eval", "queue_eval");
}

TEST(DescribedTest, EveryDamagedTerminalPayloadIsReadAsTheCompiledCodecReadsIt) {
  reads_every_damaged_payload_alike<terminal::Protocol>("halld_terminal", "terminal");
}

TEST(DescribedTest, AStreamOfFramesGarbageAndDamageIsSplitAsTheCompiledCodecSplitsIt) {
  const Interpreter interpreter(description("halld_queue_eval"));
  std::vector<std::uint8_t> stream = {0x00, 0x13, 0x68, 0xff, 0xff};  // garbage, a bad length
  for (const auto& vector : vectors("queue_eval")) {
    if (vector["direction"] != "uplink") continue;
    auto bytes = from_hex(vector["hex"].get<std::string>());
    stream.insert(stream.end(), bytes.begin(), bytes.end());
    bytes[bytes.size() - 3] ^= 0x01;  // a bad CRC
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  std::vector<std::string> compiled, interpreted;
  for (std::size_t at = 0; at < stream.size();) {
    auto result = decode_frame(std::span(stream).subspan(at));
    if (std::holds_alternative<proto::NeedMore>(result)) break;
    if (auto* rejected = std::get_if<Rejected>(&result)) {
      compiled.push_back(
          fmt::format("{} {}", to_string(static_cast<ReadError>(rejected->error)), rejected->skip));
      at += rejected->skip;
    } else {
      const auto& d = std::get<Decoded>(result);
      compiled.push_back(fmt::format("frame {} {}", d.size,
                                     meaning(decode_uplink<queue_eval::Protocol>(d.frame))));
      at += d.size;
    }
  }
  for (std::size_t at = 0; at < stream.size();) {
    auto reading = interpreter.read_uplink(std::span(stream).subspan(at), records::Timestamp{});
    if (std::holds_alternative<NeedMore>(reading)) break;
    if (auto* skip = std::get_if<Skip>(&reading)) {
      interpreted.push_back(fmt::format("{} {}", to_string(skip->error), skip->size));
      at += skip->size;
    } else {
      const auto& r = std::get<Received>(reading);
      interpreted.push_back(fmt::format("frame {} {}", r.size, meaning(r.uplink)));
      at += r.size;
    }
  }
  EXPECT_GT(compiled.size(), 20u);
  EXPECT_EQ(interpreted, compiled);
}

// ---- descriptions refused ----

std::string refusal(const std::string& text) {
  try {
    load_description(text);
  } catch (const DescriptionError& e) {
    return e.what();
  }
  return "accepted";
}

constexpr const char* minimal = R"(protocol: t
family: queue_eval
byte_order: big
frame:
  - literal: [0x02]
  - {length: len, size: 1, counts: [function, data]}
  - {field: function, size: 1, meaning: function}
  - {field: sequence, size: 2, meaning: sequence}
  - data: data
  - {checksum: x, algorithm: xor, over: [len, data]}
  - literal: [0x03]
login: {required: false}
messages:
  - {name: ack, role: data_ack, code: 0x80, header: {sequence: $sequence}}
  - name: take
    event: ticket_issued
    code: 0x10
    fields:
      - {name: at, type: time, size: 6}
      - {name: ticket, type: string, size: 6, charset: gbk, pad: 0x20}
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(DescribedTest, AnAmbiguousOrUnsafeDescriptionIsRefusedNamingTheLine) {
  EXPECT_EQ(refusal(minimal), "accepted");
  // Nothing says where a frame ends.
  EXPECT_THAT(
      refusal(with(with(minimal, "  - {length: len, size: 1, counts: [function, data]}\n", ""),
                   "[len, data]", "[function, data]")),
      HasSubstr("ambiguous: nothing says where a frame ends"));
  EXPECT_THAT(refusal(with(minimal, "[len, data]", "[len, x]")),
              HasSubstr("line 10: a checksum cannot cover itself"));
  EXPECT_THAT(refusal(with(minimal, "  - name: take\n",
                           "  - {name: beat, role: heartbeat, code: 0x10}\n  - name: take\n")),
              HasSubstr("line 18: ambiguous: two uplink messages share this code"));
  EXPECT_THAT(refusal(with(minimal, "code: 0x80",
                           "code: 0x80, fields: [{name: s, type: string, size: 9000}]")),
              HasSubstr("line 14: 'size' must lie between 1 and 4096"));
  EXPECT_THAT(refusal(with(minimal, "type: time, size: 6", "type: time, size: 5")),
              HasSubstr("line 19"));
  EXPECT_THAT(refusal(with(minimal, "event: ticket_issued", "event: ticket_printed")),
              HasSubstr("line 16: 'ticket_printed' is no event halld knows"));
  EXPECT_THAT(refusal(with(minimal, "name: ticket,", "name: tickt,")), HasSubstr("accepted"))
      << "a field no member takes is allowed: vendors send more than halld keeps";
  EXPECT_THAT(refusal(with(minimal, "{name: at,", "{name: when,")),
              HasSubstr("needs the event's time"));
  EXPECT_THAT(refusal(with(minimal, "charset: gbk", "charst: gbk")),
              HasSubstr("line 20: a field has no key 'charst'"));
  EXPECT_THAT(refusal(with(with(minimal, "  - {field: sequence, size: 2, meaning: sequence}\n", ""),
                           ", header: {sequence: $sequence}", "")),
              HasSubstr("line 14: a data message needs its sequence number"));
  EXPECT_THAT(
      refusal(with(minimal,
                   "  - {name: ack, role: data_ack, code: 0x80, header: {sequence: $sequence}}\n",
                   "")),
      HasSubstr("data_ack message is required"));
  EXPECT_THAT(refusal(with(minimal, "family: queue_eval\n", "")),
              HasSubstr("'family' (queue_eval or terminal) is missing"));
  EXPECT_THAT(refusal(with(minimal, "family: queue_eval", "family: meters")),
              HasSubstr("line 2: 'family' must be queue_eval or terminal"));
  EXPECT_THAT(refusal(with(minimal, "protocol: t", "protocol: terminal")),
              HasSubstr("line 1: 'terminal' is the name of halld's own compiled protocol"));
  EXPECT_THAT(refusal("protocol: t\nmessages: [\n"), HasSubstr("line"));
  EXPECT_THAT(refusal(std::string(100000, '[')), ::testing::Not(HasSubstr("accepted")))
      << "a nesting bomb is refused, not a crash";
}

TEST(DescribedTest, BcdTimesGbkStringsAndAnXorChecksumRoundTrip) {
  const Interpreter interpreter(std::make_shared<const Description>(load_description(minimal)));
  records::Event event{records::Timestamp(std::chrono::seconds(1795425300)),  // 17:15 in Beijing
                       records::TicketIssued{"甲015", "", records::CustomerClassCode::unknown,
                                             records::TicketSource::kiosk}};
  const auto bytes = interpreter.event(1, 7, event);
  // 02 len 10 seq(00 07) 26 11 23 17 15 00 (BCD, Beijing time) "甲015" in GBK padded, xor, 03
  EXPECT_EQ(to_hex(bytes), "02 0f 10 00 07 26 11 23 17 15 00 bc d7 30 31 35 20 " +
                               to_hex(std::vector<std::uint8_t>{static_cast<std::uint8_t>(
                                   0x0f ^ 0x10 ^ 0x07 ^ 0x26 ^ 0x11 ^ 0x23 ^ 0x17 ^ 0x15 ^ 0xbc ^
                                   0xd7 ^ 0x30 ^ 0x31 ^ 0x35 ^ 0x20)}) +
                               " 03");
  auto reading = interpreter.read_uplink(bytes, records::Timestamp{});
  ASSERT_TRUE(std::holds_alternative<Received>(reading));
  EXPECT_EQ(std::get<records::Event>(std::get<Received>(reading).uplink), event);
  EXPECT_EQ(std::get<Received>(reading).sequence, 7u);
  EXPECT_EQ(to_hex(interpreter.data_ack(1, 7)), "02 03 80 00 07 84 03");
}

}  // namespace
}  // namespace halld::proto::described

namespace halld::proto::described {
namespace {

// The vendor-style protocols (config/protocols, their vectors in tests/data/protocols/described):
// each vector was written by an encoder of its own (make_vectors.py) from the vendor's
// documentation, not by halld. A vector that says otherwise than the bytes is caught, naming the
// vector.
void passes_vendor_vectors(const std::string& protocol) {
  const std::string dir = HALLD_SOURCE_DIR "/tests/data/protocols/described/";
  const Interpreter interpreter(std::make_shared<const Description>(load_description(
      testing::read_text(HALLD_SOURCE_DIR "/config/protocols/" + protocol + ".yaml"))));
  auto all = json::parse(testing::read_text(dir + protocol + ".vectors.json"));
  ASSERT_GE(all.size(), 8u);
  EXPECT_THAT(check_vectors(interpreter, all), ::testing::IsEmpty());
  for (auto& vector : all) {
    json wrong = json::array({vector});
    if (vector.contains("event")) {
      wrong[0]["event"]["at"] = "2026-01-01T00:00:00Z";
    } else {
      auto hex = vector["hex"].get<std::string>();
      hex[hex.size() - 4] = hex[hex.size() - 4] == '0' ? '1' : '0';  // a byte near the end
      wrong[0]["hex"] = hex;
    }
    const auto failures = check_vectors(interpreter, wrong);
    ASSERT_FALSE(failures.empty()) << vector.dump();
    EXPECT_THAT(failures[0], HasSubstr(vector["name"].get<std::string>() + ": "));
  }
}

TEST(DescribedTest, AVendorsBinaryProtocolWithBcdTimesGbkTextEscapingAndXorIsReadAndWritten) {
  passes_vendor_vectors("vendor_binary_queue");
}

TEST(DescribedTest, AVendorsKeyValueTextProtocolIsReadAndWritten) {
  passes_vendor_vectors("vendor_text_queue");
}

TEST(DescribedTest, ATextProtocolsSourceKeyNamesTheDevice) {
  auto text = testing::read_text(HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml");
  text.replace(text.find("sequence_key: seq\n"), 18, "sequence_key: seq\nsource_key: dev_no\n");
  const Interpreter interpreter(std::make_shared<const Description>(load_description(text)));
  const std::string line = "cmd=TAKE;seq=5;dev_no=12;time=20261123171500;no=A1;biz=x\r\n";
  auto reading = interpreter.read_uplink(
      std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()),
      records::Timestamp{});
  ASSERT_TRUE(std::holds_alternative<Received>(reading));
  EXPECT_EQ(std::get<Received>(reading).source, 12u);
  EXPECT_EQ(std::get<Received>(reading).sequence, 5u);
}

TEST(DescribedTest, AVendorsTextLinesThatAreDamagedAreRefusedOneByOne) {
  const Interpreter interpreter(std::make_shared<const Description>(load_description(
      testing::read_text(HALLD_SOURCE_DIR "/config/protocols/vendor_text_queue.yaml"))));
  const std::string stream =
      "\r\n"                                                       // an empty line
      "cmd=TAKE;seq=1;time=20261123171500;no=A1\r\n"               // biz missing
      "cmd=TAKE;seq=2;time=20261323171500;no=A2;biz=x\r\n"         // month 13
      "cmd=TAKE;seq=3;seq=4;time=20261123171500;no=A3;biz=x\r\n"   // a key twice
      "cmd=PRINT;seq=5\r\n"                                        // no such message
      "cmd=TAKE;time=20261123171500;no=A6;biz=x\r\n"               // no sequence number
      "cmd=TAKE;seq=8;time=20261123171500;no=A\xff\xff;biz=x\r\n"  // not GBK
      + std::string("cmd=TAKE;seq=9;time=20261123171500;no=A\0;biz=x\r\n", 48) +  // a NUL
      "cmd=TAKE;seq=7;time=20261123171500;no=A7;biz=x;extra=1\r\n"  // taken: extra keys ignored
      + std::string(1100, 'x');                                     // no end within max_frame
  std::vector<std::string> seen;
  std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(stream.data()),
                                     stream.size());
  while (!rest.empty()) {
    auto reading = interpreter.read_uplink(rest, records::Timestamp{});
    if (std::holds_alternative<NeedMore>(reading)) break;
    if (auto* skip = std::get_if<Skip>(&reading)) {
      seen.emplace_back(to_string(skip->error));
      rest = rest.subspan(skip->size);
    } else {
      seen.push_back("event " + std::to_string(std::get<Received>(reading).sequence));
      rest = rest.subspan(std::get<Received>(reading).size);
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"garbage", "malformed_payload", "malformed_payload",
                                            "malformed_payload", "unknown_function",
                                            "malformed_payload", "malformed_payload",
                                            "malformed_payload", "event 7", "bad_length"}));
}

}  // namespace
}  // namespace halld::proto::described
