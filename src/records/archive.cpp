#include "halld/records/archive.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace halld::records {
namespace {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

constexpr NameTable<HallLevel, 4> hall_levels{
    {{HallLevel::a, "A"}, {HallLevel::b, "B"}, {HallLevel::c, "C"}, {HallLevel::d, "D"}}};
constexpr NameTable<HallStatus, 3> hall_statuses{{{HallStatus::open, "open"},
                                                  {HallStatus::suspended, "suspended"},
                                                  {HallStatus::closed, "closed"}}};
constexpr NameTable<WindowKind, 4> window_kinds{{{WindowKind::general, "general"},
                                                 {WindowKind::vip, "vip"},
                                                 {WindowKind::pre_processing, "pre_processing"},
                                                 {WindowKind::interactive, "interactive"}}};
constexpr NameTable<ServiceChannel, 3> service_channels{
    {{ServiceChannel::counter, "counter"},
     {ServiceChannel::self_service, "self_service"},
     {ServiceChannel::both, "both"}}};
constexpr NameTable<StaffStatus, 2> staff_statuses{
    {{StaffStatus::active, "active"}, {StaffStatus::inactive, "inactive"}}};
constexpr NameTable<TerminalType, 4> terminal_types{{{TerminalType::payment, "payment"},
                                                     {TerminalType::business, "business"},
                                                     {TerminalType::query, "query"},
                                                     {TerminalType::internet, "internet"}}};
constexpr NameTable<TerminalPlacement, 3> terminal_placements{
    {{TerminalPlacement::lobby, "lobby"},
     {TerminalPlacement::through_wall, "through_wall"},
     {TerminalPlacement::zone_24h, "zone_24h"}}};
constexpr NameTable<TerminalComponent, 9> terminal_components{
    {{TerminalComponent::card_reader, "card_reader"},
     {TerminalComponent::id_card_reader, "id_card_reader"},
     {TerminalComponent::receipt_printer, "receipt_printer"},
     {TerminalComponent::invoice_printer, "invoice_printer"},
     {TerminalComponent::cash_acceptor, "cash_acceptor"},
     {TerminalComponent::change_dispenser, "change_dispenser"},
     {TerminalComponent::pin_pad, "pin_pad"},
     {TerminalComponent::touch_screen, "touch_screen"},
     {TerminalComponent::camera, "camera"}}};
constexpr NameTable<AssetStatus, 2> asset_statuses{
    {{AssetStatus::active, "active"}, {AssetStatus::retired, "retired"}}};
constexpr NameTable<DeviceKind, 5> device_kinds{{{DeviceKind::info_screen, "info_screen"},
                                                 {DeviceKind::led_board, "led_board"},
                                                 {DeviceKind::dvr, "dvr"},
                                                 {DeviceKind::access_control, "access_control"},
                                                 {DeviceKind::sensor, "sensor"}}};

constexpr NameTable<ChannelProtocol, 3> channel_protocols{
    {{ChannelProtocol::queue_eval, "queue_eval"},
     {ChannelProtocol::terminal, "terminal"},
     {ChannelProtocol::modbus, "modbus"}}};
constexpr NameTable<FacilityKind, 5> facility_kinds{
    {{FacilityKind::environment, "environment"},
     {FacilityKind::meter, "meter"},
     {FacilityKind::air_conditioner, "air_conditioner"},
     {FacilityKind::lighting, "lighting"},
     {FacilityKind::people_counter, "people_counter"}}};
constexpr NameTable<FacilityQuantity, 8> facility_quantities{
    {{FacilityQuantity::temperature, "temperature"},
     {FacilityQuantity::humidity, "humidity"},
     {FacilityQuantity::power, "power"},
     {FacilityQuantity::energy, "energy"},
     {FacilityQuantity::people, "people"},
     {FacilityQuantity::set_point, "set_point"},
     {FacilityQuantity::on_off, "on_off"},
     {FacilityQuantity::other, "other"}}};
constexpr NameTable<ChannelLink, 4> channel_links{{{ChannelLink::tcp_client, "tcp_client"},
                                                   {ChannelLink::dtu, "dtu"},
                                                   {ChannelLink::serial, "serial"},
                                                   {ChannelLink::rs485, "rs485"}}};
constexpr NameTable<Parity, 3> parities{
    {{Parity::none, "none"}, {Parity::odd, "odd"}, {Parity::even, "even"}}};
constexpr NameTable<FlowControl, 3> flow_controls{{{FlowControl::none, "none"},
                                                   {FlowControl::software, "software"},
                                                   {FlowControl::hardware, "hardware"}}};

template <class Enum>
constexpr const auto& table_of() {
  if constexpr (std::is_same_v<Enum, HallLevel>)
    return hall_levels;
  else if constexpr (std::is_same_v<Enum, HallStatus>)
    return hall_statuses;
  else if constexpr (std::is_same_v<Enum, WindowKind>)
    return window_kinds;
  else if constexpr (std::is_same_v<Enum, ServiceChannel>)
    return service_channels;
  else if constexpr (std::is_same_v<Enum, StaffStatus>)
    return staff_statuses;
  else if constexpr (std::is_same_v<Enum, TerminalType>)
    return terminal_types;
  else if constexpr (std::is_same_v<Enum, TerminalPlacement>)
    return terminal_placements;
  else if constexpr (std::is_same_v<Enum, TerminalComponent>)
    return terminal_components;
  else if constexpr (std::is_same_v<Enum, AssetStatus>)
    return asset_statuses;
  else if constexpr (std::is_same_v<Enum, DeviceKind>)
    return device_kinds;
  else if constexpr (std::is_same_v<Enum, ChannelProtocol>)
    return channel_protocols;
  else if constexpr (std::is_same_v<Enum, FacilityKind>)
    return facility_kinds;
  else if constexpr (std::is_same_v<Enum, FacilityQuantity>)
    return facility_quantities;
  else if constexpr (std::is_same_v<Enum, Parity>)
    return parities;
  else if constexpr (std::is_same_v<Enum, FlowControl>)
    return flow_controls;
  else
    return channel_links;
}

template <class Enum>
std::string_view name_of(Enum value) {
  for (const auto& [e, name] : table_of<Enum>()) {
    if (e == value) return name;
  }
  return "?";
}

// "HH:MM" with HH 00..24 (24:00 only as a closing time).
MinuteOfDay parse_clock(std::string_view text) {
  int hours = 0, minutes = 0;
  if (text.size() != 5 || text[2] != ':') throw std::invalid_argument("a time must be HH:MM");
  auto h = std::from_chars(text.data(), text.data() + 2, hours);
  auto m = std::from_chars(text.data() + 3, text.data() + 5, minutes);
  if (h.ptr != text.data() + 2 || m.ptr != text.data() + 5 || hours > 24 || minutes > 59 ||
      (hours == 24 && minutes != 0)) {
    throw std::invalid_argument(fmt::format("'{}' is not a time HH:MM", text));
  }
  return static_cast<MinuteOfDay>(hours * 60 + minutes);
}

std::pair<MinuteOfDay, MinuteOfDay> parse_interval(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos)
    throw std::invalid_argument("an interval must be HH:MM-HH:MM");
  auto from = parse_clock(text.substr(0, dash));
  auto to = parse_clock(text.substr(dash + 1));
  if (from >= to) throw std::invalid_argument(fmt::format("'{}' ends before it starts", text));
  return {from, to};
}

