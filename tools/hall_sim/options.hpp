// hall_sim's command line: what it simulates, how fast, where it connects, and each hall's own
// part of that (site, seed, port, DTU identity).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "halld/records/events.hpp"
#include "schedule.hpp"
#include "terminal_model.hpp"

namespace hall_sim {

namespace tools = halld::tools;
namespace records = halld::records;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // the first hall's; hall i listens on port + i (0: any free port)
  std::vector<std::string> sites;  // one simulated hall (or server) each
  std::uint32_t source = 1;
  std::uint64_t events = 3000;  // per hall
  double rate = 500;            // per hall
  double speed = 0;             // 0: pace by --rate
  double arrivals_per_hour = 90;
  int windows = 4;
  int staffed = 0;         // windows open at opening time (0: all); the rest on command
  int queue_at_start = 0;  // customers at the door at the first opening
  tools::OpeningHours hours;
  std::vector<tools::TerminalSpec> terminals;  // a terminal-management server for these terminals
  std::uint64_t seed = 1;                      // hall i uses seed + i
  std::uint64_t cut_after = 0;
  std::optional<std::pair<int, int>> backlog_hours;  // --backlog-hours A-B
  std::string port_file, stats_file;
  // Each write of data frames as a line "<CLOCK_MONOTONIC ns> <bytes> <site>", for latency
  // benchmarks.
  std::string write_log;
  // A protocol description (docs/protocols/adapters.md): speak it instead of halld's own.
  std::string protocol_file;
  bool exit_when_acked = false;
  std::optional<records::Timestamp> start;  // of the simulated clock; default: now
  // DTU mode: dial halld instead of listening, register, and send heartbeat packets while idle.
  std::string dtu_host;
  std::uint16_t dtu_port = 0;
  std::string identity;  // hall i's DTU has identity + i when it is a number
  std::string registration_template = "{id}", heartbeat_template;
  std::chrono::milliseconds dtu_heartbeat_interval{30000};
  // The marketing system's WebService beside the halls (tools/marketing_sim): its applications
  // are made from these halls' tickets. Port 0: any free port, written to the port file.
  std::optional<std::uint16_t> marketing_port;
  std::string marketing_port_file;
  std::string marketing_archive;                   // a halld import document: the archive it keeps
  std::string marketing_city = "4101";             // the halls' city without an archive
  std::string marketing_user, marketing_password;  // set: a username token is required
  bool marketing_gbk = false;
  // Serial mode: the far end of a pseudo-terminal; with bus addresses, the keypads on a bus.
  bool serial = false;
  std::vector<std::uint32_t> bus_addresses;
};

// One simulated hall's own part of the options.
struct HallSetup {
  std::string site;
  std::uint64_t seed = 1;
  std::uint16_t port = 0;
  std::string registration, dtu_heartbeat;  // expanded DTU packets
};

// The options of a command line; nullopt when it cannot be used (the caller prints the usage).
std::optional<Options> parse(int argc, char** argv);
// Hall i's setup; nullopt when its DTU packet templates cannot be expanded.
std::optional<HallSetup> hall_setup(const Options& options, std::size_t i);

}  // namespace hall_sim
