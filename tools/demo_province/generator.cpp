#include "generator.hpp"

#include <fmt/format.h>

#include <string>
#include <tuple>
#include <vector>

namespace halld::tools {
namespace {

using nlohmann::json;

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi], by rejection so that no value is favoured.
  int between(int lo, int hi) {
    const std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return lo + static_cast<int>(x % span);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(between(0, static_cast<int>(items.size()) - 1))];
  }

 private:
  std::uint64_t state_;
};

struct CityData {
  const char* code;
  const char* name;
  double latitude, longitude;
  std::vector<const char*> counties;
};

const std::vector<CityData>& henan() {
  static const std::vector<CityData> cities = {
      {"4101",
       "郑州",
       34.7466,
       113.6254,
       {"中原区", "二七区", "金水区", "管城回族区", "惠济区", "上街区", "巩义市", "荥阳市",
        "新密市", "新郑市", "登封市", "中牟县"}},
      {"4102",
       "开封",
       34.7971,
       114.3076,
       {"龙亭区", "顺河回族区", "鼓楼区", "禹王台区", "祥符区", "杞县", "通许县", "尉氏县",
        "兰考县"}},
      {"4103",
       "洛阳",
       34.6197,
       112.4540,
       {"老城区", "西工区", "瀍河回族区", "涧西区", "洛龙区", "偃师区", "孟津区", "新安县",
        "栾川县", "嵩县", "汝阳县", "宜阳县", "洛宁县", "伊川县"}},
      {"4104",
       "平顶山",
       33.7662,
       113.1927,
       {"新华区", "卫东区", "石龙区", "湛河区", "宝丰县", "叶县", "鲁山县", "郏县", "舞钢市",
        "汝州市"}},
      {"4105",
       "安阳",
       36.0976,
       114.3931,
       {"文峰区", "北关区", "殷都区", "龙安区", "安阳县", "汤阴县", "滑县", "内黄县", "林州市"}},
      {"4106", "鹤壁", 35.7479, 114.2974, {"鹤山区", "山城区", "淇滨区", "浚县", "淇县"}},
      {"4107",
       "新乡",
       35.3030,
       113.9268,
       {"红旗区", "卫滨区", "凤泉区", "牧野区", "新乡县", "获嘉县", "原阳县", "延津县", "封丘县",
        "卫辉市", "辉县市", "长垣市"}},
      {"4108",
       "焦作",
       35.2159,
       113.2418,
       {"解放区", "中站区", "马村区", "山阳区", "修武县", "博爱县", "武陟县", "温县", "沁阳市",
        "孟州市"}},
      {"4109",
       "濮阳",
       35.7618,
       115.0291,
       {"华龙区", "清丰县", "南乐县", "范县", "台前县", "濮阳县"}},
      {"4110",
       "许昌",
       34.0357,
       113.8523,
       {"魏都区", "建安区", "鄢陵县", "襄城县", "禹州市", "长葛市"}},
      {"4111", "漯河", 33.5818, 114.0166, {"源汇区", "郾城区", "召陵区", "舞阳县", "临颍县"}},
      {"4112",
       "三门峡",
       34.7726,
       111.2003,
       {"湖滨区", "陕州区", "渑池县", "卢氏县", "义马市", "灵宝市"}},
      {"4113",
       "南阳",
       32.9908,
       112.5283,
       {"宛城区", "卧龙区", "南召县", "方城县", "西峡县", "镇平县", "内乡县", "淅川县", "社旗县",
        "唐河县", "新野县", "桐柏县", "邓州市"}},
      {"4114",
       "商丘",
       34.4144,
       115.6564,
       {"梁园区", "睢阳区", "民权县", "睢县", "宁陵县", "柘城县", "虞城县", "夏邑县", "永城市"}},
      {"4115",
       "信阳",
       32.1470,
       114.0913,
       {"浉河区", "平桥区", "罗山县", "光山县", "新县", "商城县", "固始县", "潢川县", "淮滨县",
        "息县"}},
      {"4116",
       "周口",
       33.6258,
       114.6965,
       {"川汇区", "淮阳区", "扶沟县", "西华县", "商水县", "沈丘县", "郸城县", "太康县", "鹿邑县",
        "项城市"}},
      {"4117",
       "驻马店",
       33.0114,
       114.0220,
       {"驿城区", "西平县", "上蔡县", "平舆县", "正阳县", "确山县", "泌阳县", "汝南县", "遂平县",
        "新蔡县"}},
      {"4190",
       "济源",
       35.0672,
       112.6024,
       {"沁园街道", "济水街道", "北海街道", "天坛街道", "玉泉街道", "克井镇"}},
  };
  return cities;
}

