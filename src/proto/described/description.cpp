#include "halld/proto/described/description.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "../yaml_reading.hpp"
#include "halld/records/members.hpp"

namespace halld::proto::described {

DescriptionError::DescriptionError(std::size_t line, const std::string& what)
    : std::runtime_error(line ? fmt::format("line {}: {}", line, what) : what), line(line) {}

namespace {

constexpr std::size_t max_fields = 64;  // of one message, or of one list's items
constexpr std::size_t max_messages = 256;
constexpr std::size_t max_frame_limit = 65536;

using yaml::bytes_of;
using yaml::fail;
using yaml::integer_of;
using yaml::line_of;
using yaml::only_keys;
using yaml::size_of;
using yaml::text_of;

ByteOrder order_of(const YAML::Node& node) {
  const auto text = text_of(node, "order");
  if (text == "little") return ByteOrder::little;
  if (text == "big") return ByteOrder::big;
  fail(node, "'order' must be little or big");
}

Charset charset_of(const YAML::Node& node) {
  const auto text = text_of(node, "charset");
  if (text == "utf-8" || text == "utf8") return Charset::utf8;
  if (text == "gbk" || text == "gb18030" || text == "gb2312") return Charset::gbk;
  fail(node, "'charset' must be utf-8 or gbk");
}

std::chrono::minutes offset_of(const YAML::Node& node) {
  const auto text = text_of(node, "time_offset");
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':')
    fail(node, "'time_offset' must read like +08:00");
  int hours = 0, minutes = 0;
  std::from_chars(text.data() + 1, text.data() + 3, hours);
  std::from_chars(text.data() + 4, text.data() + 6, minutes);
  if (hours > 14 || minutes > 59) fail(node, "'time_offset' is out of range");
  return std::chrono::minutes((hours * 60 + minutes) * (text[0] == '-' ? -1 : 1));
}

// Reading a description: the names met so far, to resolve references and refuse twins.
class Reader {
 public:
  explicit Reader(Description& d) : d_(d) {}

