// The compact binary form: every value comes back as it went in, one way of writing each, and
// malformed bytes fail the reader without reading past the end or allocating beyond them.
#include "halld/core/bytes.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace halld {
namespace {

TEST(Bytes, ValuesComeBackAsTheyWentIn) {
  const std::vector<std::uint64_t> unsigned_values{
      0, 1, 127, 128, 300, 1u << 31, std::numeric_limits<std::uint64_t>::max()};
  const std::vector<std::int64_t> signed_values{0,
                                                -1,
                                                1,
                                                -64,
                                                64,
                                                -65,
                                                std::numeric_limits<std::int64_t>::min(),
                                                std::numeric_limits<std::int64_t>::max()};
  ByteWriter out;
  for (auto v : unsigned_values) out.unsigned_(v);
  for (auto v : signed_values) out.signed_(v);
  out.text("营业厅 A001");
  out.text("");
  const auto bytes = out.take();
  ByteReader in(bytes);
  for (auto v : unsigned_values) EXPECT_EQ(in.unsigned_(), v);
  for (auto v : signed_values) EXPECT_EQ(in.signed_(), v);
  EXPECT_EQ(in.text(), "营业厅 A001");
  EXPECT_EQ(in.text(), "");
  EXPECT_TRUE(in.complete());
}

TEST(Bytes, SmallValuesTakeOneByte) {
  ByteWriter out;
  out.unsigned_(127);
  out.signed_(-64);
  out.signed_(63);
  EXPECT_EQ(out.size(), 3u);
}

TEST(Bytes, ValuesOutsideTheirBoundsFailTheReader) {
  // A time of 2200 and a wait of two thousand years read; a time before 1970 or after 2200, or an
  // absurd quantity, fails (a damaged snapshot must not bring in what overflows later).
  auto reads = [](std::int64_t v, auto read) {
    ByteWriter out;
    out.signed_(v);
    const auto bytes = out.take();
    ByteReader in(bytes);
    const auto got = read(in);
    return in.complete() && got == v;
  };
  auto time = [](ByteReader& in) { return in.epoch_seconds(); };
  auto quantity = [](ByteReader& in) { return in.quantity(); };
  EXPECT_TRUE(reads(0, time));
  EXPECT_TRUE(reads(ByteReader::max_epoch_seconds, time));
  EXPECT_FALSE(reads(-1, time));
  EXPECT_FALSE(reads(ByteReader::max_epoch_seconds + 1, time));
  EXPECT_FALSE(reads(std::numeric_limits<std::int64_t>::max(), time));
  EXPECT_TRUE(reads(2000LL * 365 * 86'400, quantity));
  EXPECT_TRUE(reads(-1, quantity));
  EXPECT_FALSE(reads(std::numeric_limits<std::int64_t>::min(), quantity));
  EXPECT_FALSE(reads(std::int64_t{1} << 40, quantity));
}

TEST(Bytes, MalformedBytesFailTheReader) {
  auto fails = [](std::vector<std::uint8_t> bytes, auto read) {
    ByteReader in(bytes);
    read(in);
    return in.failed();
  };
  auto number = [](ByteReader& in) { in.unsigned_(); };
  EXPECT_TRUE(fails({}, number));
  EXPECT_TRUE(fails({0x80}, number));        // cut
  EXPECT_TRUE(fails({0x80, 0x00}, number));  // padded: 0 written twice as long
  EXPECT_TRUE(fails(std::vector<std::uint8_t>(10, 0xff), number));  // past 64 bits
  EXPECT_TRUE(fails({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, number));
  EXPECT_FALSE(fails({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, number));
  EXPECT_TRUE(fails({0x05, 'a', 'b'}, [](ByteReader& in) { in.text(); }));  // longer than left
  // A count larger than the bytes left could hold, whatever the item size.
  EXPECT_TRUE(fails({0x03, 0x00, 0x00}, [](ByteReader& in) { in.count(2); }));
  EXPECT_FALSE(fails({0x01, 0x00, 0x00}, [](ByteReader& in) { in.count(2); }));
  // An enum outside its range.
  enum class Three : std::uint8_t { a = 1, b = 2, c = 3 };
  EXPECT_TRUE(fails({0x04}, [](ByteReader& in) { in.code(Three::a, Three::c); }));
  EXPECT_TRUE(fails({0x00}, [](ByteReader& in) { in.code(Three::a, Three::c); }));
  EXPECT_FALSE(fails({0x02}, [](ByteReader& in) { in.code(Three::a, Three::c); }));
  // Once failed, zeros and nothing more.
  std::vector<std::uint8_t> bytes{0x80};
  ByteReader in(bytes);
  EXPECT_EQ(in.unsigned_(), 0u);
  EXPECT_EQ(in.text(), "");
  EXPECT_FALSE(in.complete());
}

}  // namespace
}  // namespace halld