const std::vector<std::string> roads = {"人民路", "建设路", "中原路", "解放路", "文化路",
                                        "黄河路", "长江路", "花园路", "大学路", "工业路",
                                        "新华路", "光明路", "迎宾路", "和平路"};
const std::vector<std::string> surnames = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                           "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
                                           "何", "高", "林", "罗", "郑", "梁", "宋", "韩"};
const std::vector<std::string> given_names = {
    "伟", "芳",   "娜",   "敏",   "静",   "丽",   "强",   "磊",   "洋",   "艳",
    "勇", "军",   "杰",   "娟",   "涛",   "明",   "超",   "秀英", "霞",   "平",
    "刚", "桂英", "晓燕", "建华", "海燕", "文静", "佳琪", "子豪", "雨萱", "浩然"};
const std::vector<std::string> vendors = {"新北洋", "广电运通", "恒银金融", "浪潮", "御银股份"};

// Counter business types served at general and VIP windows (everything but self-service-only).
const std::vector<std::string> counter_business = {
    "new_conn_resident",  "new_conn_lv_nonres", "new_conn_hv",        "capacity_increase",
    "capacity_reduction", "pause_resume",       "ownership_transfer", "rename",
    "real_name_auth",     "service_password",   "meter_verification", "meter_move",
    "temporary_power",    "account_closing",    "tariff_change",      "vat_invoice_info",
    "ev_charger",         "distributed_pv",     "fault_report",       "bill_payment",
    "power_purchase",     "bill_printing",      "consultation",       "complaint"};

json components_for(const std::string& type) {
  if (type == "payment") {
    return {"card_reader",     "id_card_reader", "receipt_printer",
            "invoice_printer", "cash_acceptor",  "change_dispenser",
            "pin_pad",         "touch_screen",   "camera"};
  }
  if (type == "business") {
    return {"card_reader", "id_card_reader", "receipt_printer", "invoice_printer",
            "pin_pad",     "touch_screen",   "camera"};
  }
  if (type == "query") return {"id_card_reader", "receipt_printer", "touch_screen"};
  return {"id_card_reader", "touch_screen", "camera"};
}

// Hall level from where it stands: each city's flagship is A, urban districts B, county-level
// cities C, counties and towns D.
std::string level_for(bool flagship, const std::string& county) {
  if (flagship) return "A";
  if (county.ends_with("区") || county.ends_with("街道")) return "B";
  if (county.ends_with("市")) return "C";
  return "D";
}

json hall_hours(const std::string& level) {
  if (level == "A" || level == "B") {
    return {{"mon", "08:30-17:30"}, {"tue", "08:30-17:30"}, {"wed", "08:30-17:30"},
            {"thu", "08:30-17:30"}, {"fri", "08:30-17:30"}, {"sat", "09:00-17:00"},
            {"sun", "09:00-17:00"}};
  }
  const char* weekday = "08:30-12:00,14:00-17:30";
  return {{"mon", weekday}, {"tue", weekday},       {"wed", weekday}, {"thu", weekday},
          {"fri", weekday}, {"sat", "09:00-12:00"}, {"sun", "closed"}};
}

json hall_exceptions(const std::string& level) {
  const bool large = level == "A" || level == "B";
  json days = json::array();
  days.push_back({{"date", "2027-01-01"}, {"hours", "closed"}, {"note", "元旦"}});
  for (const char* date : {"2026-10-01", "2026-10-02", "2026-10-03"}) {
    days.push_back(
        {{"date", date}, {"hours", large ? "09:00-16:00" : "closed"}, {"note", "国庆节"}});
  }
  return days;
}

