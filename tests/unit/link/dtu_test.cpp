// The pure parts of the DTU server: telling registrations apart, and heartbeat stripping.
#include "halld/link/dtu.hpp"

#include <gtest/gtest.h>

namespace halld::link {
namespace {

using Kind = RegistrationTable::Match::Kind;

TEST(RegistrationTable, FindsWaitsOrRefuses) {
  RegistrationTable table;
  ASSERT_TRUE(table.add("\x7eREG138\x7e", "138"));
  ASSERT_TRUE(table.add("139", "139"));
  ASSERT_TRUE(table.add("1390", "1390"));
  EXPECT_FALSE(table.add("139", "other")) << "a packet names one DTU";
  EXPECT_EQ(table.match("").kind, Kind::need_more);
  EXPECT_EQ(table.match("\x7eRE").kind, Kind::need_more);
  auto found = table.match("\x7eREG138\x7e\x68\x0a");
  EXPECT_EQ(found.kind, Kind::found);
  EXPECT_EQ(found.key, "138");
  EXPECT_EQ(found.size, 8u) << "what follows the packet is device data";
  EXPECT_EQ(table.match("\x7eREG137").kind, Kind::unknown);
  EXPECT_EQ(table.match("xyz").kind, Kind::unknown);
  // "139" could still become "1390": wait, unless no more bytes will come.
  EXPECT_EQ(table.match("139").kind, Kind::need_more);
  EXPECT_EQ(table.match("139", true).key, "139");
  EXPECT_EQ(table.match("1390").key, "1390");
  EXPECT_EQ(table.match("1391").key, "139") << "the longest packet that matches, then data";
}

TEST(RegistrationTable, ADtuRemovedIsAStrangerAndItsPacketFreeAgain) {
  RegistrationTable table;
  ASSERT_TRUE(table.add("139", "139"));
  ASSERT_TRUE(table.add("1390", "1390"));
  table.remove("1390");
  EXPECT_EQ(table.match("139").key, "139") << "nothing longer to wait for";
  EXPECT_EQ(table.match("1390").key, "139") << "the rest is data";
  table.remove("139");
  table.remove("139");  // twice: nothing more happens
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.match("139").kind, Kind::unknown);
  EXPECT_TRUE(table.add("139", "another")) << "a channel made again registers the same packet";
}

TEST(StripHeartbeats, CutsOnlyWholePacketsAtTheFront) {
  std::size_t stripped = 0;
  const std::vector<std::uint8_t> bytes = {0xfe, 0xfe, 0x68, 0xfe};
  auto rest = strip_heartbeats(bytes, "\xfe", stripped);
  EXPECT_EQ(stripped, 2u);
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_EQ(strip_heartbeats(bytes, "", stripped).size(), 4u);
  EXPECT_EQ(strip_heartbeats(std::span(bytes).first(1), "\xfe\xfe", stripped).size(), 1u)
      << "half a packet stays";
}

}  // namespace
}  // namespace halld::link