  void top(const YAML::Node& root) {
    only_keys(root,
              {"protocol", "family", "version", "title", "kind", "byte_order", "time_offset",
               "max_frame", "login", "frame", "escaping", "terminator", "pairs", "assign",
               "charset", "function_key", "sequence_key", "source_key", "messages"},
              "the description");
    if (!root["protocol"]) fail(root, "'protocol' (the description's name) is missing");
    d_.name = text_of(root["protocol"], "protocol");
    if (d_.name.empty() || d_.name.size() > 40 ||
        d_.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
      fail(root["protocol"], "'protocol' must be 1–40 of a–z, 0–9 and _");
    if (records::parse_enum<records::ChannelProtocol>(d_.name))
      fail(root["protocol"], fmt::format("'{}' is the name of halld's own compiled protocol; "
                                         "a description needs a name of its own",
                                         d_.name));
    // Which commands and which pages a channel of the protocol serves: a queue system's or a
    // terminal manager's.
    if (!root["family"]) fail(root, "'family' (queue_eval or terminal) is missing");
    const auto family =
        records::parse_enum<records::ChannelProtocol>(text_of(root["family"], "family"));
    if (!family || *family == records::ChannelProtocol::modbus)
      fail(root["family"], "'family' must be queue_eval or terminal");
    d_.family = *family;
    if (root["version"])
      d_.version = static_cast<std::uint32_t>(size_of(root["version"], "version", 1, 1000000));
    if (root["title"]) d_.title = text_of(root["title"], "title");
    if (root["kind"]) {
      const auto kind = text_of(root["kind"], "kind");
      if (kind == "text")
        d_.kind = Description::Kind::text;
      else if (kind != "binary")
        fail(root["kind"], "'kind' must be binary or text");
    }
    if (root["byte_order"]) default_order_ = order_of(root["byte_order"]);
    if (root["time_offset"]) d_.time_offset = offset_of(root["time_offset"]);
    if (root["max_frame"])
      d_.max_frame = size_of(root["max_frame"], "max_frame", 8, max_frame_limit);
    if (root["charset"]) d_.charset = charset_of(root["charset"]);
    if (const auto& login = root["login"]) {
      only_keys(login, {"required", "versions"}, "'login'");
      if (login["required"]) d_.login_required = login["required"].as<bool>(true);
      if (const auto& versions = login["versions"]) {
        if (!versions.IsSequence() || versions.size() != 2)
          fail(versions, "'versions' must be [lowest, highest]");
        d_.min_login_version =
            static_cast<std::uint16_t>(size_of(versions[0], "versions", 0, 65535));
        d_.max_login_version =
            static_cast<std::uint16_t>(size_of(versions[1], "versions", 0, 65535));
      }
    }
    if (d_.kind == Description::Kind::binary) {
      for (auto key :
           {"terminator", "pairs", "assign", "function_key", "sequence_key", "source_key"})
        if (root[key]) fail(root[key], fmt::format("'{}' is for text protocols", key));
      if (!root["frame"]) fail(root, "a binary protocol needs 'frame'");
      if (root["escaping"]) escaping(root["escaping"]);
      frame(root["frame"]);
    } else {
      for (auto key : {"frame", "escaping", "byte_order"})
        if (root[key]) fail(root[key], fmt::format("'{}' is for binary protocols", key));
      text_framing(root);
    }
    if (!root["messages"] || !root["messages"].IsSequence() || root["messages"].size() == 0)
      fail(root, "'messages' must list the protocol's messages");
    if (root["messages"].size() > max_messages)
      fail(root["messages"], fmt::format("at most {} messages", max_messages));
    for (const auto& m : root["messages"]) message(m);
    whole(root);
  }

 private:
  // ---- binary framing ----
  void escaping(const YAML::Node& node) {
    only_keys(node, {"escape", "xor", "bytes"}, "'escaping'");
    Escaping e;
    if (!node["escape"] || !node["bytes"]) fail(node, "'escaping' needs 'escape' and 'bytes'");
    e.escape = static_cast<std::uint8_t>(size_of(node["escape"], "escape", 0, 255));
    if (node["xor"]) e.xor_with = static_cast<std::uint8_t>(size_of(node["xor"], "xor", 1, 255));
    e.escaped = bytes_of(node["bytes"], "bytes");
    if (std::find(e.escaped.begin(), e.escaped.end(), e.escape) == e.escaped.end())
      fail(node["bytes"], "the escape byte itself must be among the escaped 'bytes'");
    d_.escaping = e;
  }

  void frame(const YAML::Node& node) {
    if (!node.IsSequence() || node.size() == 0 || node.size() > 24)
      fail(node, "'frame' must list 1 to 24 parts");
    std::map<std::string, std::size_t> by_name;
    std::vector<std::pair<YAML::Node, std::size_t>> to_resolve;
    for (const auto& p : node) {
      Part part;
      part.line = line_of(p);
      if (p["literal"]) {
        only_keys(p, {"literal"}, "a literal part");
        part.kind = Part::Kind::literal;
        part.bytes = bytes_of(p["literal"], "literal");
      } else if (p["data"]) {
        only_keys(p, {"data", "max"}, "the data part");
        part.kind = Part::Kind::data;
        name_part(by_name, p["data"], d_.parts.size());
        part.field.name = p["data"].Scalar();
      } else if (p["checksum"]) {
        only_keys(p, {"checksum", "algorithm", "order", "over"}, "a checksum part");
        part.kind = Part::Kind::checksum;
        name_part(by_name, p["checksum"], d_.parts.size());
        if (!p["algorithm"]) fail(p, "a checksum needs its 'algorithm'");
        const auto algorithm = text_of(p["algorithm"], "algorithm");
        if (algorithm == "crc16_modbus")
          part.checksum = ChecksumKind::crc16_modbus;
        else if (algorithm == "crc16_ccitt")
          part.checksum = ChecksumKind::crc16_ccitt;
        else if (algorithm == "xor")
          part.checksum = ChecksumKind::xor8;
        else if (algorithm == "sum")
          part.checksum = ChecksumKind::sum8;
        else
          fail(p["algorithm"], "'algorithm' must be crc16_modbus, crc16_ccitt, xor or sum");
        part.checksum_order = p["order"] ? order_of(p["order"]) : default_order_;
        to_resolve.emplace_back(p, d_.parts.size());
      } else if (p["length"] || p["field"]) {
        const bool length = static_cast<bool>(p["length"]);
        if (length)
          only_keys(p, {"length", "size", "order", "counts", "adjust"}, "the length part");
        else
          only_keys(p, {"field", "type", "size", "order", "meaning", "up", "down", "mask"},
                    "a header field");
        part.kind = length ? Part::Kind::length : Part::Kind::field;
        const auto& name = length ? p["length"] : p["field"];
        name_part(by_name, name, d_.parts.size());
        part.field.name = name.Scalar();
        part.field.line = part.line;
        part.field.type = Field::Type::uint;
        if (p["type"]) {
          const auto type = text_of(p["type"], "type");
          if (type == "bcd")
            part.field.type = Field::Type::bcd;
          else if (type != "uint")
            fail(p["type"], "a header field is a uint or bcd");
        }
        if (!p["size"]) fail(p, "a header field needs its 'size'");
        part.field.size = size_of(p["size"], "size", 1, 4);
        part.field.order = p["order"] ? order_of(p["order"]) : default_order_;
        part.field.slot = d_.header_slots++;
        if (length) {
          if (!p["counts"]) fail(p, "the length needs 'counts': [first part, last part]");
          if (p["adjust"]) part.adjust = integer_of(p["adjust"], "adjust");
          to_resolve.emplace_back(p, d_.parts.size());
        } else {
          if (p["meaning"]) {
            part.meaning = text_of(p["meaning"], "meaning");
            if (part.meaning != "function" && part.meaning != "source" &&
                part.meaning != "sequence")
              fail(p["meaning"], "'meaning' must be function, source or sequence");
          }
          if (p["up"]) part.field.up_constant = integer_of(p["up"], "up");
          if (p["down"]) part.field.down_constant = integer_of(p["down"], "down");
          if (p["mask"]) part.field.mask = integer_of(p["mask"], "mask");
          if (part.meaning.empty() && (!p["up"] || !p["down"]))
            fail(p, "a header field without a meaning needs its 'up' and 'down' values");
        }
      } else {
        fail(p, "a part is one of literal, length, field, data or checksum");
      }
      d_.parts.push_back(std::move(part));
    }
    for (auto& [p, index] : to_resolve) {
      auto& part = d_.parts[index];
      const auto& span = part.kind == Part::Kind::length ? p["counts"] : p["over"];
      if (!span || !span.IsSequence() || span.size() != 2)
        fail(p, "name the first and the last part it covers: [first, last]");
      auto find = [&](const YAML::Node& n) {
        auto it = by_name.find(text_of(n, "part"));
        if (it == by_name.end()) fail(n, fmt::format("no part is named '{}'", n.Scalar()));
        return it->second;
      };
      const auto first = find(span[0]), last = find(span[1]);
      if (first > last) fail(span, "the first part comes after the last");
      if (part.kind == Part::Kind::length) {
        part.counts_from = first;
        part.counts_to = last;
      } else {
        if (index >= first && index <= last) fail(span, "a checksum cannot cover itself");
        part.over_from = first;
        part.over_to = last;
      }
    }
    check_frame(node);
  }

  void name_part(std::map<std::string, std::size_t>& by_name, const YAML::Node& name,
                 std::size_t index) {
    const auto text = text_of(name, "part name");
    if (text.empty()) fail(name, "a part needs a name");
    if (!by_name.emplace(text, index).second) fail(name, fmt::format("two parts named '{}'", text));
  }

  // One data part; how a reader finds where a frame ends; no two meanings twice.
  void check_frame(const YAML::Node& node) {
    std::size_t data = 0, lengths = 0;
    std::set<std::string> meanings;
    for (std::size_t i = 0; i < d_.parts.size(); ++i) {
      const auto& part = d_.parts[i];
      if (part.kind == Part::Kind::data) ++data;
      if (part.kind == Part::Kind::length) {
        ++lengths;
        if (part.counts_to < data_index() || part.counts_from > data_index())
          throw DescriptionError(part.line, "the length must count the data part");
        if (i > data_index())
          throw DescriptionError(part.line, "the length must come before the data");
      }
      if (!part.meaning.empty() && !meanings.insert(part.meaning).second)
        throw DescriptionError(part.line, fmt::format("two header fields mean '{}'", part.meaning));
    }
    if (data != 1) fail(node, "a frame has exactly one data part");
    if (lengths > 1) fail(node, "a frame has at most one length");
    if (!meanings.count("function")) fail(node, "one header field must have 'meaning: function'");
    const auto& first = d_.parts.front();
    if (first.kind != Part::Kind::literal)
      fail(node,
           "a frame must begin with a literal start (how else find the next frame after garbage?)");
    if (d_.escaping) {
      const auto& last = d_.parts.back();
      if (last.kind != Part::Kind::literal)
        fail(node, "with escaping, a frame must end with a literal end byte");
      for (auto b : first.bytes)
        if (std::find(d_.escaping->escaped.begin(), d_.escaping->escaped.end(), b) ==
            d_.escaping->escaped.end())
          fail(node, fmt::format("the start byte 0x{:02x} must be among the escaped bytes", b));
      for (auto b : last.bytes)
        if (std::find(d_.escaping->escaped.begin(), d_.escaping->escaped.end(), b) ==
            d_.escaping->escaped.end())
          fail(node, fmt::format("the end byte 0x{:02x} must be among the escaped bytes", b));
    } else if (lengths == 0) {
      fail(node,
           "ambiguous: nothing says where a frame ends (the data may hold any byte); declare a "
           "length or escaping");
    } else {
      for (std::size_t i = 0; i < d_.parts.size(); ++i) {
        const auto& part = d_.parts[i];
        if (part.kind == Part::Kind::length) {
          for (std::size_t j = 0; j < part.counts_from; ++j)
            if (d_.parts[j].kind == Part::Kind::data)
              throw DescriptionError(part.line, "the length's start must be at a fixed place");
        }
      }
    }
  }

  std::size_t data_index() const {
    for (std::size_t i = 0; i < d_.parts.size(); ++i)
      if (d_.parts[i].kind == Part::Kind::data) return i;
    return d_.parts.size();
  }

  // ---- text framing ----
  void text_framing(const YAML::Node& root) {
    if (root["terminator"]) {
      d_.terminator = text_of(root["terminator"], "terminator");
      if (d_.terminator.empty() || d_.terminator.size() > 2)
        fail(root["terminator"], "'terminator' is one or two characters");
    }
    auto one_char = [&](const char* key, char& out) {
      if (!root[key]) return;
      const auto text = text_of(root[key], key);
      if (text.size() != 1) fail(root[key], fmt::format("'{}' is one character", key));
      out = text[0];
    };
    one_char("pairs", d_.pair_separator);
    one_char("assign", d_.assign);
    if (d_.pair_separator == d_.assign) fail(root, "'pairs' and 'assign' must differ");
    if (d_.terminator.find(d_.pair_separator) != std::string::npos ||
        d_.terminator.find(d_.assign) != std::string::npos)
      fail(root, "the terminator must not hold 'pairs' or 'assign'");
    if (!root["function_key"]) fail(root, "a text protocol needs 'function_key'");
    d_.function_key = text_of(root["function_key"], "function_key");
    if (root["sequence_key"]) d_.sequence_key = text_of(root["sequence_key"], "sequence_key");
    if (root["source_key"]) d_.source_key = text_of(root["source_key"], "source_key");
  }

  // ---- messages ----
  void message(const YAML::Node& node) {
    only_keys(node,
              {"name", "role", "code", "direction", "event", "command", "fields", "record",
               "header", "sequence", "source"},
              "a message");
    Message m;
    m.line = line_of(node);
    if (!node["name"]) fail(node, "a message needs its 'name'");
    m.name = text_of(node["name"], "name");
    if (!message_names_.insert(m.name).second)
      fail(node["name"], fmt::format("two messages named '{}'", m.name));
    m.role = role_of(node);
    m.uplink = m.role == Role::login || m.role == Role::heartbeat || m.role == Role::data ||
               m.role == Role::command_result;
    uplink_ = m.uplink;
    if (!node["code"]) fail(node, "a message needs its 'code'");
    if (d_.kind == Description::Kind::binary) {
      m.code.kind = Value::Kind::integer;
      m.code.integer = integer_of(node["code"], "code");
    } else {
      m.code.kind = Value::Kind::text;
      m.code.text = text_of(node["code"], "code");
      if (m.code.text.empty()) fail(node["code"], "a message's code cannot be empty");
    }
    std::size_t slot = d_.header_slots;
    std::map<std::string, std::size_t> slots;
    if (node["fields"]) m.fields = fields(node["fields"], slot, slots);
    m.slots = slot;
    if (m.role == Role::data) data_mapping(node, m, slots);
    if (m.role == Role::command) m.command_kind = text_of(node["command"], "command");
    if (!m.uplink) header_values(node, m);
    if (node["sequence"]) m.sequence_slot = slot_named(node["sequence"], slots);
    if (node["source"]) m.source_slot = slot_named(node["source"], slots);
    role_fields(node, m, slots);
    register_message(node, std::move(m));
  }

  Role role_of(const YAML::Node& node) {
    if (node["event"]) {
      if (node["role"] || node["command"])
        fail(node, "a message with 'event' is a data message: no 'role' or 'command'");
      return Role::data;
    }
    if (node["command"]) {
      if (node["role"]) fail(node, "a message with 'command' needs no 'role'");
      return Role::command;
    }
    if (!node["role"]) fail(node, "a message needs an 'event', a 'command' or a 'role'");
    static const std::map<std::string, Role> roles = {{"login", Role::login},
                                                      {"heartbeat", Role::heartbeat},
                                                      {"command_result", Role::command_result},
                                                      {"login_ack", Role::login_ack},
                                                      {"heartbeat_ack", Role::heartbeat_ack},
                                                      {"data_ack", Role::data_ack}};
    auto it = roles.find(text_of(node["role"], "role"));
    if (it == roles.end())
      fail(node["role"],
           "'role' must be login, heartbeat, command_result, login_ack, heartbeat_ack or data_ack");
    return it->second;
  }

  std::vector<Field> fields(const YAML::Node& node, std::size_t& slot,
                            std::map<std::string, std::size_t>& slots) {
    if (!node.IsSequence()) fail(node, "'fields' must be a list");
    if (node.size() > max_fields) fail(node, fmt::format("at most {} fields", max_fields));
    std::vector<Field> out;
    for (const auto& f : node) out.push_back(field(f, slot, slots));
    return out;
  }

  Field field(const YAML::Node& node, std::size_t& slot,
              std::map<std::string, std::size_t>& slots) {
    only_keys(node,
              {"name", "type", "size", "count", "order", "charset", "pad", "format", "key", "value",
               "names", "codes", "min", "max", "when", "fields", "max_items", "default"},
              "a field");
    Field f;
    f.line = line_of(node);
    if (!node["name"]) fail(node, "a field needs its 'name'");
    f.name = text_of(node["name"], "name");
    if (f.name.empty() || f.name.front() == '$')
      fail(node["name"], "a field's name is a plain word");
    f.order = node["order"] ? order_of(node["order"]) : default_order_;
    f.charset = node["charset"] ? charset_of(node["charset"]) : d_.charset;
    const bool text = d_.kind == Description::Kind::text;
    f.key = node["key"] ? text_of(node["key"], "key") : f.name;
    if (!text && node["key"]) fail(node["key"], "'key' is for text protocols");
    const auto type = node["type"] ? text_of(node["type"], "type") : std::string("uint");
    static const std::map<std::string, Field::Type> types = {
        {"uint", Field::Type::uint},     {"int", Field::Type::sint},  {"bcd", Field::Type::bcd},
        {"string", Field::Type::string}, {"time", Field::Type::time}, {"list", Field::Type::list}};
    auto it = types.find(type);
    if (it == types.end())
      fail(node["type"], "'type' must be uint, int, bcd, string, time or list");
    f.type = it->second;
    if (text) {
      if (f.type == Field::Type::bcd || f.type == Field::Type::list)
        fail(node["type"], "a text protocol's fields are uint, int, string or time");
      for (auto key : {"size", "count", "pad", "fields"})
        if (node[key]) fail(node[key], fmt::format("'{}' is for binary protocols", key));
      if (f.type == Field::Type::time) {
        if (!node["format"]) fail(node, "a text time needs its 'format' (e.g. %Y%m%d%H%M%S)");
        f.time_format = time_format(node["format"]);
      }
    } else {
      binary_layout(node, f);
    }
    if (node["names"]) {
      if (f.type != Field::Type::uint && f.type != Field::Type::sint && f.type != Field::Type::bcd)
        fail(node["names"], "'names' are for integer codes");
      if (!node["names"].IsMap() || node["names"].size() == 0 || node["names"].size() > 256)
        fail(node["names"], "'names' maps codes to names: {1: open, 2: paused}");
      std::set<std::string> seen;
      for (const auto& entry : node["names"]) {
        const auto code = integer_of(entry.first, "code");
        const auto name = text_of(entry.second, "name");
        if (!seen.insert(name).second)
          fail(entry.second, fmt::format("'{}' names two codes", name));
        f.names[code] = name;
      }
    }
    if (node["codes"]) {
      if (uplink_) fail(node["codes"], "'codes' are for the fields of downlink messages");
      if (!node["codes"].IsMap() || node["codes"].size() == 0)
        fail(node["codes"], "'codes' maps a command's words to codes: {true: 1, false: 0}");
      for (const auto& entry : node["codes"])
        f.codes[text_of(entry.first, "word")] = integer_of(entry.second, "code");
    }
    if (node["min"]) f.minimum = integer_of(node["min"], "min");
    if (node["max"]) f.maximum = integer_of(node["max"], "max");
    if (node["when"]) {
      const auto& when = node["when"];
      if (!when.IsMap() || when.size() != 1)
        fail(when, "'when' is {field: value} or {field: {min: a, max: b}}");
      const auto& entry = *when.begin();
      auto earlier = slots.find(entry.first.Scalar());
      if (earlier == slots.end())
        fail(when,
             fmt::format("'when' names '{}', which is no earlier field", entry.first.Scalar()));
      Field::When w{earlier->second, std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max()};
      if (entry.second.IsMap()) {
        only_keys(entry.second, {"min", "max"}, "'when'");
        if (entry.second["min"]) w.least = integer_of(entry.second["min"], "min");
        if (entry.second["max"]) w.most = integer_of(entry.second["max"], "max");
      } else {
        w.least = w.most = integer_of(entry.second, "when");
      }
      f.when = w;
    }
    f.slot = slot++;
    if (!slots.emplace(f.name, f.slot).second)
      fail(node["name"], fmt::format("two fields named '{}'", f.name));
    if (node["value"]) {
      auto value = source_of(node["value"], nullptr);
      if (value.kind == Source::Kind::constant && value.constant.kind == Value::Kind::integer) {
        f.up_constant = f.down_constant = value.constant.integer;
      } else if (uplink_) {
        fail(node["value"], "an uplink field's value is read, not taken from elsewhere");
      } else {
        f.value = value;
      }
    }
    if (node["default"]) {
      if (uplink_) fail(node["default"], "'default' is for the fields of downlink messages");
      f.fallback = source_of(node["default"], nullptr).constant;
    }
    return f;
  }

  void binary_layout(const YAML::Node& node, Field& f) {
    if (node["format"]) fail(node["format"], "'format' is for text protocols");
    switch (f.type) {
      case Field::Type::uint:
      case Field::Type::sint:
        if (!node["size"]) fail(node, "an integer field needs its 'size' (bytes, 1–8)");
        f.size = size_of(node["size"], "size", 1, 8);
        break;
      case Field::Type::bcd:
        if (!node["size"]) fail(node, "a BCD field needs its 'size' (bytes, 1–9)");
        f.size = size_of(node["size"], "size", 1, 9);
        break;
      case Field::Type::time:
        if (!node["size"])
          fail(node, "a time needs its 'size': 4 or 8 (unix seconds), 6 or 7 (BCD)");
        f.size = size_of(node["size"], "size", 4, 8);
        if (f.size == 5)
          fail(node["size"], "a time is 4 or 8 bytes of unix seconds, or 6 or 7 of BCD");
        break;
      case Field::Type::string:
        if (node["size"] && node["count"])
          fail(node, "a string has a fixed 'size' or a 'count', not both");
        if (node["size"]) {
          f.size = size_of(node["size"], "size", 1, 4096);
          if (node["pad"]) f.pad = static_cast<std::uint8_t>(size_of(node["pad"], "pad", 0, 255));
        } else if (node["count"]) {
          f.count = size_of(node["count"], "count", 1, 2);
        } else {
          fail(node, "a string needs a fixed 'size' or a 'count' (bytes of its length first)");
        }
        break;
      case Field::Type::list: {
        if (!node["count"] || !node["fields"])
          fail(node, "a list needs 'count' (bytes of the item count) and its items' 'fields'");
        f.count = size_of(node["count"], "count", 1, 2);
        f.max_items = node["max_items"] ? size_of(node["max_items"], "max_items", 1, 65535)
                                        : (f.count == 1 ? 255 : 1024);
        std::size_t item_slot = 0;
        std::map<std::string, std::size_t> item_slots;
        f.items = fields(node["fields"], item_slot, item_slots);
        for (const auto& item : f.items)
          if (item.type == Field::Type::list)
            throw DescriptionError(item.line, "a list's items cannot hold a list");
        break;
      }
    }
  }

  std::string time_format(const YAML::Node& node) {
    const auto format = text_of(node, "format");
    for (std::size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') continue;
      if (i + 1 >= format.size() ||
          std::string_view("YmdHMS").find(format[i + 1]) == std::string_view::npos)
        fail(node, "a time 'format' knows %Y %m %d %H %M %S only");
      ++i;
    }
    return format;
  }

  std::size_t slot_named(const YAML::Node& node, const std::map<std::string, std::size_t>& slots) {
    auto name = text_of(node, "field");
    if (!name.empty() && name.front() == '$') name.erase(0, 1);
    auto it = slots.find(name);
    if (it == slots.end()) fail(node, fmt::format("no field named '{}'", name));
    return it->second;
  }

  Source source_of(const YAML::Node& node, const std::map<std::string, std::size_t>* slots) {
    Source s;
    s.line = line_of(node);
    const auto text = text_of(node, "value");
    if (!text.empty() && text.front() == '$') {
      const auto name = text.substr(1);
      if (slots) {
        auto it = slots->find(name);
        if (it != slots->end()) {
          s.kind = Source::Kind::field;
          s.slot = it->second;
          return s;
        }
        if (name != "received") fail(node, fmt::format("'{}' is no field of this message", text));
      }
      s.kind = Source::Kind::context;
      s.name = name;
      return s;
    }
    s.kind = Source::Kind::constant;
    std::int64_t integer = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
      s.constant.kind = Value::Kind::integer;
      s.constant.integer = integer;
    } else {
      s.constant.kind = Value::Kind::text;
      s.constant.text = text;
    }
    return s;
  }

