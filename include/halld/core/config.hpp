// core/config: the one configuration file of halld (TOML, comments allowed).
// Owns: the schema of every key (type, range, default, whether SIGHUP can change it) and the
// parsing of a file into a Config value. Must not touch: anything that acts on the values.
// Every error names the file position, the full key and what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace halld {

struct HttpConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::filesystem::path web_root = "web";
  std::size_t body_limit_bytes = 1 << 20;
  std::size_t header_limit_bytes = 16 * 1024;
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::size_t max_connections = 10000;
  // One address (a script, or a flood of idle sockets) may hold no more than this, so it cannot
  // starve the rest; a proxy in front of halld needs it raised to its own share.
  std::size_t max_connections_per_address = 64;
  // The whole head of a new connection's first request must arrive within this (slow-header
  // floods).
  std::chrono::seconds header_timeout{10};
  // TLS: both set (PEM files) or neither. With them every connection is HTTPS / wss://.
  std::filesystem::path tls_certificate;  // the server's certificate, then any intermediates
  std::filesystem::path tls_private_key;
};

enum class OldSchemaPolicy { migrate, refuse };

struct DatabaseConfig {
  std::string conninfo;  // libpq connection string
  std::size_t pool_size = 4;
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds startup_wait{30};
  OldSchemaPolicy on_old_schema = OldSchemaPolicy::migrate;
};

struct AcquisitionConfig {
  std::size_t batch_rows = 5000;              // events per database transaction at most
  std::chrono::milliseconds batch_delay{50};  // how long a partial batch may wait
  std::chrono::seconds reconnect_max{60};     // longest wait between connection attempts
  std::chrono::seconds command_timeout{
      30};  // a sent downlink command unanswered this long: expired
  // How far a device's event time may lie ahead of halld's clock at reception, and behind it
  // (a backlog is legitimately late; months late is a clock that was never set).
  std::chrono::seconds clock_ahead{300};
  std::chrono::seconds clock_behind{std::chrono::days(31)};
  std::filesystem::path spool_file = "spool/halld.spool";  // empty: no spool
  std::uint64_t spool_max_bytes = 1ull << 30;              // links pause above this
  // Protocol description files (docs/protocols/adapters.md), read at start and on SIGHUP into
  // the protocol registry; empty: descriptions come from the API only.
  std::filesystem::path protocols_dir;
};

// Where GPRS DTUs dial in; the server runs only when some enabled channel is a DTU.
struct DtuConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 9500;
  std::chrono::seconds registration_timeout{30};
  std::size_t max_unregistered = 1000;
};

// The real-time model and KPI rollups.
struct KpiConfig {
  std::chrono::seconds flush_interval{30};  // changed rollups go to PostgreSQL this often
  // A flush writes a snapshot of the model this often at most (0: never), for a fast start.
  std::chrono::seconds snapshot_interval{60};
};

// Alarm texts: who hears of alarms is in the database (contacts); how they are sent is here.
struct SmsConfig {
  // Channels tried in this order for each text ("kannel", "modem", "log"); empty: nothing is
  // texted.
  std::vector<std::string> channels;
  std::chrono::seconds escalate_after{600};
  std::chrono::seconds group_window{60};
  std::size_t texts_per_hour = 6;
  std::size_t max_attempts = 3;  // rounds over all channels before a text is failed
  std::chrono::seconds retry_after{30};
  std::string text_template;  // empty: the built-in zh-CN one
  std::string state_template;
  std::filesystem::path log_file = "sms.log";
  std::string kannel_url = "http://127.0.0.1:13013/cgi-bin/sendsms";
  std::string kannel_username;
  std::string kannel_password;
  std::string kannel_from = "95598";
  // halld's base URL as Kannel reaches it, for delivery reports; empty:
  // http(s)://127.0.0.1:<http.port>.
  std::string callback_url;
  std::vector<std::string> modem_devices;  // a pool: one text at a time per modem
  std::size_t modem_baud = 115200;
  std::string modem_pin;
  std::chrono::seconds modem_timeout{30};  // for one answer of the modem
};

