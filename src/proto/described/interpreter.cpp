#include "halld/proto/described/interpreter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "halld/core/text.hpp"
#include "halld/proto/frame/frame.hpp"
#include "halld/records/event_json.hpp"
#include "halld/records/members.hpp"

namespace halld::proto::described {

std::string_view to_string(ReadError error) {
  static constexpr std::string_view names[] = {
      "garbage", "bad_length",       "bad_version",       "bad_crc",
      "bad_end", "unknown_function", "malformed_payload", "wrong_direction"};
  return names[static_cast<std::size_t>(error)];
}

namespace {

using Bytes = std::vector<std::uint8_t>;
using Values = std::vector<Value>;
using nlohmann::json;

// ---- checksums ----

std::uint16_t crc16_ccitt(std::span<const std::uint8_t> bytes) {  // CRC-16/CCITT-FALSE
  std::uint16_t crc = 0xFFFF;
  for (auto b : bytes) {
    crc ^= static_cast<std::uint16_t>(b << 8);
    for (int i = 0; i < 8; ++i)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

std::size_t checksum_size(ChecksumKind kind) {
  return kind == ChecksumKind::crc16_modbus || kind == ChecksumKind::crc16_ccitt ? 2 : 1;
}

std::uint32_t checksum_of(ChecksumKind kind, std::span<const std::uint8_t> bytes) {
  switch (kind) {
    case ChecksumKind::crc16_modbus:
      return crc16_modbus(bytes);
    case ChecksumKind::crc16_ccitt:
      return crc16_ccitt(bytes);
    case ChecksumKind::xor8: {
      std::uint8_t x = 0;
      for (auto b : bytes) x ^= b;
      return x;
    }
    case ChecksumKind::sum8: {
      std::uint8_t s = 0;
      for (auto b : bytes) s = static_cast<std::uint8_t>(s + b);
      return s;
    }
  }
  return 0;
}

// ---- integers on the wire ----

std::uint64_t get_unsigned(std::span<const std::uint8_t> bytes, ByteOrder order) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = order == ByteOrder::big ? bytes[i] : bytes[bytes.size() - 1 - i];
    v = (v << 8) | b;
  }
  return v;
}

void put_unsigned(Bytes& out, std::uint64_t v, std::size_t size, ByteOrder order) {
  const auto at = out.size();
  out.resize(at + size);
  for (std::size_t i = 0; i < size; ++i) {
    const auto b = static_cast<std::uint8_t>(v >> (8 * i));
    out[order == ByteOrder::little ? at + i : at + size - 1 - i] = b;
  }
}

bool fits_unsigned(std::int64_t v, std::size_t size) {
  return v >= 0 && (size >= 8 || static_cast<std::uint64_t>(v) < (std::uint64_t{1} << (8 * size)));
}
bool fits_signed(std::int64_t v, std::size_t size) {
  if (size >= 8) return true;
  const auto limit = std::int64_t{1} << (8 * size - 1);
  return v >= -limit && v < limit;
}

std::optional<std::int64_t> parse_decimal(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// ---- times ----

// The times a device's clock can show, 1970 to 2199: later ones overflow the nanosecond clock
// that formatting a time goes through, and are no real clock's anyway.
constexpr std::int64_t max_unix_seconds = 7258118399;  // 2199-12-31T23:59:59Z
bool plausible(records::Timestamp t) {
  const auto s = t.time_since_epoch().count();
  return s >= 0 && s <= max_unix_seconds;
}

std::optional<records::Timestamp> civil(int year, int month, int day, int hour, int minute,
                                        int second, std::chrono::minutes offset) {
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59 || hour < 0 || minute < 0 || second < 0)
    return std::nullopt;
  return records::Timestamp(std::chrono::sys_days(ymd)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
}

struct Civil {
  int year, month, day, hour, minute, second;
};
Civil civil_of(records::Timestamp t, std::chrono::minutes offset) {
  const auto local = t + offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(local - day);
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count()),
          static_cast<int>(hms.seconds().count())};
}

std::optional<records::Timestamp> parse_time_text(std::string_view text, std::string_view format,
                                                  std::chrono::minutes offset) {
  int parts[6] = {1970, 1, 1, 0, 0, 0};
  std::size_t at = 0;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      if (at >= text.size() || text[at] != format[i]) return std::nullopt;
      ++at;
      continue;
    }
    const char spec = format[++i];
    const std::size_t width = spec == 'Y' ? 4 : 2;
    if (at + width > text.size()) return std::nullopt;
    auto v = parse_decimal(text.substr(at, width));
    if (!v || text[at] == '-' || text[at] == '+') return std::nullopt;
    parts[std::string_view("YmdHMS").find(spec)] = static_cast<int>(*v);
    at += width;
  }
  if (at != text.size()) return std::nullopt;
  return civil(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], offset);
}

std::string format_time_text(records::Timestamp t, std::string_view format,
                             std::chrono::minutes offset) {
  const auto c = civil_of(t, offset);
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    // %Y %m %d %H %M %S, in the order the format checker allows them.
    const int parts[] = {c.year, c.month, c.day, c.hour, c.minute, c.second};
    const auto which = std::string_view("YmdHMS").find(format[++i]);
    out += which == 0 ? fmt::format("{:04}", parts[which]) : fmt::format("{:02}", parts[which]);
  }
  return out;
}

// ---- text in a charset ----

std::optional<std::string> to_utf8(std::string_view raw, Charset charset) {
  if (charset == Charset::utf8) {
    if (!is_valid_utf8(raw)) return std::nullopt;
    return std::string(raw);
  }
  return convert_charset(raw, "UTF-8", "GB18030");
}
std::optional<std::string> from_utf8(std::string_view text, Charset charset) {
  if (charset == Charset::utf8) return std::string(text);
  return convert_charset(text, "GB18030", "UTF-8");
}

Value integer_value(std::int64_t v) {
  Value out;
  out.kind = Value::Kind::integer;
  out.integer = v;
  return out;
}
Value text_value(std::string v) {
  Value out;
  out.kind = Value::Kind::text;
  out.text = std::move(v);
  return out;
}
Value time_value(records::Timestamp t) {
  Value out;
  out.kind = Value::Kind::time;
  out.time = t;
  return out;
}

// A field's value after reading: a named code becomes its name; limits are checked.
bool finish_integer(const Field& f, std::int64_t v, bool uplink, Value& out) {
  if (f.minimum && v < *f.minimum) return false;
  if (f.maximum && v > *f.maximum) return false;
  const auto& constant = uplink ? f.up_constant : f.down_constant;
  if (constant && v != *constant) return false;
  if (!f.names.empty()) {
    auto it = f.names.find(v);
    if (it == f.names.end()) return false;
    out = text_value(it->second);
    return true;
  }
  out = integer_value(v);
  return true;
}

