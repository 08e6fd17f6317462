// proto/frame: the frame envelope shared by halld's hall protocols (queue-evaluation,
// self-service terminal management), in the style of power-industry frames
// (docs/protocols/framing.md):
//
//   68 | LEN (u16 LE) | CTRL | SRC (u32 LE) | SEQ (u32 LE) | FUNC | DATA (N) | CRC16 (LE) | 16
//
// Owns: splitting a byte stream into frames, resynchronising after garbage, the CRC, and
// encoding frames. Pure: bytes in, frames out; it knows no socket and no payload meaning.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace halld::proto {

inline constexpr std::uint8_t start_byte = 0x68;
inline constexpr std::uint8_t end_byte = 0x16;
inline constexpr std::size_t header_size = 13;  // START, LEN, CTRL, SRC, SEQ, FUNC
inline constexpr std::size_t trailer_size = 3;  // CRC, END
inline constexpr std::size_t max_payload = 4096;
inline constexpr std::size_t max_frame_size = header_size + max_payload + trailer_size;
inline constexpr std::uint8_t protocol_version = 1;

enum class Direction : std::uint8_t { uplink = 0, downlink = 1 };  // device → halld, halld → device

struct Frame {
  Direction direction = Direction::uplink;
  std::uint32_t source = 0;    // the device's address within its channel
  std::uint32_t sequence = 0;  // per-source; for an ack, the sequence acknowledged
  std::uint8_t function = 0;
  std::vector<std::uint8_t> payload;

  bool operator==(const Frame&) const = default;
};

enum class FrameError : std::uint8_t {
  garbage,      // bytes before a start byte
  bad_length,   // LEN outside 10 … 10 + max_payload
  bad_version,  // CTRL carries a protocol version we do not speak
  bad_crc,
  bad_end,  // no end byte where LEN says the frame ends
};
std::string_view to_string(FrameError error);
inline constexpr std::size_t frame_error_kinds = 5;

// What the decoder found at the front of a buffer.
struct NeedMore {
  std::size_t at_least;  // total bytes needed before trying again
};
struct Decoded {
  Frame frame;
  std::size_t size;  // bytes the frame occupied
};
struct Rejected {
  FrameError error;
  std::size_t skip;  // bytes to drop so that the buffer starts at the next candidate start byte
};
using DecodeResult = std::variant<NeedMore, Decoded, Rejected>;

// Looks at the front of `bytes` only; the caller drops `size` or `skip` bytes and calls again.
DecodeResult decode_frame(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode_frame(const Frame& frame);

// The whole frames at the front of `received`, in order, skipping damage; what they and the
// damage took is erased, and an incomplete frame is left for more bytes. For device-side
// readers (simulators), which need frames and no error accounting.
std::vector<Frame> take_frames(std::vector<std::uint8_t>& received);

// Bytes up to the end of the first whole frame in `bytes` (any garbage or damaged frames before
// it included), 0 while none is whole yet. A bus master uses it to know that a polled device
// has finished its answer, however good the answer turns out to be.
std::size_t answer_size(std::span<const std::uint8_t> bytes);

// CRC-16/MODBUS (poly 0x8005 reflected, init 0xFFFF), as most field devices compute it.
std::uint16_t crc16_modbus(std::span<const std::uint8_t> bytes);

// "68 0b 00 …" ↔ bytes, for docs, tests and the raw frame tap.
std::string to_hex(std::span<const std::uint8_t> bytes);
std::vector<std::uint8_t> from_hex(
    std::string_view text);  // ignores spaces and newlines; throws on other junk

}  // namespace halld::proto
