#include "halld/store/migrations.hpp"

#include <gtest/gtest.h>

namespace halld::store {
namespace {

TEST(Migrations, KnownMigrationsAreNumberedWithoutGaps) {
  auto known = known_migrations();
  ASSERT_GE(known.size(), 2u);
  for (std::size_t i = 0; i < known.size(); ++i)
    EXPECT_EQ(known[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(known[0].name, "archives");
  EXPECT_NE(known[0].sql.find("CREATE TABLE hall"), std::string_view::npos);
}

TEST(Migrations, RejectsMisnamedOrGappedFiles) {
  EmbeddedFile good[] = {{"0002_b.sql", "b"}, {"0001_a.sql", "a"}};
  auto parsed = parse_migrations(good);
  EXPECT_EQ(parsed[0].name, "a");
  EXPECT_EQ(parsed[1].version, 2);
  EmbeddedFile gap[] = {{"0001_a.sql", ""}, {"0003_c.sql", ""}};
  EXPECT_THROW(parse_migrations(gap), std::logic_error);
  EmbeddedFile twice[] = {{"0001_a.sql", ""}, {"0001_b.sql", ""}};
  EXPECT_THROW(parse_migrations(twice), std::logic_error);
  for (const char* name : {"1_a.sql", "0001-a.sql", "0001_a.txt", "abcd_a.sql", "0001_.sql"}) {
    EmbeddedFile bad[] = {{name, ""}};
    EXPECT_THROW(parse_migrations(bad), std::logic_error) << name;
  }
}

}  // namespace
}  // namespace halld::store
