// A hall's facility devices over Modbus, end to end through halld: a channel and its devices added
// through the API while halld runs, polled over Modbus TCP and over Modbus RTU on a serial line
// pair (socat), against two implementations independent of halld's — libmodbus
// (tools/modbus_sim) and Debian's python3-pymodbus (tools/modbus_peer) — their readings stored,
// shown, judged by an alarm rule, and a write carried through the command path.
#include <gmock/gmock.h>

#include <csignal>

#include "halld_fixture.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> json_type = {{"Content-Type", "application/json"}};

class FacilityTest : public HalldTest {
 protected:
  void SetUp() override {
    extra_acquisition = fmt::format("protocols_dir = \"{}\"", HALLD_SOURCE_DIR "/config/protocols");
    config = write_config("", "", "info", "", "", 64 * 1024);
    auto imported = run_program(HALLD_BINARY, {"import", "--config", config.string(),
                                               HALLD_SOURCE_DIR "/tests/data/archives_small.json"});
    ASSERT_EQ(imported.exit_code, 0) << imported.output;
  }
  void TearDown() override {
    for (auto* process : {sim.get(), line.get()}) {
      if (process) process->signal(SIGTERM);
    }
  }

  int start_tcp_sim() {
    sim = std::make_unique<Process>(
        MODBUS_SIM_BINARY, std::vector<std::string>{"tcp", (dir.path() / "sim.port").string()},
        dir.path() / "sim.out");
    EXPECT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "sim.port"); }));
    return std::stoi(read_text(dir.path() / "sim.port"));
  }

  json facility(std::uint16_t port, const std::string& hall = "4101001") {
    return json::parse(http_get(port, "/api/v1/halls/" + hall + "/facility").body);
  }
  // The latest value of a device's point, when there is one.
  std::optional<double> value(const json& facility, const std::string& device,
                              const std::string& point) {
    for (const auto& d : facility["devices"]) {
      if (d["id"] != device) continue;
      for (const auto& p : d["points"]) {
        if (p["name"] == point && p["value"].is_number()) return p["value"].get<double>();
      }
    }
    return std::nullopt;
  }
  std::string command_state(std::uint16_t port, std::int64_t id) {
    const auto commands = json::parse(http_get(port, "/api/v1/halls/4101001/commands").body);
    for (const auto& c : commands["items"])
      if (c["id"] == id) return c["state"];
    return "";
  }

  std::filesystem::path config;
  std::unique_ptr<Process> sim, line;
};

