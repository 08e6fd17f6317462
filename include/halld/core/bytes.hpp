// core/bytes: the compact binary form of what halld writes for itself and reads back later (the
// live model's snapshots): unsigned LEB128 varints, zigzag varints for signed values, text as a
// varint byte count and the bytes. The reader never reads past the end and never allocates more
// than the bytes left could hold: on anything malformed it remembers that it failed and returns
// zeros from then on. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace halld {

class ByteWriter {
 public:
  void unsigned_(std::uint64_t v);
  void signed_(std::int64_t v);
  void text(std::string_view v);
  void raw(std::span<const std::uint8_t> bytes);
  template <class Enum>
  void code(Enum v) {
    unsigned_(static_cast<std::uint64_t>(v));
  }
  std::size_t size() const { return bytes_.size(); }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<std::uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t unsigned_();
  std::int64_t signed_();
  // A signed value within [lo, hi]; outside fails. Whatever is read that takes part in arithmetic
  // is read with bounds, so that nothing done with it afterwards can overflow.
  std::int64_t signed_within(std::int64_t lo, std::int64_t hi);
  // Seconds since the epoch of a time from 1970 to 2200.
  static constexpr std::int64_t max_epoch_seconds = 7'258'118'400;
  std::int64_t epoch_seconds() { return signed_within(0, max_epoch_seconds); }
  // A count or a sum of seconds, far beyond what a hall accrues in years: sums of millions of
  // them stay far from overflowing.
  std::int64_t quantity() { return signed_within(-(std::int64_t{1} << 36), std::int64_t{1} << 36); }
  std::string text();
  // A count of items each at least `min_item_bytes` long: more than the bytes left can hold fails.
  std::size_t count(std::size_t min_item_bytes = 1);
  std::span<const std::uint8_t> raw(std::size_t n);
  // An enum stored by code(); outside [first, last] fails.
  template <class Enum>
  Enum code(Enum first, Enum last) {
    const auto raw_value = unsigned_();
    if (raw_value < static_cast<std::uint64_t>(first) ||
        raw_value > static_cast<std::uint64_t>(last)) {
      fail();
      return first;
    }
    return static_cast<Enum>(raw_value);
  }
  void fail() { failed_ = true; }
  bool failed() const { return failed_; }
  std::size_t position() const { return position_; }
  // Every read succeeded and every byte was consumed.
  bool complete() const { return !failed_ && position_ == bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

}  // namespace halld
