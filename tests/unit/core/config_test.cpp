#include "halld/core/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace halld {
namespace {

using ::testing::HasSubstr;

constexpr const char* minimal = R"(
[database]
conninfo = "host=127.0.0.1 dbname=halld"
)";

std::string error_of(std::string_view text) {
  try {
    parse_config(text, "halld.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, MinimalFileTakesDefaults) {
  Config c = parse_config(minimal, "halld.toml");
  EXPECT_EQ(c.database.conninfo, "host=127.0.0.1 dbname=halld");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.listen_address, "127.0.0.1");
  EXPECT_EQ(c.database.on_old_schema, OldSchemaPolicy::migrate);
  EXPECT_EQ(c.log.level, "info");
}

TEST(Config, ReadsEveryKind) {
  Config c = parse_config(R"(
io_threads = 4          # comments are allowed
shutdown_grace_s = 3
[http]
listen = "0.0.0.0"
port = 9000
body_limit_bytes = 4096
request_timeout_s = 7
[database]
conninfo = "dbname=x"
pool_size = 8
on_old_schema = "refuse"
[log]
level = "debug"
max_file_mb = 2
)",
                          "halld.toml");
  EXPECT_EQ(c.io_threads, 4u);
  EXPECT_EQ(c.shutdown_grace, std::chrono::seconds(3));
  EXPECT_EQ(c.http.listen_address, "0.0.0.0");
  EXPECT_EQ(c.http.port, 9000);
  EXPECT_EQ(c.http.body_limit_bytes, 4096u);
  EXPECT_EQ(c.http.request_timeout, std::chrono::seconds(7));
  EXPECT_EQ(c.database.pool_size, 8u);
  EXPECT_EQ(c.database.on_old_schema, OldSchemaPolicy::refuse);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.max_file_bytes, 2u << 20);
}

TEST(Config, MisspeltKeyIsNamedWithPositionAndAlternatives) {
  auto error = error_of(std::string(minimal) + "[http]\nprot = 8080\n");
  EXPECT_THAT(error, HasSubstr("halld.toml:5:1"));
  EXPECT_THAT(error, HasSubstr("unknown key 'http.prot'"));
  EXPECT_THAT(error, HasSubstr("port"));
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line";
}

TEST(Config, UnknownSectionAndTopLevelKey) {
  EXPECT_THAT(error_of(std::string(minimal) + "[htpp]\nport = 1\n"),
              HasSubstr("unknown key 'htpp'; expected one of: io_threads, shutdown_grace_s, "
                        "[acquisition], [auth], [database], [dtu], [ha], [http], [kpi], [log], "
                        "[marketing], [retention], [sms]"));
  EXPECT_THAT(error_of(std::string("threads = 2\n") + minimal),
              HasSubstr("unknown key 'threads'; expected one of: io_threads"));
}

TEST(Config, WrongTypeAndRangeSayWhatWasExpected) {
  EXPECT_THAT(
      error_of(std::string(minimal) + "[http]\nport = \"80\"\n"),
      HasSubstr("key 'http.port' expects an integer from 0 to 65535, got the string \"80\""));
  EXPECT_THAT(error_of(std::string(minimal) + "[http]\nport = 70000\n"),
              HasSubstr("got the integer 70000"));
  EXPECT_THAT(error_of(std::string(minimal) + "[log]\nlevel = \"loud\"\n"),
              HasSubstr("one of trace, debug"));
  EXPECT_THAT(error_of(R"([database]
conninfo = "x"
on_old_schema = "maybe"
)"),
              HasSubstr("\"migrate\" or \"refuse\""));
  EXPECT_THAT(error_of("http = 3\n"), HasSubstr("must be a table"));
  // The audit log is kept at least six months; raw events at least two (late events' month).
  EXPECT_THAT(error_of(std::string(minimal) + "[retention]\naudit_days = 90\n"),
              HasSubstr("key 'retention.audit_days' expects an integer from 180"));
  EXPECT_THAT(error_of(std::string(minimal) + "[retention]\nevent_months = 1\n"),
              HasSubstr("key 'retention.event_months' expects an integer from 2"));
}