json make_hall(SplitMix64& rng, const CityData& city, const std::string& county, int index_in_city,
               bool flagship, bool second_in_county) {
  const std::string code = fmt::format("{}{:03}", city.code, index_in_city);
  const std::string level = level_for(flagship, county);
  const std::string road = rng.pick(roads);
  std::string name = flagship ? fmt::format("{}市供电公司客户服务中心营业厅", city.name)
                     : second_in_county ? fmt::format("{}{}营业厅", county, road)
                                        : fmt::format("{}营业厅", county);
  json hall = {
      {"code", code},
      {"name", name},
      {"city", city.code},
      {"county", county},
      {"address", fmt::format("河南省{}市{}{}{}号", city.name, county, road, rng.between(1, 399))},
      {"latitude", std::round((city.latitude + (rng.unit() - 0.5) * 0.6) * 1e6) / 1e6},
      {"longitude", std::round((city.longitude + (rng.unit() - 0.5) * 0.6) * 1e6) / 1e6},
      {"level", level},
      {"target_wait_min", level == "A" ? 15 : 20},
      {"status", "open"},
      {"opening_hours", hall_hours(level)},
      {"exceptions", hall_exceptions(level)},
  };

  const int window_count = level == "A"   ? rng.between(10, 14)
                           : level == "B" ? rng.between(6, 9)
                           : level == "C" ? rng.between(4, 6)
                                          : rng.between(2, 4);
  json windows = json::array();
  for (int n = 1; n <= window_count; ++n) {
    std::string kind = "general";
    if (n == 1 && (level == "A" || level == "B"))
      kind = "vip";
    else if (level == "A" && n == window_count)
      kind = "pre_processing";
    else if (level == "A" && n == window_count - 1)
      kind = "interactive";
    json types = kind == "pre_processing"
                     ? json{"consultation", "real_name_auth", "service_password"}
                 : kind == "interactive"
                     ? json{"bill_payment", "power_purchase", "bill_printing", "consultation"}
                     : json(counter_business);
    windows.push_back({{"number", n}, {"kind", kind}, {"business_types", types}});
  }
  hall["windows"] = windows;

  json clerks = json::array();
  const int clerk_count = window_count + rng.between(1, 3);
  for (int n = 1; n <= clerk_count; ++n) {
    clerks.push_back({{"staff_no", fmt::format("{}-{:02}", code, n)},
                      {"name", rng.pick(surnames) + rng.pick(given_names)},
                      {"status", rng.chance(0.95) ? "active" : "inactive"}});
  }
  hall["clerks"] = clerks;

  const int terminal_count = level == "A"   ? rng.between(6, 10)
                             : level == "B" ? rng.between(4, 6)
                             : level == "C" ? rng.between(2, 4)
                                            : rng.between(1, 2);
  json terminals = json::array();
  for (int n = 1; n <= terminal_count; ++n) {
    const int roll = rng.between(1, 100);
    const std::string type = roll <= 40   ? "payment"
                             : roll <= 65 ? "business"
                             : roll <= 85 ? "query"
                                          : "internet";
    const int place = rng.between(1, 100);
    const std::string placement = place <= 60 ? "lobby" : place <= 85 ? "through_wall" : "zone_24h";
    const std::string vendor = rng.pick(vendors);
    terminals.push_back(
        {{"id", fmt::format("T{}{:02}", code, n)},
         {"type", type},
         {"placement", placement},
         {"vendor", vendor},
         {"model", fmt::format("ZZ-{}{}", type.substr(0, 1), rng.between(100, 990))},
         {"components", components_for(type)}});
  }
  hall["terminals"] = terminals;

  json devices = json::array();
  int device_number = 0;
  auto add_device = [&](const char* kind, std::string device_name) {
    devices.push_back({{"id", fmt::format("D{}{:02}", code, ++device_number)},
                       {"kind", kind},
                       {"name", device_name}});
  };
  for (int n = 1, screens = rng.between(1, 3); n <= screens; ++n)
    add_device("info_screen", fmt::format("信息发布屏{}", n));
  add_device("led_board", "叫号LED屏");
  add_device("dvr", "视频监控录像机");
  if (level == "A" || level == "B") add_device("access_control", "门禁控制器");
  add_device("sensor", "客流计数器");
  hall["devices"] = devices;
  return hall;
}

}  // namespace