TEST_F(FacilityTest, ModbusTcpDevicesAddedWhileHalldRunsArePolledStoredAlarmedAndWritten) {
  const auto port = start(config);
  ASSERT_NE(port, 0);
  const int sim_port = start_tcp_sim();
  const json channel = {
      {"hall", "4101001"},
      {"protocol", "modbus"},
      {"link", "tcp_client"},
      {"host", "127.0.0.1"},
      {"port", sim_port},
      {"devices",
       {{{"id", "TH-1"},
         {"kind", "environment"},
         {"name", "大厅温湿度"},
         {"model", "facility_env_th"},
         {"unit", 1},
         {"poll_ms", 300}},
        {{"id", "EM-1"},
         {"kind", "meter"},
         {"model", "facility_power_meter"},
         {"unit", 2},
         {"poll_ms", 300}},
        {{"id", "AC-1"},
         {"kind", "air_conditioner"},
         {"model", "facility_split_ac"},
         {"unit", 3},
         {"poll_ms", 300}},
        {{"id", "PC-1"},
         {"kind", "people_counter"},
         {"model", "facility_people_counter"},
         {"unit", 5},
         {"poll_ms", 300}},
        // libmodbus answers a unit the hall does not have with "gateway target failed".
        {{"id", "GHOST"},
         {"kind", "lighting"},
         {"model", "facility_lighting"},
         {"unit", 9},
         {"poll_ms", 300}}}}};
  // A model is not a channel protocol, and a device needs a model the registry holds.
  auto wrong = channel;
  wrong["protocol"] = "facility_env_th";
  EXPECT_EQ(
      http_request(port, "PUT", "/api/v1/channels/fm-4101001", json_type, wrong.dump()).status,
      422);
  wrong = channel;
  wrong["devices"][0]["model"] = "no_such_model";
  auto unknown = http_request(port, "PUT", "/api/v1/channels/fm-4101001", json_type, wrong.dump());
  EXPECT_EQ(unknown.status, 422);
  EXPECT_THAT(unknown.body, ::testing::HasSubstr("not a registered Modbus device model"));
  auto added = http_request(port, "PUT", "/api/v1/channels/fm-4101001", json_type, channel.dump());
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(json::parse(added.body)["applied"]["started"], json::array({"fm-4101001"}));

  // The readings arrive, scaled and in their word orders, as the simulator's hall has them.
  ASSERT_TRUE(eventually(
      [&] {
        const auto f = facility(port);
        return value(f, "TH-1", "temperature") && value(f, "EM-1", "energy") &&
               value(f, "AC-1", "set_point") && value(f, "PC-1", "people");
      },
      20s))
      << facility(port).dump() << halld->output();
  const auto f = facility(port);
  EXPECT_NEAR(*value(f, "TH-1", "temperature"), 25.2, 1.0) << f.dump();  // the set point + 1.2
  EXPECT_NEAR(*value(f, "TH-1", "humidity"), 55, 9);
  EXPECT_GT(*value(f, "EM-1", "power"), 3.5);
  EXPECT_NEAR(*value(f, "EM-1", "energy"), 12345.6, 1.0);  // u32, low word first, × 0.1
  EXPECT_EQ(*value(f, "AC-1", "set_point"), 24.0);
  EXPECT_EQ(*value(f, "AC-1", "running"), 1.0);
  for (const auto& d : f["devices"]) {
    if (d["id"] == "GHOST") {
      EXPECT_EQ(d["answering"], true) << d.dump();  // the gateway answers for it
      EXPECT_THAT(d["problem"].get<std::string>(), ::testing::HasSubstr("gateway target"));
    } else {
      EXPECT_EQ(d["answering"], true) << d.dump();
      EXPECT_EQ(d["problem"], "") << d.dump();
    }
  }
  const auto statuses = json::parse(http_get(port, "/api/v1/channels").body)["items"];
  const auto modbus = std::find_if(statuses.begin(), statuses.end(),
                                   [](const json& s) { return s["code"] == "fm-4101001"; });
  ASSERT_NE(modbus, statuses.end()) << statuses.dump();
  EXPECT_EQ((*modbus)["protocol"], "modbus");
  EXPECT_TRUE((*modbus)["up"].get<bool>());
  EXPECT_EQ((*modbus)["devices"].size(), 5u);
  auto test = http_request(port, "POST", "/api/v1/channels/fm-4101001/test");
  ASSERT_EQ(test.status, 200) << test.body;
  EXPECT_TRUE(json::parse(test.body)["probe"]["reached"].get<bool>()) << test.body;

  // Stored as a time series, and read back in buckets.
  ASSERT_TRUE(eventually([&] {
    return std::stoi(db.query_value(
               "SELECT count(*) FROM facility_reading WHERE device = 'TH-1' AND point = "
               "'temperature'")) >= 3;
  }));
  auto history = http_get(
      port, "/api/v1/halls/4101001/facility/history?device=TH-1&point=temperature&hours=1");
  ASSERT_EQ(history.status, 200) << history.body;
  const auto items = json::parse(history.body)["items"];
  ASSERT_FALSE(items.empty());
  EXPECT_NEAR(items.back()["avg"].get<double>(), 25.2, 1.0);
  EXPECT_EQ(http_get(port, "/api/v1/halls/4101001/facility/history?device=TH-1").status, 400);
  EXPECT_EQ(http_get(port, "/api/v1/halls/9999999/facility").status, 404);

  // An alarm rule on the hall's temperature, judged from the readings.
  auto rule = http_request(port, "POST", "/api/v1/alarm-rules", json_type,
                           json{{"name", "厅内温度过高"},
                                {"kind", "limit"},
                                {"indicator", "indoor_temperature"},
                                {"warning", 20},
                                {"critical", 22},
                                {"clear", 18},
                                {"hold_s", 0},
                                {"clear_hold_s", 0},
                                {"hall", "4101001"},
                                {"schedule", "always"}}
                               .dump());
  ASSERT_EQ(rule.status, 201) << rule.body;
  ASSERT_TRUE(eventually(
      [&] {
        return db.query_value(
                   "SELECT count(*) FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id "
                   "WHERE a.indicator = 'indoor_temperature' AND a.severity = 2") == "1";
      },
      20s))
      << halld->output();

  // A write through the command path: refused by the model's bounds, or carried out and read back.
  const auto write = [&](const std::string& point, double v) {
    return http_request(port, "POST", "/api/v1/halls/4101001/commands", json_type,
                        json{{"object", "facility"},
                             {"kind", "facility_write"},
                             {"device", "AC-1"},
                             {"point", point},
                             {"value", v}}
                            .dump());
  };
  auto too_hot = write("set_point", 35);
  EXPECT_EQ(too_hot.status, 409);
  EXPECT_THAT(too_hot.body, ::testing::HasSubstr("16 至 30"));
  EXPECT_EQ(write("supply_air", 20).status, 409);  // not writable
  auto queued = write("set_point", 22.5);
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto id = json::parse(queued.body)["id"].get<std::int64_t>();
  ASSERT_TRUE(eventually([&] { return command_state(port, id) == "done"; }, 20s))
      << command_state(port, id) << halld->output();
  ASSERT_TRUE(eventually([&] { return value(facility(port), "AC-1", "set_point") == 22.5; }));
  auto off = write("running", 0);
  ASSERT_EQ(off.status, 202) << off.body;
  const auto off_id = json::parse(off.body)["id"].get<std::int64_t>();
  ASSERT_TRUE(eventually([&] { return command_state(port, off_id) == "done"; }, 20s));
  ASSERT_TRUE(eventually([&] { return value(facility(port), "AC-1", "running") == 0.0; }));
  EXPECT_EQ(db.query_value("SELECT string_agg(status::text, ',' ORDER BY id) FROM audit_log WHERE "
                           "path = '/api/v1/halls/4101001/commands'"),
            "409,409,202,202");
  EXPECT_EQ(db.query_value("SELECT count(*) FROM hall_command WHERE command->>'kind' = "
                           "'facility_write' AND state = 'done'"),
            "2");
}

