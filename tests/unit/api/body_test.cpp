#include "halld/api/body.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace halld::api {
namespace {

using nlohmann::json;
using namespace std::string_literals;

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(Body, NestingBeyondTheLimitIsRefusedBeforeParsing) {
  EXPECT_TRUE(std::holds_alternative<json>(parse_body_json(nested(max_json_depth))));
  auto deep = parse_body_json(nested(max_json_depth + 1));
  ASSERT_TRUE(std::holds_alternative<BodyProblem>(deep));
  EXPECT_EQ(std::get<BodyProblem>(deep).code, "too_deep");
  // Brackets inside strings are text, not nesting.
  EXPECT_TRUE(std::holds_alternative<json>(
      parse_body_json(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]]"})")));
}

TEST(Body, TheWholeBodyLimitOfNestingCostsLittle) {
  // What took 13 s and 760 MB through the audit log: now a refusal in linear time.
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    auto problem = parse_body_json(nested(500'000));
    ASSERT_TRUE(std::holds_alternative<BodyProblem>(problem));
    auto view = audit_view_of_body(nested(500'000));
    EXPECT_EQ(view["bytes"], 1'000'000u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(Body, NulAnywhereIsRefusedByItsPointer) {
  auto problem = parse_body_json(R"({"cities":[{"name":"a\u0000"}]})");
  ASSERT_TRUE(std::holds_alternative<BodyProblem>(problem));
  EXPECT_EQ(std::get<BodyProblem>(problem).code, "bad_text");
  EXPECT_NE(std::get<BodyProblem>(problem).message.find("'/cities/0/name'"), std::string::npos);
  auto key = parse_body_json(R"({"x\u0000y":1})");
  ASSERT_TRUE(std::holds_alternative<BodyProblem>(key));
  EXPECT_NE(std::get<BodyProblem>(key).message.find("'/x"), std::string::npos);
}

TEST(Body, MalformedUtf8AndNonJsonAreRefused) {
  EXPECT_EQ(std::get<BodyProblem>(parse_body_json("{\"a\":\"\xFF\"}")).code, "bad_json");
  EXPECT_EQ(std::get<BodyProblem>(parse_body_json("{\"a\":1")).code, "bad_json");
  EXPECT_EQ(std::get<BodyProblem>(parse_body_json("[1e99999]")).code, "bad_json");
}

TEST(Body, AuditMaskingHidesSecretsAndRepairsWhatJsonbRefuses) {
  json value = {{"username", "wang"},
                {"password", "hunter2"},
                {"new_password", "x"},
                {"nested", {{"secret", "s"}, {"csrf_token", "c"}, {"list", {"a\0b"s}}}},
                {"k\0"s, "v"}};
  mask_for_audit(value);
  EXPECT_EQ(value["password"], "***");
  EXPECT_EQ(value["new_password"], "***");
  EXPECT_EQ(value["nested"]["secret"], "***");
  EXPECT_EQ(value["nested"]["csrf_token"], "***");
  EXPECT_EQ(value["nested"]["list"][0],
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_TRUE(value.contains("k\xEF\xBF\xBD"));
  EXPECT_EQ(value.dump().find("\\u0000"), std::string::npos);
}

TEST(Body, AnUnreadableBodyIsRecordedBySizeNeverByItsBytes) {
  auto view = audit_view_of_body(R"({"password":"hunter2")");
  EXPECT_EQ(view["bytes"], 21);
  EXPECT_EQ(view.dump().find("hunter2"), std::string::npos);
  EXPECT_TRUE(audit_view_of_body("").is_null());
}

}  // namespace
}  // namespace halld::api