bool applies(const Field::When& when, const Values& values) {
  const auto& v = values[when.slot];
  return v.kind == Value::Kind::integer && v.integer >= when.least && v.integer <= when.most;
}

// ---- reading binary fields ----

class FieldReader {
 public:
  FieldReader(std::span<const std::uint8_t> bytes, const Description& d, bool uplink)
      : bytes_(bytes), d_(d), uplink_(uplink) {}

  bool fields(const std::vector<Field>& fields, Values& values) {
    for (const auto& f : fields) {
      if (f.when && !applies(*f.when, values)) continue;
      if (!field(f, values[f.slot])) return false;
    }
    return true;
  }
  bool complete() const { return at_ == bytes_.size(); }

 private:
  std::optional<std::span<const std::uint8_t>> take(std::size_t n) {
    if (bytes_.size() - at_ < n) return std::nullopt;
    auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }

  bool field(const Field& f, Value& out) {
    switch (f.type) {
      case Field::Type::uint: {
        auto b = take(f.size);
        if (!b) return false;
        const auto v = get_unsigned(*b, f.order);
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
        return finish_integer(f, static_cast<std::int64_t>(v), uplink_, out);
      }
      case Field::Type::sint: {
        auto b = take(f.size);
        if (!b) return false;
        auto v = get_unsigned(*b, f.order);
        if (f.size < 8 && (v >> (8 * f.size - 1)) & 1) v |= ~std::uint64_t{0} << (8 * f.size);
        return finish_integer(f, static_cast<std::int64_t>(v), uplink_, out);
      }
      case Field::Type::bcd: {
        auto v = bcd(f.size);
        return v && finish_integer(f, *v, uplink_, out);
      }
      case Field::Type::string: {
        std::size_t n = f.size;
        if (f.count) {
          auto b = take(f.count);
          if (!b) return false;
          n = static_cast<std::size_t>(get_unsigned(*b, f.order));
        }
        auto b = take(n);
        if (!b) return false;
        std::string_view raw(reinterpret_cast<const char*>(b->data()), b->size());
        if (!f.count) {
          while (!raw.empty() && static_cast<std::uint8_t>(raw.back()) == f.pad)
            raw.remove_suffix(1);
        }
        auto text = to_utf8(raw, f.charset);
        if (!text) return false;
        out = text_value(std::move(*text));
        return true;
      }
      case Field::Type::time: {
        if (f.size == 4 || f.size == 8) {
          auto b = take(f.size);
          if (!b) return false;
          const auto v = get_unsigned(*b, f.order);
          if (v > static_cast<std::uint64_t>(max_unix_seconds)) return false;
          out = time_value(records::Timestamp(std::chrono::seconds(static_cast<std::int64_t>(v))));
          return true;
        }
        // BCD: YYMMDDhhmmss (size 6, 20YY) or YYYYMMDDhhmmss (size 7).
        int digits[7] = {};
        for (std::size_t i = 0; i < f.size; ++i) {
          auto v = bcd(1);
          if (!v) return false;
          digits[i] = static_cast<int>(*v);
        }
        const int year = f.size == 6 ? 2000 + digits[0] : digits[0] * 100 + digits[1];
        const int* rest = digits + (f.size == 6 ? 1 : 2);
        auto t = civil(year, rest[0], rest[1], rest[2], rest[3], rest[4], d_.time_offset);
        if (!t || !plausible(*t)) return false;
        out = time_value(*t);
        return true;
      }
      case Field::Type::list: {
        auto b = take(f.count);
        if (!b) return false;
        const auto n = get_unsigned(*b, f.order);
        if (n > f.max_items) return false;
        auto items = std::make_shared<Items>();
        items->reserve(static_cast<std::size_t>(n));
        for (std::uint64_t i = 0; i < n; ++i) {
          Values item(f.items.size());
          if (!fields(f.items, item)) return false;
          items->push_back(std::move(item));
        }
        out.kind = Value::Kind::items;
        out.items = std::move(items);
        return true;
      }
    }
    return false;
  }

  std::optional<std::int64_t> bcd(std::size_t size) {
    auto b = take(size);
    if (!b) return std::nullopt;
    std::int64_t v = 0;
    for (auto byte : *b) {
      const int high = byte >> 4, low = byte & 0x0F;
      if (high > 9 || low > 9) return std::nullopt;
      v = v * 100 + high * 10 + low;
    }
    return v;
  }

  std::span<const std::uint8_t> bytes_;
  const Description& d_;
  bool uplink_;
  std::size_t at_ = 0;
};

// ---- writing binary fields ----

std::int64_t integer_for(const Field& f, const Value& v) {
  if (v.kind == Value::Kind::integer && !v.text.empty() && !f.names.empty()) {  // an enum's
    for (const auto& [code, name] : f.names)
      if (name == v.text) return code;
    throw std::invalid_argument(
        fmt::format("'{}': '{}' has no code in this protocol", f.name, v.text));
  }
  if (v.kind == Value::Kind::text) {
    for (const auto& [code, name] : f.names)
      if (name == v.text) return code;
    if (auto it = f.codes.find(v.text); it != f.codes.end()) return it->second;
    if (auto n = parse_decimal(v.text)) return *n;
    throw std::invalid_argument(fmt::format("'{}': '{}' is none of its values", f.name, v.text));
  }
  if (v.kind != Value::Kind::integer)
    throw std::invalid_argument(fmt::format("'{}' needs a number", f.name));
  if (f.minimum && v.integer < *f.minimum)
    throw std::invalid_argument(fmt::format("'{}' is at least {}", f.name, *f.minimum));
  if (f.maximum && v.integer > *f.maximum)
    throw std::invalid_argument(fmt::format("'{}' is at most {}", f.name, *f.maximum));
  return v.integer;
}

class FieldWriter {
 public:
  FieldWriter(Bytes& out, const Description& d) : out_(out), d_(d) {}

  void fields(const std::vector<Field>& fields, const Values& values) {
    for (const auto& f : fields) {
      if (f.when && !applies(*f.when, values)) continue;
      field(f, values[f.slot]);
    }
  }

