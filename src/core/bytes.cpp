#include "halld/core/bytes.hpp"

namespace halld {

void ByteWriter::unsigned_(std::uint64_t v) {
  while (v >= 0x80) {
    bytes_.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  bytes_.push_back(static_cast<std::uint8_t>(v));
}

void ByteWriter::signed_(std::int64_t v) {
  unsigned_((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void ByteWriter::text(std::string_view v) {
  unsigned_(v.size());
  bytes_.insert(bytes_.end(), v.begin(), v.end());
}

void ByteWriter::raw(std::span<const std::uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

std::uint64_t ByteReader::unsigned_() {
  std::uint64_t v = 0;
  for (unsigned shift = 0; !failed_; shift += 7) {
    // Ten bytes at most, the tenth holding the top bit alone: one way to write each value.
    if (position_ == bytes_.size() || shift > 63) break;
    const std::uint8_t byte = bytes_[position_++];
    if (shift == 63 && byte > 1) break;
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      if (byte == 0 && shift > 0) break;  // a padded encoding
      return v;
    }
  }
  fail();
  return 0;
}

std::int64_t ByteReader::signed_() {
  const std::uint64_t v = unsigned_();
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

std::int64_t ByteReader::signed_within(std::int64_t lo, std::int64_t hi) {
  const auto v = signed_();
  if (v < lo || v > hi) {
    fail();
    return lo;
  }
  return v;
}

std::size_t ByteReader::count(std::size_t min_item_bytes) {
  const std::uint64_t n = unsigned_();
  const std::size_t left = bytes_.size() - position_;
  if (failed_ || n > left / (min_item_bytes == 0 ? 1 : min_item_bytes)) {
    fail();
    return 0;
  }
  return static_cast<std::size_t>(n);
}

std::span<const std::uint8_t> ByteReader::raw(std::size_t n) {
  if (failed_ || n > bytes_.size() - position_) {
    fail();
    return {};
  }
  auto out = bytes_.subspan(position_, n);
  position_ += n;
  return out;
}

std::string ByteReader::text() {
  const auto bytes = raw(count());
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace halld