  void data_mapping(const YAML::Node& node, Message& m,
                    const std::map<std::string, std::size_t>& slots) {
    const auto type = text_of(node["event"], "event");
    auto it = std::find(records::event_type_names.begin(), records::event_type_names.end(), type);
    if (it == records::event_type_names.end())
      fail(node["event"], fmt::format("'{}' is no event halld knows", type));
    m.event_type = static_cast<std::size_t>(it - records::event_type_names.begin());
    const YAML::Node record = node["record"] ? node["record"] : YAML::Node(YAML::NodeType::Map);
    if (node["record"] && !record.IsMap())
      fail(record, "'record' maps the event's members to fields");
    const auto names = member_names(m.event_type);
    for (const auto& entry : record) {
      const auto name = entry.first.Scalar();
      if (name != "at" && std::find(names.begin(), names.end(), name) == names.end())
        fail(entry.first, fmt::format("a {} has no member '{}'", type, name));
    }
    // Members not in 'record' come from the field of their name, when there is one.
    auto from = [&](const std::string& name) -> std::optional<Source> {
      if (record[name]) return source_of(record[name], &slots);
      auto field = slots.find(name);
      if (field == slots.end()) return std::nullopt;
      Source s;
      s.kind = Source::Kind::field;
      s.slot = field->second;
      return s;
    };
    m.at = from("at");
    if (!m.at)
      fail(node,
           "a data message needs the event's time: a field 'at' or 'record: {at: $received}'");
    for (std::size_t k = 0; k < names.size(); ++k) {
      auto source = from(names[k]);
      if (!source) continue;
      if (source->kind == Source::Kind::context)
        throw DescriptionError(source->line,
                               fmt::format("'{}' comes from a field or a constant", names[k]));
      MemberMapping mapping{k, names[k], *source, {}};
      if (is_list_member(m.event_type, k)) list_mapping(node, m, mapping);
      m.members.push_back(std::move(mapping));
    }
  }

