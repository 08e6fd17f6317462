#include "halld/proto/frame/payload.hpp"

#include <stdexcept>

namespace halld::proto {

PayloadWriter& PayloadWriter::u8(std::uint8_t v) {
  bytes_.push_back(v);
  return *this;
}
PayloadWriter& PayloadWriter::u16(std::uint16_t v) {
  for (int shift = 0; shift < 16; shift += 8)
    bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
  return *this;
}
PayloadWriter& PayloadWriter::u32(std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8)
    bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
  return *this;
}
PayloadWriter& PayloadWriter::i64(std::int64_t v) {
  auto u = static_cast<std::uint64_t>(v);
  for (int shift = 0; shift < 64; shift += 8)
    bytes_.push_back(static_cast<std::uint8_t>(u >> shift));
  return *this;
}
PayloadWriter& PayloadWriter::text(std::string_view v) {
  if (v.size() > max_text_bytes) throw std::length_error("text field longer than 255 bytes");
  bytes_.push_back(static_cast<std::uint8_t>(v.size()));
  bytes_.insert(bytes_.end(), v.begin(), v.end());
  return *this;
}
PayloadWriter& PayloadWriter::time(records::Timestamp t) {
  return u32(static_cast<std::uint32_t>(t.time_since_epoch().count()));
}

const std::uint8_t* PayloadReader::take(std::size_t n) {
  if (failed_ || bytes_.size() - position_ < n) {
    failed_ = true;
    return nullptr;
  }
  const std::uint8_t* p = bytes_.data() + position_;
  position_ += n;
  return p;
}

std::uint8_t PayloadReader::u8() {
  auto p = take(1);
  return p ? p[0] : 0;
}
std::uint16_t PayloadReader::u16() {
  auto p = take(2);
  return p ? static_cast<std::uint16_t>(p[0] | (p[1] << 8)) : 0;
}
std::uint32_t PayloadReader::u32() {
  auto p = take(4);
  if (!p) return 0;
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::int64_t PayloadReader::i64() {
  auto p = take(8);
  if (!p) return 0;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}
std::string PayloadReader::text() {
  std::size_t n = u8();
  auto p = take(n);
  if (!p) return {};
  std::string s(reinterpret_cast<const char*>(p), n);
  if (!is_valid_utf8(s)) failed_ = true;
  return s;
}
records::Timestamp PayloadReader::time() {
  return records::Timestamp(std::chrono::seconds(u32()));
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = c < 0x80           ? 0
                        : (c >> 5) == 0x6  ? 1
                        : (c >> 4) == 0xE  ? 2
                        : (c >> 3) == 0x1E ? 3
                                           : 4;
    if (extra == 4 || i + extra >= text.size()) return false;
    std::uint32_t code = extra == 0 ? c : c & (0x3F >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < minimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace halld::proto
