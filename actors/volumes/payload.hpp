#pragma once
/// @file
/// The files of a configMap, secret, downwardAPI or projected volume as
/// data, before they are written (see atomic_writer.hpp).

#include <cstdint>
#include <map>
#include <string>

namespace cafelet::actors::volumes {

/// One file of a volume.
struct file_projection {
  /// Contents (bytes).
  std::string data;
  /// Permission bits (e.g. 0644).
  uint32_t mode = 0644;
};

/// Files by relative path ("key", "dir/key").
using payload = std::map<std::string, file_projection>;

} // namespace cafelet::actors::volumes
