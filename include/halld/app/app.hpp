// app: the halld executable: command-line parsing, wiring of every module, signals, reload.
// Owns: process lifetime and exit codes. Every other module is a library it puts together.
#pragma once

#include <span>
#include <string_view>

namespace halld::app {

// Exit codes, documented in docs/operations.md.
enum ExitCode : int {
  exit_ok = 0,
  exit_failure = 1,          // runtime failure: database unreachable, address in use, …
  exit_usage = 2,            // bad command line or configuration
  exit_schema = 3,           // schema newer than this binary, or older and on_old_schema = "refuse"
  exit_import_rejected = 4,  // the import file had problems; nothing was applied
  exit_lease_lost = 5        // an HA node lost its lease (ha::lease_lost_exit)
};

int main(std::span<const std::string_view> args);

}  // namespace halld::app