 private:
  void field(const Field& f, const Value& v) {
    switch (f.type) {
      case Field::Type::uint:
      case Field::Type::sint: {
        const auto n = integer_for(f, v);
        if (f.type == Field::Type::uint ? !fits_unsigned(n, f.size) : !fits_signed(n, f.size))
          throw std::invalid_argument(
              fmt::format("'{}': {} does not fit {} byte(s)", f.name, n, f.size));
        put_unsigned(out_, static_cast<std::uint64_t>(n), f.size, f.order);
        return;
      }
      case Field::Type::bcd:
        bcd(f, integer_for(f, v), f.size);
        return;
      case Field::Type::string: {
        if (v.kind != Value::Kind::text && v.kind != Value::Kind::integer)
          throw std::invalid_argument(fmt::format("'{}' needs a text", f.name));
        auto raw =
            from_utf8(v.kind == Value::Kind::text ? v.text : std::to_string(v.integer), f.charset);
        if (!raw)
          throw std::invalid_argument(fmt::format("'{}' cannot be written in its charset", f.name));
        if (f.count) {
          const auto limit = f.count == 1 ? 255u : 65535u;
          if (raw->size() > limit)
            throw std::invalid_argument(fmt::format("'{}' is at most {} bytes", f.name, limit));
          put_unsigned(out_, raw->size(), f.count, f.order);
          out_.insert(out_.end(), raw->begin(), raw->end());
        } else {
          if (raw->size() > f.size)
            throw std::invalid_argument(fmt::format("'{}' is at most {} bytes", f.name, f.size));
          out_.insert(out_.end(), raw->begin(), raw->end());
          out_.insert(out_.end(), f.size - raw->size(), f.pad);
        }
        return;
      }
      case Field::Type::time: {
        if (v.kind != Value::Kind::time)
          throw std::invalid_argument(fmt::format("'{}' needs a time", f.name));
        if (f.size == 4 || f.size == 8) {
          put_unsigned(out_, static_cast<std::uint64_t>(v.time.time_since_epoch().count()), f.size,
                       f.order);
          return;
        }
        const auto c = civil_of(v.time, d_.time_offset);
        if (f.size == 6) {
          if (c.year < 2000 || c.year > 2099)
            throw std::invalid_argument(
                fmt::format("'{}': a two-digit year lies in 2000–2099", f.name));
          bcd(f, c.year - 2000, 1);
        } else {
          bcd(f, c.year / 100, 1);
          bcd(f, c.year % 100, 1);
        }
        for (int part : {c.month, c.day, c.hour, c.minute, c.second}) bcd(f, part, 1);
        return;
      }
      case Field::Type::list: {
        const auto& items = v.items ? *v.items : Items{};
        if (items.size() > f.max_items)
          throw std::invalid_argument(
              fmt::format("'{}' holds at most {} items", f.name, f.max_items));
        put_unsigned(out_, items.size(), f.count, f.order);
        for (const auto& item : items) fields(f.items, item);
        return;
      }
    }
  }

  void bcd(const Field& f, std::int64_t n, std::size_t size) {
    std::uint64_t limit = 1;
    for (std::size_t i = 0; i < size; ++i) limit *= 100;
    if (n < 0 || static_cast<std::uint64_t>(n) >= limit)
      throw std::invalid_argument(
          fmt::format("'{}': {} does not fit {} BCD digits", f.name, n, 2 * size));
    const auto at = out_.size();
    out_.resize(at + size);
    for (std::size_t i = size; i-- > 0;) {
      const auto two = static_cast<std::uint8_t>(n % 100);
      n /= 100;
      out_[at + i] = static_cast<std::uint8_t>(((two / 10) << 4) | (two % 10));
    }
  }

  Bytes& out_;
  const Description& d_;
};

// ---- records from values and back ----

template <class Member>
bool assign(Member& member, const Value& v, const MemberMapping& mapping);

template <class Body>
bool assign_members(Body& body, const Values& values, const std::vector<MemberMapping>& mappings) {
  for (const auto& mapping : mappings) {
    const Value& v = mapping.from.kind == Source::Kind::field ? values[mapping.from.slot]
                                                              : mapping.from.constant;
    if (v.kind == Value::Kind::none) continue;  // a field absent in this version
    bool ok = true;
    std::size_t index = 0;
    records::members(
        [&](std::string_view, auto& member) {
          if (index++ == mapping.member) ok = assign(member, v, mapping);
        },
        body);
    if (!ok) return false;
  }
  return true;
}

template <class Member>
bool assign(Member& member, const Value& v, const MemberMapping& mapping) {
  if constexpr (std::is_same_v<Member, std::string>) {
    if (v.kind == Value::Kind::text) {
      member = v.text;
    } else if (v.kind == Value::Kind::integer) {
      member = std::to_string(v.integer);
    } else {
      return false;
    }
    return true;
  } else if constexpr (std::is_enum_v<Member>) {
    std::optional<Member> e = v.kind == Value::Kind::text ? records::enum_of_name<Member>(v.text)
                              : v.kind == Value::Kind::integer
                                  ? records::enum_of_code<Member>(v.integer)
                                  : std::nullopt;
    if (!e) return false;
    member = *e;
    return true;
  } else if constexpr (std::is_same_v<Member, records::Timestamp>) {
    if (v.kind != Value::Kind::time) return false;
    member = v.time;
    return true;
  } else if constexpr (std::is_integral_v<Member>) {
    std::optional<std::int64_t> n = v.kind == Value::Kind::integer ? std::optional(v.integer)
                                    : v.kind == Value::Kind::text  ? parse_decimal(v.text)
                                                                   : std::nullopt;
    if (!n || *n < static_cast<std::int64_t>(std::numeric_limits<Member>::min()) ||
        (std::is_unsigned_v<Member> &&
         *n > static_cast<std::int64_t>(std::numeric_limits<Member>::max())))
      return false;
    member = static_cast<Member>(*n);
    return true;
  } else {  // a list of items
    if (v.kind != Value::Kind::items) return false;
    member.clear();
    for (const auto& item_values : *v.items) {
      typename Member::value_type item{};
      if (!assign_members(item, item_values, mapping.each)) return false;
      member.push_back(std::move(item));
    }
    return true;
  }
}

template <class Member>
Value value_of(const Member& member, const MemberMapping& mapping);

template <class Body>
void take_members(const Body& body, Values& values, const std::vector<MemberMapping>& mappings) {
  for (const auto& mapping : mappings) {
    if (mapping.from.kind != Source::Kind::field) continue;
    std::size_t index = 0;
    records::members(
        [&](std::string_view, const auto& member) {
          if (index++ == mapping.member) values[mapping.from.slot] = value_of(member, mapping);
        },
        body);
  }
}

template <class Member>
Value value_of(const Member& member, const MemberMapping& mapping) {
  if constexpr (std::is_same_v<Member, std::string>) {
    return text_value(member);
  } else if constexpr (std::is_enum_v<Member>) {
    // halld's code, and its name for a field that gives the vendor's codes their names.
    auto out = integer_value(static_cast<std::int64_t>(member));
    out.text = records::enum_name(member);
    return out;
  } else if constexpr (std::is_same_v<Member, records::Timestamp>) {
    return time_value(member);
  } else if constexpr (std::is_integral_v<Member>) {
    return integer_value(static_cast<std::int64_t>(member));
  } else {
    Value out;
    out.kind = Value::Kind::items;
    out.items = std::make_shared<Items>();
    std::size_t width = 0;
    for (const auto& each : mapping.each) width = std::max(width, each.from.slot + 1);
    for (const auto& item : member) {
      Values item_values(width);
      take_members(item, item_values, mapping.each);
      out.items->push_back(std::move(item_values));
    }
    return out;
  }
}

