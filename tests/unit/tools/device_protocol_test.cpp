// The simulator's side of a described protocol: its frames are what a vendor's device sends
// (read back by halld's interpreter as the same events), events the protocol does not carry
// are not sent, and halld's acks and login answers are heard as such.
#include "device_protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "halld/proto/described/interpreter.hpp"
#include "process.hpp"

namespace halld::tools {
namespace {

std::shared_ptr<const proto::described::Description> vendor(const std::string& name) {
  return std::make_shared<const proto::described::Description>(proto::described::load_description(
      testing::read_text(std::string(HALLD_SOURCE_DIR "/config/protocols/") + name + ".yaml")));
}

TEST(DeviceProtocolTest, AVendorsTextProtocolIsSpokenAsTheVendorsDeviceSpeaksIt) {
  const auto description = vendor("vendor_text_queue");
  const auto device = described_protocol(description);
  const proto::described::Interpreter halld_side(description);
  EXPECT_TRUE(device->logs_in());
  const auto login = device->login(1, "4101001");
  EXPECT_EQ(std::string(login.begin(), login.end()), "cmd=LOGIN;site=4101001;dev=hall_sim\r\n");

  const records::Event taken{
      records::Timestamp(std::chrono::seconds(1795425300)),
      records::TicketIssued{"A015", "bill_payment", records::CustomerClassCode::unknown,
                            records::TicketSource::kiosk}};
  const auto frame = device->event(1, 41, taken);
  auto reading = halld_side.read_uplink(frame, records::Timestamp{});
  ASSERT_TRUE(std::holds_alternative<proto::described::Received>(reading));
  EXPECT_EQ(std::get<proto::described::Received>(reading).sequence, 41u);
  EXPECT_EQ(std::get<records::Event>(std::get<proto::described::Received>(reading).uplink), taken);
  EXPECT_TRUE(device->event(1, 42, {taken.at, records::QueueSnapshot{}}).empty())
      << "a queue snapshot is not in this protocol";

  Bytes heard_bytes = halld_side.login_ack(1, proto::LoginOutcome::accepted, taken.at);
  const auto ack = halld_side.data_ack(1, 41);
  heard_bytes.insert(heard_bytes.end(), ack.begin(), ack.end());
  heard_bytes.push_back('c');  // the start of a line still on its way
  const auto heard = device->take(heard_bytes);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[0].kind, Heard::Kind::login_accepted);
  EXPECT_EQ(heard[1].kind, Heard::Kind::data_ack);
  EXPECT_EQ(heard[1].sequence, 41u);
  EXPECT_EQ(heard_bytes, Bytes{'c'});
}

TEST(DeviceProtocolTest, AVendorsBinaryProtocolWithoutALoginIsHeardThroughItsEscaping) {
  const auto description = vendor("vendor_binary_queue");
  const auto device = described_protocol(description);
  const proto::described::Interpreter halld_side(description);
  EXPECT_FALSE(device->logs_in());
  auto bytes = halld_side.data_ack(3, 0x1002);  // the sequence needs escaping
  const auto heard = device->take(bytes);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].kind, Heard::Kind::data_ack);
  EXPECT_EQ(heard[0].sequence, 0x1002u);
  EXPECT_TRUE(bytes.empty());
}

}  // namespace
}  // namespace halld::tools
