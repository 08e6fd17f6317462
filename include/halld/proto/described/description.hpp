// proto/described/description: a hall protocol described as data (docs/protocols/adapters.md):
// its framing, checksum, fields, messages and how each message becomes one of halld's records.
// Owns: reading a description (YAML or JSON) and refusing one that is ambiguous or unsafe, with
// the line it found the fault on. Pure: text in, a checked description out; no I/O.
// Must not touch: bytes on a link (proto/described/interpreter does that).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "halld/records/archive.hpp"
#include "halld/records/events.hpp"

namespace halld::proto::described {

// A description that cannot be used: what is wrong and on which line (1-based; 0 when the
// fault is in the whole rather than in one place).
struct DescriptionError : std::runtime_error {
  DescriptionError(std::size_t line, const std::string& what);
  std::size_t line;
};

enum class ByteOrder : std::uint8_t { little, big };
enum class Charset : std::uint8_t { utf8, gbk };
enum class ChecksumKind : std::uint8_t { crc16_modbus, crc16_ccitt, xor8, sum8 };

// What a value of the message is, as read from the wire or written to it.
struct Value;
using Items = std::vector<std::vector<Value>>;  // a list's items, each its fields by index
struct Value {
  enum class Kind : std::uint8_t { none, integer, text, time, items } kind = Kind::none;
  std::int64_t integer = 0;
  std::string text;
  records::Timestamp time{};
  std::shared_ptr<Items> items;
};

// Where a member of the record (or a header field, or a value written) comes from: a field
// read, a value of the conversation ($server_time, $sequence, $source, $outcome, $received,
// $command_id, or a command's JSON member), or a constant.
struct Source {
  enum class Kind : std::uint8_t { field, context, constant } kind = Kind::constant;
  std::size_t slot = 0;  // field
  std::string name;      // context
  Value constant;
  std::size_t line = 0;
};

// One field of a message, or of a list's items.
struct Field {
  enum class Type : std::uint8_t {
    uint,    // size bytes, byte order
    sint,    // size bytes, two's complement
    bcd,     // size bytes, two decimal digits each: an integer
    string,  // fixed `size` (padded with `pad`), or `count` bytes of length first; or text
    time,    // unix seconds (size 4 or 8), BCD (size 6: YYMMDDhhmmss, 7: YYYYMMDDhhmmss), text
    list,    // `count` bytes of item count, then the items' fields
  };
  std::string name;
  std::size_t line = 0;
  Type type = Type::uint;
  std::size_t size = 0;   // bytes; 0 for a length-prefixed string or a list
  std::size_t count = 0;  // bytes of the length or item count before a string or list
  ByteOrder order = ByteOrder::little;
  Charset charset = Charset::utf8;
  std::uint8_t pad = 0;
  std::string time_format;  // text protocols: strftime-like, %Y %m %d %H %M %S only
  std::string key;          // text protocols: the key the value stands under
  // Must read this, and is written so: a header field's per direction, a message field's both.
  std::optional<std::int64_t> up_constant, down_constant;
  std::int64_t mask =
      -1;  // header fields: the bits the constants are compared on (others reserved)
  // Downlink: where the written value comes from (unset: the value of the conversation or the
  // command member of the field's name), and what a command left without it gets.
  std::optional<Source> value;
  std::optional<Value> fallback;
  std::map<std::int64_t, std::string> names;  // wire code → what it means (an enumeration)
  std::map<std::string, std::int64_t> codes;  // downlink: a command's word → the code written
  std::optional<std::int64_t> minimum, maximum;
  // Present only when an earlier field's value lies in [least, most] (a later version's addition).
  struct When {
    std::size_t slot;
    std::int64_t least, most;
  };
  std::optional<When> when;
  std::size_t max_items = 0;  // lists
  std::vector<Field> items;   // lists
  std::size_t slot = 0;       // where its value is kept while a message is read or written
};

// What a message means to the conversation.
enum class Role : std::uint8_t {
  login,           // up: site, device_id, version, epoch
  heartbeat,       // up
  data,            // up: an event
  command_result,  // up: command, outcome, detail
  login_ack,       // down: outcome, server_time
  heartbeat_ack,   // down: server_time
  data_ack,        // down: sequence
  command,         // down: an operator's command (proto/commands JSON)
};

// One member of the event a data message makes, e.g. "window" from the field "window_no".
struct MemberMapping {
  std::size_t member = 0;  // its index in records::members order
  std::string name;
  Source from;
  std::vector<MemberMapping> each;  // list members: the members of each item, from its fields
};

struct Message {
  std::string name;
  std::size_t line = 0;
  Role role = Role::data;
  bool uplink = true;
  Value code;  // the function code (an integer) or, in text protocols, the key's text
  std::vector<Field> fields;
  // Data: the event's type (index into records::EventBody), its time and members.
  std::size_t event_type = 0;
  std::optional<Source> at;
  std::vector<MemberMapping> members;
  // Command: the kind of proto/commands JSON it carries out.
  std::string command_kind;
  // Down: what the header fields of the frame carry (by header field slot).
  std::map<std::size_t, Source> header;
  // Up: where the sequence number and source address are, when not in the header.
  std::optional<std::size_t> sequence_slot, source_slot;
  std::size_t slots = 0;  // how many values reading it keeps (its header's and its own)
};

// A binary frame, part by part from the first byte to the last.
struct Part {
  enum class Kind : std::uint8_t { literal, field, length, data, checksum } kind = Kind::literal;
  std::vector<std::uint8_t> bytes;  // literal
  Field field;                      // field and length: how it is written
  // field: what it means to the conversation: "function", "source", "sequence" or "" (then
  // it carries a constant, checked on reading)
  std::string meaning;
  std::size_t counts_from = 0, counts_to = 0;  // length: which parts it counts (inclusive)
  std::int64_t adjust = 0;                     // length: added to what it counts
  ChecksumKind checksum = ChecksumKind::crc16_modbus;
  ByteOrder checksum_order = ByteOrder::little;
  std::size_t over_from = 0, over_to = 0;  // checksum: the parts it covers (inclusive)
  std::size_t line = 0;
};

struct Escaping {  // byte stuffing between the start and the end bytes
  std::uint8_t escape = 0x10;
  std::uint8_t xor_with = 0;          // 0: the escaped byte follows as is (DLE style)
  std::vector<std::uint8_t> escaped;  // the bytes that are written escaped
};

struct Description {
  std::string name;
  std::uint32_t version = 1;
  std::string title;
  std::string checksum;  // SHA-256 of the text it was read from, hex
  records::ChannelProtocol family = records::ChannelProtocol::queue_eval;
  enum class Kind : std::uint8_t { binary, text } kind = Kind::binary;
  std::chrono::minutes time_offset{480};  // of times written without a zone: Beijing time
  std::size_t max_frame = 4096;
  bool login_required = true;
  std::uint16_t min_login_version = 0, max_login_version = 0;  // 0, 0: any

  // Binary.
  std::vector<Part> parts;
  std::optional<Escaping> escaping;
  std::size_t header_slots = 0;
  // Text: one message per line, "key=value" pairs.
  std::string terminator = "\n";
  char pair_separator = ';';
  char assign = '=';
  Charset charset = Charset::utf8;
  std::string function_key;  // the key whose value names the message
  std::string sequence_key, source_key;

  std::vector<Message> messages;
  // Lookups built at load: uplink messages by code, downlink by role (and command by kind).
  std::map<std::int64_t, std::size_t> uplink_by_code;
  std::map<std::string, std::size_t> uplink_by_text;
  std::map<Role, std::size_t> downlink_by_role;
  std::map<std::string, std::size_t> command_by_kind;
};

// Reads and checks a description. Throws DescriptionError naming the line.
Description load_description(std::string_view text);

}  // namespace halld::proto::described