// ---- frames ----

// A frame read: which message, and its values (header fields first).
struct Parsed {
  std::size_t size;
  const Message* message;
  Values values;
  // Text protocols: what sequence_key and source_key carried.
  std::optional<std::uint32_t> sequence{}, source{};
};
using Parsing = std::variant<NeedMore, Skip, Parsed>;

bool starts_with(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

std::size_t fixed_size(const Part& part) {
  switch (part.kind) {
    case Part::Kind::literal:
      return part.bytes.size();
    case Part::Kind::field:
    case Part::Kind::length:
      return part.field.size;
    case Part::Kind::checksum:
      return checksum_size(part.checksum);
    case Part::Kind::data:
      return 0;
  }
  return 0;
}

const Message* message_with_code(const Description& d, const Value& code, bool uplink) {
  if (uplink) {
    if (d.kind == Description::Kind::binary) {
      auto it = d.uplink_by_code.find(code.integer);
      return it == d.uplink_by_code.end() ? nullptr : &d.messages[it->second];
    }
    auto it = d.uplink_by_text.find(code.text);
    return it == d.uplink_by_text.end() ? nullptr : &d.messages[it->second];
  }
  for (const auto& m : d.messages) {
    if (m.uplink) continue;
    if (d.kind == Description::Kind::binary ? m.code.integer == code.integer
                                            : m.code.text == code.text)
      return &m;
  }
  return nullptr;
}

std::optional<std::uint32_t> header_meaning(const Description& d, const Values& values,
                                            std::string_view meaning) {
  for (const auto& part : d.parts) {
    if (part.kind == Part::Kind::field && part.meaning == meaning &&
        values[part.field.slot].kind == Value::Kind::integer)
      return static_cast<std::uint32_t>(values[part.field.slot].integer);
  }
  return std::nullopt;
}

class BinaryReader {
 public:
  BinaryReader(const Description& d, bool uplink) : d_(d), uplink_(uplink) {
    for (std::size_t i = 0; i < d.parts.size(); ++i) {
      fixed_total_ += fixed_size(d.parts[i]);
      if (d.parts[i].kind == Part::Kind::length) length_ = i;
    }
  }

  Parsing read(std::span<const std::uint8_t> bytes) const {
    const auto& start = d_.parts.front().bytes;
    const auto head = std::min(bytes.size(), start.size());
    if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(head),
                    start.begin()))
      return Skip{ReadError::garbage, resync(bytes), std::nullopt};
    if (bytes.size() < start.size()) return NeedMore{};
    if (d_.escaping) return read_escaped(bytes);
    return read_counted(bytes);
  }

 private:
  std::size_t resync(std::span<const std::uint8_t> bytes) const {
    std::size_t n = 1;
    while (n < bytes.size() && bytes[n] != d_.parts.front().bytes[0]) ++n;
    return n;
  }

  Parsing read_escaped(std::span<const std::uint8_t> bytes) const {
    const auto& start = d_.parts.front().bytes;
    const auto& end = d_.parts.back().bytes;
    const auto& e = *d_.escaping;
    const std::size_t limit = 2 * d_.max_frame;  // every byte escaped at worst
    std::size_t pos = start.size();
    for (;; ++pos) {
      if (pos + end.size() > bytes.size()) {
        if (bytes.size() > limit) return Skip{ReadError::bad_length, resync(bytes), std::nullopt};
        return NeedMore{};
      }
      if (starts_with(bytes.subspan(pos), end)) break;
      // A start inside: the frame before it was cut off.
      if (starts_with(bytes.subspan(pos), start))
        return Skip{ReadError::bad_end, pos, std::nullopt};
      if (pos > limit) return Skip{ReadError::bad_length, resync(bytes), std::nullopt};
    }
    const std::size_t size = pos + end.size();
    Bytes frame(start.begin(), start.end());
    for (std::size_t i = start.size(); i < pos; ++i) {
      if (bytes[i] != e.escape) {
        frame.push_back(bytes[i]);
        continue;
      }
      if (++i >= pos) return Skip{ReadError::bad_end, size, std::nullopt};
      const auto b = e.xor_with ? static_cast<std::uint8_t>(bytes[i] ^ e.xor_with) : bytes[i];
      if (std::find(e.escaped.begin(), e.escaped.end(), b) == e.escaped.end())
        return Skip{ReadError::bad_end, size, std::nullopt};
      frame.push_back(b);
    }
    frame.insert(frame.end(), end.begin(), end.end());
    if (frame.size() < fixed_total_ || frame.size() - fixed_total_ > d_.max_frame)
      return Skip{ReadError::bad_length, size, std::nullopt};
    return parse(frame, size, size);
  }

  Parsing read_counted(std::span<const std::uint8_t> bytes) const {
    const auto& length = d_.parts[*length_];
    const auto at = offset_before(*length_);
    if (bytes.size() < at + length.field.size) return NeedMore{};
    const auto counted = static_cast<std::int64_t>(get_unsigned(
                             bytes.subspan(at, length.field.size), length.field.order)) -
                         length.adjust;
    std::size_t fixed_counted = 0, fixed_after = 0;
    for (std::size_t i = length.counts_from; i <= length.counts_to; ++i)
      fixed_counted += fixed_size(d_.parts[i]);
    for (std::size_t i = length.counts_to + 1; i < d_.parts.size(); ++i)
      fixed_after += fixed_size(d_.parts[i]);
    const auto max_data = d_.max_frame > fixed_total_ ? d_.max_frame - fixed_total_ : 0;
    if (counted < static_cast<std::int64_t>(fixed_counted) ||
        static_cast<std::size_t>(counted) - fixed_counted > max_data)
      return Skip{ReadError::bad_length, resync(bytes), std::nullopt};
    // A header field of neither direction is refused as soon as it is there.
    std::size_t offset = 0;
    for (const auto& part : d_.parts) {
      if (part.kind == Part::Kind::data) break;
      if (part.kind == Part::Kind::field && part.field.up_constant &&
          bytes.size() >= offset + part.field.size) {
        const auto v = static_cast<std::int64_t>(
                           get_unsigned(bytes.subspan(offset, part.field.size), part.field.order)) &
                       part.field.mask;
        if (v != *part.field.up_constant && v != part.field.down_constant.value_or(v + 1))
          return Skip{ReadError::bad_version, resync(bytes), std::nullopt};
      }
      offset += fixed_size(part);
    }
    const auto total =
        offset_before(length.counts_from) + static_cast<std::size_t>(counted) + fixed_after;
    if (bytes.size() < total) return NeedMore{};
    return parse(bytes.first(total), total, 0);
  }

  std::size_t offset_before(std::size_t index) const {
    std::size_t at = 0;
    for (std::size_t i = 0; i < index; ++i) at += fixed_size(d_.parts[i]);
    return at;
  }

  // `frame` unescaped; `size` what it took of the stream; a damaged frame is skipped whole when
  // its end is known for sure (`whole_skip`), else up to the next start.
  Parsing parse(std::span<const std::uint8_t> frame, std::size_t size,
                std::size_t whole_skip) const {
    const auto damaged = [&](ReadError error) {
      return Skip{error, whole_skip ? whole_skip : resync(frame), std::nullopt};
    };
    const std::size_t data_size = frame.size() - fixed_total_;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t at = 0;
    for (const auto& part : d_.parts) {
      const auto n = part.kind == Part::Kind::data ? data_size : fixed_size(part);
      spans.emplace_back(at, n);
      at += n;
    }
    for (std::size_t i = 0; i < d_.parts.size(); ++i) {
      const auto& part = d_.parts[i];
      if (part.kind != Part::Kind::checksum) continue;
      const auto from = spans[part.over_from].first;
      const auto to = spans[part.over_to].first + spans[part.over_to].second;
      const auto expected = checksum_of(part.checksum, frame.subspan(from, to - from));
      const auto got =
          get_unsigned(frame.subspan(spans[i].first, spans[i].second), part.checksum_order);
      if (got != expected) return damaged(ReadError::bad_crc);
    }
    for (std::size_t i = 1; i < d_.parts.size(); ++i) {
      const auto& part = d_.parts[i];
      if (part.kind == Part::Kind::literal &&
          !std::equal(part.bytes.begin(), part.bytes.end(),
                      frame.begin() + static_cast<std::ptrdiff_t>(spans[i].first)))
        return damaged(ReadError::bad_end);
    }
    Values header(d_.header_slots);
    std::optional<ReadError> direction_error;
    Value code;
    for (std::size_t i = 0; i < d_.parts.size(); ++i) {
      const auto& part = d_.parts[i];
      if (part.kind != Part::Kind::field && part.kind != Part::Kind::length) continue;
      const auto raw = frame.subspan(spans[i].first, spans[i].second);
      std::int64_t v = 0;
      if (part.field.type == Field::Type::bcd) {
        for (auto b : raw) {
          if ((b >> 4) > 9 || (b & 0x0F) > 9) return damaged(ReadError::bad_version);
          v = v * 100 + (b >> 4) * 10 + (b & 0x0F);
        }
      } else {
        v = static_cast<std::int64_t>(get_unsigned(raw, part.field.order));
      }
      header[part.field.slot] = integer_value(v);
      const auto& mine = uplink_ ? part.field.up_constant : part.field.down_constant;
      const auto& theirs = uplink_ ? part.field.down_constant : part.field.up_constant;
      if (part.kind == Part::Kind::field && mine && (v & part.field.mask) != *mine) {
        if (theirs && (v & part.field.mask) == *theirs)
          direction_error = ReadError::wrong_direction;
        else
          return damaged(ReadError::bad_version);
      }
      if (part.meaning == "function") code = integer_value(v);
    }
    const auto source = header_meaning(d_, header, "source");
    if (direction_error) return Skip{*direction_error, size, source};
    const Message* message = message_with_code(d_, code, uplink_);
    if (!message) return Skip{ReadError::unknown_function, size, source};
    Values values(message->slots);
    std::move(header.begin(), header.end(), values.begin());
    std::size_t data_index = 0;
    while (d_.parts[data_index].kind != Part::Kind::data) ++data_index;
    FieldReader reader(frame.subspan(spans[data_index].first, data_size), d_, uplink_);
    if (!reader.fields(message->fields, values) || !reader.complete())
      return Skip{ReadError::malformed_payload, size, source};
    return Parsed{size, message, std::move(values)};
  }

  const Description& d_;
  bool uplink_;
  std::size_t fixed_total_ = 0;
  std::optional<std::size_t> length_;
};

