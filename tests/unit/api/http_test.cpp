#include "halld/api/http.hpp"

#include <gtest/gtest.h>

#include "halld/api/router.hpp"

namespace halld::api {
namespace {

TEST(PercentDecode, DecodesAndRefusesMalformedEscapes) {
  EXPECT_EQ(percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("%E9%83%91%E5%B7%9E", false), "郑州");
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%4", false));
  EXPECT_FALSE(percent_decode("%zz", false));
  EXPECT_FALSE(percent_decode("a%00b", false));
  EXPECT_FALSE(
      percent_decode("%C0%AF", false));  // not UTF-8: refused at the edge, never a 500 deeper in
  EXPECT_FALSE(percent_decode("%FF", true));
}

TEST(ParseTarget, SplitsPathAndQuery) {
  auto parsed = parse_target("/api/v1/halls?city=4101&q=%E9%87%91%E6%B0%B4&&flag");
  auto* t = std::get_if<Target>(&parsed);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/halls");
  EXPECT_EQ(t->query.at("city"), "4101");
  EXPECT_EQ(t->query.at("q"), "金水");
  EXPECT_EQ(t->query.at("flag"), "");
  const auto problem = [](std::string_view target) {
    auto result = parse_target(target);
    return std::holds_alternative<std::string>(result) ? std::get<std::string>(result)
                                                       : std::string();
  };
  EXPECT_NE(problem("relative/path"), "");
  EXPECT_NE(problem("/a?%zz=1"), "");
  EXPECT_NE(problem("/a?=1"), "");
  EXPECT_NE(problem("/a%FF"), "");
  // A malformed value is named by its parameter.
  EXPECT_NE(problem("/api/v1/sms/dlr?id=1&token=%C0%AF&status=1").find("'token'"),
            std::string::npos);
  EXPECT_NE(problem("/a?hall=x%00").find("'hall'"), std::string::npos);
}

Handler named(std::string name) {
  return [name](RequestContext&) -> asio::awaitable<Response> {
    co_return json_response(http::status::ok, name);
  };
}

TEST(Router, MatchesLiteralsParametersAndMethods) {
  Router router;
  router.add(http::verb::get, "/api/v1/halls", named("list"));
  router.add(http::verb::get, "/api/v1/halls/{code}", named("one"));
  router.add(http::verb::post, "/api/v1/halls/{code}/ack", named("ack"));

  auto list = router.match(http::verb::get, "/api/v1/halls");
  ASSERT_TRUE(list.route);
  EXPECT_EQ(list.route->pattern, "/api/v1/halls");

  auto one = router.match(http::verb::get, "/api/v1/halls/4101001");
  ASSERT_TRUE(one.route);
  EXPECT_EQ(one.params.at("code"), "4101001");

  auto head = router.match(http::verb::head, "/api/v1/halls/4101001");
  EXPECT_TRUE(head.route) << "HEAD is answered by the GET route";

  auto wrong_method = router.match(http::verb::delete_, "/api/v1/halls/x");
  EXPECT_FALSE(wrong_method.route);
  EXPECT_TRUE(wrong_method.path_known);

  EXPECT_FALSE(router.match(http::verb::get, "/api/v1/halls/").route);
  EXPECT_FALSE(router.match(http::verb::get, "/api/v1/halls/x/y").path_known);
  EXPECT_FALSE(router.match(http::verb::get, "/api/v1").path_known);
}

}  // namespace
}  // namespace halld::api
