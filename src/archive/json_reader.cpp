// The archive document (JSON) read into records, every field checked.
#include <fmt/format.h>

#include <set>

#include "fields.hpp"
#include "halld/archive/import.hpp"

namespace halld::archive {
namespace {

using namespace fields;

class DocumentReader {
 public:
  DocumentReader(const KnownCodes& known) : known_(known) {}

  ReadResult read(const json& document) {
    Fields top(document, "", problems_);
    if (top.valid()) {
      auto format = top.text("format", Need::required);
      if (format && *format != format_name) {
        top.problem("format", fmt::format("expects \"{}\", got \"{}\"", format_name, *format));
      }
      if (const json* province = top.get("province", Need::optional)) read_province(*province);
      for_each_item(top, "cities",
                    [this](const json& item, std::string at) { read_city(item, std::move(at)); });
      for_each_item(top, "business_types", [this](const json& item, std::string at) {
        read_business_type(item, std::move(at));
      });
      for_each_item(top, "customer_classes", [this](const json& item, std::string at) {
        read_customer_class(item, std::move(at));
      });
      for_each_item(top, "halls",
                    [this](const json& item, std::string at) { read_hall(item, std::move(at)); });
      for_each_item(top, "channels", [this](const json& item, std::string at) {
        read_channel(item, std::move(at));
      });
      top.finish();
    }
    return {std::move(result_), std::move(problems_.list), problems_.not_listed};
  }

 private:
  // Calls read(item, location) for each element of the array parent[key].
  template <class Read>
  static void for_each_item(Fields& parent, std::string_view key, Read read) {
    const json& items = parent.list(key);
    for (std::size_t i = 0; i < items.size(); ++i)
      read(items[i], fmt::format("{}[{}]", parent.at(key), i));
  }

  void read_province(const json& item) {
    Fields f(item, "province", problems_);
    Province p;
    p.code = f.code("code").value_or("");
    p.name = f.text("name", Need::required).value_or("");
    f.finish();
    result_.province = std::move(p);
  }

  void read_city(const json& item, std::string location) {
    Fields f(item, std::move(location), problems_);
    City c;
    c.code = f.code("code").value_or("");
    c.name = f.text("name", Need::required).value_or("");
    f.finish();
    if (!c.code.empty()) city_codes_.claim(c.code, f.location(), problems_, "city");
    result_.cities.push_back(std::move(c));
  }

  void read_business_type(const json& item, std::string location) {
    Fields f(item, std::move(location), problems_);
    BusinessType b;
    b.code = f.code("code").value_or("");
    b.name = f.text("name", Need::required).value_or("");
    b.name_en = f.text("name_en", Need::optional).value_or("");
    b.channel =
        f.choice<ServiceChannel>("channel", Need::optional).value_or(ServiceChannel::counter);
    b.target_handling_minutes =
        f.integer("target_handling_min", Need::optional, 1, 480).value_or(10);
    f.finish();
    if (!b.code.empty()) business_codes_.claim(b.code, f.location(), problems_, "business type");
    result_.business_types.push_back(std::move(b));
  }

  void read_customer_class(const json& item, std::string location) {
    Fields f(item, std::move(location), problems_);
    CustomerClass c;
    c.code = f.code("code").value_or("");
    c.name = f.text("name", Need::required).value_or("");
    c.name_en = f.text("name_en", Need::optional).value_or("");
    c.weight = f.number("weight", Need::required, 0.01, 100).value_or(1.0);
    f.finish();
    if (!c.code.empty()) class_codes_.claim(c.code, f.location(), problems_, "customer class");
    result_.customer_classes.push_back(std::move(c));
  }