std::string clock_text(MinuteOfDay minute) {
  return fmt::format("{:02}:{:02}", minute / 60, minute % 60);
}

}  // namespace

std::string_view to_string(HallLevel v) {
  return name_of(v);
}
std::string_view to_string(HallStatus v) {
  return name_of(v);
}
std::string_view to_string(WindowKind v) {
  return name_of(v);
}
std::string_view to_string(ServiceChannel v) {
  return name_of(v);
}
std::string_view to_string(StaffStatus v) {
  return name_of(v);
}
std::string_view to_string(TerminalType v) {
  return name_of(v);
}
std::string_view to_string(TerminalPlacement v) {
  return name_of(v);
}
std::string_view to_string(TerminalComponent v) {
  return name_of(v);
}
std::string_view to_string(AssetStatus v) {
  return name_of(v);
}
std::string_view to_string(DeviceKind v) {
  return name_of(v);
}
std::string_view to_string(ChannelProtocol v) {
  return name_of(v);
}
std::string_view to_string(FacilityKind v) {
  return name_of(v);
}
std::string_view to_string(FacilityQuantity v) {
  return name_of(v);
}
std::string_view to_string(ChannelLink v) {
  return name_of(v);
}
std::string_view to_string(Parity v) {
  return name_of(v);
}
std::string_view to_string(FlowControl v) {
  return name_of(v);
}