TEST_F(FacilityTest, ModbusRtuOnASerialLineAnswersWhileASilentUnitTimesOut) {
  // A serial line pair: halld opens one end, libmodbus the other.
  const auto halld_end = dir.path() / "ttyHALLD";
  const auto device_end = dir.path() / "ttyDEVICE";
  line = std::make_unique<Process>(
      "/usr/bin/socat",
      std::vector<std::string>{fmt::format("pty,raw,echo=0,link={}", halld_end.string()),
                               fmt::format("pty,raw,echo=0,link={}", device_end.string())},
      dir.path() / "socat.out");
  ASSERT_TRUE(eventually([&] {
    return std::filesystem::exists(halld_end) && std::filesystem::exists(device_end);
  })) << line->output();
  sim = std::make_unique<Process>(MODBUS_SIM_BINARY,
                                  std::vector<std::string>{"rtu", device_end.string(), "1", "9600"},
                                  dir.path() / "sim.out");
  const auto port = start(config);
  ASSERT_NE(port, 0);
  const json channel = {{"hall", "4101001"},
                        {"protocol", "modbus"},
                        {"link", "serial"},
                        {"device", halld_end.string()},
                        {"baud", 9600},
                        {"devices",
                         {{{"id", "TH-RTU"},
                           {"kind", "environment"},
                           {"model", "facility_env_th"},
                           {"unit", 1},
                           {"poll_ms", 500}},
                          {{"id", "SILENT"},
                           {"kind", "environment"},
                           {"model", "facility_env_th"},
                           {"unit", 7},
                           {"poll_ms", 500},
                           {"timeout_ms", 150},
                           {"retries", 1}}}}};
  auto added = http_request(port, "PUT", "/api/v1/channels/fr-4101001", json_type, channel.dump());
  ASSERT_EQ(added.status, 200) << added.body;
  ASSERT_TRUE(eventually(
      [&] {
        const auto f = facility(port);
        bool silent_known = false;
        for (const auto& d : f["devices"])
          silent_known |= d["id"] == "SILENT" && d["answering"] == false;
        return value(f, "TH-RTU", "temperature") && silent_known;
      },
      30s))
      << facility(port).dump() << sim->output() << halld->output();
  const auto f = facility(port);
  EXPECT_NEAR(*value(f, "TH-RTU", "temperature"), 25.2, 1.0);
  for (const auto& d : f["devices"]) {
    if (d["id"] != "SILENT") continue;
    EXPECT_THAT(d["problem"].get<std::string>(),
                ::testing::HasSubstr("2 次请求均未在 150 ms 内应答"));
    EXPECT_FALSE(value(f, "SILENT", "temperature"));
  }
  // The silent unit does not starve the one that answers: it keeps being read.
  const auto polls = [&] {
    const auto f = facility(port);
    for (const auto& d : f["devices"])
      if (d["id"] == "TH-RTU") return d["polls"].get<int>();
    return 0;
  };
  const int before = polls();
  ASSERT_TRUE(eventually([&] { return polls() >= before + 3; }, 20s));
}

