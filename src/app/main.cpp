#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon.hpp"
#include "halld/app/app.hpp"
#include "halld/core/version.hpp"
#include "halld/records/event_json.hpp"

namespace halld::app {
namespace {

constexpr const char* usage_text =
    "usage:\n"
    "  halld --config FILE                     run the server\n"
    "  halld check-config FILE                 check a configuration file and exit\n"
    "  halld check-protocol FILE [VECTORS]     check a protocol description (docs/protocols/"
    "adapters.md)\n"
    "                                          and, given a vectors file, hold it to them\n"
    "  halld protocols --config FILE           list the protocol description files and the "
    "registry\n"
    "  halld migrate --config FILE             apply pending database migrations\n"
    "  halld import --config FILE [--dry-run] PATH\n"
    "                                          import archives from a .json file or a folder of "
    ".csv files\n"
    "  halld command --config FILE --channel CODE [--device N] [--wait S] [--expires S] JSON\n"
    "                                          (--device may be left out only when the channel has "
    "one device)\n"
    "                                          queue a downlink command, e.g. "
    "'{\"kind\":\"open_window\",\"window\":3}',\n"
    "                                          and with --wait report the device's answer "
    "(docs/protocols/commands.md)\n"
    "  halld recompute --config FILE --from DATE --to DATE [--hall CODE]\n"
    "                                          rebuild the KPI rollups of local days DATE..DATE "
    "(inclusive,\n"
    "                                          yyyy-mm-dd) from the event log, for every hall or "
    "one\n"
    "  halld housekeeping --config FILE [--dry-run]\n"
    "                                          remove what retention says is due now (old monthly\n"
    "                                          partitions, archived first when "
    "retention.archive_dir "
    "is set;\n"
    "                                          old rows of the small tables); --dry-run only says "
    "what would go\n"
    "  halld archive-load --config FILE ARCHIVE\n"
    "                                          load a partition archived by housekeeping back "
    "into its month,\n"
    "                                          for a recomputation (kept a week, then due again)\n"
    "  halld ha status --config FILE           the nodes on this database, which is active, "
    "the lease\n"
    "  halld first-admin --config FILE [--username NAME]\n"
    "                                          create the first province administrator (default "
    "'admin')\n"
    "                                          with a random password, printed once; nothing if "
    "users exist\n"
    "  halld token --config FILE --name TEXT --role ROLE --scope SCOPE [--days N] [--rate N]\n"
    "                                          create an intranet API token and print its secret "
    "once;\n"
    "                                          SCOPE is province, city:CODE or hall:CODE "
    "(docs/api.md)\n"
    "  halld --version                         print the version\n";

int usage(const std::string& problem) {
  std::fprintf(stderr, "halld: %s\n%s", problem.c_str(), usage_text);
  return exit_usage;
}

struct Options {
  std::string config;
  std::vector<std::string> positional;
  bool dry_run = false;
  std::map<std::string, std::string, std::less<>>
      values;  // --channel, --device, --wait, --expires, --from …

  std::optional<long> number(const char* name, long fallback, long min, long max) const {
    auto found = values.find(name);
    if (found == values.end()) return fallback;
    long value = 0;
    auto [end, ec] =
        std::from_chars(found->second.data(), found->second.data() + found->second.size(), value);
    if (ec != std::errc() || end != found->second.data() + found->second.size() || value < min ||
        value > max) {
      return std::nullopt;
    }
    return value;
  }
  std::string text(const char* name, std::string fallback = {}) const {
    auto found = values.find(name);
    return found == values.end() ? fallback : found->second;
  }
};

// Parses "--config FILE", "--dry-run", the command options and positional arguments after the
// subcommand.
std::optional<Options> parse_options(std::span<const std::string_view> args, std::string& problem) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) {
        problem = "--config needs a file";
        return std::nullopt;
      }
      options.config = args[++i];
    } else if (args[i] == "--dry-run") {
      options.dry_run = true;
    } else if (args[i] == "--channel" || args[i] == "--device" || args[i] == "--wait" ||
               args[i] == "--expires" || args[i] == "--from" || args[i] == "--to" ||
               args[i] == "--hall" || args[i] == "--username" || args[i] == "--name" ||
               args[i] == "--role" || args[i] == "--scope" || args[i] == "--days" ||
               args[i] == "--rate") {
      if (i + 1 >= args.size()) {
        problem = fmt::format("{} needs a value", args[i]);
        return std::nullopt;
      }
      options.values[std::string(args[i])] = args[i + 1];
      ++i;
    } else if (args[i].starts_with("-")) {
      problem = fmt::format("unknown option '{}'", args[i]);
      return std::nullopt;
    } else {
      options.positional.emplace_back(args[i]);
    }
  }
  return options;
}

}  // namespace