  void read_hall(const json& item, std::string location) {
    Fields f(item, std::move(location), problems_);
    Hall h;
    h.code = f.code("code").value_or("");
    h.name = f.text("name", Need::required).value_or("");
    if (auto city = f.code("city")) {
      h.city_code = *city;
      if (!city_codes_.contains(*city) && !known_.cities.contains(*city)) {
        f.problem(
            "city",
            fmt::format("refers to city '{}', which is neither in the file nor in the database",
                        *city));
      }
    }
    h.county = f.text("county", Need::optional).value_or("");
    h.address = f.text("address", Need::optional, 400).value_or("");
    h.latitude = f.number("latitude", Need::required, -90, 90).value_or(0);
    h.longitude = f.number("longitude", Need::required, -180, 180).value_or(0);
    h.level = f.choice<HallLevel>("level", Need::optional).value_or(HallLevel::c);
    h.target_wait_minutes = f.integer("target_wait_min", Need::optional, 1, 240).value_or(20);
    h.status = f.choice<HallStatus>("status", Need::optional).value_or(HallStatus::open);
    if (auto tz = f.text("timezone", Need::optional, 64)) {
      if (is_time_zone_name(*tz))
        h.timezone = *tz;
      else
        f.problem("timezone",
                  fmt::format("expects an IANA time zone such as Asia/Shanghai, got \"{}\"", *tz));
    }
    if (const json* hours = f.get("opening_hours", Need::required))
      read_week(*hours, f.at("opening_hours"), h);
    std::map<int, std::string> window_numbers;
    for_each_item(f, "exceptions", [&](const json& item, std::string at) {
      read_exception(item, std::move(at), h);
    });
    for_each_item(f, "windows", [&](const json& item, std::string at) {
      read_window(item, std::move(at), h, window_numbers);
    });
    for_each_item(f, "clerks",
                  [&](const json& item, std::string at) { read_clerk(item, std::move(at), h); });
    for_each_item(f, "terminals",
                  [&](const json& item, std::string at) { read_terminal(item, std::move(at), h); });
    for_each_item(f, "devices",
                  [&](const json& item, std::string at) { read_device(item, std::move(at), h); });
    f.finish();
    if (!h.code.empty()) hall_codes_.claim(h.code, f.location(), problems_, "hall");
    result_.halls.push_back(std::move(h));
  }

  void read_channel(const json& item, std::string location) {
    Fields f(item, std::move(location), problems_);
    AcquisitionChannel c;
    c.code = f.code("code").value_or("");
    if (auto hall = f.code("hall", Need::optional)) {
      c.hall_code = *hall;
      if (!hall_codes_.contains(*hall) && !known_.halls.contains(*hall)) {
        f.problem(
            "hall",
            fmt::format("refers to hall '{}', which is neither in the file nor in the database",
                        *hall));
      }
    }
    read_protocol(f, c);
    c.link = f.choice<ChannelLink>("link", Need::required).value_or(ChannelLink::tcp_client);
    if (!c.described_protocol.empty() && c.link == ChannelLink::rs485) {
      f.problem("protocol",
                "a polled RS-485 bus speaks halld's own frames (its polls are "
                "halld's); a described protocol runs on tcp_client, dtu or serial");
    }
    read_link_settings(f, c);
    if (c.protocol == ChannelProtocol::modbus) {
      read_facilities(f, c);
    } else if (f.get("devices", Need::optional)) {
      f.problem("devices", "lists facility devices, which only a modbus channel has");
    }
    c.site = f.text("site", c.hall_code.empty() ? Need::required : Need::optional, 64)
                 .value_or(c.hall_code);
    for (auto [key, target] : {std::pair{"enabled", &c.enabled}, std::pair{"tap", &c.tap}}) {
      if (const json* flag = f.get(key, Need::optional)) {
        if (flag->is_boolean())
          *target = flag->get<bool>();
        else
          f.problem(key, "expects true or false, got " + describe(*flag));
      }
    }
    f.finish();
    if (!c.code.empty()) channel_codes_.claim(c.code, f.location(), problems_, "channel");
    result_.channels.push_back(std::move(c));
  }

