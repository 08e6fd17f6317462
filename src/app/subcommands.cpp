// The one-shot subcommands: migrate, import, the first administrator, tokens, commands,
// recomputation.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "daemon.hpp"
#include "halld/acq/protocols.hpp"
#include "halld/app/app.hpp"
#include "halld/archive/import.hpp"
#include "halld/auth/secrets.hpp"
#include "halld/auth/user_store.hpp"
#include "halld/core/log.hpp"
#include "halld/ha/lease.hpp"
#include "halld/live/engine.hpp"
#include "halld/proto/commands.hpp"
#include "halld/proto/described/vectors.hpp"
#include "halld/proto/modbus/device_model.hpp"
#include "halld/retention/housekeeper.hpp"
#include "halld/store/archive_store.hpp"
#include "halld/store/command_store.hpp"
#include "halld/store/kpi_store.hpp"
#include "halld/store/migrations.hpp"
#include "halld/store/protocol_store.hpp"
#include "setup.hpp"

namespace halld::app {

int run_migrate(const Config& config) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  const auto known = store::known_migrations();
  try {
    auto applied =
        database->run_blocking([&](pqxx::connection& c) { return store::migrate(c, known); });
    if (applied.empty())
      spdlog::info("schema already at version {}; nothing to do", known.back().version);
    else
      spdlog::info("applied {} migration(s); schema at version {}", applied.size(),
                   known.back().version);
    return exit_ok;
  } catch (const store::SchemaTooNew& e) {
    spdlog::error("{}", e.what());
    return exit_schema;
  } catch (const store::SchemaDiffers& e) {
    spdlog::error("{}", e.what());
    return exit_schema;
  }
}

int run_import(const Config& config, const std::filesystem::path& source, bool dry_run) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  // Read the file(s) before touching the database: a missing file is reported at once.
  std::function<archive::ReadResult(const archive::KnownCodes&)> read;
  if (std::filesystem::is_directory(source)) {
    archive::CsvTables tables;
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
      if (entry.path().extension() == ".csv")
        tables.files[entry.path().filename().string()] = read_file(entry.path());
    }
    if (tables.files.empty())
      throw std::runtime_error(fmt::format("{}: no .csv files in this folder", source.string()));
    read = [tables = std::move(tables)](const archive::KnownCodes& known) {
      std::vector<archive::Problem> problems;
      auto document = archive::csv_to_document(tables, problems);
      auto result = archive::read_document(document, known);
      result.problems.insert(result.problems.begin(), problems.begin(), problems.end());
      return result;
    };
  } else {
    read = [text = read_file(source)](const archive::KnownCodes& known) {
      return archive::read_json(text, known);
    };
  }
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  // Channels may name the descriptions of the configured directory before a daemon has read it.
  if (!config.acquisition.protocols_dir.empty()) {
    const auto problems = database->run_blocking([&](pqxx::connection& c) {
      return acq::sync_protocol_directory(c, config.acquisition.protocols_dir);
    });
    for (const auto& problem : problems) spdlog::warn("protocol registry: {}", problem);
  }
  auto outcome = database->run_blocking([&](pqxx::connection& c) {
    return store::import_archives(c, read,
                                  dry_run ? store::ImportMode::dry_run : store::ImportMode::commit);
  });
  const auto& problems = outcome.read.problems;
  if (!outcome.valid) {
    for (const auto& p : problems)
      std::fprintf(stderr, "%s: %s: %s\n", source.string().c_str(), p.location.c_str(),
                   p.reason.c_str());
    if (outcome.read.problems_not_listed > 0) {
      std::fprintf(stderr, "%s: … and %zu more problems\n", source.string().c_str(),
                   outcome.read.problems_not_listed);
    }
    std::fprintf(stderr, "%s: rejected with %zu problem(s); nothing was imported\n",
                 source.string().c_str(), problems.size() + outcome.read.problems_not_listed);
    return exit_import_rejected;
  }
  const auto& n = outcome.counts;
  std::printf(
      "%s: %s %zu cities, %zu business types, %zu customer classes, %zu halls, %zu windows, "
      "%zu clerks, %zu terminals, %zu devices, %zu channels\n",
      source.string().c_str(), dry_run ? "valid, nothing applied (--dry-run):" : "imported",
      n.cities, n.business_types, n.customer_classes, n.halls, n.windows, n.clerks, n.terminals,
      n.devices, n.channels);
  return exit_ok;
}

int run_first_admin(const Config& config, const std::string& username) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auth::UserFields admin{username,
                         "省公司管理员",
                         auth::Role::province_admin,
                         auth::Scope{},
                         false,
                         auth::random_password(),
                         {}};
  admin.password_hash =
      auth::hash_password(admin.password);  // a command line, not a server: no pool needed
  const bool created = database->run_blocking([&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec("LOCK TABLE app_user IN EXCLUSIVE MODE");
    if (auth::count_users(tx) > 0) return false;
    auth::create_user(tx, admin);
    tx.commit();
    return true;
  });
  if (!created) {
    std::printf(
        "users exist already: no administrator created (its password was shown when it was)\n");
    return exit_ok;
  }
  std::printf("administrator '%s' created; password (shown this once): %s\n", username.c_str(),
              admin.password.c_str());
  return exit_ok;
}