Parsing read_text(const Description& d, std::span<const std::uint8_t> bytes, bool uplink) {
  const std::string_view stream(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto end = stream.substr(0, d.max_frame + d.terminator.size()).find(d.terminator);
  if (end == std::string_view::npos) {
    if (bytes.size() >= d.max_frame + d.terminator.size())
      return Skip{ReadError::bad_length, bytes.size(), std::nullopt};
    return NeedMore{};
  }
  const auto size = end + d.terminator.size();
  const auto line = to_utf8(stream.substr(0, end), d.charset);
  if (!line) return Skip{ReadError::malformed_payload, size, std::nullopt};
  if (line->empty() || *line == "\r") return Skip{ReadError::garbage, size, std::nullopt};
  std::map<std::string_view, std::string_view> pairs;
  std::string_view rest = *line;
  while (!rest.empty()) {
    const auto cut = rest.find(d.pair_separator);
    auto pair = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
    if (pair.empty()) continue;
    const auto assign = pair.find(d.assign);
    if (assign == std::string_view::npos ||
        !pairs.emplace(pair.substr(0, assign), pair.substr(assign + 1)).second)
      return Skip{ReadError::malformed_payload, size, std::nullopt};
  }
  auto number = [&](const std::string& key) -> std::optional<std::uint32_t> {
    auto it = pairs.find(key);
    if (key.empty() || it == pairs.end()) return std::nullopt;
    auto v = parse_decimal(it->second);
    if (!v || *v < 0 || *v > 0xFFFFFFFF) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  };
  const auto source = number(d.source_key);
  auto function = pairs.find(d.function_key);
  if (function == pairs.end()) return Skip{ReadError::malformed_payload, size, source};
  const Message* message = message_with_code(d, text_value(std::string(function->second)), uplink);
  if (!message) return Skip{ReadError::unknown_function, size, source};
  Values values(message->slots);
  for (const auto& f : message->fields) {
    if (f.when && !applies(*f.when, values)) continue;
    auto it = pairs.find(f.key);
    if (it == pairs.end()) return Skip{ReadError::malformed_payload, size, source};
    bool ok = true;
    switch (f.type) {
      case Field::Type::uint:
      case Field::Type::sint:
      case Field::Type::bcd: {
        auto v = parse_decimal(it->second);
        ok = v && (f.type != Field::Type::uint || *v >= 0) &&
             finish_integer(f, *v, uplink, values[f.slot]);
        break;
      }
      case Field::Type::time: {
        auto t = parse_time_text(it->second, f.time_format, d.time_offset);
        ok = t && plausible(*t);
        if (ok) values[f.slot] = time_value(*t);
        break;
      }
      default:
        values[f.slot] = text_value(std::string(it->second));
        ok = is_storable_text(values[f.slot].text);
        break;
    }
    if (!ok) return Skip{ReadError::malformed_payload, size, source};
  }
  const auto sequence = number(d.sequence_key);
  if (!d.sequence_key.empty() && !sequence && message->role == Role::data)
    return Skip{ReadError::malformed_payload, size, source};
  return Parsed{size, message, std::move(values), sequence, source};
}

Parsing read_frame(const Description& d, std::span<const std::uint8_t> bytes, bool uplink) {
  if (d.kind == Description::Kind::text) return read_text(d, bytes, uplink);
  return BinaryReader(d, uplink).read(bytes);
}

// What a frame being written takes its values from besides its own fields.
struct Context {
  std::uint32_t source = 0;
  std::uint32_t sequence = 0;  // uplink data; or what a downlink message's header asks for
  records::Timestamp server_time{};
  std::string outcome{};
  std::uint32_t command_id = 0;
  const json* command = nullptr;
};

std::optional<Value> from_context(const std::string& name, const Context& c) {
  if (name == "server_time") return time_value(c.server_time);
  if (name == "sequence") return integer_value(c.sequence);
  if (name == "source") return integer_value(c.source);
  if (name == "outcome") return text_value(c.outcome);
  if (name == "command_id") return integer_value(c.command_id);
  if (c.command) {
    auto it = c.command->find(name);
    if (it == c.command->end() || it->is_null()) return std::nullopt;
    if (it->is_number_integer()) return integer_value(it->get<std::int64_t>());
    if (it->is_string()) return text_value(it->get<std::string>());
    if (it->is_boolean()) return text_value(it->get<bool>() ? "true" : "false");
    throw std::invalid_argument(fmt::format("'{}' must be a number, a text or true/false", name));
  }
  return std::nullopt;
}

Value resolve(const Source& source, const Values& values, const Context& c) {
  switch (source.kind) {
    case Source::Kind::field:
      return values[source.slot];
    case Source::Kind::constant:
      return source.constant;
    case Source::Kind::context:
      if (auto v = from_context(source.name, c)) return *v;
      throw std::invalid_argument(fmt::format("'{}' is missing", source.name));
  }
  return {};
}

// A downlink message's fields from the conversation (and the command), or their defaults.
void fill_downlink(const std::vector<Field>& fields, Values& values, const Context& c) {
  for (const auto& f : fields) {
    if (f.down_constant) {
      values[f.slot] = integer_value(*f.down_constant);
      continue;
    }
    std::optional<Value> v;
    if (f.value) {
      v = resolve(*f.value, values, c);
    } else {
      v = from_context(f.name, c);
    }
    if (!v && f.fallback) v = f.fallback;
    if (!v) throw std::invalid_argument(fmt::format("'{}' is missing", f.name));
    values[f.slot] = std::move(*v);
  }
}

void check_plain(const Description& d, const std::string& text, const std::string& name) {
  if (text.find(d.pair_separator) != std::string::npos ||
      text.find(d.assign) != std::string::npos ||
      text.find_first_of(d.terminator) != std::string::npos)
    throw std::invalid_argument(
        fmt::format("'{}' holds a character the protocol uses to separate values", name));
}

Bytes write_text(const Description& d, const Message& m, const Values& values, const Context& c) {
  std::string line = d.function_key + d.assign + m.code.text;
  auto add = [&](const std::string& key, const std::string& value) {
    check_plain(d, value, key);
    line += d.pair_separator;
    line += key;
    line += d.assign;
    line += value;
  };
  if (m.uplink && m.role == Role::data && !d.sequence_key.empty())
    add(d.sequence_key, std::to_string(c.sequence));
  if (m.uplink && !d.source_key.empty()) add(d.source_key, std::to_string(c.source));
  for (const auto& f : m.fields) {
    const auto& v = values[f.slot];
    if (f.when && !applies(*f.when, values)) continue;
    switch (f.type) {
      case Field::Type::time:
        if (v.kind != Value::Kind::time)
          throw std::invalid_argument(fmt::format("'{}' needs a time", f.name));
        add(f.key, format_time_text(v.time, f.time_format, d.time_offset));
        break;
      case Field::Type::string:
        add(f.key, v.kind == Value::Kind::integer ? std::to_string(v.integer) : v.text);
        break;
      default:
        add(f.key, std::to_string(integer_for(f, v)));
        break;
    }
  }
  auto raw = from_utf8(line, d.charset);
  if (!raw) throw std::invalid_argument("the message cannot be written in the protocol's charset");
  if (raw->size() > d.max_frame)
    throw std::invalid_argument("the message is longer than the protocol allows");
  Bytes out(raw->begin(), raw->end());
  out.insert(out.end(), d.terminator.begin(), d.terminator.end());
  return out;
}

Bytes write_binary(const Description& d, const Message& m, const Values& values, const Context& c) {
  std::vector<Bytes> chunks(d.parts.size());
  for (std::size_t i = 0; i < d.parts.size(); ++i) {
    const auto& part = d.parts[i];
    auto& chunk = chunks[i];
    switch (part.kind) {
      case Part::Kind::literal:
        chunk = part.bytes;
        break;
      case Part::Kind::data:
        FieldWriter(chunk, d).fields(m.fields, values);
        break;
      case Part::Kind::field: {
        std::int64_t v = 0;
        if (auto it = m.header.find(part.field.slot); it != m.header.end()) {
          v = integer_for(part.field, resolve(it->second, values, c));
        } else if (part.meaning == "function") {
          v = m.code.integer;
        } else if (part.meaning == "source") {
          v = c.source;
        } else if (part.meaning == "sequence") {
          v = m.uplink ? c.sequence : 0;
        } else {
          v = m.uplink ? *part.field.up_constant : *part.field.down_constant;
        }
        FieldWriter(chunk, d).fields({part.field}, Values(part.field.slot + 1, integer_value(v)));
        break;
      }
      default:
        break;  // lengths and checksums once the rest is laid out
    }
  }
  for (std::size_t i = 0; i < d.parts.size(); ++i) {
    const auto& part = d.parts[i];
    if (part.kind != Part::Kind::length) continue;
    std::int64_t counted = part.adjust;
    for (std::size_t j = part.counts_from; j <= part.counts_to; ++j)
      counted += static_cast<std::int64_t>(j == i ? part.field.size : chunks[j].size());
    if (!fits_unsigned(counted, part.field.size))
      throw std::invalid_argument("the message is longer than the protocol's length field can say");
    put_unsigned(chunks[i], static_cast<std::uint64_t>(counted), part.field.size, part.field.order);
  }
  for (std::size_t i = 0; i < d.parts.size(); ++i) {
    const auto& part = d.parts[i];
    if (part.kind != Part::Kind::checksum) continue;
    Bytes covered;
    for (std::size_t j = part.over_from; j <= part.over_to; ++j)
      covered.insert(covered.end(), chunks[j].begin(), chunks[j].end());
    put_unsigned(chunks[i], checksum_of(part.checksum, covered), checksum_size(part.checksum),
                 part.checksum_order);
  }
  Bytes out;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const bool escaped = d.escaping && i > 0 && i + 1 < chunks.size();
    for (auto b : chunks[i]) {
      if (escaped && std::find(d.escaping->escaped.begin(), d.escaping->escaped.end(), b) !=
                         d.escaping->escaped.end()) {
        out.push_back(d.escaping->escape);
        out.push_back(d.escaping->xor_with ? static_cast<std::uint8_t>(b ^ d.escaping->xor_with)
                                           : b);
      } else {
        out.push_back(b);
      }
    }
  }
  std::size_t unescaped = 0;
  for (const auto& chunk : chunks) unescaped += chunk.size();
  if (unescaped > d.max_frame)
    throw std::invalid_argument("the message is longer than the protocol allows");
  return out;
}

