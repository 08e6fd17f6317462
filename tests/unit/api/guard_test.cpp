// The guard's pure parts: reading the session cookie among others.
#include "halld/api/guard.hpp"

#include <gtest/gtest.h>

namespace halld::api {
namespace {

TEST(Cookies, TheSessionCookieAmongOthers) {
  EXPECT_EQ(api::cookie_value("a=1; halld_session=abc; b=2", "halld_session"), "abc");
  EXPECT_EQ(api::cookie_value("halld_session=abc", "halld_session"), "abc");
  EXPECT_EQ(api::cookie_value("xhalld_session=abc", "halld_session"), "");
  EXPECT_EQ(api::cookie_value("halld_sessionx=abc", "halld_session"), "");
  EXPECT_EQ(api::cookie_value("", "halld_session"), "");
  EXPECT_EQ(api::cookie_value(";;; halld_session=", "halld_session"), "");
}

}  // namespace
}  // namespace halld::api
