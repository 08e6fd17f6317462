#include "halld/core/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

namespace halld {
namespace {

// One configuration key: where it lives, what it accepts, and how it lands in Config.
struct KeySpec {
  std::string expected;                                  // for error messages
  std::function<bool(const toml::node&, Config&)> read;  // false: value not acceptable
  std::function<std::string(const Config&)> show;        // for reload comparison
  bool reloadable = false;
  bool required = false;
  // Takes the key's value from `from` into `to`; every reloadable key has one.
  std::function<void(Config& to, const Config& from)> copy;
};

template <class Field>
auto copier(Field field) {
  return [=](Config& to, const Config& from) { field(to) = field(const_cast<Config&>(from)); };
}

using Schema = std::map<std::string, KeySpec, std::less<>>;

template <class Field>
KeySpec integer_key(std::int64_t min, std::int64_t max, Field field, bool reloadable = false) {
  return {
      fmt::format("an integer from {} to {}", min, max),
      [=](const toml::node& node, Config& config) {
        auto value = node.value_exact<std::int64_t>();
        if (!value || *value < min || *value > max) return false;
        using Target = std::remove_reference_t<decltype(field(config))>;
        field(config) = static_cast<Target>(*value);
        return true;
      },
      [=](const Config& config) { return fmt::format("{}", field(const_cast<Config&>(config))); },
      reloadable,
      false,
      copier(field)};
}

// A size given in the file in mebibytes and kept in bytes.
template <class Field>
KeySpec megabytes_key(std::int64_t min, std::int64_t max, Field field) {
  return {fmt::format("an integer from {} to {}", min, max),
          [=](const toml::node& node, Config& config) {
            auto value = node.value_exact<std::int64_t>();
            if (!value || *value < min || *value > max) return false;
            using Target = std::remove_reference_t<decltype(field(config))>;
            field(config) = static_cast<Target>(*value) << 20;
            return true;
          },
          [=](const Config& config) {
            return fmt::format("{}", field(const_cast<Config&>(config)) >> 20);
          },
          false,
          false,
          {}};
}

// A duration given as a whole number of `Unit`s ("seconds", "milliseconds", "days").
template <class Unit, class Field>
KeySpec duration_key(std::string_view unit, std::int64_t min, std::int64_t max, Field field,
                     bool reloadable = false) {
  return {fmt::format("a whole number of {} from {} to {}", unit, min, max),
          [=](const toml::node& node, Config& config) {
            auto value = node.value_exact<std::int64_t>();
            if (!value || *value < min || *value > max) return false;
            field(config) = Unit(*value);
            return true;
          },
          [=](const Config& config) {
            return fmt::format(
                "{}", std::chrono::duration_cast<Unit>(field(const_cast<Config&>(config))).count());
          },
          reloadable,
          false,
          copier(field)};
}

template <class Field>
KeySpec seconds_key(std::int64_t min, std::int64_t max, Field field, bool reloadable = false) {
  return duration_key<std::chrono::seconds>("seconds", min, max, field, reloadable);
}

template <class Field, class Valid>
KeySpec string_key(std::string expected, Field field, Valid valid, bool reloadable = false,
                   bool required = false) {
  return {std::move(expected),
          [=](const toml::node& node, Config& config) {
            auto value = node.value_exact<std::string>();
            if (!value || !valid(*value)) return false;
            field(config) = *value;
            return true;
          },
          [=](const Config& config) {
            return fmt::format("{}", std::string(field(const_cast<Config&>(config))));
          },
          reloadable,
          required,
          copier(field)};
}

// An array of strings, each of them valid.
template <class Field, class Valid>
KeySpec list_key(std::string expected, Field field, Valid valid) {
  return {std::move(expected),
          [=](const toml::node& node, Config& config) {
            const auto* array = node.as_array();
            if (!array) return false;
            std::vector<std::string> values;
            for (const auto& item : *array) {
              auto value = item.value_exact<std::string>();
              if (!value || !valid(*value)) return false;
              values.push_back(*value);
            }
            field(config) = std::move(values);
            return true;
          },
          [=](const Config& config) {
            return fmt::format("{}", fmt::join(field(const_cast<Config&>(config)), ","));
          },
          false,
          false,
          {}};
}

const auto any_string = [](const std::string&) { return true; };
const auto non_empty = [](const std::string& s) { return !s.empty(); };

Schema make_schema() {
  Schema s;
  s["io_threads"] = integer_key(
      1, 64, [](Config & c) -> auto& { return c.io_threads; });
  s["shutdown_grace_s"] = seconds_key(
      1, 600, [](Config & c) -> auto& { return c.shutdown_grace; }, true);

  s["http.listen"] = string_key(
      "an IP address such as \"127.0.0.1\" or \"0.0.0.0\"",
      [](Config & c) -> auto& { return c.http.listen_address; }, non_empty);
  s["http.port"] = integer_key(
      0, 65535, [](Config & c) -> auto& { return c.http.port; });
  s["http.web_root"] = string_key(
      "a directory path", [](Config & c) -> auto& { return c.http.web_root; }, non_empty);
  s["http.tls_certificate"] = string_key(
      "a PEM file path (certificate, then intermediates)",
      [](Config & c) -> auto& { return c.http.tls_certificate; }, non_empty);
  s["http.tls_private_key"] = string_key(
      "a PEM file path (the certificate's unencrypted private key)",
      [](Config & c) -> auto& { return c.http.tls_private_key; }, non_empty);
  s["http.body_limit_bytes"] = integer_key(
      1024, 1 << 30, [](Config & c) -> auto& { return c.http.body_limit_bytes; }, true);
  s["http.header_limit_bytes"] = integer_key(
      1024, 1 << 20, [](Config & c) -> auto& { return c.http.header_limit_bytes; }, true);
  s["http.request_timeout_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.http.request_timeout; }, true);
  s["http.idle_timeout_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.http.idle_timeout; }, true);
  s["http.max_connections"] = integer_key(
      1, 1'000'000, [](Config & c) -> auto& { return c.http.max_connections; }, true);
  s["http.max_connections_per_address"] = integer_key(
      1, 1'000'000, [](Config & c) -> auto& { return c.http.max_connections_per_address; }, true);
  s["http.header_timeout_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.http.header_timeout; }, true);

  s["database.conninfo"] = string_key(
      "a libpq connection string such as \"host=127.0.0.1 port=5432 dbname=halld user=halld\"",
      [](Config & c) -> auto& { return c.database.conninfo; }, non_empty, false, true);
  s["database.pool_size"] = integer_key(
      1, 256, [](Config & c) -> auto& { return c.database.pool_size; });
  s["database.connect_timeout_s"] = seconds_key(
      1, 300, [](Config & c) -> auto& { return c.database.connect_timeout; });
  s["database.startup_wait_s"] = seconds_key(
      0, 3600, [](Config & c) -> auto& { return c.database.startup_wait; });
  s["database.on_old_schema"] = {
      "\"migrate\" or \"refuse\"",
      [](const toml::node& node, Config& c) {
        auto value = node.value_exact<std::string>();
        if (value == "migrate")
          c.database.on_old_schema = OldSchemaPolicy::migrate;
        else if (value == "refuse")
          c.database.on_old_schema = OldSchemaPolicy::refuse;
        else
          return false;
        return true;
      },
      [](const Config& c) {
        return std::string(c.database.on_old_schema == OldSchemaPolicy::migrate ? "migrate"
                                                                                : "refuse");
      },
      false,
      false,
      {}};

  s["acquisition.batch_rows"] = integer_key(
      1, 100'000, [](Config & c) -> auto& { return c.acquisition.batch_rows; });
  s["acquisition.batch_delay_ms"] = duration_key<std::chrono::milliseconds>(
      "milliseconds", 1, 10'000, [](Config & c) -> auto& { return c.acquisition.batch_delay; });
  s["acquisition.reconnect_max_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.acquisition.reconnect_max; });
  s["acquisition.command_timeout_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.acquisition.command_timeout; });

  s["acquisition.clock_ahead_s"] = seconds_key(
      1, 86'400, [](Config & c) -> auto& { return c.acquisition.clock_ahead; });
  s["acquisition.clock_behind_days"] = duration_key<std::chrono::days>(
      "days", 1, 3660, [](Config & c) -> auto& { return c.acquisition.clock_behind; });
  s["acquisition.spool_file"] = string_key(
      "a file path (empty: no spool; events wait unacknowledged while the database is away)",
      [](Config & c) -> auto& { return c.acquisition.spool_file; }, any_string);
  s["acquisition.protocols_dir"] = string_key(
      "a directory path (empty: protocol descriptions come from the API only)",
      [](Config & c) -> auto& { return c.acquisition.protocols_dir; }, any_string, true);
  s["acquisition.spool_max_mb"] = megabytes_key(
      1, 1'048'576, [](Config & c) -> auto& { return c.acquisition.spool_max_bytes; });

  s["dtu.listen"] = string_key(
      "an IP address such as \"0.0.0.0\"", [](Config & c) -> auto& { return c.dtu.listen_address; },
      non_empty);
  s["dtu.port"] = integer_key(
      0, 65535, [](Config & c) -> auto& { return c.dtu.port; });
  s["dtu.registration_timeout_s"] = seconds_key(
      1, 600, [](Config & c) -> auto& { return c.dtu.registration_timeout; });
  s["dtu.max_unregistered"] = integer_key(
      1, 1'000'000, [](Config & c) -> auto& { return c.dtu.max_unregistered; });

  s["ha.node"] = string_key(
      "a node name of letters, digits, '.', '_' or '-' (empty: no standby, always active)",
      [](Config & c) -> auto& { return c.ha.node; },
      [](const std::string& v) {
        return v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char ch) {
                 return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' ||
                        ch == '-';
               });
      });
  s["ha.address"] = string_key(
      "an http:// or https:// URL where clients reach this node",
      [](Config & c) -> auto& { return c.ha.address; },
      [](const std::string& v) {
        return v.empty() || v.starts_with("http://") || v.starts_with("https://");
      });
  s["ha.failover_delay_s"] = seconds_key(
      2, 600, [](Config & c) -> auto& { return c.ha.failover_delay; });

  s["marketing.url"] = string_key(
      "an http:// URL of the WebService (empty: no marketing sync)",
      [](Config & c) -> auto& { return c.marketing.url; },
      [](const std::string& v) { return v.empty() || v.starts_with("http://"); });
  s["marketing.username"] = string_key(
      "a string (empty: no WS-Security token)",
      [](Config & c) -> auto& { return c.marketing.username; }, any_string);
  s["marketing.password"] = string_key(
      "a string", [](Config & c) -> auto& { return c.marketing.password; }, any_string);
  s["marketing.password_type"] = string_key(
      "\"digest\" or \"text\"", [](Config & c) -> auto& { return c.marketing.password_type; },
      [](const std::string& v) { return v == "digest" || v == "text"; });
  s["marketing.page_size"] = integer_key(
      1, 5000, [](Config & c) -> auto& { return c.marketing.page_size; });
  s["marketing.interval_ms"] = duration_key<std::chrono::milliseconds>(
      "milliseconds", 100, 86'400'000, [](Config & c) -> auto& { return c.marketing.interval; });
  s["marketing.archive_interval_s"] = seconds_key(
      1, 604'800, [](Config & c) -> auto& { return c.marketing.archive_interval; });
  s["marketing.connect_timeout_ms"] = duration_key<std::chrono::milliseconds>(
      "milliseconds", 100, 60'000, [](Config & c) -> auto& { return c.marketing.connect_timeout; });
  s["marketing.read_timeout_s"] = seconds_key(
      1, 600, [](Config & c) -> auto& { return c.marketing.read_timeout; });
  s["marketing.attempts"] = integer_key(
      1, 10, [](Config & c) -> auto& { return c.marketing.attempts; });
  s["marketing.retry_delay_ms"] = duration_key<std::chrono::milliseconds>(
      "milliseconds", 10, 600'000, [](Config & c) -> auto& { return c.marketing.retry_delay; });
  s["marketing.breaker_rounds"] = integer_key(
      1, 100, [](Config & c) -> auto& { return c.marketing.breaker_rounds; });
  s["marketing.breaker_pause_ms"] = duration_key<std::chrono::milliseconds>(
      "milliseconds", 100, 86'400'000,
      [](Config & c) -> auto& { return c.marketing.breaker_pause; });
  s["marketing.premium_annual_kwh"] = integer_key(
      1, 1'000'000'000'000, [](Config & c) -> auto& { return c.marketing.premium_annual_kwh; });
  s["marketing.premium_contract_kva"] = integer_key(
      1, 10'000'000, [](Config & c) -> auto& { return c.marketing.premium_contract_kva; });
  s["marketing.link_settle_s"] = seconds_key(
      0, 86'400, [](Config & c) -> auto& { return c.marketing.link_settle; });
  s["marketing.link_give_up_s"] = seconds_key(
      0, 604'800, [](Config & c) -> auto& { return c.marketing.link_give_up; });
  s["marketing.link_tolerance_s"] = seconds_key(
      0, 3600, [](Config & c) -> auto& { return c.marketing.link_tolerance; });

  // Events may arrive up to acquisition.clock_behind (31 days) late: a month's partition is
  // dropped only once no late event can still belong to it.
  s["retention.event_months"] = integer_key(
      2, 1200, [](Config & c) -> auto& { return c.retention.event_months; }, true);
  s["retention.rollup_months"] = integer_key(
      2, 1200, [](Config & c) -> auto& { return c.retention.rollup_months; }, true);
  s["retention.facility_months"] = integer_key(
      1, 1200, [](Config & c) -> auto& { return c.retention.facility_months; }, true);
  s["retention.alarm_days"] = integer_key(
      30, 36'500, [](Config & c) -> auto& { return c.retention.alarm_days; }, true);
  s["retention.sms_days"] = integer_key(
      30, 36'500, [](Config & c) -> auto& { return c.retention.sms_days; }, true);
  s["retention.audit_days"] = integer_key(
      180, 36'500, [](Config & c) -> auto& { return c.retention.audit_days; }, true);
  s["retention.command_days"] = integer_key(
      30, 36'500, [](Config & c) -> auto& { return c.retention.command_days; }, true);
  s["retention.comm_log_days"] = integer_key(
      30, 36'500, [](Config & c) -> auto& { return c.retention.comm_log_days; }, true);
  s["retention.archive_dir"] = string_key(
      "a directory path (empty: partitions are dropped without an archive)",
      [](Config & c) -> auto& { return c.retention.archive_dir; }, any_string, true);
  s["retention.interval_s"] = seconds_key(
      60, 604'800, [](Config & c) -> auto& { return c.retention.interval; }, true);

  s["kpi.flush_interval_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.kpi.flush_interval; });
  s["kpi.snapshot_interval_s"] = seconds_key(
      0, 86400, [](Config & c) -> auto& { return c.kpi.snapshot_interval; });

  s["auth.session_idle_s"] = seconds_key(
      5, 86400, [](Config & c) -> auto& { return c.auth.session_idle; }, true);
  s["auth.session_absolute_s"] = seconds_key(
      5, 7 * 86400, [](Config & c) -> auto& { return c.auth.session_absolute; }, true);
  s["auth.max_failed_logins"] = integer_key(
      1, 100, [](Config & c) -> auto& { return c.auth.max_failed_logins; }, true);
  s["auth.max_failed_logins_per_address"] = integer_key(
      1, 10'000, [](Config & c) -> auto& { return c.auth.max_failed_logins_per_address; }, true);
  s["auth.lockout_s"] = seconds_key(
      10, 86400, [](Config & c) -> auto& { return c.auth.lockout; }, true);
  s["auth.hashing_threads"] = integer_key(
      1, 64, [](Config & c) -> auto& { return c.auth.hashing_threads; });
  s["auth.hashing_queue"] = integer_key(
      1, 10'000, [](Config & c) -> auto& { return c.auth.hashing_queue; });
  s["auth.token_days"] = integer_key(
      1, 3660, [](Config & c) -> auto& { return c.auth.token_days; }, true);
  s["sms.channels"] = list_key(
      "an array of \"kannel\", \"modem\" or \"log\"",
      [](Config & c) -> auto& { return c.sms.channels; },
      [](const std::string& v) { return v == "kannel" || v == "modem" || v == "log"; });
  s["sms.escalate_after_s"] = seconds_key(
      10, 86400, [](Config & c) -> auto& { return c.sms.escalate_after; });
  s["sms.group_window_s"] = seconds_key(
      0, 3600, [](Config & c) -> auto& { return c.sms.group_window; });
  s["sms.texts_per_hour"] = integer_key(
      1, 3600, [](Config & c) -> auto& { return c.sms.texts_per_hour; });
  s["sms.max_attempts"] = integer_key(
      1, 100, [](Config & c) -> auto& { return c.sms.max_attempts; });
  s["sms.retry_after_s"] = seconds_key(
      1, 3600, [](Config & c) -> auto& { return c.sms.retry_after; });
  s["sms.template"] = string_key(
      "a text with {placeholders} (empty: the built-in)",
      [](Config & c) -> auto& { return c.sms.text_template; }, any_string);
  s["sms.state_template"] = string_key(
      "a text with {placeholders} (empty: the built-in)",
      [](Config & c) -> auto& { return c.sms.state_template; }, any_string);
  s["sms.log_file"] = string_key(
      "a file path", [](Config & c) -> auto& { return c.sms.log_file; }, non_empty);
  s["sms.kannel_url"] = string_key(
      "an http:// URL of Kannel's sendsms", [](Config & c) -> auto& { return c.sms.kannel_url; },
      [](const std::string& v) { return v.starts_with("http://"); });
  s["sms.kannel_username"] = string_key(
      "a string", [](Config & c) -> auto& { return c.sms.kannel_username; }, any_string);
  s["sms.kannel_password"] = string_key(
      "a string", [](Config & c) -> auto& { return c.sms.kannel_password; }, any_string);
  s["sms.kannel_from"] = string_key(
      "a sender number", [](Config & c) -> auto& { return c.sms.kannel_from; }, non_empty);
  s["sms.callback_url"] = string_key(
      "an http:// or https:// URL (empty: halld's own, http(s)://127.0.0.1:<http.port>)",
      [](Config & c) -> auto& { return c.sms.callback_url; },
      [](const std::string& v) {
        return v.empty() || v.starts_with("http://") || v.starts_with("https://");
      });
  s["sms.modem_devices"] = list_key(
      "an array of serial device paths", [](Config & c) -> auto& { return c.sms.modem_devices; },
      non_empty);
  s["sms.modem_baud"] = integer_key(
      1200, 921600, [](Config & c) -> auto& { return c.sms.modem_baud; });
  s["sms.modem_pin"] = string_key(
      "the SIM's PIN (empty: none)", [](Config & c) -> auto& { return c.sms.modem_pin; },
      any_string);
  s["sms.modem_timeout_s"] = seconds_key(
      1, 300, [](Config & c) -> auto& { return c.sms.modem_timeout; });

  s["log.level"] = string_key(
      "one of trace, debug, info, warn, error, critical, off",
      [](Config & c) -> auto& { return c.log.level; },
      [](const std::string& v) { return is_valid_log_level(v); }, true);
  s["log.file"] = string_key(
      "a file path (empty: console only)", [](Config & c) -> auto& { return c.log.file; },
      any_string);
  s["log.max_file_mb"] = megabytes_key(
      1, 4096, [](Config & c) -> auto& { return c.log.max_file_bytes; });
  s["log.max_files"] = integer_key(
      1, 1000, [](Config & c) -> auto& { return c.log.max_files; });
  return s;
}

const Schema& schema() {
  static const Schema instance = make_schema();
  return instance;
}

std::string where(const std::filesystem::path& source, const toml::source_region& region) {
  return fmt::format("{}:{}:{}", source.filename().string(), region.begin.line,
                     region.begin.column);
}

std::string describe_type(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return fmt::format("the string \"{}\"", *node.value<std::string>());
    case toml::node_type::integer:
      return fmt::format("the integer {}", *node.value<std::int64_t>());
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

// The [tables] of a configuration file, in the order error messages list them.
constexpr std::array<std::string_view, 11> sections{"acquisition", "auth",      "database", "dtu",
                                                    "ha",          "http",      "kpi",      "log",
                                                    "marketing",   "retention", "sms"};

// Keys directly inside `section` ("" for the top level): what we offer when a key is unknown.
std::string keys_in_section(std::string_view section) {
  std::vector<std::string> names;
  for (const auto& [path, spec] : schema()) {
    auto dot = path.rfind('.');
    std::string_view parent = dot == std::string::npos ? "" : std::string_view(path).substr(0, dot);
    std::string_view name =
        dot == std::string::npos ? path : std::string_view(path).substr(dot + 1);
    if (parent == section) names.emplace_back(name);
  }
  if (section.empty()) {
    for (std::string_view table : sections) {
      names.emplace_back(fmt::format("[{}]", table));
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

bool is_section(std::string_view path) {
  return std::find(sections.begin(), sections.end(), path) != sections.end();
}

void read_table(const toml::table& table, std::string_view prefix,
                const std::filesystem::path& source, Config& config,
                std::vector<std::string>& seen) {
  for (const auto& [key, node] : table) {
    std::string path =
        prefix.empty() ? std::string(key.str()) : fmt::format("{}.{}", prefix, key.str());
    if (prefix.empty() && is_section(path)) {
      if (!node.is_table()) {
        throw ConfigError(fmt::format("{}: key '{}' must be a table [{}]",
                                      where(source, node.source()), path, path));
      }
      read_table(*node.as_table(), path, source, config, seen);
      continue;
    }
    auto spec = schema().find(path);
    if (spec == schema().end()) {
      throw ConfigError(fmt::format("{}: unknown key '{}'; expected one of: {}",
                                    where(source, key.source()), path, keys_in_section(prefix)));
    }
    if (!spec->second.read(node, config)) {
      throw ConfigError(fmt::format("{}: key '{}' expects {}, got {}", where(source, node.source()),
                                    path, spec->second.expected, describe_type(node)));
    }
    seen.push_back(path);
  }
}

}  // namespace

bool is_valid_log_level(std::string_view level) {
  static constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  return std::find(std::begin(levels), std::end(levels), level) != std::end(levels);
}

Config parse_config(std::string_view text, const std::filesystem::path& source_name) {
  toml::table document;
  try {
    document = toml::parse(text, source_name.string());
  } catch (const toml::parse_error& error) {
    throw ConfigError(fmt::format("{}: not valid TOML: {}", where(source_name, error.source()),
                                  error.description()));
  }
  Config config;
  config.source = source_name;
  std::vector<std::string> seen;
  read_table(document, "", source_name, config, seen);
  for (const auto& [path, spec] : schema()) {
    if (spec.required && std::find(seen.begin(), seen.end(), path) == seen.end()) {
      throw ConfigError(fmt::format("{}: missing key '{}'; expected {}",
                                    source_name.filename().string(), path, spec.expected));
    }
  }
  if (config.http.tls_certificate.empty() != config.http.tls_private_key.empty()) {
    throw ConfigError(fmt::format(
        "{}: keys 'http.tls_certificate' and 'http.tls_private_key' go together: set both "
        "for TLS, or neither",
        source_name.filename().string()));
  }
  return config;
}

Config load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read the configuration file", file.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  Config config = parse_config(buffer.str(), file);
  // Relative paths in the file are relative to the file, so a config works from any directory.
  auto base = std::filesystem::absolute(file).parent_path();
  for (auto* path :
       {&config.http.web_root, &config.http.tls_certificate, &config.http.tls_private_key}) {
    if (!path->empty() && path->is_relative()) *path = base / *path;
  }
  if (!config.log.file.empty() && config.log.file.is_relative())
    config.log.file = base / config.log.file;
  for (auto* path : {&config.acquisition.spool_file, &config.acquisition.protocols_dir,
                     &config.retention.archive_dir}) {
    if (!path->empty() && path->is_relative()) *path = base / *path;
  }
  return config;
}

Reload reload_config(const Config& running, const Config& fresh) {
  Reload reload{running, {}, {}};
  for (const auto& [path, spec] : schema()) {
    if (spec.show(running) == spec.show(fresh)) continue;
    if (spec.reloadable) {
      spec.copy(reload.next, fresh);
      reload.applied.push_back(path);
    } else {
      reload.need_restart.push_back(path);
    }
  }
  return reload;
}

}  // namespace halld