Bytes write_frame(const Description& d, const Message& m, Values values, const Context& c) {
  if (!m.uplink) fill_downlink(m.fields, values, c);
  return d.kind == Description::Kind::text ? write_text(d, m, values, c)
                                           : write_binary(d, m, values, c);
}

const Message& message_for(const Description& d, Role role) {
  if (auto it = d.downlink_by_role.find(role); it != d.downlink_by_role.end())
    return d.messages[it->second];
  for (const auto& m : d.messages)
    if (m.uplink && m.role == role) return m;
  throw std::invalid_argument(fmt::format("protocol {} has no such message", d.name));
}

// A message of a role whose values all come from the conversation.
Bytes write_role(const Description& d, Role role, const Context& c) {
  const auto& m = message_for(d, role);
  return write_frame(d, m, Values(m.slots), c);
}

std::string text_of_value(const Value& v) {
  return v.kind == Value::Kind::text      ? v.text
         : v.kind == Value::Kind::integer ? std::to_string(v.integer)
                                          : std::string();
}

json json_of(const Value& v, const std::vector<Field>* item_fields) {
  switch (v.kind) {
    case Value::Kind::none:
      return nullptr;
    case Value::Kind::integer:
      return v.integer;
    case Value::Kind::text:
      return v.text;
    case Value::Kind::time:
      return records::iso8601(v.time);
    case Value::Kind::items: {
      json items = json::array();
      for (const auto& item : *v.items) {
        json object = json::object();
        for (const auto& f : *item_fields) object[f.name] = json_of(item[f.slot], &f.items);
        items.push_back(std::move(object));
      }
      return items;
    }
  }
  return nullptr;
}

}  // namespace

