// The live views as the pages read them: a terminal's faulty parts are a list of named parts and
// states (the hall page lists them), and a hall with no data source says so ("unknown" comm, no
// windows needed) instead of looking healthy.
#include "halld/live/view_json.hpp"

#include <gtest/gtest.h>

namespace halld::live {
namespace {

HallView a_hall() {
  HallView v;
  v.hall_id = 1;
  v.info = std::make_shared<store::KpiHall>();
  v.code = "4101001";
  v.city_code = "4101";
  return v;
}

TEST(ViewJson, FaultyPartsAreANamedList) {
  auto v = a_hall();
  model::TerminalLive t;
  t.id = "T1";
  t.faults = {{records::TerminalPart::receipt_printer, records::PartState::paper_out},
              {records::TerminalPart::cash_acceptor, records::PartState::box_full}};
  model::TerminalLive fine;
  fine.id = "T2";
  v.state.terminals = {t, fine};
  const auto j = live_json(v);
  ASSERT_TRUE(j["terminals"][0]["faulty_parts"].is_array()) << j["terminals"][0].dump();
  EXPECT_EQ(
      j["terminals"][0]["faulty_parts"].dump(),
      R"([{"part":"receipt_printer","state":"paper_out"},{"part":"cash_acceptor","state":"box_full"}])");
  EXPECT_EQ(j["terminals"][1]["faulty_parts"].dump(), "[]");
}

TEST(ViewJson, AHallWithoutADataSourceIsUnknownNotHealthy) {
  auto v = a_hall();
  EXPECT_EQ(summary_json(v)["comm"], "unknown");
  v.state.channels = {{"qs-4101001", false, {}, std::nullopt, 0}};
  EXPECT_EQ(summary_json(v)["comm"], "down");
  v.state.channels[0].up = true;
  EXPECT_EQ(summary_json(v)["comm"], "up");
}

}  // namespace
}  // namespace halld::live
