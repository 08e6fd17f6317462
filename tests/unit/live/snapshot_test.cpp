// A hall's snapshot as bytes: restored, a hall stands where it stood and goes on exactly as the
// hall it was taken from; bytes that are not one whole snapshot of this format read as nothing.
#include "halld/live/snapshot.hpp"

#include <gtest/gtest.h>

namespace halld::live {
namespace {

using namespace halld::records;
using std::chrono::hours;
using std::chrono::minutes;

const Timestamp monday = Timestamp(std::chrono::sys_days(std::chrono::year(2026) / 11 / 16));
Timestamp at(int h, int m) {
  return monday + hours(h) + minutes(m);
}

// A hall with some of everything a model and its tallies hold.
struct Hall {
  model::HallModel model{7};
  kpi::Tallies tallies;
  kpi::HallTerms terms;
  kpi::TallySink sink{tallies, terms};
  RecentFacts recent;
  struct Both final : model::FactSink {
    Hall& hall;
    explicit Both(Hall& h) : hall(h) {}
    void on_fact(const model::Fact& f) override {
      hall.sink.on_fact(f);
      hall.recent.add(f);
    }
  };
  void apply(const std::vector<Event>& events) {
    Both both(*this);
    for (const auto& e : events) model.apply(e, both);
  }
};

const std::vector<Event> morning{
    {at(1, 0), WindowStatusChanged{1, WindowState::open, "S01"}},
    {at(1, 0), WindowStatusChanged{2, WindowState::open, "S02"}},
    {at(1, 1),
     TicketIssued{"A001", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
    {at(1, 2), TicketIssued{"B001", "consultation", CustomerClassCode::premium, TicketSource::vip}},
    {at(1, 3),
     TicketIssued{"A002", "bill_payment", CustomerClassCode::general, TicketSource::kiosk}},
    {at(1, 4), TicketCalled{"A001", 1, "S01"}},
    {at(1, 4), ServiceStarted{"A001", 1, "S01"}},
    {at(1, 9), ServiceFinished{"A001", 1, "S01", ""}},
    {at(1, 10), TicketCalled{"B001", 2, "S02"}},
    {at(1, 11), ServiceStarted{"B001", 2, "S02"}},
    {at(1, 12), TerminalStateChanged{"T1", TerminalState::in_service}},
    {at(1, 13), PartStateChanged{"T1", TerminalPart::receipt_printer, PartState::paper_low}},
    {at(1, 14), TerminalAlarm{"T1", TerminalAlarmKind::door_open}},
    {at(1, 15), Transaction{"T1", "X1", "bill_payment", 12345, PaymentMethod::bank_card,
                            TransactionResult::success, 40, "0101"}},
    {at(1, 16), QueueSnapshot{{{"bill_payment", 1, 780}}}},
};
// What follows the snapshot leans on what it holds: the evaluation of a service finished before
// it, a call and a no-show of tickets issued before it, the window in service, the open door.
const std::vector<Event> afternoon{
    {at(1, 20), EvaluationGiven{"A001", 1, "S01", EvaluationResult::satisfied}},
    {at(1, 25), ServiceFinished{"B001", 2, "S02", ""}},
    {at(1, 26), TicketCalled{"A002", 1, "S01"}},
    {at(1, 31), TicketAbandoned{"A002", AbandonReason::no_show}},
    {at(1, 40), TerminalAlarm{"T1", TerminalAlarmKind::door_closed}},
    {at(1, 41), PartStateChanged{"T1", TerminalPart::receipt_printer, PartState::ok}},
    {at(1, 50), WindowStatusChanged{2, WindowState::paused, "S02"}},
};

std::vector<std::uint8_t> packed_state(const Hall& h) {
  return pack(encode_hall_state(h.model, h.recent, monday,
                                std::chrono::sys_days(std::chrono::year(2026) / 11 / 16)));
}

TEST(Snapshot, ARestoredHallStandsWhereItStoodAndGoesOnAsTheOriginal) {
  Hall original;
  original.apply(morning);
  const auto state = packed_state(original);
  const auto tallies = pack(encode_tallies(original.tallies));
  EXPECT_LT(state.size(), 400u);

  auto restored_state = unpack_hall_state(7, state);
  ASSERT_TRUE(restored_state.has_value());
  EXPECT_EQ(restored_state->horizon, monday);
  EXPECT_EQ(restored_state->day, std::chrono::sys_days(std::chrono::year(2026) / 11 / 16));
  Hall restored;
  restored.model = std::move(restored_state->model);
  restored.recent = std::move(restored_state->recent);
  ASSERT_TRUE(unpack_tallies(tallies, restored.tallies));
  EXPECT_EQ(restored.model.snapshot(), original.model.snapshot());
  EXPECT_EQ(restored.tallies, original.tallies);

  original.apply(afternoon);
  restored.apply(afternoon);
  EXPECT_EQ(restored.model.snapshot(), original.model.snapshot());
  EXPECT_EQ(restored.tallies, original.tallies);
  const auto sum = kpi::sum_hall(original.tallies, monday, monday + hours(24));
  EXPECT_EQ(sum.evaluations[static_cast<int>(EvaluationResult::satisfied)], 1);
  EXPECT_EQ(sum.called_no_shows, 1);
  EXPECT_EQ(restored.recent.figures(at(1, 55), restored.terms).last_60_min,
            original.recent.figures(at(1, 55), original.terms).last_60_min);
}

TEST(Snapshot, BucketBlobsReadIntoOneHallsTalliesAddUp) {
  Hall h;
  h.apply(morning);
  h.apply(afternoon);
  // One blob per bucket, as a snapshot writes them, read back in any order.
  std::map<Timestamp, kpi::Tallies> by_bucket;
  for (const auto& [key, tally] : h.tallies) by_bucket[key.bucket].emplace(key, tally);
  ASSERT_GT(by_bucket.size(), 2u);
  kpi::Tallies read;
  for (auto bucket = by_bucket.rbegin(); bucket != by_bucket.rend(); ++bucket)
    ASSERT_TRUE(unpack_tallies(pack(encode_tallies(bucket->second)), read));
  EXPECT_EQ(read, h.tallies);
  // Read into tallies that hold its keys already, a blob adds to them.
  ASSERT_TRUE(unpack_tallies(pack(encode_tallies(h.tallies)), read));
  ASSERT_EQ(read.size(), h.tallies.size());
  for (const auto& [key, tally] : h.tallies) {
    auto twice = tally;
    twice += tally;
    EXPECT_EQ(read.at(key), twice);
  }
}

TEST(Snapshot, BytesThatAreNotOneWholeSnapshotOfThisFormatReadAsNothing) {
  Hall h;
  h.apply(morning);
  h.apply(afternoon);
  const auto encoded_state = encode_hall_state(h.model, h.recent, monday, {});
  const auto encoded_tallies = encode_tallies(h.tallies);
  const auto state = pack(encoded_state);
  const auto tallies = pack(encode_tallies(h.tallies));
  kpi::Tallies into;
  // Cut anywhere.
  for (std::size_t n = 0; n < state.size(); ++n)
    EXPECT_FALSE(unpack_hall_state(7, std::span(state).first(n))) << n;
  for (std::size_t n = 0; n < tallies.size(); ++n)
    EXPECT_FALSE(unpack_tallies(std::span(tallies).first(n), into)) << n;
  EXPECT_TRUE(into.empty());
  // Cut inside the compressed bytes' content: whole as zlib, not as a snapshot.
  for (std::size_t n = 1; n < encoded_state.size(); ++n)
    EXPECT_FALSE(unpack_hall_state(7, pack(std::span(encoded_state).first(n)))) << n;
  for (std::size_t n = 1; n < encoded_tallies.size(); ++n)
    EXPECT_FALSE(unpack_tallies(pack(std::span(encoded_tallies).first(n)), into)) << n;
  EXPECT_TRUE(into.empty());
  // Every byte of the content damaged: never a crash, never more than the bytes could hold.
  for (std::size_t i = 0; i < encoded_state.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
      auto damaged = encoded_state;
      damaged[i] ^= flip;
      (void)unpack_hall_state(7, pack(damaged));
      auto damaged_tallies = encoded_tallies;
      damaged_tallies[i % damaged_tallies.size()] ^= flip;
      kpi::Tallies scratch;
      (void)unpack_tallies(pack(damaged_tallies), scratch);
    }
  }
  // Another format's blob (its first varint).
  auto other = encoded_state;
  other[0] = snapshot_format + 1;
  EXPECT_FALSE(unpack_hall_state(7, pack(other)));
  // A declared size far beyond what a hall can hold is refused before anything is allocated.
  ByteWriter huge;
  huge.unsigned_(std::uint64_t{1} << 40);
  EXPECT_FALSE(unpack_hall_state(7, huge.take()));
}

}  // namespace
}  // namespace halld::live
