#pragma once
/// @file
/// The static pod source (upstream pkg/kubelet/config/file.go): reads the
/// Pod manifests of `staticPodPath` (a directory, or one file), gives each
/// pod its node-local identity (name-<node>, UID from content, node name
/// and file, config.* annotations; messages/k8s/manifest.hpp) and hands
/// the complete set to its consumers whenever it changes.
///
/// Re-reads on inotify events (after `settle`, so a burst of writes is read
/// once) and every `check_period` (fileCheckFrequency). Files are read and
/// parsed on the shared I/O thread (at most 1 MiB each); only files whose
/// content changed are parsed again, and an unchanged pod keeps its object
/// (and config.seen). Of two manifests giving the same UID (a uid written
/// in both) the first file wins, as for names. Hidden
/// and editor temp files and subdirectories are skipped; an invalid
/// manifest is logged once per content with file, line and field and
/// skipped (its pod, if it had one, is no longer in the set and stops, as
/// upstream's periodic re-list does); of two manifests naming the same pod
/// the first file (by name) wins. A missing path is an empty set; a path
/// that cannot be listed, or a single-file path that cannot be read or
/// parsed, changes nothing (as upstream: no update on a listing error). A
/// changed manifest that keeps its UID (it names metadata.uid) is published
/// as a changed pod with the same UID.
///
/// Receives: `static_scan_atom` (re-read now; the watch and tests send it),
///   `tick_atom` (periodic re-read, to itself), `manifest_files` (a read's
///   result, from the I/O thread), `static_resync_atom` -> sends the
///   current set to the sender (after the first read), `caf::get_atom` ->
///   `static_pod_set_ptr` (null before the first read).
/// Sends: `static_pod_set_ptr` to every consumer after each change (the
///   first read always); manifest JSON to the pod board.
/// Supervised by: the node supervisor (permanent). A new incarnation reads
///   everything again; unchanged files give the same UIDs, so nothing that
///   runs is disturbed.

#include "actors/clock.hpp"
#include "actors/pods/manifest_watch.hpp"
#include "actors/pods/pod_board.hpp"
#include "actors/volumes/io_thread.hpp"
#include "messages/k8s/manifest.hpp"
#include "messages/pods.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cafelet::actors::pods {

/// Read the manifests again (now).
using static_scan_atom = caf::atom_constant<caf::atom("st_scan")>;
/// The manifest watch saw a change (re-read after the settle delay).
using static_changed_atom = caf::atom_constant<caf::atom("st_changed")>;

/// The files of one read of the manifest path.
struct manifest_files {
  struct file {
    /// Full path.
    std::string path;
    /// Content, if it could be read.
    std::string content;
    /// Why it could not be read (empty: read fine).
    std::string error;
    /// The parsed manifest (only for content that changed since the last
    /// read; parsed on the I/O thread, never on the actor's).
    std::optional<k8s::static_pod_result> parsed;
  };
  /// Files in name order.
  std::vector<file> files;
  /// False if the path does not exist.
  bool exists = true;
  /// The path is one file, not a directory.
  bool single_file = false;
  /// Why the path could not be listed (empty: fine).
  std::string error;
};

/// Largest manifest read (the API server would refuse a larger mirror pod).
inline constexpr size_t max_manifest_bytes = 1 << 20;

/// Lists and reads the manifests under `path` (a directory or a file):
/// regular files only, hidden and editor temp files skipped, at most
/// `max_bytes` per file (larger ones get an error). Blocking.
manifest_files read_manifest_files(const std::string& path,
                                   size_t max_bytes = max_manifest_bytes);

/// What parsing needs besides the files.
struct manifest_parse_context {
  std::string node_name;
  /// config.seen of pods seen for the first time.
  k8s::timestamp now;
  /// Content last parsed, by path: unchanged files are not parsed again.
  std::map<std::string, std::string> known;
  /// First-seen time of the pods already known, by UID: a file whose
  /// content changed but whose UID did not is parsed with it (so the JSON
  /// compares like with like).
  std::map<std::string, k8s::timestamp> seen;
};

/// Parses the files of `r` whose content differs from `ctx.known`.
/// Blocking (CPU); runs on the I/O thread with the read.
void parse_manifest_files(manifest_files& r, const manifest_parse_context& ctx);

/// Settings of the static pod source.
struct static_source_config {
  /// staticPodPath.
  std::string path;
  /// Node name (pod names, UIDs).
  std::string node_name;
  /// fileCheckFrequency (upstream default 20 s).
  std::chrono::milliseconds check_period{20000};
  /// Delay between an inotify event and the re-read.
  std::chrono::milliseconds settle{100};
  /// Watch with inotify (tests may rely on `static_scan_atom` instead).
  bool watch = true;
  /// Receive every changed set (relays).
  std::vector<caf::actor> consumers;
  /// Runs the reads.
  std::shared_ptr<volumes::io_thread> io;
  /// config.seen times.
  wall_clock clock;
  /// Gets the manifest JSON of static pods (may be null).
  std::shared_ptr<pod_board> board;
};

/// What the source knows about one manifest file.
struct manifest_state {
  /// Content last parsed.
  std::string content;
  /// The pod it describes, if valid.
  std::optional<static_pod_entry> pod;
};

/// State of the static pod source.
struct static_source_state {
  static_source_config cfg;
  std::unique_ptr<manifest_watch> watch;
  /// Files by full path, as of the last read.
  std::map<std::string, manifest_state> files;
  /// The current set (null before the first read).
  static_pod_set_ptr current;
  bool read_in_flight = false;
  bool read_again = false;
  bool settle_pending = false;
  /// The path was missing at the last read (logged once).
  bool missing_logged = false;
  /// Duplicate-name warnings of the last read ("file|pod"), logged once.
  std::set<std::string> duplicates;
  static const char* name;
};

/// The static pod source actor.
caf::behavior static_source(caf::stateful_actor<static_source_state>* self,
                            static_source_config cfg);

} // namespace cafelet::actors::pods

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::actors::pods::manifest_files)
