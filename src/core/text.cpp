#include "halld/core/text.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <vector>

namespace halld {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// The code point at text[at] and its length in bytes; length 0 for a malformed sequence.
struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;
};

Decoded decode(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(at);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, minimum = 0x10000;
  } else {
    return {};
  }
  if (at + length > text.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return {};
    value = (value << 6) | (byte(at + i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length};
}

bool is_invisible_format(char32_t c) {
  return (c >= 0x200B && c <= 0x200F) ||  // zero-width space, joiners, LRM, RLM
         (c >= 0x202A && c <= 0x202E) ||  // bidi embeddings and overrides
         (c >= 0x2060 && c <= 0x2069) ||  // word joiner, invisible operators, bidi isolates
         c == 0xFEFF || c == 0x061C || c == 0x00AD;
}

template <class Accept>
bool every_character(std::string_view text, Accept accept) {
  for (std::size_t at = 0; at < text.size();) {
    const auto decoded = decode(text, at);
    if (decoded.length == 0 || !accept(decoded.code_point)) return false;
    at += decoded.length;
  }
  return true;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  return every_character(text, [](char32_t) { return true; });
}

bool is_storable_text(std::string_view text) {
  return every_character(text, [](char32_t c) { return c != 0; });
}

bool is_display_text(std::string_view text) {
  return every_character(text, [](char32_t c) {
    const bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F);
    return !control && !is_invisible_format(c);
  });
}

std::string printable_excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t at = 0; at < text.size();) {
    const auto decoded = decode(text, at);
    const bool good = decoded.length > 0 && decoded.code_point != 0;
    const std::string_view piece = good ? text.substr(at, decoded.length) : replacement;
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    at += good ? decoded.length : 1;
  }
  return out;
}

namespace {

// iconv_open loads its tables on every call (about a microsecond, more than converting a
// ticket number); each thread keeps its converters, their state reset before each use.
class Converters {
 public:
  Converters() = default;
  Converters(const Converters&) = delete;
  Converters& operator=(const Converters&) = delete;
  ~Converters() {
    for (auto& c : open_) iconv_close(c.cd);
  }
  std::optional<iconv_t> get(const char* to, const char* from) {
    for (auto& c : open_) {
      if (c.to == to && c.from == from) {
        iconv(c.cd, nullptr, nullptr, nullptr, nullptr);
        return c.cd;
      }
    }
    iconv_t cd = iconv_open(to, from);
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    if (open_.size() >= max_kept) {
      iconv_close(open_.front().cd);
      open_.erase(open_.begin());
    }
    open_.push_back({to, from, cd});
    return cd;
  }

 private:
  static constexpr std::size_t max_kept = 8;
  struct Open {
    std::string to, from;
    iconv_t cd;
  };
  std::vector<Open> open_;
};

}  // namespace

std::optional<std::string> convert_charset(std::string_view text, const char* to,
                                           const char* from) {
  thread_local Converters converters;
  const auto converter = converters.get(to, from);
  if (!converter) return std::nullopt;
  iconv_t cd = *converter;
  std::string out(text.size() * 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  std::size_t out_used = 0;
  bool ok = true;
  while (in_left > 0) {
    char* out_ptr = out.data() + out_used;
    std::size_t out_left = out.size() - out_used;
    const auto result = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    out_used = out.size() - out_left;
    if (result != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    ok = false;  // EILSEQ or EINVAL: invalid or truncated input
    break;
  }
  if (!ok) return std::nullopt;
  out.resize(out_used);
  return out;
}

}  // namespace halld
