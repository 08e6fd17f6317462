// The marketing WebService's codec: requests with and without a username token, answers as
// services really write them (prefixes, unqualified fields, GBK, times without an offset), and
// everything an answer must not get away with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "halld/proto/marketing/soap.hpp"
#include "halld/records/event_json.hpp"

namespace halld::proto::marketing {
namespace {

using records::Timestamp;

Timestamp at(const char* text) {
  return records::parse_instant(text, {})->at;
}

std::string corpus(const char* name) {  // the fuzz seeds are answers too, after a selector byte
  std::ifstream file(std::string(HALLD_SOURCE_DIR) + "/tests/fuzz/corpus/marketing_soap/" + name,
                     std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str().substr(1);
}

Page page_of(const Answer& answer) {
  if (auto* error = std::get_if<AnswerError>(&answer)) {
    ADD_FAILURE() << error->message;
    return {};
  }
  return std::get<Page>(answer);
}

TEST(MarketingSoap, RequestCarriesTheWatermarkAndAVerifiableDigestToken) {
  UsernameToken token{"halld", "s3cret", true, std::string("0123456789abcdef"),
                      at("2026-12-03T08:00:00Z")};
  PageRequest request{Entity::applications, {at("2026-12-01T00:01:50Z"), "YX<&>1"}, 250};
  const auto xml = build_request(request, token);
  EXPECT_THAT(xml, ::testing::HasSubstr("PasswordDigest"));
  EXPECT_THAT(xml, ::testing::Not(::testing::HasSubstr("s3cret")));
  EXPECT_THAT(xml, ::testing::HasSubstr("YX&lt;&amp;&gt;1"));  // escaped, never spliced
  const auto read = read_request(xml);
  EXPECT_EQ(read.request.entity, Entity::applications);
  EXPECT_EQ(read.request.after, request.after);
  EXPECT_EQ(read.request.page_size, 250);
  ASSERT_TRUE(read.token);
  EXPECT_TRUE(token_matches(*read.token, "s3cret"));
  EXPECT_FALSE(token_matches(*read.token, "guess"));

  token.digest = false;
  const auto text = read_request(build_request(request, token));
  EXPECT_TRUE(token_matches(*text.token, "s3cret"));
  EXPECT_FALSE(read_request(build_request({Entity::halls, {}, 10}, std::nullopt)).token);
}

TEST(MarketingSoap, AnswerRoundTripsInUtf8AndGbk) {
  Page page;
  page.entity = Entity::customers;
  page.more = true;
  page.customers = {
      {"41010010000001", "郑州某某有限公司", true, 630, 2'500'000, "enterprise",
       at("2026-12-01T00:00:01Z")},
      {"41010010000002", "居民张三", false, 8, 2100, "resident", at("2026-12-01T00:00:02Z")}};
  for (const char* charset : {"UTF-8", "GBK"}) {
    const auto body = build_answer(page, charset);
    const auto read = page_of(
        parse_answer(body, std::string("text/xml; charset=") + charset, Entity::customers, 10));
    EXPECT_EQ(read.customers, page.customers) << charset;
    EXPECT_TRUE(read.more);
    ASSERT_TRUE(read.last);
    EXPECT_EQ(read.last->key, "41010010000002");
  }
  // Without a header the XML declaration names the charset.
  EXPECT_EQ(page_of(parse_answer(build_answer(page, "GBK"), "text/xml", Entity::customers, 10))
                .customers.size(),
            2u);
}

TEST(MarketingSoap, ReadsOtherPrefixesUnqualifiedFieldsAndLocalTimes) {
  const auto halls = page_of(parse_answer(corpus("halls.xml"), "text/xml", Entity::halls, 10));
  ASSERT_EQ(halls.halls.size(), 1u);
  EXPECT_EQ(halls.halls[0].name, "郑州营业厅");
  EXPECT_EQ(halls.halls[0].changed_at, at("2026-11-30T16:00:00Z"));
  const auto clerks = page_of(parse_answer(corpus("clerks_gbk.xml"), "", Entity::clerks, 10));
  ASSERT_EQ(clerks.clerks.size(), 1u);
  EXPECT_EQ(clerks.clerks[0].name, "张三");
  // "2026-12-01 08:00:53" without an offset is Beijing time; the bad record is set aside with
  // why, and the page goes on.
  const auto apps = page_of(parse_answer(corpus("applications.xml"), "", Entity::applications, 10));
  ASSERT_EQ(apps.applications.size(), 1u);
  EXPECT_EQ(apps.applications[0].accepted_at, at("2026-12-01T00:00:53Z"));
  ASSERT_EQ(apps.rejected.size(), 1u);
  EXPECT_EQ(apps.rejected[0].key, "YX0000000002");
  EXPECT_THAT(apps.rejected[0].reason, ::testing::HasSubstr("acceptedAt"));
  ASSERT_TRUE(apps.last);
  EXPECT_EQ(apps.last->key, "YX0000000002");  // the watermark passes the rejected record too
}

AnswerError error_of(const Answer& answer) {
  if (!std::holds_alternative<AnswerError>(answer)) {
    ADD_FAILURE() << "a page was read";
    return {};
  }
  return std::get<AnswerError>(answer);
}

TEST(MarketingSoap, FaultsBecomeClearErrors) {
  const auto fault = error_of(parse_answer(corpus("fault.xml"), "", Entity::halls, 10));
  EXPECT_EQ(fault.kind, AnswerError::Kind::fault);
  EXPECT_EQ(fault.fault_code, "soap:Server");
  EXPECT_THAT(fault.message, ::testing::HasSubstr("营销系统繁忙"));
  const auto built = error_of(
      parse_answer(build_fault("wsse:FailedAuthentication", "令牌无效"), "", Entity::halls, 10));
  EXPECT_EQ(built.fault_code, "wsse:FailedAuthentication");
}

TEST(MarketingSoap, RefusesWhatAnAnswerMustNotBe) {
  using Kind = AnswerError::Kind;
  // A DTD (entity expansion, external entities) is refused before anything is read.
  EXPECT_EQ(error_of(parse_answer(corpus("dtd.xml"), "", Entity::halls, 10)).kind, Kind::malformed);
  EXPECT_EQ(error_of(parse_answer("<soap:Envelope", "", Entity::halls, 10)).kind, Kind::malformed);
  EXPECT_EQ(error_of(parse_answer("<html><body>503</body></html>", "", Entity::halls, 10)).kind,
            Kind::malformed);
  EXPECT_THAT(
      error_of(parse_answer(R"(<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>)",
                            "", Entity::halls, 10))
          .message,
      ::testing::HasSubstr("SOAP 1.2"));
  // The answer to another operation, a charset halld cannot read, bytes invalid in UTF-8.
  EXPECT_EQ(error_of(parse_answer(corpus("halls.xml"), "", Entity::clerks, 10)).kind,
            Kind::unexpected);
  EXPECT_EQ(
      error_of(parse_answer(corpus("halls.xml"), "text/xml; charset=EBCDIC", Entity::halls, 10))
          .kind,
      Kind::encoding);
  EXPECT_EQ(error_of(parse_answer("<a>\xff\xfe</a>", "", Entity::halls, 10)).kind, Kind::encoding);
  // More records than asked for, records out of order, an answer too large.
  EXPECT_EQ(error_of(parse_answer(corpus("applications.xml"), "", Entity::applications, 1)).kind,
            Kind::too_large);
  Page page;
  page.entity = Entity::halls;
  page.halls = {{"B", "乙", "4101", "", "", "open", at("2026-12-01T00:00:02Z")},
                {"A", "甲", "4101", "", "", "open", at("2026-12-01T00:00:01Z")}};
  EXPECT_EQ(error_of(parse_answer(build_answer(page), "", Entity::halls, 10)).kind,
            Kind::unexpected);
  EXPECT_EQ(
      error_of(parse_answer(std::string(max_answer_bytes + 1, ' '), "", Entity::halls, 10)).kind,
      Kind::too_large);
}

TEST(MarketingSoap, HostileAnswersAreRefusedOrSetAsideNeverTrusted) {
  const std::string head =
      R"(<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>)"
      R"(<QueryHallsResponse xmlns="urn:halld:marketing:v1">)";
  const std::string tail = "</QueryHallsResponse></s:Body></s:Envelope>";
  const auto hall = [](const std::string& name, const std::string& status) {
    return "<hall><code>H1</code><name>" + name + "</name><cityCode>4101</cityCode><status>" +
           status + "</status><changedAt>2026-12-01T00:00:00Z</changedAt></hall>";
  };
  // A NUL by character reference (which XML forbids) would cut the text where it stands: the
  // whole answer is refused.
  EXPECT_EQ(
      error_of(parse_answer(head + hall("甲&#0;厅", "open") + tail, "", Entity::halls, 10)).kind,
      AnswerError::Kind::malformed);
  EXPECT_EQ(
      error_of(parse_answer(head + hall("甲&#x000;厅", "open") + tail, "", Entity::halls, 10)).kind,
      AnswerError::Kind::malformed);
  // A bidi override by character reference, a number where a status belongs, a nested element
  // where text belongs: each record is set aside with why, none is read.
  const auto read = page_of(parse_answer(head + hall("&#x202E;乙厅", "open") + hall("丙厅", "42") +
                                             hall("<b><i>丁厅</i></b>", "open") + tail,
                                         "", Entity::halls, 10));
  EXPECT_TRUE(read.halls.empty());
  EXPECT_EQ(read.rejected.size(), 3u);
  // Nesting a million deep, an oversized field: refused or set aside, without a crash.
  std::string deep = head;
  for (int i = 0; i < 1'000'000; ++i) deep += "<a>";
  (void)parse_answer(deep, "", Entity::halls, 10);
  const auto long_name = page_of(
      parse_answer(head + hall(std::string(600, 'x'), "open") + tail, "", Entity::halls, 10));
  ASSERT_EQ(long_name.rejected.size(), 1u);
  EXPECT_THAT(long_name.rejected[0].reason, ::testing::HasSubstr("longer than"));
  // Requests the simulated service gets are read as strictly.
  EXPECT_THROW(read_request("<x/>"), std::invalid_argument);
  EXPECT_THROW(read_request(std::string("\xff\xfe")), std::invalid_argument);
  auto too_many = build_request({Entity::halls, {}, 10}, std::nullopt);
  too_many.replace(too_many.find(">10<"), 4, ">99999<");
  EXPECT_THROW(read_request(too_many), std::invalid_argument);
}

TEST(MarketingSoap, RejectsRecordsThatBreakTheRules) {
  Page page;
  page.entity = Entity::applications;
  ApplicationEntry good{"YX1",
                        "bill_payment",
                        "C1",
                        "4101",
                        "4101001",
                        "4101001-01",
                        at("2026-12-01T00:00:00Z"),
                        at("2026-12-01T00:01:00Z"),
                        "finished",
                        "counter",
                        at("2026-12-01T00:01:00Z")};
  auto no_clerk = good;
  no_clerk.number = "YX2", no_clerk.staff_no = "", no_clerk.changed_at += std::chrono::seconds(1);
  auto backwards = good;
  backwards.number = "YX3", backwards.finished_at = at("2026-11-30T00:00:00Z");
  backwards.changed_at += std::chrono::seconds(2);
  auto hostile = good;
  hostile.number = "YX4", hostile.business = "a'; DROP TABLE hall;--";
  hostile.changed_at += std::chrono::seconds(3);
  page.applications = {good, no_clerk, backwards, hostile};
  const auto read = page_of(parse_answer(build_answer(page), "", Entity::applications, 10));
  ASSERT_EQ(read.applications.size(), 1u);
  EXPECT_EQ(read.applications[0], good);
  ASSERT_EQ(read.rejected.size(), 3u);
  EXPECT_THAT(read.rejected[0].reason, ::testing::HasSubstr("hallCode and staffNo"));
  EXPECT_THAT(read.rejected[1].reason, ::testing::HasSubstr("before acceptedAt"));
  EXPECT_THAT(read.rejected[2].reason, ::testing::HasSubstr("not a code"));
}

}  // namespace
}  // namespace halld::proto::marketing