json generate_demo_province(const DemoOptions& options) {
  SplitMix64 rng(options.seed);
  json cities = json::array();
  for (const auto& city : henan()) {
    cities.push_back({{"code", city.code}, {"name", fmt::format("国网{}供电公司", city.name)}});
  }
  // Halls go round the counties of every city in turn, so any count spreads over the province.
  json halls = json::array();
  std::vector<int> next_index(henan().size(), 1);
  std::vector<std::size_t> next_county(henan().size(), 0);
  for (int made = 0; made < options.halls;) {
    for (std::size_t c = 0; c < henan().size() && made < options.halls; ++c) {
      const auto& city = henan()[c];
      const std::size_t turn = next_county[c]++;
      const std::string county = city.counties[turn % city.counties.size()];
      const bool flagship = turn == 0;
      const bool second = turn >= city.counties.size();
      halls.push_back(make_hall(rng, city, county, next_index[c]++, flagship, second));
      ++made;
    }
  }
  json document = {{"format", "halld-archives-v1"},
                   {"province", {{"code", "41"}, {"name", "国网河南省电力公司"}}},
                   {"cities", cities},
                   {"halls", halls}};
  if (options.live_halls > 0) {
    json channels = json::array();
    for (int i = 0; i < options.live_halls && i < static_cast<int>(halls.size()); ++i) {
      const auto code = halls[static_cast<std::size_t>(i)]["code"].get<std::string>();
      channels.push_back({{"code", "qs-" + code},
                          {"hall", code},
                          {"protocol", "queue_eval"},
                          {"link", "tcp_client"},
                          {"host", "127.0.0.1"},
                          {"port", options.sim_port_base + i}});
    }
    // One terminal-management server for the terminals of all live halls, as a province's
    // self-service platform reports them: a channel that covers no hall.
    channels.push_back({{"code", "tm-live"},
                        {"protocol", "terminal"},
                        {"link", "tcp_client"},
                        {"host", "127.0.0.1"},
                        {"port", options.sim_port_base + options.live_halls},
                        {"site", "TM-41"}});
    if (!options.vendor_protocol.empty() && options.live_halls < static_cast<int>(halls.size())) {
      const auto code =
          halls[static_cast<std::size_t>(options.live_halls)]["code"].get<std::string>();
      channels.push_back({{"code", "vq-" + code},
                          {"hall", code},
                          {"protocol", options.vendor_protocol},
                          {"link", "tcp_client"},
                          {"host", "127.0.0.1"},
                          {"port", options.sim_port_base + options.live_halls + 2}});
    }
    if (options.facility && options.live_halls > 0) {
      const auto code = halls[0]["code"].get<std::string>();
      auto devices = nlohmann::json::array();
      for (const auto& [id, kind, name, model, unit] :
           std::vector<std::tuple<std::string, std::string, std::string, std::string, int>>{
               {"TH-01", "environment", "大厅温湿度", "facility_env_th", 1},
               {"EM-01", "meter", "总电能表", "facility_power_meter", 2},
               {"AC-01", "air_conditioner", "大厅空调", "facility_split_ac", 3},
               {"LT-01", "lighting", "照明控制", "facility_lighting", 4},
               {"PC-01", "people_counter", "入口客流计数", "facility_people_counter", 5}}) {
        devices.push_back({{"id", id},
                           {"kind", kind},
                           {"name", name},
                           {"model", model},
                           {"unit", unit},
                           {"poll_ms", 5000}});
      }
      channels.push_back({{"code", "fm-" + code},
                          {"hall", code},
                          {"protocol", "modbus"},
                          {"link", "tcp_client"},
                          {"host", "127.0.0.1"},
                          {"port", options.sim_port_base + options.live_halls + 3},
                          {"devices", devices}});
    }
    document["channels"] = channels;
  }
  return document;
}

}  // namespace halld::tools
