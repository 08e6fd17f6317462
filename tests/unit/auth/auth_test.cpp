// The pure parts of access: roles and scopes, password hashes, sessions on a simulated clock,
// token buckets, cookies.
#include <gtest/gtest.h>

#include "halld/auth/principal.hpp"
#include "halld/auth/rate_limit.hpp"
#include "halld/auth/secrets.hpp"
#include "halld/auth/sessions.hpp"

namespace halld::auth {
namespace {

using namespace std::chrono_literals;

TEST(Scope, ParsesAndCoversOnlyItsHalls) {
  auto city = Scope::parse("city:4101");
  ASSERT_TRUE(city);
  EXPECT_TRUE(city->covers_hall("4101", "4101001"));
  EXPECT_FALSE(city->covers_hall("4103", "4103001"));
  EXPECT_TRUE(city->covers_city("4101"));
  EXPECT_FALSE(city->covers_city("4103"));
  auto hall = Scope::parse("hall:4101001");
  ASSERT_TRUE(hall);
  EXPECT_TRUE(hall->covers_hall("4101", "4101001"));
  EXPECT_FALSE(hall->covers_hall("4101", "4101002"));
  EXPECT_FALSE(hall->covers_city("4101"));
  EXPECT_TRUE(Scope::parse("province")->covers_hall("x", "y"));
  EXPECT_EQ(city->to_string(), "city:4101");
  for (const char* bad :
       {"", "city", "city:", "town:4101", "province:1", "city:41 01", "hall:../x", "city:x;y"}) {
    EXPECT_FALSE(Scope::parse(bad)) << bad;
  }
}

TEST(Role, ScopesFitRolesAndPermissionsFollowTheRole) {
  EXPECT_TRUE(scope_problem(Role::city_manager, Scope{}));
  EXPECT_FALSE(scope_problem(Role::city_manager, *Scope::parse("city:4101")));
  EXPECT_TRUE(scope_problem(Role::province_admin, *Scope::parse("city:4101")));
  EXPECT_TRUE(scope_problem(Role::hall_manager, *Scope::parse("city:4101")));
  EXPECT_FALSE(scope_problem(Role::monitor, *Scope::parse("hall:4101001")));
  Principal monitor{Principal::Kind::token, 7, "watch", Role::monitor, {}};
  EXPECT_TRUE(monitor.may(Permission::view));
  EXPECT_FALSE(monitor.may(Permission::handle_alarms));
  EXPECT_EQ(monitor.actor(), "token:7");
  Principal manager{Principal::Kind::user, 3, "zhang", Role::city_manager,
                    *Scope::parse("city:4101")};
  EXPECT_TRUE(manager.may(Permission::handle_alarms));
  EXPECT_FALSE(manager.may(Permission::configure));
  EXPECT_FALSE(manager.may(Permission::administer));
  EXPECT_EQ(manager.actor(), "user:zhang");
  EXPECT_EQ(parse_role(to_string(Role::data_clerk)), Role::data_clerk);
  EXPECT_FALSE(parse_role("root"));
}

TEST(Secrets, Argon2idHashesVerifyAndDiffer) {
  const auto hash = hash_password("correct horse battery");
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << hash;
  EXPECT_TRUE(verify_password("correct horse battery", hash));
  EXPECT_FALSE(verify_password("correct horse batterY", hash));
  EXPECT_NE(hash, hash_password("correct horse battery"));  // a fresh salt each time
  EXPECT_FALSE(verify_password("x", "not a hash"));
  EXPECT_FALSE(verify_password("x", "$argon2id$garbage"));
  EXPECT_EQ(random_hex(32).size(), 64u);
  EXPECT_NE(random_hex(16), random_hex(16));
  EXPECT_EQ(random_password().size(), 16u);
  EXPECT_EQ(sha256("abc").size(), 32u);
  EXPECT_FALSE(password_problem("short").empty());
  EXPECT_TRUE(password_problem("long enough 1").empty());
}

TEST(Sessions, EndWhenIdleOrTooOldAndPerUser) {
  auto now = std::chrono::steady_clock::time_point{} + 1000h;
  Sessions sessions(30min, 12h, [&] { return now; });
  Principal zhang{Principal::Kind::user, 3, "zhang", Role::monitor, {}};
  auto opened = sessions.open(zhang);
  EXPECT_EQ(opened.cookie.size(), 64u);
  EXPECT_EQ(opened.session.csrf_token.size(), 32u);
  now += 29min;
  ASSERT_TRUE(sessions.use(opened.cookie));  // used: the idle clock restarts
  now += 29min;
  ASSERT_TRUE(sessions.use(opened.cookie));
  now += 31min;
  EXPECT_FALSE(sessions.use(opened.cookie));  // idle too long
  auto busy = sessions.open(zhang);
  for (int i = 0; i < 12 * 3; ++i) {
    now += 20min;
    if (!sessions.use(busy.cookie)) {
      EXPECT_GE(i, 12 * 3 - 2);  // ends at 12 h however busy
      break;
    }
  }
  EXPECT_FALSE(sessions.use(busy.cookie));
  auto a = sessions.open(zhang), b = sessions.open(zhang);
  auto other = sessions.open(Principal{Principal::Kind::user, 4, "li", Role::monitor, {}});
  EXPECT_EQ(sessions.close_user(3), 2u);
  EXPECT_FALSE(sessions.use(a.cookie));
  EXPECT_TRUE(sessions.use(other.cookie));
  sessions.close(other.cookie);
  EXPECT_FALSE(sessions.use(other.cookie));
  EXPECT_FALSE(sessions.use("short"));
  EXPECT_FALSE(sessions.use(std::string(64, 'a')));
}

TEST(RateLimiter, AMinutesWorthThenEvenRefill) {
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  RateLimiter limiter([&] { return now; });
  for (int i = 0; i < 60; ++i) EXPECT_EQ(limiter.take(1, 60), 0) << i;
  EXPECT_EQ(limiter.take(1, 60), 1);  // one a second refills
  EXPECT_EQ(limiter.take(2, 60), 0);  // another token has its own bucket
  now += 1s;
  EXPECT_EQ(limiter.take(1, 60), 0);
  EXPECT_GT(limiter.take(1, 60), 0);
}

}  // namespace
}  // namespace halld::auth
