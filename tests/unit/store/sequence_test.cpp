// How a data frame's sequence number is judged against its source's mark: new, resent, or the
// first of a restarted numbering (docs/protocols/framing.md, "Sequence numbers").
#include <gtest/gtest.h>

#include "halld/store/ingest_record.hpp"

namespace halld::store {
namespace {

TEST(Sequence, NumbersAboveTheMarkAreNewAndAtOrJustBelowItResends) {
  SequenceMark mark;
  EXPECT_EQ(arrive(mark, std::nullopt, 1), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 2), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 5), Arrival::fresh) << "gaps are allowed";
  EXPECT_EQ(arrive(mark, std::nullopt, 5), Arrival::resend);
  EXPECT_EQ(arrive(mark, std::nullopt, 3), Arrival::resend);
  EXPECT_EQ(mark.last, 5u);
}

TEST(Sequence, TheCounterWrapsFromTheTopToOneWithoutARestart) {
  SequenceMark mark{std::nullopt, 4'294'967'290u};
  EXPECT_EQ(arrive(mark, std::nullopt, 4'294'967'295u), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 1), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 2), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 4'294'967'295u), Arrival::resend)
      << "a resend from before the wrap";
  EXPECT_EQ(mark.last, 2u);
}

TEST(Sequence, NumbersFarBelowTheMarkAreARestartNotResends) {
  // A device that lost its counter: 1…1000 after 20,000 were stored. Every one is new.
  SequenceMark mark{std::nullopt, 20'000};
  EXPECT_EQ(arrive(mark, std::nullopt, 1), Arrival::restart);
  for (std::uint32_t s = 2; s <= 1000; ++s)
    ASSERT_EQ(arrive(mark, std::nullopt, s), Arrival::fresh) << s;
  EXPECT_EQ(arrive(mark, std::nullopt, 1000), Arrival::resend);
  // Just inside the resend window is still a resend.
  SequenceMark edge{std::nullopt, 20'000};
  EXPECT_EQ(arrive(edge, std::nullopt, 20'000 - resend_window), Arrival::resend);
  EXPECT_EQ(arrive(edge, std::nullopt, 20'000 - resend_window - 1), Arrival::restart);
}

TEST(Sequence, ADeclaredEpochRestartsTheNumberingEvenJustBelowTheMark) {
  SequenceMark mark{7, 500};
  EXPECT_EQ(arrive(mark, 7, 400), Arrival::resend) << "the same epoch: a resend";
  EXPECT_EQ(arrive(mark, 8, 1), Arrival::restart);
  EXPECT_EQ(mark, (SequenceMark{8, 1}));
  EXPECT_EQ(arrive(mark, 8, 2), Arrival::fresh);
  EXPECT_EQ(arrive(mark, 8, 1), Arrival::resend);
}

TEST(Sequence, AFirstDeclaredEpochIsAdoptedWithoutARestart) {
  SequenceMark mark{std::nullopt, 500};
  EXPECT_EQ(arrive(mark, 3, 400), Arrival::resend);
  EXPECT_EQ(mark.epoch, std::optional<std::uint32_t>(3));
  EXPECT_EQ(arrive(mark, 3, 501), Arrival::fresh);
  EXPECT_EQ(arrive(mark, std::nullopt, 501), Arrival::resend)
      << "a login without an epoch keeps the one known";
}

}  // namespace
}  // namespace halld::store
