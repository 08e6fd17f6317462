#include <gtest/gtest.h>

#include <set>

#include "generator.hpp"

namespace halld::tools {
namespace {

TEST(DemoProvince, SameSeedSameBytesOtherSeedOtherProvince) {
  auto a = generate_demo_province({}).dump();
  auto b = generate_demo_province({}).dump();
  EXPECT_EQ(a, b);
  EXPECT_NE(a, generate_demo_province({.seed = 7}).dump());
}

// FNV-1a: a fingerprint that is the same on every platform.
std::uint64_t fingerprint(const std::string& text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}

TEST(DemoProvince, OutputIsPinned) {
  // A change that alters the demo province must be deliberate: update the fingerprint with it.
  EXPECT_EQ(fingerprint(generate_demo_province({}).dump()), 0x13520528371ddc98ull);
}

TEST(DemoProvince, EighteenCitiesAndTheRequestedHalls) {
  auto doc = generate_demo_province({});
  EXPECT_EQ(doc["cities"].size(), 18u);
  EXPECT_EQ(doc["halls"].size(), 200u);
  std::set<std::string> cities_with_halls, codes;
  for (const auto& hall : doc["halls"]) {
    cities_with_halls.insert(hall["city"].get<std::string>());
    codes.insert(hall["code"].get<std::string>());
    EXPECT_FALSE(hall["windows"].empty());
    EXPECT_FALSE(hall["clerks"].empty());
    EXPECT_FALSE(hall["terminals"].empty());
  }
  EXPECT_EQ(cities_with_halls.size(), 18u);
  EXPECT_EQ(codes.size(), 200u) << "hall codes are unique";
  EXPECT_EQ(generate_demo_province({.halls = 2000})["halls"].size(), 2000u);
  EXPECT_FALSE(doc.contains("channels")) << "no channels unless asked for";
}

TEST(DemoProvince, LiveHallsGetChannelsToTheirSimulators) {
  auto doc = generate_demo_province({.live_halls = 3, .sim_port_base = 19100});
  ASSERT_EQ(doc["channels"].size(), 4u);
  EXPECT_EQ(doc["channels"][0]["hall"], "4101001");
  EXPECT_EQ(doc["channels"][2]["hall"], "4103001");
  EXPECT_EQ(doc["channels"][2]["port"], 19102);
  EXPECT_EQ(doc["channels"][3]["protocol"], "terminal")
      << "the live halls' terminals, through one server";
  EXPECT_FALSE(doc["channels"][3].contains("hall"));
  EXPECT_EQ(doc["channels"][3]["port"], 19103);
  auto vendor = generate_demo_province(
      {.live_halls = 3, .sim_port_base = 19100, .vendor_protocol = "vendor_text_queue"});
  ASSERT_EQ(vendor["channels"].size(), 5u);
  EXPECT_EQ(vendor["channels"][4]["protocol"], "vendor_text_queue");
  EXPECT_EQ(vendor["channels"][4]["hall"], vendor["halls"][3]["code"]) << "the next hall";
  EXPECT_EQ(vendor["channels"][4]["port"], 19105) << "after the terminals and the marketing system";
}

}  // namespace
}  // namespace halld::tools
