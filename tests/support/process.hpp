// A child process started by a test (the real halld binary, a tool), stopped by PID.
// Its stdout and stderr go to a file that the test can read.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace halld::testing {

class Process {
 public:
  Process(const std::filesystem::path& program, const std::vector<std::string>& args,
          const std::filesystem::path& output_file);
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const;
  // The exit code, or nullopt if it did not exit in time; a death by signal is 128 + signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path output_file_;
};

// Runs a program to completion; returns its exit code and output.
struct Completed {
  int exit_code;
  std::string output;
};
Completed run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                      std::chrono::seconds timeout = std::chrono::seconds(120));

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& file);

// Polls condition until it holds or timeout passes, and returns its last value. For what a
// server reaches in its own time: a counter after a close, a port file after a start.
[[nodiscard]] bool eventually(const std::function<bool()>& condition,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30),
                              std::chrono::milliseconds poll = std::chrono::milliseconds(20));

}  // namespace halld::testing
