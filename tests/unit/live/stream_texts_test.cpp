// The live stream's delta cache: a hall's entry carries only what changed since its previous
// publication, whether or not anyone watched that one; a hall's own stream gets its whole view.
#include "halld/live/stream_texts.hpp"

#include <gtest/gtest.h>

namespace halld::live {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const Timestamp now{std::chrono::sys_days(std::chrono::year(2026) / 12 / 3) + 2h};

std::shared_ptr<const HallView> view(std::string code, std::string city, int waiting) {
  auto v = std::make_shared<HallView>();
  v->info = std::make_shared<store::KpiHall>();
  v->code = std::move(code);
  v->name = "营业厅 " + v->code;
  v->city_code = std::move(city);
  v->target_wait_s = 900;
  v->as_of = now;
  for (int i = 0; i < waiting; ++i)
    v->state.waiting.push_back({"A" + std::to_string(i), "缴费", {}, now - 10min});
  return v;
}

PublishedViews batch(std::vector<std::shared_ptr<const HallView>> views) {
  return std::make_shared<const std::vector<std::shared_ptr<const HallView>>>(std::move(views));
}

json parsed(const StreamTexts::Text& text) {
  return text ? json::parse(*text) : json(nullptr);
}

TEST(StreamTexts, AHallsEntryCarriesOnlyWhatChangedSinceItsPreviousPublication) {
  StreamTexts texts;
  auto first =
      parsed(texts.summaries(batch({view("4101001", "41", 2), view("4102001", "42", 0)}), ""));
  ASSERT_EQ(first["type"], "summaries");
  ASSERT_EQ(first["halls"].size(), 2u);
  EXPECT_EQ(first["halls"][0]["hall"], "4101001");
  EXPECT_EQ(first["halls"][0]["name"], "营业厅 4101001") << "the first entry is whole";
  EXPECT_EQ(first["halls"][0]["waiting"], 2);
  EXPECT_EQ(first["halls"][0]["longest_wait_min"], 10.0);

  auto second =
      parsed(texts.summaries(batch({view("4101001", "41", 3), view("4102001", "42", 0)}), ""));
  ASSERT_EQ(second["halls"].size(), 1u) << "an unchanged hall is left out";
  EXPECT_EQ(second["halls"][0], (json{{"hall", "4101001"}, {"waiting", 3}}));

  EXPECT_EQ(parsed(texts.summaries(batch({view("4101001", "41", 3)}), "")), nullptr)
      << "nothing changed: no message";
}

TEST(StreamTexts, EveryPublicationIsTheNextBaseWatchedOrNot) {
  StreamTexts texts;
  texts.summaries(batch({view("4101001", "41", 1), view("4102001", "42", 1)}), "41");
  // Only the city 41 was asked for; the 42 hall's publication is still its next base.
  auto next =
      parsed(texts.summaries(batch({view("4101001", "41", 1), view("4102001", "42", 4)}), "42"));
  ASSERT_EQ(next["halls"].size(), 1u);
  EXPECT_EQ(next["halls"][0], (json{{"hall", "4102001"}, {"waiting", 4}}));
  EXPECT_EQ(parsed(texts.summaries(batch({view("4102001", "42", 5)}), "41")), nullptr)
      << "a city's message holds only its halls";
}

TEST(StreamTexts, AHallsOwnStreamGetsItsWholeViewOncePerBatch) {
  StreamTexts texts;
  auto published = batch({view("4101001", "41", 2)});
  auto text = texts.hall(published, "4101001");
  ASSERT_TRUE(text);
  EXPECT_EQ(text, texts.hall(published, "4101001")) << "made once, shared by every client";
  auto hall = json::parse(*text);
  EXPECT_EQ(hall["type"], "hall");
  EXPECT_EQ(hall["hall"]["hall"], "4101001");
  EXPECT_EQ(texts.hall(published, "4109999"), nullptr);
}

}  // namespace
}  // namespace halld::live
