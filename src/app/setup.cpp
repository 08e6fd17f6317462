#include "setup.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "halld/app/app.hpp"
#include "halld/archive/import.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/command_store.hpp"
#include "halld/store/event_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"

namespace halld::app {

// Who ran a command-line change, for its record: the account of the process (not $USER, which
// a service manager or su may leave unset or stale), and who became it through sudo.
std::string operating_system_user() {
  const passwd* account = ::getpwuid(::geteuid());
  std::string name =
      account && account->pw_name ? account->pw_name : fmt::format("uid {}", ::geteuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo)
    name += fmt::format(" (sudo by {})", sudo);
  return name;
}

std::unique_ptr<store::Database> open_database(const Config& config, MetricsRegistry& metrics,
                                               std::size_t threads) {
  // libpq reads its connect timeout from the environment whatever form the conninfo takes.
  ::setenv("PGCONNECT_TIMEOUT", std::to_string(config.database.connect_timeout.count()).c_str(), 1);
  auto statements = store::archive_statements();
  auto events = store::event_statements();
  auto commands = store::command_statements();
  auto kpis = store::kpi_statements();
  statements.insert(statements.end(), events.begin(), events.end());
  statements.insert(statements.end(), commands.begin(), commands.end());
  statements.insert(statements.end(), kpis.begin(), kpis.end());
  return std::make_unique<store::Database>(config.database.conninfo, threads, std::move(statements),
                                           metrics);
}

int prepare_schema(store::Database& database, const Config& config, bool* unreachable) {
  const auto known = store::known_migrations();
  const auto deadline = std::chrono::steady_clock::now() + config.database.startup_wait;
  store::SchemaState state;
  for (;;) {
    try {
      state = database.run_blocking(
          [&](pqxx::connection& c) { return store::inspect_schema(c, known); });
      break;
    } catch (const pqxx::broken_connection& e) {
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::error("database unreachable after {} s: {}", config.database.startup_wait.count(),
                      e.what());
        if (unreachable) *unreachable = true;
        return exit_failure;
      }
      spdlog::warn("database not reachable yet, retrying: {}", e.what());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }
  if (state.current > state.latest_known) {
    spdlog::error(
        "the database schema is at version {}, newer than this halld knows ({}); refusing to start",
        state.current, state.latest_known);
    return exit_schema;
  }
  if (!state.differing.empty()) {
    for (const auto& line : state.differing) spdlog::error("{}", line);
    spdlog::error(
        "the database's applied migrations are not this halld's; refusing to start (restore the "
        "database this build made, or run the build that made it)");
    return exit_schema;
  }
  if (!state.pending.empty()) {
    if (config.database.on_old_schema == OldSchemaPolicy::refuse) {
      spdlog::error(
          "the database schema is at version {}, this halld needs {}; run 'halld migrate' "
          "(database.on_old_schema = \"refuse\")",
          state.current, state.latest_known);
      return exit_schema;
    }
  }
  // Also when nothing is pending: migrations recorded before checksums were get theirs.
  database.run_blocking([&](pqxx::connection& c) { return store::migrate(c, known); });
  spdlog::info("database schema at version {}", state.latest_known);
  return exit_ok;
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot read: {}", path.string(), ec.message()));
  if (size > archive::max_file_bytes) {
    throw std::runtime_error(
        fmt::format("{}: larger than {} bytes", path.string(), archive::max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace halld::app
