#include "options.hpp"

#include <charconv>
#include <string_view>

#include "halld/records/archive.hpp"
#include "halld/records/event_json.hpp"

namespace hall_sim {
namespace {

using namespace std::chrono_literals;

template <class T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view list, char separator) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    auto at = list.find(separator);
    out.push_back(list.substr(0, at));
    list = at == std::string_view::npos ? std::string_view() : list.substr(at + 1);
  }
  return out;
}

// "HH:MM-HH:MM" or "24h".
bool parse_hours(std::string_view text, tools::OpeningHours& hours) {
  if (text == "24h") {
    hours = tools::OpeningHours::around_the_clock();
    return true;
  }
  int oh = 0, om = 0, ch = 0, cm = 0;
  if (text.size() != 11 || text[2] != ':' || text[5] != '-' || text[8] != ':') return false;
  if (!parse_number(text.substr(0, 2), oh) || !parse_number(text.substr(3, 2), om) ||
      !parse_number(text.substr(6, 2), ch) || !parse_number(text.substr(9, 2), cm)) {
    return false;
  }
  hours.opens_minute = oh * 60 + om;
  hours.closes_minute = ch * 60 + cm;
  return om < 60 && cm < 60 && hours.opens_minute < hours.closes_minute &&
         hours.closes_minute <= 24 * 60;
}

}  // namespace

std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? argv[++i] : ""; };
    bool ok = true;
    if (arg == "--listen") {
      auto v = std::string(value());
      auto colon = v.rfind(':');
      ok =
          colon != std::string::npos && parse_number(std::string_view(v).substr(colon + 1), o.port);
      o.host = v.substr(0, colon);
    } else if (arg == "--site") {
      for (auto site : split(value(), ',')) o.sites.emplace_back(site);
    } else if (arg == "--source")
      ok = parse_number(value(), o.source);
    else if (arg == "--events")
      ok = parse_number(value(), o.events);
    else if (arg == "--rate")
      ok = parse_number(value(), o.rate) && o.rate > 0;
    else if (arg == "--speed")
      ok = parse_number(value(), o.speed) && o.speed > 0;
    else if (arg == "--arrivals-per-hour")
      ok = parse_number(value(), o.arrivals_per_hour) && o.arrivals_per_hour > 0;
    else if (arg == "--windows")
      ok = parse_number(value(), o.windows) && o.windows > 0 && o.windows <= 999;
    else if (arg == "--staffed")
      ok = parse_number(value(), o.staffed) && o.staffed >= 0 && o.staffed <= 999;
    else if (arg == "--queue-at-start")
      ok = parse_number(value(), o.queue_at_start) && o.queue_at_start >= 0 &&
           o.queue_at_start <= 10000;
    else if (arg == "--hours")
      ok = parse_hours(value(), o.hours);
    else if (arg == "--terminals") {
      for (auto item : split(value(), ',')) {
        const bool around_the_clock = item.ends_with(":24h");
        if (around_the_clock) item.remove_suffix(4);
        ok = ok && !item.empty();
        o.terminals.push_back({std::string(item), around_the_clock});
      }
    } else if (arg == "--seed")
      ok = parse_number(value(), o.seed);
    else if (arg == "--cut-after")
      ok = parse_number(value(), o.cut_after);
    else if (arg == "--backlog-hours") {
      const auto range = value();
      const auto dash = range.find('-');
      int from = 0, until = 0;
      ok = dash != std::string_view::npos && parse_number(range.substr(0, dash), from) &&
           parse_number(range.substr(dash + 1), until) && 0 <= from && from < until;
      if (ok) o.backlog_hours = std::pair{from, until};
    } else if (arg == "--port-file")
      o.port_file = value();
    else if (arg == "--stats-file")
      o.stats_file = value();
    else if (arg == "--write-log")
      o.write_log = value();
    else if (arg == "--protocol-file")
      o.protocol_file = value();
    else if (arg == "--exit-when-acked")
      o.exit_when_acked = true;
    else if (arg == "--start") {
      auto start = records::parse_instant(value(), std::chrono::minutes(0));
      ok = start.has_value();
      if (ok) o.start = start->at;
    } else if (arg == "--serial")
      o.serial = true;
    else if (arg == "--bus") {
      auto list = split(value(), ',');
      ok = !list.empty();
      for (auto item : list) {
        std::uint32_t address = 0;
        ok = ok && parse_number(item, address) && address >= 1 && address <= 247;
        o.bus_addresses.push_back(address);
      }
    } else if (arg == "--dtu") {
      auto v = std::string(value());
      auto colon = v.rfind(':');
      ok = colon != std::string::npos &&
           parse_number(std::string_view(v).substr(colon + 1), o.dtu_port) && o.dtu_port != 0;
      o.dtu_host = v.substr(0, colon);
    } else if (arg == "--marketing-listen") {
      auto v = std::string(value());
      auto colon = v.rfind(':');
      std::uint16_t port = 0;
      ok = colon != std::string::npos && parse_number(std::string_view(v).substr(colon + 1), port);
      o.marketing_port = port;
    } else if (arg == "--marketing-port-file")
      o.marketing_port_file = value();
    else if (arg == "--marketing-archive")
      o.marketing_archive = value();
    else if (arg == "--marketing-city")
      o.marketing_city = value();
    else if (arg == "--marketing-user")
      o.marketing_user = value();
    else if (arg == "--marketing-password")
      o.marketing_password = value();
    else if (arg == "--marketing-gbk")
      o.marketing_gbk = true;
    else if (arg == "--register")
      o.registration_template = value();
    else if (arg == "--identity")
      o.identity = value();
    else if (arg == "--dtu-heartbeat")
      o.heartbeat_template = value();
    else if (arg == "--dtu-heartbeat-ms") {
      long ms = 0;
      ok = parse_number(value(), ms) && ms > 0;
      o.dtu_heartbeat_interval = std::chrono::milliseconds(ms);
    } else
      ok = false;
    if (!ok) return std::nullopt;
  }
  const bool one_line =
      o.serial || !o.terminals.empty();  // a pty, or one server for all its terminals
  if (o.sites.empty() || (o.dtu_port != 0 && o.identity.empty()) ||
      (!o.bus_addresses.empty() && !o.serial) || (one_line && o.sites.size() > 1)) {
    return std::nullopt;
  }
  return o;
}

std::optional<HallSetup> hall_setup(const Options& o, std::size_t i) {
  HallSetup hall{
      o.sites[i], o.seed + i, static_cast<std::uint16_t>(o.port == 0 ? 0 : o.port + i), {}, {}};
  std::string identity = o.identity;
  std::uint64_t number = 0;
  if (i > 0 && parse_number(std::string_view(identity), number))
    identity = std::to_string(number + i);
  try {
    hall.registration = records::expand_packet_template(o.registration_template, identity);
    hall.dtu_heartbeat = records::expand_packet_template(o.heartbeat_template, identity);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  return hall;
}

}  // namespace hall_sim
