#pragma once
/// @file
/// The actor directory: a thread-safe picture of the supervision tree that
/// supervisors keep current and that the HTTP endpoints read (/healthz,
/// /metrics, /debug/actors) without sending a message to any actor.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cafelet::actors {

/// Lifecycle state of a directory entry.
enum class entry_state : uint8_t {
  /// An incarnation runs.
  running,
  /// The last incarnation ended; a restart is scheduled.
  restarting,
  /// The restart budget is spent, or the child ended and is not restarted.
  failed,
};

/// Returns "running", "restarting" or "failed".
const char* to_string(entry_state x);

/// One supervised actor (or supervisor) as seen from outside.
struct directory_entry {
  /// Slash-separated path from the root, e.g. "root/node/lease".
  std::string path;
  std::string kind;
  std::string name;
  uint64_t actor_id = 0;
  uint32_t restarts = 0;
  entry_state state = entry_state::running;
  std::string last_exit;
  /// When the current incarnation started (steady clock).
  std::chrono::steady_clock::time_point started;
};

/// Thread-safe registry of the supervision tree plus the counters the
/// metrics endpoint exports. Keys are paths, stable across restarts.
class actor_directory {
public:
  using clock = std::chrono::steady_clock;

  /// Records that `path` (kind, name) started a new incarnation `actor_id`.
  void started(const std::string& path, const std::string& kind,
               const std::string& name, uint64_t actor_id);

  /// Records that the incarnation at `path` ended; `restarting` tells
  /// whether the supervisor will restart it.
  void ended(const std::string& path, const std::string& exit_reason,
             bool restarting);

  /// Counts one restart of `path` (called when the new incarnation starts).
  void count_restart(const std::string& path);

  /// Removes `path` and everything below it (a child stopped for good).
  void remove(const std::string& path);

  /// Removes everything below `path` but keeps `path` itself (a supervisor
  /// ended: its children ended with it).
  void remove_below(const std::string& path);

  /// Records a mailbox depth observed by an actor of `kind`.
  void note_mailbox(const std::string& kind, size_t depth);

  /// Records that the scheduler is alive (called by a periodic actor).
  void heartbeat();

  /// Snapshot of all entries, ordered by path.
  std::vector<directory_entry> entries() const;

  /// Restarts by kind since start.
  std::map<std::string, uint64_t> restarts_by_kind() const;

  /// Running actors by kind.
  std::map<std::string, uint64_t> live_by_kind() const;

  /// Highest mailbox depth observed, by kind.
  std::map<std::string, uint64_t> mailbox_high_water() const;

  /// Healthy while the root runs, no entry has failed, and the last
  /// heartbeat is younger than `max_silence` (if any heartbeat was seen).
  /// On false, `reason` says why.
  bool healthy(std::chrono::milliseconds max_silence, std::string* reason) const;

  /// Renders the tree as JSON for /debug/actors.
  std::string to_json() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, directory_entry> entries_;
  std::map<std::string, uint64_t> restarts_by_kind_;
  std::map<std::string, uint64_t> mailbox_hwm_;
  clock::time_point last_heartbeat_{};
};

} // namespace cafelet::actors