  void list_mapping(const YAML::Node& node, const Message& m, MemberMapping& mapping) {
    if (mapping.from.kind != Source::Kind::field)
      fail(node, fmt::format("the list '{}' must come from a list field", mapping.name));
    const Field* list = nullptr;
    for (const auto& f : m.fields)
      if (f.slot == mapping.from.slot) list = &f;
    if (!list || list->type != Field::Type::list)
      fail(node, fmt::format("'{}' must come from a list field", mapping.name));
    const auto item_names = member_names(m.event_type, mapping.member);
    for (std::size_t k = 0; k < item_names.size(); ++k) {
      for (const auto& item : list->items) {
        if (item.name == item_names[k]) {
          Source s;
          s.kind = Source::Kind::field;
          s.slot = item.slot;
          mapping.each.push_back({k, item_names[k], s, {}});
        }
      }
    }
  }

  void header_values(const YAML::Node& node, Message& m) {
    if (!node["header"]) return;
    if (d_.kind == Description::Kind::text) fail(node["header"], "a text protocol has no header");
    if (!node["header"].IsMap()) fail(node["header"], "'header' maps header fields to values");
    for (const auto& entry : node["header"]) {
      const auto name = entry.first.Scalar();
      auto part = std::find_if(d_.parts.begin(), d_.parts.end(), [&](const Part& p) {
        return p.kind == Part::Kind::field && (p.field.name == name || p.meaning == name);
      });
      if (part == d_.parts.end()) fail(entry.first, fmt::format("no header field '{}'", name));
      m.header[part->field.slot] = source_of(entry.second, nullptr);
    }
  }

