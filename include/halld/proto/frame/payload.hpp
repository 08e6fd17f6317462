// proto/frame/payload: the field encoding inside DATA (docs/protocols/framing.md): integers
// little-endian, text as a u8 byte count followed by UTF-8, times as u32 seconds since
// 1970-01-01 UTC. The reader never reads past the end: it remembers that it failed instead.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "halld/records/events.hpp"

namespace halld::proto {

inline constexpr std::size_t max_text_bytes = 255;

class PayloadWriter {
 public:
  PayloadWriter& u8(std::uint8_t v);
  PayloadWriter& u16(std::uint16_t v);
  PayloadWriter& u32(std::uint32_t v);
  PayloadWriter& i64(std::int64_t v);
  PayloadWriter& text(std::string_view v);  // throws std::length_error beyond max_text_bytes
  PayloadWriter& time(records::Timestamp t);
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

class PayloadReader {
 public:
  explicit PayloadReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::int64_t i64();
  std::string text();  // also fails on invalid UTF-8
  records::Timestamp time();
  void fail() { failed_ = true; }
  // True when every read succeeded and every byte was consumed.
  bool complete() const { return !failed_ && position_ == bytes_.size(); }

 private:
  const std::uint8_t* take(std::size_t n);
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

bool is_valid_utf8(std::string_view text);

// Visitors over a message's field list. A protocol writes each message's fields once, as
// `fields(visitor, message)`, and the same list encodes (FieldWriter) and decodes (FieldReader).
// Enums travel as one byte and must lie in [first, last].
class FieldWriter {
 public:
  void text(const std::string& v) { out_.text(v); }
  void u16(const std::uint16_t& v) { out_.u16(v); }
  void u32(const std::uint32_t& v) { out_.u32(v); }
  void i64(const std::int64_t& v) { out_.i64(v); }
  void time(const records::Timestamp& v) { out_.time(v); }
  template <class Enum>
  void code(const Enum& v, Enum, Enum) {
    out_.u8(static_cast<std::uint8_t>(v));
  }
  template <class T, class Each>
  void list(const std::vector<T>& items, Each each) {
    if (items.size() > 255) throw std::length_error("a list field holds at most 255 items");
    out_.u8(static_cast<std::uint8_t>(items.size()));
    for (const auto& item : items) each(*this, item);
  }
  std::vector<std::uint8_t> take() { return out_.take(); }

 private:
  PayloadWriter out_;
};

class FieldReader {
 public:
  explicit FieldReader(std::span<const std::uint8_t> bytes) : in_(bytes) {}
  void text(std::string& v) { v = in_.text(); }
  void u16(std::uint16_t& v) { v = in_.u16(); }
  void u32(std::uint32_t& v) { v = in_.u32(); }
  void i64(std::int64_t& v) { v = in_.i64(); }
  void time(records::Timestamp& v) { v = in_.time(); }
  template <class Enum>
  void code(Enum& v, Enum first, Enum last) {
    auto raw = in_.u8();
    if (raw < static_cast<std::uint8_t>(first) || raw > static_cast<std::uint8_t>(last))
      in_.fail();
    else
      v = static_cast<Enum>(raw);
  }
  template <class T, class Each>
  void list(std::vector<T>& items, Each each) {
    items.resize(in_.u8());
    for (auto& item : items) each(*this, item);
  }
  bool complete() const { return in_.complete(); }

 private:
  PayloadReader in_;
};

}  // namespace halld::proto