TEST(Config, MissingRequiredKeyAndBrokenToml) {
  EXPECT_THAT(error_of("[http]\nport = 1\n"), HasSubstr("missing key 'database.conninfo'"));
  EXPECT_THAT(error_of("[database\n"), HasSubstr("not valid TOML"));
}

TEST(Config, TlsNeedsBothCertificateAndKeyAndARestart) {
  EXPECT_THAT(error_of(std::string(minimal) + "[http]\ntls_certificate = \"cert.pem\"\n"),
              HasSubstr("'http.tls_certificate' and 'http.tls_private_key' go together"));
  EXPECT_THAT(error_of(std::string(minimal) + "[http]\ntls_private_key = \"key.pem\"\n"),
              HasSubstr("go together"));
  EXPECT_THAT(
      error_of(std::string(minimal) + "[http]\ntls_certificate = \"\"\ntls_private_key = \"\"\n"),
      HasSubstr("key 'http.tls_certificate' expects a PEM file path"));
  const auto tls = std::string(minimal) +
                   "[http]\ntls_certificate = \"cert.pem\"\ntls_private_key = \"key.pem\"\n";
  Config c = parse_config(tls, "halld.toml");
  EXPECT_EQ(c.http.tls_certificate, "cert.pem");
  EXPECT_EQ(c.http.tls_private_key, "key.pem");
  auto reload = reload_config(parse_config(minimal, "a.toml"), c);
  EXPECT_THAT(reload.need_restart,
              ::testing::ElementsAre("http.tls_certificate", "http.tls_private_key"));
  EXPECT_TRUE(reload.next.http.tls_certificate.empty());
}

TEST(Config, ReloadTakesLiveKeysAndKeepsWhatNeedsARestart) {
  Config running = parse_config(minimal, "a.toml");
  Config fresh =
      parse_config(std::string(minimal) +
                       "[log]\nlevel = \"debug\"\n[http]\nport = 1234\nrequest_timeout_s = 5\n",
                   "a.toml");
  auto reload = reload_config(running, fresh);
  EXPECT_THAT(reload.applied, ::testing::ElementsAre("http.request_timeout_s", "log.level"));
  EXPECT_THAT(reload.need_restart, ::testing::ElementsAre("http.port"));
  EXPECT_EQ(reload.next.log.level, "debug");
  EXPECT_EQ(reload.next.http.request_timeout, std::chrono::seconds(5));
  EXPECT_EQ(reload.next.http.port, 8080) << "the running process is still bound to the old port";
  // So a second SIGHUP with the same file still says the port waits for a restart.
  EXPECT_THAT(reload_config(reload.next, fresh).need_restart, ::testing::ElementsAre("http.port"));
  EXPECT_TRUE(reload_config(reload.next, fresh).applied.empty());
}

}  // namespace
}  // namespace halld

namespace halld {
namespace {

TEST(Config, SmsChannelsAreAnOrderedListOfKnownChannels) {
  auto c = parse_config(std::string(minimal) +
                            "[sms]\nchannels = [\"kannel\", \"modem\", \"log\"]\nmodem_devices = "
                            "[\"/dev/ttyUSB0\", \"/dev/ttyUSB1\"]\n",
                        "halld.toml");
  EXPECT_EQ(c.sms.channels, (std::vector<std::string>{"kannel", "modem", "log"}));
  EXPECT_EQ(c.sms.modem_devices.size(), 2u);
  EXPECT_THAT(
      error_of(std::string(minimal) + "[sms]\nchannels = [\"kannel\", \"fax\"]\n"),
      HasSubstr(
          "key 'sms.channels' expects an array of \"kannel\", \"modem\" or \"log\", got an array"));
  EXPECT_THAT(error_of(std::string(minimal) + "[sms]\nchannels = \"log\"\n"),
              HasSubstr("expects an array"));
}

}  // namespace
}  // namespace halld