int run_create_token(const Config& config, const TokenRequest& request) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auth::TokenFields fields{request.name,
                           request.role,
                           request.scope,
                           request.requests_per_minute,
                           std::chrono::system_clock::now() + std::chrono::days(request.days),
                           "cli"};
  auto created = database->run_blocking([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto token = auth::create_token(tx, fields);
    auth::AuditEntry entry{"cli",
                           "",
                           "",
                           "CLI",
                           "halld token",
                           0,
                           "/api/v1/tokens",
                           nullptr,
                           nlohmann::json::parse(auth::token_json(tx, token.id)),
                           nullptr};
    auth::insert_audit(tx, entry);
    tx.commit();
    return token;
  });
  std::printf("%s\n", created.secret.c_str());
  return exit_ok;
}

int run_command(const Config& config, const CommandRequest& request) {
  init_logging(config.log, LogDestination::console);
  nlohmann::json command;
  try {
    command = nlohmann::json::parse(request.command);
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "halld: the command is not JSON: %s\n", e.what());
    return exit_usage;
  }
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  const auto protocol = database->run_blocking(
      [&](pqxx::connection& c) { return store::channel_protocol(c, request.channel); });
  if (!protocol) {
    std::fprintf(stderr, "halld: no channel '%s'\n", request.channel.c_str());
    return exit_usage;
  }
  auto device = request.device;
  if (!device) {
    // A guessed address would go to nobody, or to the wrong device on a bus.
    const auto known = database->run_blocking(
        [&](pqxx::connection& c) { return store::channel_devices(c, request.channel); });
    if (known.size() != 1) {
      std::fprintf(
          stderr, "halld: channel '%s' has %s; name the device with --device N\n",
          request.channel.c_str(),
          known.empty()
              ? "no device that has reported yet"
              : fmt::format("{} devices ({})", known.size(), fmt::join(known, ", ")).c_str());
      return exit_usage;
    }
    device = known.front();
  }
  try {
    proto::encode_command_json(*protocol, *device, 0,
                               command);  // refuses what the device could not be sent
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "halld: %s\n", e.what());
    return exit_usage;
  }
  const auto requested_by = "cli:" + operating_system_user();
  const auto id = database->run_blocking([&](pqxx::connection& c) {
    return store::queue_command(c, request.channel, *device, command, requested_by,
                                request.expires_in);
  });
  std::printf("command %lld queued for channel %s, device %u by %s\n", static_cast<long long>(id),
              request.channel.c_str(), *device, requested_by.c_str());
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() + request.wait;
  for (;;) {
    auto state =
        database->run_blocking([&](pqxx::connection& c) { return store::command_state(c, id); });
    const bool open = state->state == "queued" || state->state == "sent";
    if (!open || std::chrono::steady_clock::now() >= deadline) {
      std::printf("command %lld: %s%s%s\n", static_cast<long long>(id), state->state.c_str(),
                  state->detail.empty() ? "" : ": ", state->detail.c_str());
      return state->state == "done" || (open && request.wait.count() == 0) ? exit_ok : exit_failure;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int run_recompute(const Config& config, const RecomputeRequest& request) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  auto halls = database->run_blocking(store::load_kpi_halls);
  if (!request.hall.empty()) {
    std::erase_if(halls, [&](const store::KpiHall& h) { return h.code != request.hall; });
    if (halls.empty()) {
      std::fprintf(stderr, "halld: no hall '%s'\n", request.hall.c_str());
      return exit_usage;
    }
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto days = (request.last_day - request.first_day).count() + 1;
  const auto started = std::chrono::steady_clock::now();
  std::size_t done = 0;
  for (const auto& hall : halls) {
    for (auto day = request.first_day; day <= request.last_day; day += std::chrono::days(1)) {
      database->run_blocking(
          [&](pqxx::connection& c) { live::Engine::recompute_day(c, hall, day, now); });
    }
    if (++done % 100 == 0 || done == halls.size()) {
      std::printf("recomputed %zu of %zu halls × %lld days\n", done, halls.size(),
                  static_cast<long long>(days));
      std::fflush(stdout);
    }
  }
  std::printf("recomputed %zu hall-days in %.1f s\n", halls.size() * static_cast<std::size_t>(days),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return exit_ok;
}

int run_housekeeping(const Config& config, bool dry_run) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto report = database->run_blocking(
      [&](pqxx::connection& c) { return retention::housekeep(c, config.retention, now, dry_run); });
  std::printf("%s%s", dry_run ? "dry run, nothing removed:\n" : "",
              retention::describe(report).c_str());
  return exit_ok;
}

int run_archive_load(const Config& config, const std::filesystem::path& archive) {
  init_logging(config.log, LogDestination::console);
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  if (int code = prepare_schema(*database, config); code != exit_ok) return code;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto loaded = database->run_blocking(
      [&](pqxx::connection& c) { return retention::load_archive(c, archive, now); });
  std::printf(
      "loaded %lld rows into %s; recompute its days now (halld recompute), it is kept a "
      "week\n",
      loaded.rows, loaded.partition.c_str());
  return exit_ok;
}

int run_ha_status(const Config& config) {
  init_logging(config.log, LogDestination::console);
  pqxx::connection connection(config.database.conninfo);
  std::printf("%s\n", ha::ha_status(connection).dump(2).c_str());
  return exit_ok;
}

namespace {

std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// A Modbus device model: its points and the requests a poll of the device makes.
int check_device_model(const std::string& file, const std::string& text) {
  const auto model = proto::modbus::load_device_model(text);
  std::printf("%s: Modbus device model %s version %u (%s), %zu points in %zu requests, sha256 %s\n",
              file.c_str(), model.name.c_str(), model.version, model.title.c_str(),
              model.points.size(), model.blocks.size(), model.checksum.c_str());
  for (const auto& block : model.blocks) {
    std::printf("  %s %u–%u:", std::string(to_string(block.table)).c_str(), block.start,
                block.start + block.count - 1);
    for (auto index : block.points) {
      const auto& p = model.points[index];
      std::printf(" %s%s", p.name.c_str(), p.writable ? " (writable)" : "");
    }
    std::printf("\n");
  }
  return exit_ok;
}

int run_check_protocol(const std::string& description_file, const std::string& vectors_file) {
  using namespace proto::described;
  std::shared_ptr<const Description> description;
  try {
    const auto text = file_text(description_file);
    if (proto::modbus::is_device_model(text)) {
      if (!vectors_file.empty()) {
        std::fprintf(stderr, "%s: a device model has no vectors (its tests are a device's)\n",
                     description_file.c_str());
        return exit_failure;
      }
      return check_device_model(description_file, text);
    }
    description = std::make_shared<const Description>(load_description(text));
  } catch (const DescriptionError& e) {
    std::fprintf(stderr, "%s: %s\n", description_file.c_str(), e.what());
    return exit_failure;
  }
  std::size_t events = 0, commands = 0;
  for (const auto& m : description->messages) {
    events += m.role == Role::data;
    commands += m.role == Role::command;
  }
  std::printf(
      "%s: protocol %s version %u (%s), %zu messages: %zu events, %zu commands, sha256 %s\n",
      description_file.c_str(), description->name.c_str(), description->version,
      description->kind == Description::Kind::binary ? "binary" : "text",
      description->messages.size(), events, commands, description->checksum.c_str());
  if (vectors_file.empty()) return exit_ok;
  const auto vectors = nlohmann::json::parse(file_text(vectors_file), nullptr, false);
  if (vectors.is_discarded()) {
    std::fprintf(stderr, "%s: not JSON\n", vectors_file.c_str());
    return exit_failure;
  }
  std::vector<std::string> failures;
  try {
    failures = check_vectors(Interpreter(description), vectors);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: %s\n", vectors_file.c_str(), e.what());
    return exit_failure;
  }
  for (const auto& failure : failures)
    std::printf("%s: %s\n", vectors_file.c_str(), failure.c_str());
  if (failures.empty())
    std::printf("%s: all %zu vectors hold\n", vectors_file.c_str(), vectors.size());
  return failures.empty() ? exit_ok : exit_failure;
}

int run_protocols(const Config& config) {
  init_logging(config.log, LogDestination::console);
  const auto& dir = config.acquisition.protocols_dir;
  int status = exit_ok;
  if (dir.empty()) {
    std::printf("files: none (acquisition.protocols_dir is not set)\n");
  } else {
    const auto reading = acq::read_protocol_directory(dir);
    std::printf("files in %s: %zu described, %zu refused\n", dir.c_str(), reading.entries.size(),
                reading.problems.size());
    for (const auto& entry : reading.entries) {
      std::printf("  %-24s %-10s version %-4u sha256 %s\n", entry.name.c_str(),
                  entry.family.c_str(), entry.version, entry.checksum.c_str());
    }
    for (const auto& problem : reading.problems) std::printf("  refused: %s\n", problem.c_str());
    if (!reading.problems.empty()) status = exit_failure;
  }
  MetricsRegistry metrics;
  auto database = open_database(config, metrics, 1);
  const auto listed = nlohmann::json::parse(database->run_blocking(store::list_protocols_json));
  std::printf("registry: %zu description(s)\n", listed.at("items").size());
  for (const auto& p : listed.at("items")) {
    std::string channels;
    for (const auto& code : p.at("channels"))
      channels += (channels.empty() ? "" : ", ") + code.get<std::string>();
    std::printf("  %-24s %-10s version %-4d %-4s sha256 %.12s…  %s%s\n",
                p.at("name").get<std::string>().c_str(), p.at("family").get<std::string>().c_str(),
                p.at("version").get<int>(), p.at("origin").get<std::string>().c_str(),
                p.at("checksum").get<std::string>().c_str(),
                p.at("retired_at").is_null() ? "" : "retired; ",
                channels.empty() ? "no channel speaks it" : ("channels: " + channels).c_str());
  }
  return status;
}

}  // namespace halld::app