int main(std::span<const std::string_view> args) {
  if (args.empty()) return usage("nothing to do");
  const auto command = args[0];
  if (command == "--version") {
    std::printf("halld %.*s\n", static_cast<int>(version().size()), version().data());
    return exit_ok;
  }
  if (command == "--help" || command == "help") {
    std::printf("%s", usage_text);
    return exit_ok;
  }
  try {
    if (command == "check-protocol") {
      if (args.size() != 2 && args.size() != 3)
        return usage("check-protocol takes a description and optionally its vectors");
      return run_check_protocol(std::string(args[1]),
                                args.size() == 3 ? std::string(args[2]) : std::string());
    }
    if (command == "check-config") {
      if (args.size() != 2) return usage("check-config takes one file");
      auto config = load_config(std::string(args[1]));
      std::printf("%s: ok\n", std::string(args[1]).c_str());
      return exit_ok;
    }
    const bool subcommand = command == "migrate" || command == "import" || command == "command" ||
                            command == "recompute" || command == "first-admin" ||
                            command == "token" || command == "protocols" ||
                            command == "housekeeping" || command == "archive-load" ||
                            command == "ha";
    std::string problem;
    auto options = parse_options(subcommand ? args.subspan(1) : args, problem);
    if (!options) return usage(problem);
    if (options->config.empty()) return usage("--config FILE is required");
    if (command == "import") {
      if (options->positional.size() != 1)
        return usage("import takes one .json file or CSV folder");
      return run_import(load_config(options->config), options->positional[0], options->dry_run);
    }
    if (command == "housekeeping" || command == "archive-load") {
      if (!options->values.empty())
        return usage(
            fmt::format("'{}' is not an option of {}", options->values.begin()->first, command));
      if (command == "housekeeping") {
        if (!options->positional.empty())
          return usage(fmt::format("unexpected argument '{}'", options->positional[0]));
        return run_housekeeping(load_config(options->config), options->dry_run);
      }
      if (options->positional.size() != 1 || options->dry_run)
        return usage("archive-load takes one archive file");
      return run_archive_load(load_config(options->config), options->positional[0]);
    }
    if (command == "ha") {
      if (options->positional != std::vector<std::string>{"status"} || options->dry_run ||
          !options->values.empty())
        return usage("ha takes 'status'");
      return run_ha_status(load_config(options->config));
    }
    if (command == "first-admin") {
      if (!options->positional.empty())
        return usage(fmt::format("unexpected argument '{}'", options->positional[0]));
      const auto username = options->text("--username", "admin");
      return run_first_admin(load_config(options->config), username);
    }
    if (command == "token") {
      TokenRequest request;
      request.name = options->text("--name");
      auto role = auth::parse_role(options->text("--role"));
      auto scope = auth::Scope::parse(options->text("--scope"));
      auto days = options->number("--days", 365, 1, 3660);
      auto rate = options->number("--rate", 600, 1, 1'000'000);
      if (request.name.empty() || request.name.size() > 100)
        return usage("token needs --name (1 to 100 bytes)");
      if (!role)
        return usage("--role is province_admin, city_manager, hall_manager, monitor or data_clerk");
      if (!scope) return usage("--scope is province, city:CODE or hall:CODE");
      if (auto problem = auth::scope_problem(*role, *scope)) return usage(*problem);
      if (!days || !rate) return usage("--days is 1 to 3660, --rate 1 to 1000000");
      request.role = *role;
      request.scope = *scope;
      request.days = *days;
      request.requests_per_minute = static_cast<int>(*rate);
      return run_create_token(load_config(options->config), request);
    }
    if (command == "command") {
      CommandRequest request;
      auto device = options->number("--device", -1, 0, 4294967295L);
      auto wait = options->number("--wait", 0, 0, 3600);
      auto expires = options->number("--expires", 300, 1, 86400);
      if (!device || !wait || !expires) {
        return usage("--device, --wait and --expires take whole numbers (--expires at least 1)");
      }
      if (*device >= 0) request.device = static_cast<std::uint32_t>(*device);
      request.wait = std::chrono::seconds(*wait);
      request.expires_in = std::chrono::seconds(*expires);
      if (!options->values.contains("--channel")) return usage("command needs --channel CODE");
      request.channel = options->values["--channel"];
      if (options->positional.size() != 1) return usage("command takes one JSON command");
      request.command = options->positional[0];
      return run_command(load_config(options->config), request);
    }
    if (command == "recompute") {
      RecomputeRequest request;
      auto day = [&](const char* name) -> std::optional<std::chrono::sys_days> {
        auto found = options->values.find(name);
        if (found == options->values.end()) return std::nullopt;
        return records::parse_date(found->second);
      };
      auto from = day("--from"), to = day("--to");
      if (!from || !to || *to < *from)
        return usage("recompute needs --from and --to dates (yyyy-mm-dd), --to not before --from");
      if (*to - *from > std::chrono::days(3660))
        return usage("recompute spans at most ten years at a time");
      request.first_day = *from;
      request.last_day = *to;
      if (auto hall = options->values.find("--hall"); hall != options->values.end())
        request.hall = hall->second;
      if (!options->positional.empty())
        return usage(fmt::format("unexpected argument '{}'", options->positional[0]));
      return run_recompute(load_config(options->config), request);
    }
    if (!options->values.empty())
      return usage(fmt::format("'{}' is only for a subcommand", options->values.begin()->first));
    if (!options->positional.empty() || options->dry_run) {
      return usage(fmt::format("unexpected argument '{}'",
                               options->positional.empty() ? "--dry-run" : options->positional[0]));
    }
    if (command == "migrate") return run_migrate(load_config(options->config));
    if (command == "protocols") return run_protocols(load_config(options->config));
    return run_daemon(load_config(options->config));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "halld: config error: %s\n", e.what());
    return exit_usage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "halld: %s\n", e.what());
    return exit_failure;
  }
}

}  // namespace halld::app

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return halld::app::main(args);
}
