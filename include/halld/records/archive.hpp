// records/archive: the archive (档案) of a province as plain values: cities, halls with their
// opening hours, windows, clerks, self-service terminals and devices, and the catalogues of
// business types and customer classes. Owns: these types and their canonical text names.
// Must not touch: I/O of any kind.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace halld::records {

enum class HallLevel { a, b, c, d };
enum class HallStatus { open, suspended, closed };
enum class WindowKind { general, vip, pre_processing, interactive };
enum class ServiceChannel { counter, self_service, both };
enum class StaffStatus { active, inactive };
enum class TerminalType { payment, business, query, internet };
enum class TerminalPlacement { lobby, through_wall, zone_24h };
enum class TerminalComponent {
  card_reader, id_card_reader, receipt_printer, invoice_printer, cash_acceptor,
  change_dispenser, pin_pad, touch_screen, camera
};
enum class AssetStatus { active, retired };
enum class DeviceKind { info_screen, led_board, dvr, access_control, sensor };
enum class ChannelProtocol { queue_eval, terminal };
enum class ChannelLink { tcp_client };

// Canonical names ("pre_processing", "zone_24h", ...) as used in files, the API and the database.
std::string_view to_string(HallLevel);
std::string_view to_string(HallStatus);
std::string_view to_string(WindowKind);
std::string_view to_string(ServiceChannel);
std::string_view to_string(StaffStatus);
std::string_view to_string(TerminalType);
std::string_view to_string(TerminalPlacement);
std::string_view to_string(TerminalComponent);
std::string_view to_string(AssetStatus);
std::string_view to_string(DeviceKind);
std::string_view to_string(ChannelProtocol);
std::string_view to_string(ChannelLink);

template <class Enum>
std::optional<Enum> parse_enum(std::string_view text);
// All names of an enum, for error messages ("one of: general, vip, ...").
template <class Enum>
std::string enum_names();

// Minutes since local midnight; 1440 stands for 24:00.
using MinuteOfDay = std::uint16_t;

// One day's hours: open..close, with an optional lunch break in which the hall is closed.
struct DayHours {
  MinuteOfDay opens = 0;
  MinuteOfDay closes = 0;
  std::optional<MinuteOfDay> lunch_starts;
  std::optional<MinuteOfDay> lunch_ends;
};

// "08:30-17:30", "08:30-12:00,13:30-17:30" (lunch break), "00:00-24:00", or "closed".
// nullopt means closed; throws std::invalid_argument on anything else.
std::optional<DayHours> parse_day_hours(std::string_view text);
std::string format_day_hours(const std::optional<DayHours>& hours);

struct CalendarException {
  std::string date;  // ISO yyyy-mm-dd
  std::optional<DayHours> hours;  // nullopt: closed all day
  std::string note;
};

struct Window {
  int number = 0;
  WindowKind kind = WindowKind::general;
  std::vector<std::string> business_types;  // codes
};

struct Clerk {
  std::string staff_no;
  std::string name;
  StaffStatus status = StaffStatus::active;
};

struct Terminal {
  std::string id;
  TerminalType type = TerminalType::payment;
  TerminalPlacement placement = TerminalPlacement::lobby;
  std::string vendor;
  std::string model;
  std::vector<TerminalComponent> components;
  AssetStatus status = AssetStatus::active;
};

struct HallDevice {
  std::string id;
  DeviceKind kind = DeviceKind::info_screen;
  std::string name;
  std::string vendor;
  std::string model;
};

struct Hall {
  std::string code;
  std::string name;
  std::string city_code;
  std::string county;
  std::string address;
  double latitude = 0;
  double longitude = 0;
  HallLevel level = HallLevel::c;
  int target_wait_minutes = 20;
  HallStatus status = HallStatus::open;
  std::string timezone = "Asia/Shanghai";
  std::optional<DayHours> week[7];  // Monday first; nullopt: closed that weekday
  std::vector<CalendarException> exceptions;
  std::vector<Window> windows;
  std::vector<Clerk> clerks;
  std::vector<Terminal> terminals;
  std::vector<HallDevice> devices;
};

struct City {
  std::string code;
  std::string name;
};

struct Province {
  std::string code;
  std::string name;
};

struct BusinessType {
  std::string code;
  std::string name;     // zh-CN
  std::string name_en;
  ServiceChannel channel = ServiceChannel::counter;
  int target_handling_minutes = 10;
};

struct CustomerClass {
  std::string code;
  std::string name;
  std::string name_en;
  double weight = 1.0;
};

// An acquisition channel (采集通道): a link, a protocol and what it covers.
struct AcquisitionChannel {
  std::string code;
  std::string hall_code;  // empty: a server for many halls (found through its terminals)
  ChannelProtocol protocol = ChannelProtocol::queue_eval;
  ChannelLink link = ChannelLink::tcp_client;
  std::string host;
  std::uint16_t port = 0;
  std::string site;  // what the device names in its login; defaults to the hall code
  bool enabled = true;
  bool tap = false;  // log every byte in and out as hex, at trace level
};

// What one import file (or CSV folder) holds.
struct ArchiveSet {
  std::optional<Province> province;
  std::vector<City> cities;
  std::vector<BusinessType> business_types;
  std::vector<CustomerClass> customer_classes;
  std::vector<Hall> halls;
  std::vector<AcquisitionChannel> channels;
};

}  // namespace halld::records