Interpreter::Interpreter(std::shared_ptr<const Description> description)
    : description_(std::move(description)) {}

UplinkReading Interpreter::read_uplink(std::span<const std::uint8_t> bytes,
                                       records::Timestamp received) const {
  const auto& d = *description_;
  auto parsing = read_frame(d, bytes, true);
  if (auto* need = std::get_if<NeedMore>(&parsing)) return *need;
  if (auto* skip = std::get_if<Skip>(&parsing)) return *skip;
  auto& parsed = std::get<Parsed>(parsing);
  const Message& m = *parsed.message;
  auto& values = parsed.values;
  Received out{parsed.size, 1, 0, Heartbeat{}};
  if (d.kind == Description::Kind::binary) {
    out.source = header_meaning(d, values, "source").value_or(1);
    out.sequence = header_meaning(d, values, "sequence").value_or(0);
  } else {
    out.source = parsed.source.value_or(1);
    out.sequence = parsed.sequence.value_or(0);
  }
  if (m.source_slot) out.source = static_cast<std::uint32_t>(values[*m.source_slot].integer);
  if (m.sequence_slot) out.sequence = static_cast<std::uint32_t>(values[*m.sequence_slot].integer);
  const auto named = [&](std::string_view name) -> const Value* {
    for (const auto& f : m.fields)
      if (f.name == name && values[f.slot].kind != Value::Kind::none) return &values[f.slot];
    return nullptr;
  };
  const auto malformed = Skip{ReadError::malformed_payload, parsed.size, out.source};
  switch (m.role) {
    case Role::login: {
      Login login;
      login.site = text_of_value(*named("site"));
      if (auto* v = named("device_id")) login.device_id = text_of_value(*v);
      if (auto* v = named("version")) login.version = static_cast<std::uint16_t>(v->integer);
      if (auto* v = named("epoch")) login.epoch = static_cast<std::uint32_t>(v->integer);
      out.uplink = std::move(login);
      return out;
    }
    case Role::heartbeat:
      out.uplink = Heartbeat{};
      return out;
    case Role::command_result: {
      CommandResult result;
      result.command = static_cast<std::uint32_t>(named("command")->integer);
      const auto* outcome = named("outcome");
      const auto name = outcome->kind == Value::Kind::text ? outcome->text : std::string();
      static constexpr std::string_view outcomes[] = {"done", "refused", "unsupported", "failed"};
      auto it = std::find(std::begin(outcomes), std::end(outcomes), name);
      if (outcome->kind == Value::Kind::integer && outcome->integer >= 0 && outcome->integer < 4)
        result.outcome = static_cast<CommandOutcome>(outcome->integer);
      else if (it != std::end(outcomes))
        result.outcome = static_cast<CommandOutcome>(it - std::begin(outcomes));
      else
        return malformed;
      if (auto* v = named("detail")) result.detail = text_of_value(*v);
      out.uplink = std::move(result);
      return out;
    }
    case Role::data: {
      records::Event event;
      const auto at = m.at->kind == Source::Kind::field ? values[m.at->slot] : time_value(received);
      if (at.kind != Value::Kind::time) return malformed;
      event.at = at.time;
      event.body = records::event_body_of(m.event_type);
      const bool ok = std::visit(
          [&](auto& body) { return assign_members(body, values, m.members); }, event.body);
      if (!ok) return malformed;
      out.uplink = std::move(event);
      return out;
    }
    default:
      return Skip{ReadError::wrong_direction, parsed.size, out.source};
  }
}

std::vector<std::uint8_t> Interpreter::login_ack(std::uint32_t source, LoginOutcome outcome,
                                                 records::Timestamp server_time) const {
  static constexpr std::string_view names[] = {"accepted", "unknown_site", "unsupported_version"};
  return write_role(*description_, Role::login_ack,
                    {.source = source,
                     .server_time = server_time,
                     .outcome = std::string(names[static_cast<std::size_t>(outcome)])});
}

