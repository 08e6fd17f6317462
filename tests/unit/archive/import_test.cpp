#include "halld/archive/import.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process.hpp"

namespace halld::archive {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace halld::records;

// The seeded catalogue, as the database would report it.
KnownCodes catalogue() {
  KnownCodes known;
  for (const char* code : {"new_conn_hv", "capacity_increase", "bill_payment", "consultation"}) {
    known.business_types.insert(code);
  }
  return known;
}

json small() {
  return json::parse(testing::read_text(HALLD_SOURCE_DIR "/tests/data/archives_small.json"));
}

std::string problems_text(const ReadResult& result) {
  std::string out;
  for (const auto& p : result.problems) out += p.location + ": " + p.reason + "\n";
  return out;
}

TEST(ArchiveImport, ReadsTheDocumentedExample) {
  auto result = read_document(small(), catalogue());
  ASSERT_TRUE(result.problems.empty()) << problems_text(result);
  const auto& set = result.archives;
  ASSERT_TRUE(set.province);
  EXPECT_EQ(set.province->name, "国网河南省电力公司");
  ASSERT_EQ(set.cities.size(), 2u);
  ASSERT_EQ(set.business_types.size(), 1u);
  EXPECT_EQ(set.business_types[0].channel, ServiceChannel::both);
  ASSERT_EQ(set.halls.size(), 2u);
  const Hall& h = set.halls[0];
  EXPECT_EQ(h.level, HallLevel::a);
  EXPECT_EQ(h.target_wait_minutes, 15);
  ASSERT_TRUE(h.week[5]);
  EXPECT_EQ(*h.week[5]->lunch_starts, 12 * 60);
  EXPECT_FALSE(h.week[6]);
  ASSERT_EQ(h.exceptions.size(), 1u);
  EXPECT_FALSE(h.exceptions[0].hours);
  ASSERT_EQ(h.windows.size(), 3u);
  EXPECT_EQ(h.windows[2].kind, WindowKind::pre_processing);
  EXPECT_EQ(h.clerks[1].status, StaffStatus::active);
  EXPECT_EQ(h.terminals[0].placement, TerminalPlacement::through_wall);
  EXPECT_EQ(h.terminals[0].components.size(), 4u);
  EXPECT_EQ(h.devices[0].kind, DeviceKind::led_board);
  // Defaults for what the second hall leaves out.
  const Hall& d = set.halls[1];
  EXPECT_EQ(d.level, HallLevel::c);
  EXPECT_EQ(d.target_wait_minutes, 20);
  EXPECT_EQ(d.status, HallStatus::open);
  EXPECT_EQ(d.timezone, "Asia/Shanghai");
  EXPECT_TRUE(d.week[0]);
  EXPECT_FALSE(d.week[1]);
  // Channels: a hall's queue server (site defaults to the hall code) and a city's terminal server.
  ASSERT_EQ(set.channels.size(), 2u);
  EXPECT_EQ(set.channels[0].site, "4101001");
  EXPECT_EQ(set.channels[0].port, 9100);
  EXPECT_EQ(set.channels[1].protocol, ChannelProtocol::terminal);
  EXPECT_TRUE(set.channels[1].hall_code.empty());
  EXPECT_FALSE(set.channels[1].enabled);
}

TEST(ArchiveImport, ChannelsAreChecked) {
  json doc = small();
  doc["channels"][0]["hall"] = "9999";
  doc["channels"][0]["port"] = 70000;
  doc["channels"][1].erase("site");
  doc["channels"][1]["enabled"] = "yes";
  doc["channels"].push_back(doc["channels"][0]);
  auto text = problems_text(read_document(doc, catalogue()));
  EXPECT_THAT(text, HasSubstr("channels[0].hall: refers to hall '9999'"));
  EXPECT_THAT(text, HasSubstr("channels[0].port: expects a whole number from 1 to 65535"));
  EXPECT_THAT(text, HasSubstr("channels[1].site: is missing"));
  EXPECT_THAT(text, HasSubstr("channels[1].enabled: expects true or false"));
  EXPECT_THAT(text,
              HasSubstr("channels[2]: channel 'qs-4101001' is already defined at channels[0]"));
}

TEST(ArchiveImport, EachKindOfLinkTakesItsOwnSettings) {
  json doc = small();
  doc["channels"] = json::array({{{"code", "dtu-1"},
                                  {"hall", "4101001"},
                                  {"protocol", "queue_eval"},
                                  {"link", "dtu"},
                                  {"identity", "13800000001"},
                                  {"register", "\\x7eREG{id}\\x7e"},
                                  {"heartbeat", "\\xfe"},
                                  {"heartbeat_s", 30}},
                                 {{"code", "bus-1"},
                                  {"hall", "4101001"},
                                  {"protocol", "queue_eval"},
                                  {"link", "rs485"},
                                  {"device", "/dev/ttyS1"},
                                  {"baud", 19200},
                                  {"parity", "even"},
                                  {"addresses", {1, 2, 3}},
                                  {"timeout_ms", 150}},
                                 {{"code", "com-1"},
                                  {"hall", "4101001"},
                                  {"protocol", "queue_eval"},
                                  {"link", "serial"},
                                  {"device", "/dev/ttyS2"}}});
  auto result = read_document(doc, catalogue());
  ASSERT_TRUE(result.problems.empty()) << problems_text(result);
  const auto& channels = result.archives.channels;
  EXPECT_EQ(channels[0].dtu, (DtuLinkSettings{"13800000001", "\\x7eREG{id}\\x7e", "\\xfe", 30, 3}));
  EXPECT_EQ(expand_packet_template(channels[0].dtu.register_packet, channels[0].dtu.identity),
            "\x7eREG13800000001\x7e");
  EXPECT_EQ(channels[1].serial,
            (SerialLinkSettings{"/dev/ttyS1", 19200, 8, Parity::even, 1, FlowControl::none}));
  EXPECT_EQ(channels[1].bus, (BusSettings{{1, 2, 3}, 1000, 150, 2, 20}));
  EXPECT_EQ(channels[2].serial.baud, 9600);
}

TEST(ArchiveImport, LinkSettingsAreChecked) {
  json doc = small();
  json dtu = {{"code", "dtu-1"},
              {"hall", "4101001"},
              {"protocol", "queue_eval"},
              {"link", "dtu"},
              {"identity", "A1"}};
  json second = dtu;
  second["code"] = "dtu-2";
  json bad = dtu;
  bad["code"] = "dtu-3";
  bad["identity"] = "A3";
  bad["register"] = "REG\\q{id}";
  bad["host"] = "10.0.0.1";
  json no_id = dtu;
  no_id["code"] = "dtu-4";
  no_id["identity"] = "A4";
  no_id["register"] = "REG";
  json bus = {{"code", "bus-1"},  {"hall", "4101001"},      {"protocol", "queue_eval"},
              {"link", "rs485"},  {"device", "/dev/ttyS1"}, {"addresses", {0, 5, 5}},
              {"parity", "mark"}, {"identity", "x"}};
  doc["channels"] = json::array({dtu, second, bad, no_id, bus});
  auto text = problems_text(read_document(doc, catalogue()));
  EXPECT_THAT(text, HasSubstr("channels[1].identity: the DTU registration packet of identity A1, "
                              "'A1' is already defined at channels[0].identity"));
  EXPECT_THAT(text, HasSubstr("channels[2].register: is not a packet template: at character 4"));
  EXPECT_THAT(text, HasSubstr("channels[2].host: applies only to link tcp_client, not dtu"));
  EXPECT_THAT(text, HasSubstr("channels[3].register: must contain {id}"));
  EXPECT_THAT(text, HasSubstr("channels[4].addresses[0]: expects a bus address from 1 to 247"));
  EXPECT_THAT(text, HasSubstr("channels[4].addresses[2]: address 5 is listed twice"));
  EXPECT_THAT(text, HasSubstr("channels[4].parity: expects one of: none, odd, even"));
  EXPECT_THAT(text, HasSubstr("channels[4].identity: applies only to link dtu, not rs485"));
}

TEST(ArchiveImport, PacketTemplatesExpandEscapesAndTheIdentity) {
  EXPECT_EQ(expand_packet_template("{id}", "860000000000001"), "860000000000001");
  EXPECT_EQ(expand_packet_template("\\x00\\xFF{id}\\\\{id}", "ab"), std::string("\x00\xff"
                                                                                "ab\\ab",
                                                                                7));
  EXPECT_THROW(expand_packet_template("\\x1", "a"), std::invalid_argument);
  EXPECT_THROW(expand_packet_template("\\", "a"), std::invalid_argument);
  EXPECT_THROW(expand_packet_template("\\xzz", "a"), std::invalid_argument);
}

TEST(ArchiveImport, ReportsEveryProblemWithItsLocation) {
  json doc = small();
  doc["halls"][0]["windows"][1]["kind"] = "express";
  doc["halls"][0]["windows"][2]["number"] = 1;
  doc["halls"][0]["latitude"] = 123;
  doc["halls"][0]["opening_hours"]["tue"] = "18:00-08:00";
  doc["halls"][0]["terminals"][1]["id"] = "T0001";
  doc["halls"][0]["clerks"][0]["nmae"] = "typo";
  doc["halls"][1]["city"] = "4199";
  doc["halls"][1]["windows"] = json::array({{{"number", 1}, {"business_types", {"no_such_type"}}}});
  doc["halls"][1]["exceptions"] = json::array({{{"date", "2026-02-30"}, {"hours", "closed"}}});
  auto result = read_document(doc, catalogue());
  auto text = problems_text(result);
  EXPECT_THAT(text, HasSubstr("halls[0].windows[1].kind: expects one of: general, vip, "
                              "pre_processing, interactive, got the string \"express\""));
  EXPECT_THAT(
      text,
      HasSubstr("halls[0].windows[2].number: window 1 is already defined at halls[0].windows[0]"));
  EXPECT_THAT(text,
              HasSubstr("halls[0].latitude: expects a number from -90 to 90, got the number 123"));
  EXPECT_THAT(text, HasSubstr("halls[0].opening_hours.tue: expects"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "halls[0].terminals[1]: terminal 'T0001' is already defined at halls[0].terminals[0]"));
  EXPECT_THAT(text, HasSubstr("halls[0].clerks[0].nmae: is not a known field"));
  EXPECT_THAT(text, HasSubstr("halls[1].city: refers to city '4199'"));
  EXPECT_THAT(
      text,
      HasSubstr("halls[1].windows[0].business_types: refers to business type 'no_such_type'"));
  EXPECT_THAT(
      text,
      HasSubstr("halls[1].exceptions[0].date: expects a date yyyy-mm-dd, got \"2026-02-30\""));
  EXPECT_EQ(result.problems.size(), 9u) << text;
}

TEST(ArchiveImport, CodesFromTheDatabaseSatisfyReferences) {
  json doc = {{"format", "halld-archives-v1"},
              {"halls",
               {{{"code", "X1"},
                 {"name", "x"},
                 {"city", "4101"},
                 {"latitude", 1},
                 {"longitude", 2},
                 {"opening_hours", json::object()}}}}};
  EXPECT_THAT(problems_text(read_document(doc, catalogue())), HasSubstr("refers to city '4101'"));
  KnownCodes known = catalogue();
  known.cities.insert("4101");
  EXPECT_TRUE(read_document(doc, known).problems.empty());
}

TEST(ArchiveImport, RejectsWrongShapesWithoutThrowing) {
  for (
      const char* text :
      {"[]", "42", "null", R"({"format": "other"})",
       R"({"format": "halld-archives-v1", "halls": 3})",
       R"({"format": "halld-archives-v1", "halls": [1, "x", null]})",
       R"({"format": "halld-archives-v1", "halls": [{"code": "bad code!"}]})",
       R"({"format": "halld-archives-v1", "cities": [{"code": "1"}, {"code": "1", "name": "b"}]})"}) {
    auto result = read_json(text, {});
    EXPECT_FALSE(result.problems.empty()) << text;
  }
  auto overflow = read_json(
      R"({"format": "halld-archives-v1", "halls": [{"latitude": 5555555555575e85555555555555555555555}]})",
      {});
  ASSERT_EQ(overflow.problems.size(), 1u)
      << "a number beyond double's range is a problem, not an exception";
  EXPECT_THAT(overflow.problems[0].reason, HasSubstr("number overflow"));
  auto broken = read_json("{\"format\": ", {});
  ASSERT_EQ(broken.problems.size(), 1u);
  EXPECT_THAT(broken.problems[0].location, HasSubstr("byte"));
  EXPECT_EQ(broken.problems[0].reason, "is not valid JSON");
}

TEST(ArchiveImport, StopsListingAfterTheLimitButKeepsCounting) {
  json doc = {{"format", "halld-archives-v1"}, {"cities", json::array()}};
  for (int i = 0; i < 1500; ++i) doc["cities"].push_back({{"code", "!"}, {"name", ""}});
  auto result = read_document(doc, {});
  EXPECT_EQ(result.problems.size(), max_problems);
  EXPECT_EQ(result.problems.size() + result.problems_not_listed, 3000u);
}

TEST(Csv, ParsesQuotedFieldsNewlinesAndBom) {
  auto rows = parse_csv(
      "\xEF\xBB\xBF"
      "code,name\r\n1,\"a, \"\"quoted\"\"\nname\"\n2,plain\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "code");
  EXPECT_EQ(rows[1][1], "a, \"quoted\"\nname");
  EXPECT_EQ(rows[2][1], "plain");
  EXPECT_THROW(parse_csv("a,\"unterminated\n"), CsvError);
  EXPECT_THROW(parse_csv("a,b\"c\n"), CsvError);
}

CsvTables small_tables() {
  CsvTables t;
  t.files["cities.csv"] = "code,name\n4101,国网郑州供电公司\n";
  t.files["halls.csv"] =
      "code,name,city,county,latitude,longitude,level,mon,tue,sat,sun\n"
      "4101001,金水区营业厅,4101,金水区,34.77,113.68,B,08:30-17:30,08:30-12:00,09:00-12:00,"
      "closed\n";
  t.files["windows.csv"] =
      "hall,number,kind,business_types\n4101001,1,vip,new_conn_hv|bill_payment\n4101001,2,general,"
      "\n";
  t.files["terminals.csv"] =
      "hall,id,type,placement,components\n4101001,T1,payment,lobby,card_reader|touch_screen\n";
  t.files["holidays.csv"] = "hall,date,hours,note\n4101001,2026-10-01,closed,国庆节\n";
  t.files["channels.csv"] =
      "code,hall,protocol,link,host,port,device,addresses,timeout_ms\n"
      "qs-1,4101001,queue_eval,tcp_client,10.0.0.1,9100,,,\n"
      "bus-1,4101001,queue_eval,rs485,,,/dev/ttyS1,1|2|7,200\n";
  return t;
}

TEST(Csv, FolderBecomesTheSameDocument) {
  std::vector<Problem> problems;
  auto doc = csv_to_document(small_tables(), problems);
  ASSERT_TRUE(problems.empty());
  auto result = read_document(doc, catalogue());
  ASSERT_TRUE(result.problems.empty()) << problems_text(result);
  const auto& h = result.archives.halls.at(0);
  EXPECT_EQ(h.level, HallLevel::b);
  EXPECT_DOUBLE_EQ(h.latitude, 34.77);
  ASSERT_EQ(h.windows.size(), 2u);
  EXPECT_THAT(h.windows[0].business_types, ::testing::ElementsAre("new_conn_hv", "bill_payment"));
  EXPECT_THAT(result.archives.channels.at(1).bus.addresses, ::testing::ElementsAre(1u, 2u, 7u));
  EXPECT_TRUE(h.windows[1].business_types.empty());
  EXPECT_EQ(h.terminals.at(0).components.size(), 2u);
  EXPECT_TRUE(h.week[1]);
  EXPECT_FALSE(h.week[6]);
  EXPECT_EQ(h.exceptions.size(), 1u);
}

TEST(Csv, ProblemsPointAtFileAndLine) {
  auto tables = small_tables();
  tables.files["windows.csv"] = "hall,number,kind\n4101001,x,vip\n4101002,2,general\n4101001,3\n";
  tables.files["clerks.csv"] = "hall,staff_no,nickname\n";
  tables.files["extra.csv"] = "a\n";
  std::vector<Problem> problems;
  auto doc = csv_to_document(tables, problems);
  auto result = read_document(doc, catalogue());
  result.problems.insert(result.problems.begin(), problems.begin(), problems.end());
  auto text = problems_text(result);
  EXPECT_THAT(text, HasSubstr("extra.csv: is not a known archive table"));
  EXPECT_THAT(text, HasSubstr("clerks.csv:1: unknown column 'nickname'"));
  EXPECT_THAT(
      text,
      HasSubstr("windows.csv:3 column hall: refers to hall '4101002', which is not in halls.csv"));
  EXPECT_THAT(text, HasSubstr("windows.csv:4: has 2 fields, the header has 3"));
  EXPECT_THAT(text, HasSubstr("windows.csv:2 column number: expects a whole number from 1 to 999, "
                              "got the string \"x\""));
}

}  // namespace
}  // namespace halld::archive
