// The database lost and found again, on private PostgreSQL clusters: (1) a base backup taken
// while a hall streams events into halld, the cluster destroyed, restored from the base backup
// with the archived WAL replayed to its end, halld started again on it; (2) a primary with a
// synchronous streaming standby, the primary killed and the standby promoted while events flow,
// halld following through a multi-host connection string. Each time the hall's resends make it
// whole: every event once, nothing lost, nothing doubled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <pqxx/pqxx>

#include "halld_fixture.hpp"

namespace halld::testing {
namespace {

// Runs shell lines with scripts/lib/pg.sh's functions; returns their output, failing the test
// when they fail.
std::string pg_shell(const std::string& lines) {
  const auto done = run_program(
      "/bin/bash",
      {"-c", "set -euo pipefail; source " HALLD_SOURCE_DIR "/scripts/lib/pg.sh; " + lines});
  EXPECT_EQ(done.exit_code, 0) << lines << "\n" << done.output;
  return done.output;
}

class BackupTest : public SimulatedHallTest {
 protected:
  BackupTest() {
    ::chmod(dir.path().c_str(), 0755);  // the cluster's owner (postgres, when root) enters it
    port = std::stoi(pg_shell("free_port"));
    pg_shell(
        fmt::format("pg_init {0}/data trust; pg_archive_wal {0}/data {0}/archive; "
                    "pg_start {0}/data {1}",
                    dir.path().string(), port));
    started = dir.path() / "data";
    query(fmt::format("CREATE DATABASE halld"), "postgres");
    use_conninfo(conninfo());
  }
  ~BackupTest() override {
    if (halld && halld->running()) halld->signal(SIGKILL);
    if (!started.empty()) pg_shell("pg_stop " + started.string());
    if (!standby.empty()) pg_shell("pg_stop " + standby.string());
  }
  void use_conninfo(const std::string& conninfo) {
    auto text = read_text(config);
    const auto at = text.find("conninfo = \"") + 12;
    text.replace(at, text.find('"', at) - at, conninfo);
    config = dir.write("halld.toml", text);
  }
  std::string conninfo(const std::string& database = "halld") const {
    return fmt::format("host=127.0.0.1 port={} user=postgres dbname={}", port, database);
  }
  std::string query(const std::string& sql, const std::string& database = "halld") {
    pqxx::connection c(conninfo(database));
    pqxx::nontransaction tx(c);
    const auto rows = tx.exec(sql);
    return rows.empty() || rows[0].empty() || rows[0][0].is_null() ? "" : rows[0][0].c_str();
  }
  long long events() { return std::stoll(query("SELECT count(*) FROM hall_event")); }