std::vector<std::uint8_t> Interpreter::heartbeat_ack(std::uint32_t source,
                                                     records::Timestamp server_time) const {
  return write_role(*description_, Role::heartbeat_ack,
                    {.source = source, .server_time = server_time});
}

std::vector<std::uint8_t> Interpreter::data_ack(std::uint32_t source,
                                                std::uint32_t sequence) const {
  return write_role(*description_, Role::data_ack, {.source = source, .sequence = sequence});
}

std::vector<std::uint8_t> Interpreter::command(std::uint32_t source, std::uint32_t command_id,
                                               const json& command) const {
  const auto& d = *description_;
  if (!command.is_object() || !command.contains("kind") || !command["kind"].is_string())
    throw std::invalid_argument("a command is an object with its 'kind'");
  const auto kind = command["kind"].get<std::string>();
  auto it = d.command_by_kind.find(kind);
  if (it == d.command_by_kind.end())
    throw std::invalid_argument(fmt::format("protocol {} has no command '{}'", d.name, kind));
  Context c;
  c.source = source;
  c.command_id = command_id;
  c.command = &command;
  const auto& m = d.messages[it->second];
  return write_frame(d, m, Values(m.slots), c);
}

std::vector<std::uint8_t> Interpreter::login(std::uint32_t source, const Login& login) const {
  const auto& m = message_for(*description_, Role::login);
  Values values(m.slots);
  for (const auto& f : m.fields) {
    if (f.name == "site") values[f.slot] = text_value(login.site);
    if (f.name == "device_id") values[f.slot] = text_value(login.device_id);
    if (f.name == "version") values[f.slot] = integer_value(login.version);
    if (f.name == "epoch") values[f.slot] = integer_value(login.epoch);
  }
  Context c;
  c.source = source;
  return write_frame(*description_, m, std::move(values), c);
}

std::vector<std::uint8_t> Interpreter::heartbeat(std::uint32_t source) const {
  return write_role(*description_, Role::heartbeat, {.source = source});
}

std::vector<std::uint8_t> Interpreter::command_result(std::uint32_t source,
                                                      const CommandResult& result) const {
  const auto& m = message_for(*description_, Role::command_result);
  Values values(m.slots);
  for (const auto& f : m.fields) {
    if (f.name == "command") values[f.slot] = integer_value(result.command);
    if (f.name == "outcome") {
      values[f.slot] = integer_value(static_cast<std::int64_t>(result.outcome));
      values[f.slot].text = proto::to_string(result.outcome);
    }
    if (f.name == "detail") values[f.slot] = text_value(result.detail);
  }
  Context c;
  c.source = source;
  return write_frame(*description_, m, std::move(values), c);
}

std::vector<std::uint8_t> Interpreter::event(std::uint32_t source, std::uint32_t sequence,
                                             const records::Event& event) const {
  const auto& d = *description_;
  const auto type = event.body.index();
  const Message* m = nullptr;
  for (const auto& candidate : d.messages)
    if (candidate.role == Role::data && candidate.event_type == type) m = &candidate;
  if (!m)
    throw std::invalid_argument(
        fmt::format("protocol {} carries no {}", d.name, records::type_name(event.body)));
  Values values(m->slots);
  if (m->at->kind == Source::Kind::field) values[m->at->slot] = time_value(event.at);
  std::visit([&](const auto& body) { take_members(body, values, m->members); }, event.body);
  for (const auto& f : m->fields)
    if (f.up_constant) values[f.slot] = integer_value(*f.up_constant);
  Context c;
  c.source = source;
  c.sequence = sequence;
  if (m->sequence_slot) values[*m->sequence_slot] = integer_value(sequence);
  if (m->source_slot) values[*m->source_slot] = integer_value(source);
  return write_frame(d, *m, std::move(values), c);
}

DownlinkReading Interpreter::read_downlink(std::span<const std::uint8_t> bytes) const {
  const auto& d = *description_;
  auto parsing = read_frame(d, bytes, false);
  if (auto* need = std::get_if<NeedMore>(&parsing)) return *need;
  if (auto* skip = std::get_if<Skip>(&parsing)) return *skip;
  auto& parsed = std::get<Parsed>(parsing);
  const Message& m = *parsed.message;
  DownlinkFrame out{parsed.size, m.role, m.command_kind, 0, 0, json::object()};
  if (d.kind == Description::Kind::binary) {
    out.source = header_meaning(d, parsed.values, "source").value_or(0);
    out.sequence = header_meaning(d, parsed.values, "sequence").value_or(0);
  }
  for (const auto& f : m.fields) out.values[f.name] = json_of(parsed.values[f.slot], &f.items);
  return out;
}

namespace {

class DescribedCodec final : public SessionCodec {
 public:
  explicit DescribedCodec(std::shared_ptr<const Description> description)
      : interpreter_(std::move(description)) {}

  Reading read(std::span<const std::uint8_t> bytes, records::Timestamp now) const override {
    auto reading = interpreter_.read_uplink(bytes, now);
    if (std::holds_alternative<NeedMore>(reading)) return std::monostate{};
    if (auto* skip = std::get_if<Skip>(&reading))
      return Refusal{static_cast<SessionError>(skip->error), skip->size, skip->source};
    auto& received = std::get<Received>(reading);
    return Frame{received.size, received.source, received.sequence, std::move(received.uplink)};
  }
  std::vector<std::uint8_t> login_ack(std::uint32_t source, LoginOutcome outcome,
                                      records::Timestamp now) const override {
    return interpreter_.login_ack(source, outcome, now);
  }
  std::vector<std::uint8_t> heartbeat_ack(std::uint32_t source,
                                          records::Timestamp now) const override {
    return interpreter_.heartbeat_ack(source, now);
  }
  std::vector<std::uint8_t> data_ack(std::uint32_t source, std::uint32_t sequence) const override {
    return interpreter_.data_ack(source, sequence);
  }
  std::vector<std::uint8_t> command(std::uint32_t source, std::uint32_t command_id,
                                    const nlohmann::json& command) const override {
    return interpreter_.command(source, command_id, command);
  }
  bool login_required() const override { return interpreter_.description().login_required; }
  bool accepts_login_version(std::uint16_t version) const override {
    const auto& d = interpreter_.description();
    return (d.min_login_version == 0 && d.max_login_version == 0) ||
           (version >= d.min_login_version && version <= d.max_login_version);
  }

 private:
  Interpreter interpreter_;
};

}  // namespace

std::shared_ptr<const SessionCodec> session_codec(std::shared_ptr<const Description> description) {
  return std::make_shared<DescribedCodec>(std::move(description));
}

}  // namespace halld::proto::described