template <class Enum>
std::optional<Enum> parse_enum(std::string_view text) {
  for (const auto& [e, name] : table_of<Enum>()) {
    if (name == text) return e;
  }
  return std::nullopt;
}

template <class Enum>
std::string enum_names_listed() {
  std::string out;
  for (const auto& [e, name] : table_of<Enum>()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

#define HALLD_INSTANTIATE(Enum)                                    \
  template std::optional<Enum> parse_enum<Enum>(std::string_view); \
  template std::string enum_names_listed<Enum>();
HALLD_INSTANTIATE(HallLevel)
HALLD_INSTANTIATE(HallStatus)
HALLD_INSTANTIATE(WindowKind)
HALLD_INSTANTIATE(ServiceChannel)
HALLD_INSTANTIATE(StaffStatus)
HALLD_INSTANTIATE(TerminalType)
HALLD_INSTANTIATE(TerminalPlacement)
HALLD_INSTANTIATE(TerminalComponent)
HALLD_INSTANTIATE(AssetStatus)
HALLD_INSTANTIATE(DeviceKind)
HALLD_INSTANTIATE(ChannelProtocol)
HALLD_INSTANTIATE(FacilityKind)
HALLD_INSTANTIATE(FacilityQuantity)
HALLD_INSTANTIATE(ChannelLink)
HALLD_INSTANTIATE(Parity)
HALLD_INSTANTIATE(FlowControl)
#undef HALLD_INSTANTIATE

std::optional<DayHours> parse_day_hours(std::string_view text) {
  if (text == "closed") return std::nullopt;
  DayHours hours;
  auto comma = text.find(',');
  if (comma == std::string_view::npos) {
    std::tie(hours.opens, hours.closes) = parse_interval(text);
    return hours;
  }
  auto [morning_from, morning_to] = parse_interval(text.substr(0, comma));
  auto [afternoon_from, afternoon_to] = parse_interval(text.substr(comma + 1));
  if (afternoon_from <= morning_to) {
    throw std::invalid_argument(
        fmt::format("'{}': the afternoon must start after the morning ends", text));
  }
  hours.opens = morning_from;
  hours.closes = afternoon_to;
  hours.lunch_starts = morning_to;
  hours.lunch_ends = afternoon_from;
  return hours;
}

std::string format_day_hours(const std::optional<DayHours>& hours) {
  if (!hours) return "closed";
  if (!hours->lunch_starts) return clock_text(hours->opens) + "-" + clock_text(hours->closes);
  return fmt::format("{}-{},{}-{}", clock_text(hours->opens), clock_text(*hours->lunch_starts),
                     clock_text(*hours->lunch_ends), clock_text(hours->closes));
}

std::string protocol_name(const AcquisitionChannel& channel) {
  return channel.described_protocol.empty() ? std::string(to_string(channel.protocol))
                                            : channel.described_protocol;
}

std::string expand_packet_template(std::string_view text, std::string_view identity) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 4) == "{id}") {
      out += identity;
      i += 4;
    } else if (text[i] != '\\') {
      out += text[i++];
    } else if (text.substr(i, 2) == "\\\\") {
      out += '\\';
      i += 2;
    } else if (text.size() - i >= 4 && text[i + 1] == 'x' &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 3]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 2, 2)), nullptr, 16));
      i += 4;
    } else {
      throw std::invalid_argument(
          fmt::format("at character {}: a backslash must start \\xHH or \\\\", i + 1));
    }
  }
  return out;
}

}  // namespace halld::records