TEST_F(FacilityTest, AModelRegisteredThroughTheApiIsReadAndWrittenAgainstPymodbus) {
  const auto port = start(config);
  ASSERT_NE(port, 0);
  auto peer = std::make_unique<Process>(
      "/usr/bin/python3",
      std::vector<std::string>{HALLD_SOURCE_DIR "/tools/modbus_peer/pymodbus_server.py",
                               (dir.path() / "peer.port").string()},
      dir.path() / "peer.out");
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.path() / "peer.port"); }, 20s));
  const int peer_port = std::stoi(read_text(dir.path() / "peer.port"));
  // The peer's map (tools/modbus_peer): holding 0 = 235, 1 = 0xFFD6, 2–3 = 0x0001 0x86A0,
  // 4–5 = 0x41BC 0x0000 (23.5 as a float), input 0 = 650, coil 0 = 1.
  const std::string model = R"(protocol: test_peer_model
family: modbus
version: 1
title: 测试设备
points:
  - {name: t, quantity: temperature, unit: "°C", table: holding_register, address: 0, type: s16, scale: 0.1}
  - {name: s, quantity: other, table: holding_register, address: 1, type: s16}
  - {name: n, quantity: energy, unit: kWh, table: holding_register, address: 2, type: u32}
  - {name: f, quantity: power, unit: kW, table: holding_register, address: 4, type: f32}
  - {name: h, quantity: humidity, unit: "%RH", table: input_register, address: 0, scale: 0.1}
  - {name: c, quantity: on_off, table: coil, address: 0}
  - {name: sp, quantity: set_point, table: holding_register, address: 6, type: u32, writable: true, max: 100000}
)";
  auto broken = model;
  broken.replace(broken.find("type: u32"), 9, "type: u33");
  auto refused = http_request(port, "PUT", "/api/v1/protocols/test_peer_model", json_type,
                              json{{"text", broken}}.dump());
  EXPECT_EQ(refused.status, 422);
  EXPECT_THAT(refused.body, ::testing::HasSubstr("line 8"));
  auto registered = http_request(port, "PUT", "/api/v1/protocols/test_peer_model", json_type,
                                 json{{"text", model}}.dump());
  ASSERT_EQ(registered.status, 200) << registered.body;
  EXPECT_EQ(json::parse(registered.body)["family"], "modbus");
  const json channel = {{"hall", "4103001"},
                        {"protocol", "modbus"},
                        {"link", "tcp_client"},
                        {"host", "127.0.0.1"},
                        {"port", peer_port},
                        {"devices",
                         {{{"id", "PEER"},
                           {"kind", "environment"},
                           {"model", "test_peer_model"},
                           {"unit", 1},
                           {"poll_ms", 300}}}}};
  auto added = http_request(port, "PUT", "/api/v1/channels/fp-4103001", json_type, channel.dump());
  ASSERT_EQ(added.status, 200) << added.body;
  ASSERT_TRUE(
      eventually([&] { return value(facility(port, "4103001"), "PEER", "c").has_value(); }, 20s))
      << facility(port, "4103001").dump() << peer->output();
  const auto f = facility(port, "4103001");
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "t"), 23.5);
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "s"), -42);
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "n"), 100000);
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "f"), 23.5);
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "h"), 65);
  EXPECT_DOUBLE_EQ(*value(f, "PEER", "c"), 1);
  // The model cannot be retired while a device has it.
  EXPECT_EQ(http_request(port, "DELETE", "/api/v1/protocols/test_peer_model").status, 409);
  auto write = http_request(port, "POST", "/api/v1/halls/4103001/commands", json_type,
                            json{{"object", "facility"},
                                 {"kind", "facility_write"},
                                 {"device", "PEER"},
                                 {"point", "sp"},
                                 {"value", 70000}}
                                .dump());
  ASSERT_EQ(write.status, 202) << write.body;
  // 70000 needs both registers: written with function 16, high word first, and read back.
  ASSERT_TRUE(
      eventually([&] { return value(facility(port, "4103001"), "PEER", "sp") == 70000.0; }, 20s))
      << facility(port, "4103001").dump();
  peer->signal(SIGTERM);
}

}  // namespace
}  // namespace halld::testing
