#include "halld/auth/throttle.hpp"

#include <gtest/gtest.h>

namespace halld::auth {
namespace {

using namespace std::chrono_literals;

class ThrottleTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  SignInThrottle throttle{ThrottlePolicy{3, 10, 900s}, [this] { return now; }};
};

TEST_F(ThrottleTest, WaitsDoubleAfterTheAllowanceAndOnlyForThatAddress) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(throttle.failed("admin", "10.0.0.9").block_began);
  EXPECT_EQ(throttle.wait("admin", "10.0.0.9"), 0s);
  auto fourth = throttle.failed("admin", "10.0.0.9");
  EXPECT_TRUE(fourth.block_began);
  EXPECT_EQ(fourth.by, "account_address");
  EXPECT_EQ(fourth.wait, 1s);
  now += 1s;
  EXPECT_EQ(throttle.failed("admin", "10.0.0.9").wait, 2s);
  now += 2s;
  EXPECT_EQ(throttle.failed("admin", "10.0.0.9").wait, 4s);
  EXPECT_EQ(throttle.wait("admin", "10.0.0.9"), 4s);
  // The owner at their own desk is not held back by the guesser.
  EXPECT_EQ(throttle.wait("admin", "10.0.0.1"), 0s);
  EXPECT_TRUE(throttle.blocked_until("admin").has_value());
  EXPECT_EQ(throttle.blocked(), 1u);
}

TEST_F(ThrottleTest, WaitsStopAtTheCeiling) {
  for (int i = 0; i < 40; ++i) {
    throttle.failed("admin", "10.0.0.9");
    now += 1s;
  }
  EXPECT_LE(throttle.wait("admin", "10.0.0.9"), 900s);
  EXPECT_GT(throttle.wait("admin", "10.0.0.9"), 800s);
}

TEST_F(ThrottleTest, OneAddressTryingManyNamesIsHeldBack) {
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(throttle.failed("user" + std::to_string(i), "10.0.0.9").block_began);
  auto eleventh = throttle.failed("user10", "10.0.0.9");
  EXPECT_TRUE(eleventh.block_began);
  EXPECT_EQ(eleventh.by, "address");
  // A name never tried from there waits too: names are not told apart by the throttle.
  EXPECT_GT(throttle.wait("nobody-at-all", "10.0.0.9"), 0s);
  EXPECT_EQ(throttle.wait("user0", "10.0.0.10"), 0s);
}

TEST_F(ThrottleTest, SuccessAndUnlockForgetTheCounts) {
  for (int i = 0; i < 2; ++i) throttle.failed("wang", "10.0.0.9");
  throttle.succeeded("wang", "10.0.0.9");
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(throttle.failed("wang", "10.0.0.9").block_began);
  EXPECT_TRUE(throttle.failed("wang", "10.0.0.9").block_began);
  for (int i = 0; i < 4; ++i)
    throttle.failed("wangx", "10.0.0.8");  // a name that sorts right after
  EXPECT_TRUE(throttle.unlock("wang"));
  EXPECT_GT(throttle.wait("wangx", "10.0.0.8"), 0s);  // another name's counts stay
  EXPECT_EQ(throttle.wait("wang", "10.0.0.9"), 0s);
  EXPECT_FALSE(throttle.unlock("wang"));
  EXPECT_FALSE(throttle.blocked_until("wang"));
}

TEST_F(ThrottleTest, AQuietCountStartsOver) {
  for (int i = 0; i < 3; ++i) throttle.failed("li", "10.0.0.9");
  now += 2 * 900s + 1s;
  EXPECT_FALSE(throttle.failed("li", "10.0.0.9").block_began);
  EXPECT_EQ(throttle.wait("li", "10.0.0.9"), 0s);
}

}  // namespace
}  // namespace halld::auth