  // A Modbus channel: RTU on a serial line (an RS-485 adapter's port), or TCP to a device or a
  // gateway; the devices it polls, each with its register map's model.
  void read_facilities(Fields& f, AcquisitionChannel& c) {
    if (c.hall_code.empty())
      f.problem("hall", "is missing: a modbus channel serves the facility devices of one hall");
    if (c.link != ChannelLink::tcp_client && c.link != ChannelLink::serial) {
      f.problem("link",
                "a modbus channel runs on tcp_client (Modbus TCP) or serial (Modbus RTU, "
                "also on an RS-485 adapter's port: halld polls the devices listed)");
    }
    std::set<int> units;
    for_each_item(f, "devices", [&](const json& item, std::string at) {
      Fields d(item, std::move(at), problems_);
      FacilityDevice device;
      device.id = d.code("id").value_or("");
      device.kind = d.choice<FacilityKind>("kind", Need::required).value_or(device.kind);
      device.name = d.text("name", Need::optional, 100).value_or("");
      if (auto model = d.text("model", Need::required, 64)) {
        device.model = *model;
        auto known = known_.described_protocols.find(*model);
        if (known == known_.described_protocols.end() || known->second != ChannelProtocol::modbus)
          d.problem("model", fmt::format("'{}' is not a registered Modbus device model", *model));
      }
      const int highest_unit = c.link == ChannelLink::tcp_client ? 255 : 247;
      const int lowest_unit = c.link == ChannelLink::tcp_client ? 0 : 1;
      device.unit = d.integer("unit", Need::required, lowest_unit, highest_unit).value_or(1);
      device.poll_ms =
          d.integer("poll_ms", Need::optional, 200, 3'600'000).value_or(device.poll_ms);
      device.timeout_ms =
          d.integer("timeout_ms", Need::optional, 20, 30'000).value_or(device.timeout_ms);
      device.retries = d.integer("retries", Need::optional, 0, 10).value_or(device.retries);
      d.finish();
      if (!device.id.empty())
        facility_ids_.claim(device.id, d.location(), problems_, "facility device");
      if (!units.insert(device.unit).second)
        d.problem("unit", fmt::format("unit {} is another device's on this channel", device.unit));
      c.facilities.push_back(std::move(device));
    });
    if (c.facilities.empty())
      f.problem("devices", "is missing: a modbus channel polls its devices");
  }

  // halld's own protocol by its family's name, or a registered description by its name.
  void read_protocol(Fields& f, AcquisitionChannel& c) {
    const auto name = f.text("protocol", Need::required, 64);
    if (!name) return;
    if (auto own = parse_enum<ChannelProtocol>(*name)) {
      c.protocol = *own;
    } else if (auto described = known_.described_protocols.find(*name);
               described != known_.described_protocols.end() &&
               described->second == ChannelProtocol::modbus) {
      f.problem("protocol", fmt::format("'{}' is a Modbus device model: the channel speaks "
                                        "\"modbus\" and each of its devices names its model",
                                        *name));
    } else if (described != known_.described_protocols.end()) {
      c.protocol = described->second;
      c.described_protocol = *name;
    } else {
      std::vector<std::string_view> names{to_string(ChannelProtocol::queue_eval),
                                          to_string(ChannelProtocol::terminal),
                                          to_string(ChannelProtocol::modbus)};
      for (const auto& [known, family] : known_.described_protocols) {
        if (family != ChannelProtocol::modbus) names.push_back(known);
      }
      f.problem("protocol", fmt::format("'{}' is neither halld's own protocol nor a registered "
                                        "description (known: {})",
                                        *name, fmt::join(names, ", ")));
    }
  }

  // The fields of the channel's own kind of link; a field of another kind is refused by name.
  void read_link_settings(Fields& f, AcquisitionChannel& c) {
    using enum ChannelLink;
    static const std::vector<std::pair<std::string_view, std::vector<ChannelLink>>>
        fields_of_links = {{"host", {tcp_client}},      {"port", {tcp_client}},
                           {"identity", {dtu}},         {"register", {dtu}},
                           {"heartbeat", {dtu}},        {"heartbeat_s", {dtu}},
                           {"offline_after", {dtu}},    {"device", {serial, rs485}},
                           {"baud", {serial, rs485}},   {"data_bits", {serial, rs485}},
                           {"parity", {serial, rs485}}, {"stop_bits", {serial, rs485}},
                           {"flow", {serial, rs485}},   {"addresses", {rs485}},
                           {"poll_ms", {rs485}},        {"timeout_ms", {rs485}},
                           {"retries", {rs485}},        {"gap_ms", {rs485}}};
    for (const auto& [key, links] : fields_of_links) {
      if (std::find(links.begin(), links.end(), c.link) != links.end() ||
          !f.get(key, Need::optional))
        continue;
      std::vector<std::string_view> names;
      for (auto link : links) names.push_back(to_string(link));
      f.problem(key, fmt::format("applies only to link {}, not {}", fmt::join(names, " or "),
                                 to_string(c.link)));
    }
    switch (c.link) {
      case tcp_client:
        c.host = f.text("host", Need::required, 253).value_or("");
        c.port =
            static_cast<std::uint16_t>(f.integer("port", Need::required, 1, 65535).value_or(1));
        break;
      case dtu: {
        auto& d = c.dtu;
        d.identity = f.text("identity", Need::required, 64).value_or("");
        d.register_packet = f.text("register", Need::optional, 200).value_or(d.register_packet);
        d.heartbeat_packet = f.text("heartbeat", Need::optional, 200).value_or("");
        d.heartbeat_s = f.integer("heartbeat_s", Need::optional, 1, 3600).value_or(d.heartbeat_s);
        d.offline_after =
            f.integer("offline_after", Need::optional, 2, 100).value_or(d.offline_after);
        for (auto [key, text] : {std::pair{"register", &d.register_packet},
                                 std::pair{"heartbeat", &d.heartbeat_packet}}) {
          try {
            expand_packet_template(*text, d.identity);
          } catch (const std::invalid_argument& e) {
            f.problem(key, fmt::format("is not a packet template: {}", e.what()));
          }
        }
        if (d.register_packet.find("{id}") == std::string::npos) {
          f.problem("register", "must contain {id}: the registration names the DTU");
        } else if (!d.identity.empty()) {
          try {  // halld tells DTUs apart by their registration packets, so no two may be equal
            dtu_packets_.claim(expand_packet_template(d.register_packet, d.identity),
                               f.at("identity"), problems_,
                               "the DTU registration packet of identity " + d.identity + ",");
          } catch (const std::invalid_argument&) {  // reported above
          }
        }
        break;
      }
      case serial:
      case rs485: {
        auto& p = c.serial;
        p.device = f.text("device", Need::required, 200).value_or("");
        p.baud = f.integer("baud", Need::optional, 50, 4'000'000).value_or(p.baud);
        p.data_bits = f.integer("data_bits", Need::optional, 5, 8).value_or(p.data_bits);
        p.parity = f.choice<Parity>("parity", Need::optional).value_or(p.parity);
        p.stop_bits = f.integer("stop_bits", Need::optional, 1, 2).value_or(p.stop_bits);
        p.flow = f.choice<FlowControl>("flow", Need::optional).value_or(p.flow);
        if (c.link == serial) break;
        auto& b = c.bus;
        const json& addresses = f.list("addresses");
        for (std::size_t i = 0; i < addresses.size(); ++i) {
          const auto& a = addresses[i];
          if (!a.is_number_integer() || a.get<std::int64_t>() < 1 || a.get<std::int64_t>() > 247) {
            f.problem(fmt::format("addresses[{}]", i),
                      "expects a bus address from 1 to 247, got " + describe(a));
          } else if (std::find(b.addresses.begin(), b.addresses.end(), a.get<std::uint32_t>()) !=
                     b.addresses.end()) {
            f.problem(fmt::format("addresses[{}]", i),
                      fmt::format("address {} is listed twice", a.get<int>()));
          } else {
            b.addresses.push_back(a.get<std::uint32_t>());
          }
        }
        if (addresses.empty())
          f.problem("addresses", "is missing: a bus needs the addresses it polls");
        b.poll_ms = f.integer("poll_ms", Need::optional, 10, 3'600'000).value_or(b.poll_ms);
        b.timeout_ms = f.integer("timeout_ms", Need::optional, 5, 60'000).value_or(b.timeout_ms);
        b.retries = f.integer("retries", Need::optional, 0, 10).value_or(b.retries);
        b.gap_ms = f.integer("gap_ms", Need::optional, 0, 10'000).value_or(b.gap_ms);
        break;
      }
    }
  }

  void read_week(const json& hours, std::string location, Hall& h) {
    Fields f(hours, std::move(location), problems_);
    for (std::size_t day = 0; day < 7; ++day) {
      auto text = f.text(weekdays[day], Need::optional, 40);
      if (!text) continue;
      try {
        h.week[day] = parse_day_hours(*text);
      } catch (const std::invalid_argument& e) {
        f.problem(
            weekdays[day],
            fmt::format("expects \"HH:MM-HH:MM\", \"HH:MM-HH:MM,HH:MM-HH:MM\" or \"closed\": {}",
                        e.what()));
      }
    }
    f.finish();
  }

  void read_exception(const json& item, std::string location, Hall& h) {
    Fields f(item, std::move(location), problems_);
    CalendarException e;
    if (auto date = f.text("date", Need::required, 10)) {
      if (is_iso_date(*date))
        e.date = *date;
      else
        f.problem("date", fmt::format("expects a date yyyy-mm-dd, got \"{}\"", *date));
    }
    if (auto hours = f.text("hours", Need::required, 40)) {
      try {
        e.hours = parse_day_hours(*hours);
      } catch (const std::invalid_argument& error) {
        f.problem("hours", fmt::format("expects \"closed\" or opening hours: {}", error.what()));
      }
    }
    e.note = f.text("note", Need::optional).value_or("");
    f.finish();
    for (const auto& other : h.exceptions) {
      if (!e.date.empty() && other.date == e.date)
        f.problem("date", fmt::format("{} is listed twice", e.date));
    }
    h.exceptions.push_back(std::move(e));
  }

  void read_window(const json& item, std::string location, Hall& h,
                   std::map<int, std::string>& numbers) {
    Fields f(item, std::move(location), problems_);
    Window w;
    if (auto number = f.integer("number", Need::required, 1, 999)) {
      w.number = *number;
      auto [it, inserted] = numbers.emplace(*number, f.location());
      if (!inserted)
        f.problem("number", fmt::format("window {} is already defined at {}", *number, it->second));
    }
    w.kind = f.choice<WindowKind>("kind", Need::optional).value_or(WindowKind::general);
    const json& types = f.list("business_types");
    for (const auto& type : types) {
      if (!type.is_string()) {
        f.problem("business_types", "expects business type codes (strings), got " + describe(type));
        continue;
      }
      auto code = type.get<std::string>();
      if (!business_codes_.contains(code) && !known_.business_types.contains(code)) {
        f.problem(
            "business_types",
            fmt::format(
                "refers to business type '{}', which is neither in the file nor in the database",
                code));
      }
      w.business_types.push_back(code);
    }
    f.finish();
    h.windows.push_back(std::move(w));
  }

  void read_clerk(const json& item, std::string location, Hall& h) {
    Fields f(item, std::move(location), problems_);
    Clerk c;
    c.staff_no = f.code("staff_no").value_or("");
    c.name = f.text("name", Need::required, 100).value_or("");
    c.status = f.choice<StaffStatus>("status", Need::optional).value_or(StaffStatus::active);
    f.finish();
    if (!c.staff_no.empty())
      staff_numbers_.claim(c.staff_no, f.location(), problems_, "staff number");
    h.clerks.push_back(std::move(c));
  }

  void read_terminal(const json& item, std::string location, Hall& h) {
    Fields f(item, std::move(location), problems_);
    Terminal t;
    t.id = f.code("id").value_or("");
    t.type = f.choice<TerminalType>("type", Need::required).value_or(TerminalType::payment);
    t.placement =
        f.choice<TerminalPlacement>("placement", Need::optional).value_or(TerminalPlacement::lobby);
    t.vendor = f.text("vendor", Need::optional, 100).value_or("");
    t.model = f.text("model", Need::optional, 100).value_or("");
    t.status = f.choice<AssetStatus>("status", Need::optional).value_or(AssetStatus::active);
    for (const auto& component : f.list("components")) {
      std::optional<TerminalComponent> parsed;
      if (component.is_string())
        parsed = parse_enum<TerminalComponent>(component.get<std::string>());
      if (!parsed) {
        f.problem("components",
                  fmt::format("expects components from: {}; got {}",
                              enum_names_listed<TerminalComponent>(), describe(component)));
      } else if (std::find(t.components.begin(), t.components.end(), *parsed) !=
                 t.components.end()) {
        f.problem("components", fmt::format("lists {} twice", to_string(*parsed)));
      } else {
        t.components.push_back(*parsed);
      }
    }
    f.finish();
    if (!t.id.empty()) terminal_ids_.claim(t.id, f.location(), problems_, "terminal");
    h.terminals.push_back(std::move(t));
  }

  void read_device(const json& item, std::string location, Hall& h) {
    Fields f(item, std::move(location), problems_);
    HallDevice d;
    d.id = f.code("id").value_or("");
    d.kind = f.choice<DeviceKind>("kind", Need::required).value_or(DeviceKind::info_screen);
    d.name = f.text("name", Need::optional, 100).value_or("");
    d.vendor = f.text("vendor", Need::optional, 100).value_or("");
    d.model = f.text("model", Need::optional, 100).value_or("");
    f.finish();
    if (!d.id.empty()) device_ids_.claim(d.id, f.location(), problems_, "device");
    h.devices.push_back(std::move(d));
  }

  const KnownCodes& known_;
  Problems problems_;
  ArchiveSet result_;
  UniqueCodes city_codes_, business_codes_, class_codes_, hall_codes_, staff_numbers_,
      terminal_ids_, device_ids_, channel_codes_, dtu_packets_, facility_ids_;
};

}  // namespace

ReadResult read_document(const json& document, const KnownCodes& known) {
  return DocumentReader(known).read(document);
}

ReadResult read_json(std::string_view text, const KnownCodes& known) {
  if (text.size() > max_file_bytes) {
    return {{}, {{"(document)", fmt::format("is larger than {} bytes", max_file_bytes)}}, 0};
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    return {{}, {{fmt::format("(document) byte {}", e.byte), "is not valid JSON"}}, 0};
  } catch (const json::exception& e) {
    // e.g. out_of_range for a number beyond double's range (found by fuzz_archive_json).
    return {{}, {{"(document)", fmt::format("is not usable JSON: {}", e.what())}}, 0};
  }
  return read_document(document, known);
}

}  // namespace halld::archive
