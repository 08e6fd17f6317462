#include "halld/proto/frame/frame.hpp"

#include <gtest/gtest.h>

#include "halld/proto/frame/messages.hpp"
#include "halld/proto/frame/payload.hpp"

namespace halld::proto {
namespace {

Frame sample() {
  return Frame{Direction::uplink, 7, 1001, 0x10, {1, 2, 3, 0x68, 0x16}};
}

TEST(Frame, EncodesTheDocumentedHeartbeat) {
  EXPECT_EQ(to_hex(encode_frame(Frame{Direction::uplink, 7, 0, 0x02, {}})),
            "68 0a 00 01 07 00 00 00 00 00 00 00 02 8a 2e 16");
  EXPECT_EQ(crc16_modbus(std::vector<std::uint8_t>{'1', '2', '3', '4', '5', '6', '7', '8', '9'}),
            0x4B37);
}

TEST(Frame, EncodesTheDocumentedPoll) {
  const auto poll = encode_frame(encode_poll(3));
  EXPECT_EQ(to_hex(poll), "68 0a 00 81 03 00 00 00 00 00 00 00 83 7f 66 16");
  auto decoded = decode_frame(poll);
  ASSERT_TRUE(std::holds_alternative<Decoded>(decoded));
  EXPECT_TRUE(is_poll(std::get<Decoded>(decoded).frame));
  EXPECT_FALSE(is_poll(encode_heartbeat(3)));
}

TEST(Frame, RoundTripsAndReportsItsSize) {
  auto bytes = encode_frame(sample());
  auto result = decode_frame(bytes);
  ASSERT_TRUE(std::holds_alternative<Decoded>(result));
  EXPECT_EQ(std::get<Decoded>(result).frame, sample());
  EXPECT_EQ(std::get<Decoded>(result).size, bytes.size());
}

TEST(Frame, AsksForMoreAtEveryCutAndNeverMisreads) {
  auto bytes = encode_frame(sample());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto result = decode_frame(std::span(bytes).first(cut));
    ASSERT_TRUE(std::holds_alternative<NeedMore>(result)) << "cut at " << cut;
    EXPECT_GT(std::get<NeedMore>(result).at_least, cut);
  }
}

TEST(Frame, ResynchronisesAfterGarbage) {
  std::vector<std::uint8_t> stream = {0x00, 0xff, 0x16};
  auto frame = encode_frame(sample());
  stream.insert(stream.end(), frame.begin(), frame.end());
  auto result = decode_frame(stream);
  ASSERT_TRUE(std::holds_alternative<Rejected>(result));
  EXPECT_EQ(std::get<Rejected>(result).error, FrameError::garbage);
  EXPECT_EQ(std::get<Rejected>(result).skip, 3u);
  EXPECT_TRUE(std::holds_alternative<Decoded>(decode_frame(std::span(stream).subspan(3))));
}

TEST(Frame, AnAnswerIsWholeAtTheEndOfItsFirstWholeFrameWhateverCameBefore) {
  std::vector<std::uint8_t> answer = {0x00, 0x68,
                                      0x01};  // noise, and a start byte that is not a frame
  auto frame = encode_frame(sample());
  answer.insert(answer.end(), frame.begin(), frame.end());
  const auto whole = answer.size();
  for (std::size_t cut = 0; cut < whole; ++cut)
    EXPECT_EQ(answer_size(std::span(answer).first(cut)), 0u) << cut;
  EXPECT_EQ(answer_size(answer), whole);
  answer.push_back(0x68);  // the start of something more is not part of this answer
  EXPECT_EQ(answer_size(answer), whole);
}

TEST(Frame, RejectsEachKindOfDamage) {
  auto expect_error = [](std::vector<std::uint8_t> bytes, FrameError error) {
    auto result = decode_frame(bytes);
    ASSERT_TRUE(std::holds_alternative<Rejected>(result)) << to_hex(bytes);
    EXPECT_EQ(std::get<Rejected>(result).error, error) << to_hex(bytes);
    EXPECT_GE(std::get<Rejected>(result).skip, 1u);
  };
  auto good = encode_frame(sample());
  auto bad_crc = good;
  bad_crc[14] ^= 0x01;
  expect_error(bad_crc, FrameError::bad_crc);
  auto bad_end = good;
  // at(), not back(): GCC 12 at -O3 cannot see that the copy is not empty (-Warray-bounds).
  bad_end.at(bad_end.size() - 1) = 0x17;
  expect_error(bad_end, FrameError::bad_end);
  expect_error({0x68, 0x05, 0x00, 0x01}, FrameError::bad_length);
  expect_error({0x68, 0xff, 0xff, 0x01}, FrameError::bad_length);
  auto bad_version = good;
  bad_version[3] = 0x02;
  expect_error(bad_version, FrameError::bad_version);
  // The skip lands on the next start byte inside the damaged frame, so a frame hidden there is
  // found.
  EXPECT_EQ(std::get<Rejected>(decode_frame(bad_crc)).skip, 16u);
}

TEST(Frame, LargestPayloadFitsAndLargerIsRefused) {
  Frame big = sample();
  big.payload.assign(max_payload, 0x68);
  auto bytes = encode_frame(big);
  EXPECT_EQ(bytes.size(), max_frame_size);
  EXPECT_TRUE(std::holds_alternative<Decoded>(decode_frame(bytes)));
  big.payload.push_back(0);
  EXPECT_THROW(encode_frame(big), std::length_error);
}

TEST(Hex, ParsesWhatItPrints) {
  std::vector<std::uint8_t> bytes = {0x00, 0x68, 0xff};
  EXPECT_EQ(from_hex(to_hex(bytes)), bytes);
  EXPECT_THROW(from_hex("6"), std::invalid_argument);
  EXPECT_THROW(from_hex("zz"), std::invalid_argument);
}

TEST(Payload, ReaderNeverOverrunsAndChecksUtf8) {
  PayloadWriter w;
  w.u8(1).u16(0x1234).u32(0xdeadbeef).i64(-5).text("营业厅");
  auto bytes = w.take();
  PayloadReader r(bytes);
  EXPECT_EQ(r.u8(), 1);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.i64(), -5);
  EXPECT_EQ(r.text(), "营业厅");
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_FALSE(r.complete()) << "reading past the end fails";

  std::vector<std::uint8_t> lying = {10, 'a'};  // says 10 bytes, has 1
  PayloadReader short_text(lying);
  short_text.text();
  EXPECT_FALSE(short_text.complete());

  for (std::string_view bad :
       {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80", "\xE4\xB8", "\x80"}) {
    EXPECT_FALSE(is_valid_utf8(bad))
        << to_hex(std::span(reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size()));
  }
  EXPECT_TRUE(is_valid_utf8("A营😀"));
  EXPECT_THROW(PayloadWriter().text(std::string(256, 'x')), std::length_error);
}

}  // namespace
}  // namespace halld::proto