// People and tokens: sessions, lockout, token defaults (docs/operations.md, "Access").
struct AuthConfig {
  std::chrono::seconds session_idle{30 * 60};        // a session unused this long ends
  std::chrono::seconds session_absolute{12 * 3600};  // and every session ends this long after login
  std::size_t max_failed_logins = 5;  // from one address, then each further wait doubles
  std::size_t max_failed_logins_per_address = 20;  // over every name tried from one address
  std::chrono::seconds lockout{15 * 60};           // the longest such wait
  std::size_t hashing_threads = 1;  // argon2id work beside the I/O and database threads
  std::size_t hashing_queue = 32;   // password checks waiting beyond this are shed (503)
  std::size_t token_days = 365;     // a new token's lifetime unless it says otherwise
};

// The marketing system's WebService (docs/operations.md, "Marketing system"); no url: no sync.
struct MarketingConfig {
  std::string url;       // http://host:port/path
  std::string username;  // empty: no WS-Security username token
  std::string password;
  std::string password_type = "digest";  // digest or text
  std::size_t page_size = 500;
  std::chrono::milliseconds interval{60'000};   // between rounds of the incremental feeds
  std::chrono::seconds archive_interval{3600};  // between full passes of halls and clerks
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::seconds read_timeout{60};
  std::size_t attempts = 3;                     // per page
  std::chrono::milliseconds retry_delay{1000};  // doubling at each further attempt
  std::size_t breaker_rounds = 3;
  std::chrono::milliseconds breaker_pause{300'000};
  std::size_t premium_annual_kwh = 1'000'000;
  std::size_t premium_contract_kva = 315;
  std::chrono::seconds link_settle{1800};
  std::chrono::seconds link_give_up{21600};
  std::chrono::seconds link_tolerance{120};
};

// How long each kind of data is kept (docs/operations.md, "Retention"); what is older is removed
// by the housekeeping job, the big tables a whole month's partition at a time.
struct RetentionConfig {
  std::size_t event_months = 13;        // raw hall events, whole UTC months before the current one
  std::size_t rollup_months = 60;       // 15-minute KPI rollups (daily rollups are kept)
  std::size_t facility_months = 13;     // facility device readings
  std::size_t alarm_days = 1095;        // ended alarms and their history
  std::size_t sms_days = 400;           // texts and their delivery reports
  std::size_t audit_days = 1095;        // never below 180 (the Cybersecurity Law's six months)
  std::size_t command_days = 400;       // finished hall commands
  std::size_t comm_log_days = 400;      // link up/down records of channels and the marketing feed
  std::filesystem::path archive_dir;    // empty: partitions are dropped without an archive
  std::chrono::seconds interval{3600};  // between housekeeping runs
};

// Active/standby nodes on one database (docs/operations.md, "A standby halld"); no node name:
// this halld is the only one and always active.
struct HaConfig {
  std::string node;     // this node's name, unique among the nodes
  std::string address;  // the URL clients are given for it, e.g. https://10.41.0.11:8443
  std::chrono::seconds failover_delay{10};
};

struct LogConfig {
  std::string level = "info";
  std::filesystem::path file;  // empty: console only
  std::size_t max_file_bytes = 50u << 20;
  std::size_t max_files = 5;
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  std::size_t io_threads = 2;
  std::chrono::seconds shutdown_grace{10};
  HttpConfig http;
  DatabaseConfig database;
  AcquisitionConfig acquisition;
  DtuConfig dtu;
  KpiConfig kpi;
  SmsConfig sms;
  AuthConfig auth;
  MarketingConfig marketing;
  RetentionConfig retention;
  HaConfig ha;
  LogConfig log;
};

// A problem in the configuration; what() is one line fit for an operator.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Config load_config(const std::filesystem::path& file);
Config parse_config(std::string_view text, const std::filesystem::path& source_name);

// What a SIGHUP does with a freshly read file: `next` is the running configuration with the
// reloadable keys taken from `fresh`, and the rest (bound sockets, pool sizes …) left as they
// run, so that `next` always describes the running process.
struct Reload {
  Config next;
  std::vector<std::string> applied;       // keys whose new values take effect now
  std::vector<std::string> need_restart;  // keys that changed but wait for a restart
};
Reload reload_config(const Config& running, const Config& fresh);

bool is_valid_log_level(std::string_view level);

}  // namespace halld
