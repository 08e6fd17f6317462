#include "halld/proto/frame/frame.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/crc.hpp>

namespace halld::proto {
namespace {

constexpr std::size_t fixed_length = 10;  // CTRL + SRC + SEQ + FUNC: LEN counts these plus DATA

std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t read_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// Where the next possible frame could start after a failure at position 0.
std::size_t resync_skip(std::span<const std::uint8_t> bytes) {
  auto next = std::find(bytes.begin() + 1, bytes.end(), start_byte);
  return static_cast<std::size_t>(next - bytes.begin());
}

}  // namespace

std::string_view to_string(FrameError error) {
  switch (error) {
    case FrameError::garbage:
      return "garbage";
    case FrameError::bad_length:
      return "bad_length";
    case FrameError::bad_version:
      return "bad_version";
    case FrameError::bad_crc:
      return "bad_crc";
    case FrameError::bad_end:
      return "bad_end";
  }
  return "unknown";
}

std::uint16_t crc16_modbus(std::span<const std::uint8_t> bytes) {
  boost::crc_optimal<16, 0x8005, 0xFFFF, 0, true, true> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

DecodeResult decode_frame(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return NeedMore{1};
  if (bytes[0] != start_byte) return Rejected{FrameError::garbage, resync_skip(bytes)};
  if (bytes.size() < 3) return NeedMore{3};
  const std::size_t length = read_u16(&bytes[1]);
  if (length < fixed_length || length > fixed_length + max_payload) {
    return Rejected{FrameError::bad_length, resync_skip(bytes)};
  }
  if (bytes.size() >= 4 && (bytes[3] & 0x0F) != protocol_version) {
    return Rejected{FrameError::bad_version, resync_skip(bytes)};
  }
  const std::size_t total = 3 + length + trailer_size;
  if (bytes.size() < total) return NeedMore{total};
  const auto checked = bytes.subspan(1, 2 + length);  // LEN … DATA
  if (read_u16(&bytes[3 + length]) != crc16_modbus(checked))
    return Rejected{FrameError::bad_crc, resync_skip(bytes)};
  if (bytes[total - 1] != end_byte) return Rejected{FrameError::bad_end, resync_skip(bytes)};

  Decoded decoded;
  decoded.size = total;
  Frame& f = decoded.frame;
  f.direction = (bytes[3] & 0x80) ? Direction::downlink : Direction::uplink;
  f.source = read_u32(&bytes[4]);
  f.sequence = read_u32(&bytes[8]);
  f.function = bytes[12];
  f.payload.assign(bytes.begin() + header_size,
                   bytes.begin() + static_cast<std::ptrdiff_t>(3 + length));
  return decoded;
}

std::vector<std::uint8_t> encode_frame(const Frame& frame) {
  if (frame.payload.size() > max_payload)
    throw std::length_error("frame payload exceeds max_payload");
  std::vector<std::uint8_t> out;
  out.reserve(header_size + frame.payload.size() + trailer_size);
  out.push_back(start_byte);
  put_u16(out, static_cast<std::uint16_t>(fixed_length + frame.payload.size()));
  out.push_back(static_cast<std::uint8_t>((frame.direction == Direction::downlink ? 0x80 : 0x00) |
                                          protocol_version));
  put_u32(out, frame.source);
  put_u32(out, frame.sequence);
  out.push_back(frame.function);
  out.insert(out.end(), frame.payload.begin(), frame.payload.end());
  put_u16(out, crc16_modbus(std::span(out).subspan(1)));
  out.push_back(end_byte);
  return out;
}

std::vector<Frame> take_frames(std::vector<std::uint8_t>& received) {
  std::vector<Frame> frames;
  std::size_t used = 0;
  for (;;) {
    auto result = decode_frame(std::span(received).subspan(used));
    if (std::holds_alternative<NeedMore>(result)) break;
    if (auto* rejected = std::get_if<Rejected>(&result)) {
      used += rejected->skip;
      continue;
    }
    auto& decoded = std::get<Decoded>(result);
    used += decoded.size;
    frames.push_back(std::move(decoded.frame));
  }
  received.erase(received.begin(), received.begin() + static_cast<std::ptrdiff_t>(used));
  return frames;
}

std::size_t answer_size(std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  for (;;) {
    auto result = decode_frame(bytes.subspan(used));
    if (std::holds_alternative<NeedMore>(result)) return 0;
    if (auto* decoded = std::get_if<Decoded>(&result)) return used + decoded->size;
    used += std::get<Rejected>(result).skip;
  }
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0x0F];
  }
  return out;
}

std::vector<std::uint8_t> from_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    int value;
    if (c >= '0' && c <= '9')
      value = c - '0';
    else if (c >= 'a' && c <= 'f')
      value = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      value = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    else
      throw std::invalid_argument(std::string("not a hex digit: ") + c);
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + value));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

}  // namespace halld::proto
