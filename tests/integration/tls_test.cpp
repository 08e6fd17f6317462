// halld serving TLS itself (http.tls_certificate / http.tls_private_key): HTTPS and wss:// with a
// certificate made by the openssl command as an operator would, checked by the clients against
// it; the session cookie marked Secure; plain HTTP and stalled handshakes refused and counted;
// a WebSocket open over TLS does not hold up a stop; a key that is not the certificate's, or a
// missing file, stops halld at start with a message naming it.
#include <gmock/gmock.h>

#include "halld_fixture.hpp"
#include "ws_client.hpp"

namespace halld::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class TlsTest : public HalldTest {
 protected:
  void TearDown() override { tls_trust().clear(); }

  // A self-signed certificate for 127.0.0.1 and its key; returns the certificate.
  std::filesystem::path make_certificate(const std::string& name) {
    const auto certificate = dir.path() / (name + ".crt");
    auto made = run_program(
        "/usr/bin/openssl",
        {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=halld test", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", (dir.path() / (name + ".key")).string(), "-out", certificate.string()});
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return certificate;
  }

  // The fixture's config with TLS in its [http] table.
  std::filesystem::path tls_config(const std::string& certificate, const std::string& key) {
    auto text = read_text(write_config());
    text.replace(text.find("[http]\n"), 7,
                 fmt::format("[http]\ntls_certificate = \"{}\"\ntls_private_key = \"{}\"\n",
                             certificate, key));
    return dir.write("halld.toml", text);
  }

  static double metric(const std::string& text, const std::string& name) {
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }
};

TEST_F(TlsTest, ServesHttpsAndSecureWebSocketsAndRefusesPlainHttp) {
  tls_trust() = make_certificate("server");
  const auto port = start(tls_config("server.crt", "server.key"));  // relative to the config file
  ASSERT_NE(port, 0);
  EXPECT_THAT(halld->output(), HasSubstr("(TLS)"));

  // A browser signs in over HTTPS: the cookie is Secure as well as HttpOnly and SameSite=Strict.
  ASSERT_EQ(http_request(port, "POST", "/api/v1/users", {{"Content-Type", "application/json"}},
                         json{{"username", "zhao"},
                              {"password", "tls is on 123"},
                              {"role", "monitor"},
                              {"scope", "province"}}
                             .dump())
                .status,
            201);
  auto signed_in = http_request(port, "POST", "/api/v1/session",
                                {{"Authorization", ""},
                                 {"Origin", "https://127.0.0.1"},
                                 {"Content-Type", "application/json"}},
                                json{{"username", "zhao"}, {"password", "tls is on 123"}}.dump());
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const auto set_cookie = signed_in.headers["set-cookie"];
  EXPECT_THAT(set_cookie, HasSubstr("; Secure"));
  EXPECT_THAT(set_cookie, HasSubstr("HttpOnly"));
  const auto cookie = set_cookie.substr(0, set_cookie.find(';'));

  // The alarm window's stream over wss://, as the browser opens it with its cookie.
  const auto token_headers = default_headers();
  default_headers() = {{"Cookie", cookie}, {"Origin", "https://127.0.0.1"}};
  {
    WsClient alarms(port, "/api/v1/alarms/stream");
    ASSERT_TRUE(alarms.connected()) << alarms.error();
    auto snapshot = alarms.next(10s);
    ASSERT_TRUE(snapshot);
    EXPECT_EQ(json::parse(*snapshot)["type"], "snapshot");
  }
  default_headers() = token_headers;

  // Plain HTTP to the TLS port gets no HTTP answer, nor does a client that never says hello
  // (closed after request_timeout_s = 2); both are counted, and halld serves on.
  EXPECT_THAT(raw_exchange(port, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 3000),
              ::testing::Not(HasSubstr("HTTP/1.1")));
  EXPECT_EQ(raw_exchange(port, "", 3500), "");
  auto metrics = http_get(port, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metric(metrics.body, "halld_http_tls_handshake_failures_total"), 2) << metrics.body;

  // A client that does not trust this certificate refuses the server.
  tls_trust() = make_certificate("other");
  EXPECT_THROW(http_get(port, "/api/v1/session"), boost::system::system_error);
  tls_trust() = dir.path() / "server.crt";

  // A WebSocket still open over TLS does not hold up a stop.
  default_headers() = {{"Cookie", cookie}, {"Origin", "https://127.0.0.1"}};
  WsClient live(port, "/api/v1/live/stream");
  ASSERT_TRUE(live.connected()) << live.error();
  ASSERT_TRUE(live.next(10s));
  default_headers() = token_headers;
  const auto stopping = std::chrono::steady_clock::now();
  log_after_stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 5s);
}

TEST_F(TlsTest, RefusesToStartWithAKeyNotTheCertificatesOrAMissingFile) {
  make_certificate("server");
  make_certificate("other");
  halld = std::make_unique<Process>(
      HALLD_BINARY,
      std::vector<std::string>{"--config", tls_config("server.crt", "other.key").string()},
      dir.path() / "stdout");
  auto code = halld->wait(30s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  EXPECT_THAT(halld->output(), HasSubstr("TLS private key"));
  EXPECT_THAT(halld->output(), HasSubstr("other.key"));

  halld = std::make_unique<Process>(
      HALLD_BINARY,
      std::vector<std::string>{"--config", tls_config("missing.crt", "server.key").string()},
      dir.path() / "stdout2");
  code = halld->wait(30s);
  ASSERT_TRUE(code);
  EXPECT_NE(*code, 0);
  EXPECT_THAT(halld->output(), HasSubstr("TLS certificate"));
  EXPECT_THAT(halld->output(), HasSubstr("missing.crt"));
}

}  // namespace
}  // namespace halld::testing