  void role_fields(const YAML::Node& node, const Message& m,
                   const std::map<std::string, std::size_t>& slots) {
    auto need = [&](std::initializer_list<const char*> names) {
      for (auto name : names)
        if (!slots.count(name))
          fail(node, fmt::format("a {} message needs a field '{}'", node["role"].Scalar(), name));
    };
    switch (m.role) {
      case Role::login:
        need({"site"});
        break;
      case Role::command_result:
        need({"command", "outcome"});
        break;
      default:
        break;
    }
  }

  void register_message(const YAML::Node& node, Message m) {
    const auto index = d_.messages.size();
    if (m.uplink) {
      const bool fresh = d_.kind == Description::Kind::binary
                             ? d_.uplink_by_code.emplace(m.code.integer, index).second
                             : d_.uplink_by_text.emplace(m.code.text, index).second;
      if (!fresh) fail(node["code"], "ambiguous: two uplink messages share this code");
    } else if (m.role == Role::command) {
      if (!d_.command_by_kind.emplace(m.command_kind, index).second)
        fail(node["command"], fmt::format("two messages carry the command '{}'", m.command_kind));
    } else if (!d_.downlink_by_role.emplace(m.role, index).second) {
      fail(node["role"], fmt::format("two {} messages", node["role"].Scalar()));
    }
    d_.messages.push_back(std::move(m));
  }

