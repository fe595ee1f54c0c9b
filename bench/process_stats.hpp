#pragma once
/// @file
/// Measurements of the benchmark process itself, shared by the benchmarks.

#include <unistd.h>

#include <fstream>

namespace cafelet::bench {

/// Resident set size in bytes (from /proc/self/statm).
inline long long rss_bytes() {
  std::ifstream in{"/proc/self/statm"};
  long long size = 0;
  long long resident = 0;
  in >> size >> resident;
  return resident * static_cast<long long>(sysconf(_SC_PAGESIZE));
}

} // namespace cafelet::bench
