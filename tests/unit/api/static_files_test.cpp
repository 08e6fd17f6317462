#include "halld/api/static_files.hpp"

#include <gtest/gtest.h>

#include "process.hpp"

namespace halld::api {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    dir.write("web/index.html", "<h1>hi</h1>");
    dir.write("web/assets/app.1234.js", "console.log(1)");
    dir.write("web/pages/overview.js", "export default {}");
    dir.write("web/.hidden", "secret");
    dir.write("secret.txt", "outside");
    std::filesystem::create_symlink(dir.path() / "secret.txt", dir.path() / "web/escape.txt");
  }
  Response get(std::string_view path, std::string etag = {}) {
    Request request{http::verb::get, std::string(path), 11};
    if (!etag.empty()) request.set(http::field::if_none_match, etag);
    return StaticFiles(dir.path() / "web").serve(request, path);
  }
  testing::TempDir dir;
};

TEST_F(StaticFilesTest, ServesIndexWithTypeAndRevalidation) {
  auto r = get("/");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(r.body(), "<h1>hi</h1>");
  EXPECT_EQ(to_std(r[http::field::content_type]), "text/html; charset=utf-8");
  EXPECT_EQ(to_std(r[http::field::cache_control]), "no-cache");
  auto again = get("/index.html", std::string(to_std(r[http::field::etag])));
  EXPECT_EQ(again.result(), http::status::not_modified);
  EXPECT_TRUE(again.body().empty());
}

// The UI's code is not kept for an hour: an upgraded halld must not run yesterday's page.
TEST_F(StaticFilesTest, PageCodeIsRevalidatedOnEveryLoad) {
  auto r = get("/pages/overview.js");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(to_std(r[http::field::content_type]), "text/javascript; charset=utf-8");
  EXPECT_EQ(to_std(r[http::field::cache_control]), "no-cache");
  EXPECT_EQ(get("/pages/overview.js", std::string(to_std(r[http::field::etag]))).result(),
            http::status::not_modified);
  dir.write("web/pages/overview.js", "export default { changed: true }");
  EXPECT_EQ(get("/pages/overview.js", std::string(to_std(r[http::field::etag]))).result(),
            http::status::ok)
      << "a changed file has another ETag";
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutable) {
  auto r = get("/assets/app.1234.js");
  EXPECT_EQ(r.result(), http::status::ok);
  EXPECT_EQ(to_std(r[http::field::content_type]), "text/javascript; charset=utf-8");
  EXPECT_EQ(to_std(r[http::field::cache_control]), "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, RefusesEverythingOutsideTheRoot) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/.hidden", "/escape.txt",
                           "/..", "/assets/..", "/a\\..\\secret.txt", "/missing.js"}) {
    EXPECT_EQ(get(path).result(), http::status::not_found) << path;
  }
}

TEST(MimeType, KnowsTheWebTypes) {
  EXPECT_EQ(mime_type("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("a.woff2"), "font/woff2");
  EXPECT_EQ(mime_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("a.unknown"), "application/octet-stream");
}

}  // namespace
}  // namespace halld::api
