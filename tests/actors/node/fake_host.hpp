#pragma once
// A fake host tree (/proc, /sys, /etc) under a temporary directory, with the
// machine of the real-kubelet transcript (2 CPUs, 24684084Ki memory, a
// 264212084Ki root file system) and a settable file system size.

#include "actors/node/machine_info.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace cafelet::testing {

/// A temporary directory tree that mimics a Linux host.
struct fake_host {
  std::filesystem::path root;
  actors::host_paths paths;
  /// What `paths.statfs` reports (tests may change it); null: failure.
  std::shared_ptr<std::optional<actors::fs_stats>> fs
    = std::make_shared<std::optional<actors::fs_stats>>();

  /// Capacity of the fake root file system (264212084Ki).
  static constexpr int64_t fs_capacity = int64_t{264212084} * 1024;

  explicit fake_host(bool populate = true) {
    std::string tmpl = (std::filesystem::temp_directory_path()
                        / "cafelet-node-XXXXXX")
                         .string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    root = tmpl;
    paths.proc = (root / "proc").string();
    paths.sys = (root / "sys").string();
    paths.etc = (root / "etc").string();
    paths.root_dir = (root / "var/lib/kubelet").string();
    auto fs_ref = fs;
    paths.statfs = [fs_ref](const std::string&) { return *fs_ref; };
    if (populate)
      fill();
  }

  ~fake_host() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

  fake_host(const fake_host&) = delete;
  fake_host& operator=(const fake_host&) = delete;

  /// Writes `content` to `rel` (relative to the tree root).
  void write(const std::string& rel, const std::string& content) {
    auto p = root / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out << content;
  }

  /// Removes `rel`.
  void remove(const std::string& rel) {
    std::error_code ec;
    std::filesystem::remove_all(root / rel, ec);
  }

  /// Sets MemTotal and MemAvailable in kB.
  void meminfo(int64_t total_kb, int64_t available_kb) {
    write("proc/meminfo", "MemTotal:       " + std::to_string(total_kb)
                            + " kB\nMemFree:         1000 kB\nMemAvailable:   "
                            + std::to_string(available_kb) + " kB\n");
  }

  /// Sets the root file system's available bytes (capacity fixed).
  void fs_available(int64_t bytes) {
    actors::fs_stats st;
    st.capacity_bytes = fs_capacity;
    st.available_bytes = bytes;
    st.inodes = 16'000'000;
    st.inodes_free = 15'000'000;
    *fs = st;
  }

  void fill() {
    write("etc/machine-id", "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
    write("etc/os-release",
          "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian "
          "GNU/Linux\"\nVERSION_ID=\"12\"\n");
    write("proc/sys/kernel/random/boot_id",
          "053b4906-0cb6-4d35-905f-53215d1c9c57\n");
    write("proc/sys/kernel/osrelease", "6.18.44-fc-v669\n");
    write("proc/sys/kernel/pid_max", "4194304\n");
    write("proc/sys/kernel/threads-max", "192000\n");
    write("proc/loadavg", "0.10 0.20 0.30 2/500 12345\n");
    write("proc/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
          "eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
    write("sys/devices/system/cpu/online", "0-1\n");
    write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
    write("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
    meminfo(24684084, 20000000);
    fs_available(200'000'000'000);
  }
};

} // namespace cafelet::testing