  int port = 0;
  std::filesystem::path started;  // the running cluster's data directory
  std::filesystem::path standby;  // a running standby's
};

TEST_F(BackupTest, ABaseBackupAndTheArchivedWalRestoreEverythingAndDevicesResendTheRest) {
  constexpr int total = 6000;
  start_simulator({"--events", std::to_string(total), "--rate", "500", "--hours", "24h"});
  ASSERT_NE(start(config), 0);
  ASSERT_TRUE(eventually([&] { return events() > 800; }, 30s));

  // The base backup, while events stream in.
  pg_shell(fmt::format("pg_base_backup {} {}/base", port, dir.path().string()));
  const auto in_backup_at_least = events();
  ASSERT_TRUE(eventually([&] { return events() > in_backup_at_least + 1500; }, 30s))
      << "events go on after the backup";
  halld->signal(SIGKILL);
  EXPECT_EQ(halld->wait(10s), 128 + SIGKILL);
  const auto stored = events();
  ASSERT_LT(stored, total) << "the hall still has events to send";

  // The cluster is lost; the last WAL segment was archived as the server stopped.
  query("SELECT pg_switch_wal()");
  pg_shell("pg_stop " + started.string());
  started.clear();
  std::filesystem::remove_all(dir.path() / "data");
  pg_shell(
      fmt::format("pg_restore_pitr {0}/base {0}/archive {0}/restored; pg_start {0}/restored {1}",
                  dir.path().string(), port));
  started = dir.path() / "restored";
  EXPECT_EQ(events(), stored) << "the archived WAL was replayed to its end";

  // halld on the restored database: the hall resends what was never acknowledged.
  ASSERT_NE(start(config), 0);
  const auto result = simulator_result(120s);
  EXPECT_EQ(result["unacked"], 0);
  EXPECT_EQ(events(), total);
  EXPECT_EQ(query("SELECT count(DISTINCT sequence) FROM hall_event"), std::to_string(total));
  EXPECT_EQ(query("SELECT min(sequence) || '-' || max(sequence) FROM hall_event"),
            fmt::format("1-{}", total));
}

TEST_F(BackupTest, APromotedStreamingStandbyIsFollowedAndNothingIsLostOrDoubled) {
  // A standby that confirms every commit before the primary answers it (synchronous): what
  // halld acknowledged to a device is on both servers.
  const auto standby_port = std::stoi(pg_shell("free_port"));
  pg_shell(fmt::format(
      "pg_base_backup {1} {0}/standby; pg_as_owner sed -i 's/^archive_mode = on/archive_mode = "
      "off/' {0}/standby/postgresql.conf; pg_as_owner touch {0}/standby/standby.signal; "
      "pg_as_owner tee -a {0}/standby/postgresql.conf >/dev/null <<< \"primary_conninfo = "
      "'host=127.0.0.1 port={1} user=postgres application_name=standby'\"; pg_start "
      "{0}/standby {2}",
      dir.path().string(), port, standby_port));
  standby = dir.path() / "standby";
  query("ALTER SYSTEM SET synchronous_standby_names = 'standby'", "postgres");
  query("SELECT pg_reload_conf()", "postgres");
  ASSERT_TRUE(eventually(
      [&] { return query("SELECT sync_state FROM pg_stat_replication", "postgres") == "sync"; }));
  use_conninfo(
      fmt::format("host=127.0.0.1,127.0.0.1 port={},{} user=postgres dbname=halld "
                  "target_session_attrs=read-write connect_timeout=2",
                  port, standby_port));

  constexpr int total = 6000;
  start_simulator({"--events", std::to_string(total), "--rate", "500", "--hours", "24h"});
  const auto http_port = start(config);
  ASSERT_NE(http_port, 0);
  ASSERT_TRUE(eventually([&] { return events() > 1500; }, 30s));

  ASSERT_LT(events(), total) << "the hall still has events to send";
  // The primary dies (immediate: no shutdown checkpoint, as a crash) and the standby is promoted.
  pg_shell(fmt::format("pg_as_owner $(pg_bindir)/pg_ctl -D {} -m immediate -w stop >/dev/null",
                       started.string()));
  started.clear();
  pg_shell(
      fmt::format("pg_as_owner $(pg_bindir)/pg_ctl -D {} -w promote >/dev/null", standby.string()));
  port = standby_port;
  started = standby;
  standby.clear();

  const auto result = simulator_result(120s);
  EXPECT_EQ(result["unacked"], 0);
  EXPECT_EQ(events(), total) << halld->output();
  // halld lost the primary mid-stream and went on with the promoted standby.
  const auto said = halld->output();
  EXPECT_TRUE(said.find("ingest: the database is away") != std::string::npos ||
              said.find("events failed") != std::string::npos)
      << said;
  EXPECT_EQ(query("SELECT pg_is_in_recovery()::text"), "false");
  EXPECT_EQ(query("SELECT count(DISTINCT sequence) FROM hall_event"), std::to_string(total));
  EXPECT_EQ(query("SELECT min(sequence) || '-' || max(sequence) FROM hall_event"),
            fmt::format("1-{}", total));
  EXPECT_EQ(http_get(http_port, "/readyz").status, 200);
}

}  // namespace
}  // namespace halld::testing
