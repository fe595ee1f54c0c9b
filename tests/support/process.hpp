#pragma once
// Runs a child process for tests: argv, captured stderr+stdout, signals,
// bounded waits.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace cafelet::testing {

/// A child process whose output goes to a temporary file.
class child_process {
public:
  /// Starts `argv[0]` with `argv`; check `pid() > 0`.
  explicit child_process(const std::vector<std::string>& argv);

  /// Kills (SIGKILL) and reaps the child if it still runs.
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const {
    return pid_;
  }

  /// Sends `sig` to the child.
  void signal(int sig);

  /// Waits up to `limit` for the child to exit; returns its exit code
  /// (128 + signal number if killed), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);

  /// Everything the child printed so far.
  std::string output() const;

private:
  pid_t pid_ = -1;
  std::string out_path_;
  std::optional<int> exit_code_;
};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

/// Calls `pred` every 20 ms until it returns true or `limit` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit
                           = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    struct timespec ts{0, 20 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return true;
}

} // namespace cafelet::testing
