// records/archive: the archive (档案) of a province as plain values: cities, halls with their
// opening hours, windows, clerks, self-service terminals and devices, and the catalogues of
// business types and customer classes. Owns: these types and their canonical text names.
// Must not touch: I/O of any kind.
#pragma once

#include <chrono>
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
  card_reader,
  id_card_reader,
  receipt_printer,
  invoice_printer,
  cash_acceptor,
  change_dispenser,
  pin_pad,
  touch_screen,
  camera
};
enum class AssetStatus { active, retired };
enum class DeviceKind { info_screen, led_board, dvr, access_control, sensor };
// modbus: a channel to a hall's facility devices, which halld polls as a Modbus master.
enum class ChannelProtocol { queue_eval, terminal, modbus };
enum class FacilityKind { environment, meter, air_conditioner, lighting, people_counter };
// What a facility device's point measures or sets: the hall page's charts and the alarm rules'
// indicators go by it. temperature °C, humidity %RH, power kW, energy kWh, people in the hall,
// set_point a target the device holds, on_off 1 on / 0 off.
enum class FacilityQuantity {
  temperature,
  humidity,
  power,
  energy,
  people,
  set_point,
  on_off,
  other
};
enum class ChannelLink { tcp_client, dtu, serial, rs485 };
enum class Parity { none, odd, even };
enum class FlowControl { none, software, hardware };

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
std::string_view to_string(FacilityKind);
std::string_view to_string(FacilityQuantity);
std::string_view to_string(ChannelLink);
std::string_view to_string(Parity);
std::string_view to_string(FlowControl);

template <class Enum>
std::optional<Enum> parse_enum(std::string_view text);
// All names of an enum, for error messages ("one of: general, vip, ...").
template <class Enum>
std::string enum_names_listed();

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
  std::string date;               // ISO yyyy-mm-dd
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
  std::string name;  // zh-CN
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

// A GPRS DTU that dials in: after connecting it sends its registration packet, and while idle
// its heartbeat packet, both made from templates as DTU vendors configure them.
struct DtuLinkSettings {
  std::string identity;                  // SIM number, IMEI or a user string
  std::string register_packet = "{id}";  // template, see expand_packet_template
  std::string heartbeat_packet;          // template; empty: the DTU sends none
  int heartbeat_s = 60;                  // the DTU's heartbeat interval
  int offline_after = 3;  // intervals without a byte before the DTU counts as offline
  bool operator==(const DtuLinkSettings&) const = default;
};

struct SerialLinkSettings {
  std::string device;  // /dev/ttyS0, /dev/ttyUSB0 …
  int baud = 9600;
  int data_bits = 8;
  Parity parity = Parity::none;
  int stop_bits = 1;
  FlowControl flow = FlowControl::none;
  bool operator==(const SerialLinkSettings&) const = default;
};

// An RS-485 bus that halld polls as master, one request on the bus at a time.
struct BusSettings {
  std::vector<std::uint32_t> addresses;  // the devices on the bus
  int poll_ms = 1000;                    // each device is polled at least this often
  int timeout_ms = 300;                  // for a device's answer to begin and end
  int retries = 2;                       // further polls of a silent device before moving on
  int gap_ms = 20;                       // quiet time between frames on the bus
  bool operator==(const BusSettings&) const = default;
};

// A facility device (设施) of a hall on a Modbus channel: what it is, the register map it has
// (a registry description of family modbus, docs/protocols/modbus.md) and how halld polls it.
struct FacilityDevice {
  std::string id;
  FacilityKind kind = FacilityKind::environment;
  std::string name;
  std::string model;  // the description's name
  int unit = 1;       // the Modbus address (RTU 1–247; TCP the unit identifier 0–255)
  int poll_ms = 10000;
  int timeout_ms = 1000;  // for the answer to each request
  int retries = 2;        // further tries of a request the device did not answer
  bool operator==(const FacilityDevice&) const = default;
};

// A value read from a facility device's point, as halld keeps it (store, live view, alarm rules).
struct FacilityReading {
  std::string device;  // the FacilityDevice's id
  std::string point;   // the model's point name
  FacilityQuantity quantity = FacilityQuantity::other;
  std::string unit;
  double value = 0;
  std::chrono::system_clock::time_point at{};
};

// An acquisition channel (采集通道): a link, a protocol and what it covers.
struct AcquisitionChannel {
  std::string code;
  std::string hall_code;  // empty: a server for many halls (found through its terminals)
  // The family: which commands and pages the channel serves. halld's own protocol of that family
  // is spoken unless `described_protocol` names a description (docs/protocols/adapters.md).
  ChannelProtocol protocol = ChannelProtocol::queue_eval;
  std::string described_protocol;
  ChannelLink link = ChannelLink::tcp_client;
  std::string host;                        // tcp_client
  std::uint16_t port = 0;                  // tcp_client
  DtuLinkSettings dtu;                     // dtu
  SerialLinkSettings serial;               // serial, rs485
  BusSettings bus;                         // rs485
  std::vector<FacilityDevice> facilities;  // modbus
  std::string site;  // what the device names in its login; defaults to the hall code
  bool enabled = true;
  bool tap = false;  // log every byte in and out as hex, at trace level
};

// What the channel speaks, as its archive and status name it: the description's name, or halld's
// own protocol's.
std::string protocol_name(const AcquisitionChannel& channel);

// A DTU packet template: text with {id} for the identity and \xHH for any byte (\\ for a
// backslash), e.g. "\x7e{id}\x0d\x0a". Throws std::invalid_argument naming what is wrong.
std::string expand_packet_template(std::string_view text, std::string_view identity);

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
