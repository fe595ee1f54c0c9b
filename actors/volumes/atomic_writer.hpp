#pragma once
/// @file
/// Writes the files of configMap, secret, downwardAPI and projected volumes
/// so that a reader never sees a mix of two versions (upstream's kubelet
/// AtomicWriter). Layout of a volume directory `dir`:
///
///   dir/..2024_05_01_12_00_00.123456789/   the current files (hidden)
///   dir/..data -> ..2024_05_01_12_00_00.123456789
///   dir/key    -> ..data/key                one link per top-level entry
///
/// An update writes a fresh timestamped directory, points a `..data_tmp`
/// link at it and renames that link over `..data` (one rename(2)), then
/// adjusts the user-visible links and removes the previous directory.
/// Plain blocking filesystem calls: run from a worker, not inside an actor's
/// message handler. A single writer per directory is assumed.

#include "actors/volumes/payload.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace cafelet::actors::volumes {

/// Name of the link to the current timestamped directory.
inline constexpr std::string_view data_dir_link = "..data";

/// Name of the link that is renamed over `..data`.
inline constexpr std::string_view data_dir_tmp_link = "..data_tmp";

/// Validates a payload path as upstream: not empty, relative, no ".."
/// element, does not start with "..", at most 4096 bytes, no element longer
/// than 255 bytes (and no NUL byte). Fails with `errc::invalid` naming the
/// path.
caf::error validate_path(std::string_view path);

/// Outcome of `write_atomically`.
struct write_result {
  /// False if the payload already matched what `..data` holds.
  bool changed = false;
  /// Name of the timestamped directory `..data` points to afterwards.
  std::string data_dir;
};

/// Writes `files` into `dir` atomically (see the file comment). Nothing is
/// written when the payload equals what `..data` holds (same paths, bytes
/// and modes); missing user-visible links are still created then. Creates
/// `dir` (0755) if missing. Modes are applied exactly (masked to 0777, not
/// subject to the umask). Fails with `errc::invalid` for bad paths,
/// `errc::conflict` for a non-link entry where a user-visible link belongs
/// and `errc::io_error` for filesystem failures; contexts name the path.
caf::expected<write_result>
write_atomically(const std::string& dir, const payload& files,
                 std::chrono::system_clock::time_point now
                 = std::chrono::system_clock::now());

/// Reads the current payload through `dir/..data` (paths, bytes, modes).
/// Fails with `errc::not_found` if `..data` does not exist.
caf::expected<payload> read_current(const std::string& dir);

} // namespace cafelet::actors::volumes
