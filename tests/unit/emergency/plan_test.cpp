// Plans as data: what a valid plan is, which plans an alarm calls up, how a plan's effect is
// judged, where customers are sent.
#include "halld/emergency/plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld::emergency {
namespace {

using nlohmann::json;

json crowding_body() {
  return {{"name", "客户多应急预案"},
          {"event_type", "crowding"},
          {"trigger_rules", {1, 2}},
          {"steps",
           {{{"action", "open_windows"}, {"count", 2}, {"executes", true}},
            {{"action", "add_guides"}, {"count", 1}, {"time_limit_min", 15}}}}};
}

TEST(PlanTest, AValidPlanRoundTripsThroughJson) {
  auto parsed = plan_from_json(crowding_body());
  ASSERT_TRUE(std::holds_alternative<Plan>(parsed)) << std::get<std::string>(parsed);
  const auto& plan = std::get<Plan>(parsed);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].action, Action::open_windows);
  EXPECT_TRUE(plan.steps[0].executes);
  EXPECT_EQ(plan.steps[1].time_limit, std::chrono::minutes(15));
  auto again = plan_from_json(to_json(plan));
  ASSERT_TRUE(std::holds_alternative<Plan>(again));
  EXPECT_EQ(to_json(std::get<Plan>(again)), to_json(plan));
  EXPECT_EQ(to_json(plan)["steps"][0]["description"], "增开窗口 2 个");
  EXPECT_EQ(to_json(plan)["event_type_name"], "客户多");
}

TEST(PlanTest, WhatIsWrongWithAPlanIsNamed) {
  const auto problem = [](json body) {
    auto parsed = plan_from_json(body);
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed)
                                                       : std::string();
  };
  auto body = crowding_body();
  body["steps"] = json::array();
  EXPECT_THAT(problem(body), ::testing::HasSubstr("1 to 30 steps"));
  body = crowding_body();
  body["steps"][1]["executes"] = true;
  EXPECT_THAT(problem(body), ::testing::HasSubstr("step 2: halld cannot carry out 'add_guides'"));
  body = crowding_body();
  body["steps"][0]["count"] = 0;
  EXPECT_THAT(problem(body), ::testing::HasSubstr("step 1: open_windows needs a 'count'"));
  body = crowding_body();
  body["event_type"] = "Crowding; DROP TABLE";
  EXPECT_THAT(problem(body), ::testing::HasSubstr("'event_type'"));
  body = crowding_body();
  body["steps"][0] = {
      {"action", "publish_notice"}, {"text", std::string(256, 'x')}, {"minutes", 5}};
  EXPECT_THAT(problem(body), ::testing::HasSubstr("255 bytes"));
  body = crowding_body();
  body["trigger_rules"] = "1";
  EXPECT_THAT(problem(body), ::testing::HasSubstr("'trigger_rules' has the wrong type"));
  EXPECT_EQ(problem(json::array()), "the body must be a JSON object");
}

TEST(PlanTest, AnAlarmCallsUpTheClosestPlanOfEachEventType) {
  const auto plan = [](int id, std::string event, std::string city, std::string hall,
                       std::vector<int> rules, int severity = 1) {
    Plan p;
    p.id = id;
    p.event_type = std::move(event);
    p.city_code = std::move(city);
    p.hall_code = std::move(hall);
    p.trigger_rules = std::move(rules);
    p.min_severity = severity;
    return p;
  };
  std::vector<Plan> plans = {plan(1, "crowding", "", "", {1}),
                             plan(2, "crowding", "4101", "", {1}),
                             plan(3, "crowding", "4101", "4101001", {1}),
                             plan(4, "system_outage", "", "", {1}, 2),
                             plan(5, "crowding", "4103", "", {1}),
                             plan(6, "public_safety", "", "", {})};
  const auto ids = [&](int rule, int severity, std::string city, std::string hall) {
    std::vector<int> out;
    for (const auto* p : plans_for_alarm(plans, rule, severity, city, hall)) out.push_back(p->id);
    return out;
  };
  EXPECT_EQ(ids(1, 1, "4101", "4101001"), std::vector<int>{3});
  EXPECT_EQ(ids(1, 1, "4101", "4101002"), std::vector<int>{2});
  EXPECT_EQ(ids(1, 1, "4102", "4102001"), std::vector<int>{1});
  EXPECT_EQ(ids(1, 2, "4102", "4102001"), (std::vector<int>{1, 4}));  // critical: the outage too
  EXPECT_TRUE(ids(9, 2, "4101", "4101001").empty());
  plans[2].enabled = false;
  EXPECT_EQ(ids(1, 1, "4101", "4101001"), std::vector<int>{2});
}

TEST(PlanTest, ACrowdingPlanWorkedWhenWaitAndQueueFellByAQuarter) {
  Indicators before;
  before.queue_length = 32;
  before.predicted_wait_min = 38;
  Indicators after = before;
  after.queue_length = 20;
  after.predicted_wait_min = 14;
  EXPECT_TRUE(effective("crowding", before, after, true));
  after.queue_length = 30;
  EXPECT_FALSE(effective("crowding", before, after, false));
  after.queue_length = 0;
  after.predicted_wait_min = 0;
  EXPECT_TRUE(effective("crowding", before, after, true));
  Indicators out;
  out.terminals_out = 3;
  Indicators fewer;
  fewer.terminals_out = 1;
  EXPECT_TRUE(effective("terminal_failure", out, fewer, true));
  EXPECT_FALSE(effective("terminal_failure", out, out, false));
  EXPECT_TRUE(effective("public_safety", out, out, true));
  EXPECT_FALSE(effective("public_safety", out, out, false));
  EXPECT_EQ(indicators_from_json(to_json(before)).predicted_wait_min, 38);
}

TEST(PlanTest, CustomersAreSentToTheNearestOpenHallsWithRoom) {
  HallLoad origin{"A", "中心厅", 34.75, 113.62, 40, 30, 2, true};
  std::vector<HallLoad> halls = {
      {"B", "近而空", 34.76, 113.63, 5, 2, 3, true},      // ~1.4 km
      {"C", "近而满", 34.755, 113.625, 30, 25, 2, true},  // too busy
      {"D", "远而空", 34.95, 113.62, 0, 0, 2, true},      // ~22 km
      {"E", "已关门", 34.751, 113.621, 0, 0, 0, false},
      {"F", "太远", 35.75, 113.62, 0, 0, 4, true},  // ~111 km
  };
  auto targets = divert_targets(origin, halls, 20);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].hall.code, "B");
  EXPECT_EQ(targets[1].hall.code, "D");
  EXPECT_NEAR(targets[1].distance_km, 22.2, 0.5);
  EXPECT_NEAR(distance_km(39.9042, 116.4074, 31.2304, 121.4737), 1067, 5);  // Beijing–Shanghai
}

}  // namespace
}  // namespace halld::emergency
