// The spool: records survive the round trip, a torn tail is cut on opening (and only the tail),
// and replay hands records back in order, from a cursor that moves only when told.
#include "halld/acq/spool.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "halld/proto/frame/frame.hpp"
#include "process.hpp"

namespace halld::acq {
namespace {

using namespace halld::records;

store::IngestRecord record(std::uint32_t sequence) {
  const Timestamp at(std::chrono::seconds(1795425300 + sequence));
  EventBody body;
  switch (sequence % 3) {
    case 0:
      body = TicketIssued{"A" + std::to_string(sequence), "101", CustomerClassCode::premium,
                          TicketSource::vip};
      break;
    case 1:
      body = Transaction{
          "T-0" + std::to_string(sequence), "tx", "201",       12345, PaymentMethod::qr_code,
          TransactionResult::success,       42,   "0012345678"};
      break;
    default:
      body = Settlement{"T-01",
                        at - std::chrono::hours(24),
                        at,
                        {{PaymentMethod::cash, 3, 900}, {PaymentMethod::bank_card, 1, -5}}};
  }
  // Every third record declares an epoch, every fifth is clock-skewed.
  return {
      7,
      sequence,
      3,
      Event{at, std::move(body)},
      std::chrono::system_clock::time_point(std::chrono::microseconds(1795425300123456 + sequence)),
      sequence % 3 == 1 ? std::optional<std::uint32_t>(sequence * 7) : std::nullopt,
      sequence % 5 == 0};
}

void expect_same(const store::IngestRecord& a, const store::IngestRecord& b) {
  EXPECT_EQ(a.source_id, b.source_id);
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_EQ(a.hall_id, b.hall_id);
  EXPECT_EQ(a.event, b.event);
  EXPECT_EQ(a.received_at, b.received_at);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.clock_skewed, b.clock_skewed);
}

// A record spooled before epochs existed (hall, reception time, then the event) reads as it was.
TEST(SpoolRecord, ARecordOfTheFormerLayoutStillReads) {
  auto current = record(4);
  auto frame = std::get<proto::Decoded>(proto::decode_frame(encode_spool_record(current))).frame;
  frame.payload.erase(frame.payload.begin() + 12,
                      frame.payload.begin() + 17);  // no epoch, no flags
  frame.payload[3] &= 0x7F;                         // and no marker
  auto read = decode_spool_record(proto::encode_frame(frame));
  ASSERT_EQ(read.status, SpoolRecordRead::Status::record);
  current.epoch.reset();
  current.clock_skewed = false;
  expect_same(read.record, current);
}

TEST(SpoolRecord, RoundTripsEventsOfBothProtocolsToTheMicrosecond) {
  for (std::uint32_t sequence = 1; sequence <= 6; ++sequence) {
    auto bytes = encode_spool_record(record(sequence));
    auto read = decode_spool_record(bytes);
    ASSERT_EQ(read.status, SpoolRecordRead::Status::record);
    EXPECT_EQ(read.size, bytes.size());
    expect_same(read.record, record(sequence));
  }
}

TEST(SpoolRecord, EveryTruncationNeedsMoreAndEveryFlippedByteIsCaught) {
  auto bytes = encode_spool_record(record(3));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(decode_spool_record(std::span(bytes).first(n)).status,
              SpoolRecordRead::Status::need_more)
        << n;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] ^= 0x5A;
    auto read = decode_spool_record(damaged);
    // A damaged length may only ask for more; otherwise the damage is seen.
    EXPECT_NE(read.status, SpoolRecordRead::Status::record) << "byte " << i;
  }
}

TEST(Spool, KeepsWholeRecordsAcrossReopeningAndCutsATornTail) {
  testing::TempDir dir;
  const auto file = dir.path() / "sub" / "halld.spool";
  std::vector<store::IngestRecord> records;
  for (std::uint32_t sequence = 1; sequence <= 5; ++sequence) records.push_back(record(sequence));
  std::uint64_t whole = 0;
  {
    Spool spool(file);
    spool.append(std::span(records).first(4));
    whole = spool.bytes();
    spool.append(std::span(records).subspan(4));
    EXPECT_EQ(spool.records(), 5u);
  }
  const auto full = std::filesystem::file_size(file);
  // A crash in the middle of the fifth record's write, at every byte.
  for (auto size = whole + 1; size < full; ++size) {
    std::filesystem::resize_file(file, size);
    Spool spool(file);
    EXPECT_EQ(spool.records(), 4u);
    EXPECT_EQ(spool.cut_bytes(), size - whole);
    EXPECT_FALSE(spool.damaged());
    EXPECT_EQ(std::filesystem::file_size(file), whole);
    spool.append(std::span(records).subspan(4));  // and the file takes appends again
  }
  Spool spool(file);
  EXPECT_EQ(spool.records(), 5u);
  EXPECT_EQ(spool.cut_bytes(), 0u);
}

TEST(Spool, ADamagedRecordIsToldApartFromATornTail) {
  testing::TempDir dir;
  const auto file = dir.path() / "halld.spool";
  std::vector<store::IngestRecord> records = {record(1), record(2), record(3)};
  std::uint64_t first = 0;
  {
    Spool spool(file);
    spool.append(std::span(records).first(1));
    first = spool.bytes();
    spool.append(std::span(records).subspan(1));
  }
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(first + 20));
    f.put('\x5a');  // inside the second record's payload: its CRC fails
  }
  Spool spool(file);
  EXPECT_TRUE(spool.damaged());
  EXPECT_EQ(spool.records(), 1u);
  EXPECT_EQ(spool.bytes(), first);
}

TEST(Spool, ReplayMovesOnlyWhenConsumedAndEmptiesTheFileWhenDrained) {
  testing::TempDir dir;
  const auto file = dir.path() / "halld.spool";
  std::vector<store::IngestRecord> records;
  for (std::uint32_t sequence = 1; sequence <= 2500; ++sequence)
    records.push_back(record(sequence));
  Spool spool(file);
  spool.append(records);
  auto first = spool.peek(1000);
  ASSERT_EQ(first.size(), 1000u);
  EXPECT_EQ(spool.peek(1000).front().sequence, 1u)
      << "a failed replay reads the same records again";
  spool.consumed(1000);
  EXPECT_EQ(spool.records(), 1500u);
  std::uint32_t expected = 1001;
  while (!spool.drained()) {
    auto chunk = spool.peek(700);
    for (const auto& r : chunk) expect_same(r, records[expected++ - 1]);
    spool.consumed(chunk.size());
  }
  EXPECT_EQ(expected, 2501u);
  spool.clear_if_drained();
  EXPECT_EQ(std::filesystem::file_size(file), 0u);
  EXPECT_EQ(spool.bytes(), 0u);
}

TEST(Spool, RefusesAFileItCannotOpen) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "a-file") << "x";
  EXPECT_THROW(Spool(dir.path() / "a-file" / "halld.spool"), std::exception);
}

}  // namespace
}  // namespace halld::acq
