#pragma once
/// @file
/// What the node reports about its machine: identity (machine id, system
/// UUID, boot id, kernel, OS image, architecture), capacity (CPUs, memory,
/// ephemeral storage of the root directory, huge pages, pid_max) and, each
/// status period, a `pressure_sample` of what is left. All files are read
/// below injectable roots (`host_paths`) so tests use fake directory trees;
/// a missing or unreadable file gives a fallback plus a warning, never an
/// error. Reads are small files under /proc, /sys and /etc (no blocking
/// I/O beyond that).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::actors {

/// Sizes of one file system, as statvfs reports them.
struct fs_stats {
  /// Total bytes (f_blocks * f_frsize).
  int64_t capacity_bytes = 0;
  /// Bytes available to unprivileged users (f_bavail * f_frsize).
  int64_t available_bytes = 0;
  /// Total inodes (f_files).
  int64_t inodes = 0;
  /// Inodes available to unprivileged users (f_favail).
  int64_t inodes_free = 0;
};

/// Reads the sizes of the file system holding a path; nullopt on failure.
using statfs_fn = std::function<std::optional<fs_stats>(const std::string&)>;

/// Where the host's files are (roots of the real or a fake tree).
struct host_paths {
  /// procfs root.
  std::string proc = "/proc";
  /// sysfs root.
  std::string sys = "/sys";
  /// /etc (machine-id, os-release).
  std::string etc = "/etc";
  /// The kubelet root directory (--root-dir) whose file system backs
  /// ephemeral storage.
  std::string root_dir = "/var/lib/kubelet";
  /// Replaces statvfs(2) (tests); null: the real statvfs, falling back to
  /// the nearest existing parent directory if `root_dir` does not exist.
  statfs_fn statfs;
};

/// One huge page size the kernel supports.
struct hugepage_size {
  /// Resource name, e.g. "hugepages-2Mi".
  std::string resource;
  /// Page size in bytes.
  int64_t page_bytes = 0;
  /// Pages configured (nr_hugepages).
  int64_t pages = 0;
};

/// Static facts about the machine, read once at start.
struct machine_info {
  /// /etc/machine-id.
  std::string machine_id;
  /// DMI product_uuid, else the machine id.
  std::string system_uuid;
  /// /proc/sys/kernel/random/boot_id.
  std::string boot_id;
  /// Kernel release (uname -r).
  std::string kernel_version;
  /// PRETTY_NAME of os-release, else "Linux".
  std::string os_image = "Linux";
  /// Always "linux".
  std::string operating_system = "linux";
  /// Go's GOARCH of this build: "amd64", "arm64", ...
  std::string architecture;
  /// CPU capacity in millicores: online CPUs, lowered by a cgroup CPU quota.
  int64_t cpu_millis = 0;
  /// Memory capacity in bytes: MemTotal, lowered by a cgroup memory limit.
  int64_t memory_bytes = 0;
  /// Capacity of the file system of `root_dir` in bytes (0: unknown).
  int64_t ephemeral_storage_bytes = 0;
  /// Huge page sizes the kernel supports (none if it has no support).
  std::vector<hugepage_size> hugepages;
  /// Largest usable PID count: min(pid_max, threads-max).
  int64_t pid_max = 0;
  /// What could not be read and which fallback was used.
  std::vector<std::string> warnings;
};

/// Reads the machine facts below `paths`.
machine_info read_machine_info(const host_paths& paths);

/// What is left of the node's resources right now (each field empty when
/// it could not be read).
struct pressure_sample {
  /// MemAvailable in bytes.
  std::optional<int64_t> memory_available;
  /// Sizes of the root directory's file system.
  std::optional<fs_stats> nodefs;
  /// Tasks (processes and threads) on the host.
  std::optional<int64_t> processes;
  /// min(pid_max, threads-max).
  std::optional<int64_t> pid_max;
  /// What could not be read.
  std::vector<std::string> warnings;

  /// Available fraction of the root file system in [0, 1], if known.
  std::optional<double> nodefs_available_ratio() const;
};

/// Reads a pressure sample below `paths`.
pressure_sample read_pressure_sample(const host_paths& paths);

/// Go's GOARCH for the architecture this binary was built for.
std::string_view go_architecture() noexcept;

// -- node IP detection --------------------------------------------------------

/// One IPv4 address of a network interface.
struct interface_address {
  /// Interface name, e.g. "eth0".
  std::string interface;
  /// Dotted-quad address.
  std::string address;
};

/// The interface of the default IPv4 route with the lowest metric per
/// `<proc>/net/route`; empty if there is none.
std::string default_route_interface(const host_paths& paths);

/// Picks the node's primary IPv4: the first non-loopback address of
/// `route_interface` in `addrs`, else the first non-loopback address of
/// `hostname_addrs`; empty if none qualifies.
std::string choose_node_ip(std::string_view route_interface,
                           const std::vector<interface_address>& addrs,
                           const std::vector<std::string>& hostname_addrs);

/// The IPv4 addresses of this host's interfaces (getifaddrs).
std::vector<interface_address> host_interface_addresses();

/// The IPv4 addresses `hostname` resolves to (getaddrinfo; consults
/// /etc/hosts and DNS, so call it once at start only).
std::vector<std::string> resolve_ipv4(const std::string& hostname);

/// Resolves a hostname to IPv4 addresses.
using resolve_fn = std::function<std::vector<std::string>(const std::string&)>;

/// Detects the node IP: default-route interface first, then the hostname's
/// address (via `resolve`; null: `resolve_ipv4`). Returns empty and appends
/// a warning to `warnings` if neither yields a non-loopback IPv4.
std::string detect_node_ip(const host_paths& paths, const std::string& hostname,
                           std::vector<std::string>& warnings,
                           const resolve_fn& resolve = nullptr);

} // namespace cafelet::actors