  void whole(const YAML::Node& root) {
    const bool has_login = std::any_of(d_.messages.begin(), d_.messages.end(),
                                       [](const Message& m) { return m.role == Role::login; });
    if (d_.login_required && !has_login)
      fail(root, "logins are required ('login: {required: true}') but no message has role login");
    if (has_login && !d_.downlink_by_role.count(Role::login_ack))
      fail(root, "a protocol with a login needs a login_ack message");
    if (!d_.downlink_by_role.count(Role::data_ack))
      fail(root, "a data_ack message is required: without it a device never learns what is stored");
    const bool has_heartbeat =
        std::any_of(d_.messages.begin(), d_.messages.end(),
                    [](const Message& m) { return m.role == Role::heartbeat; });
    if (has_heartbeat && !d_.downlink_by_role.count(Role::heartbeat_ack))
      fail(root, "a protocol with a heartbeat needs a heartbeat_ack message");
    const bool header_sequence = std::any_of(d_.parts.begin(), d_.parts.end(),
                                             [](const Part& p) { return p.meaning == "sequence"; });
    for (const auto& m : d_.messages) {
      if (m.role == Role::data && !header_sequence && !m.sequence_slot && d_.sequence_key.empty())
        throw DescriptionError(
            m.line,
            "a data message needs its sequence number (a header field with 'meaning: "
            "sequence', 'sequence: field' or 'sequence_key'): without one a resend "
            "cannot be told from a new event");
    }
  }

  template <class T>
  static constexpr bool is_list = requires(T t) {
    t.begin();
  }
  &&!std::is_same_v<T, std::string>;
  // The names of an event type's members; of member `list`'s items instead, when given.
  static std::vector<std::string> member_names(std::size_t type,
                                               std::optional<std::size_t> list = std::nullopt) {
    std::vector<std::string> names;
    auto body = records::event_body_of(type);
    std::visit(
        [&](auto& b) {
          std::size_t index = 0;
          records::members(
              [&]<class T>(std::string_view name, T&) {
                if (!list) {
                  names.emplace_back(name);
                } else if (index == *list) {
                  if constexpr (is_list<T>) {
                    const typename T::value_type item{};
                    records::members([&](std::string_view n, auto&) { names.emplace_back(n); },
                                     item);
                  }
                }
                ++index;
              },
              b);
        },
        body);
    return names;
  }
  static bool is_list_member(std::size_t type, std::size_t k) {
    bool list = false;
    std::size_t index = 0;
    auto body = records::event_body_of(type);
    std::visit(
        [&](auto& b) {
          records::members(
              [&]<class T>(std::string_view, T&) {
                if (index++ == k) list = is_list<T>;
              },
              b);
        },
        body);
    return list;
  }

  Description& d_;
  ByteOrder default_order_ = ByteOrder::little;
  std::set<std::string> message_names_;
  bool uplink_ = true;  // of the message being read
};

}  // namespace

Description load_description(std::string_view text) {
  Description d;
  yaml::read_document(text, "protocol, frame, messages, …",
                      [&](const YAML::Node& root) { Reader(d).top(root); });
  d.checksum = yaml::sha256_hex(text);
  return d;
}

}  // namespace halld::proto::described
