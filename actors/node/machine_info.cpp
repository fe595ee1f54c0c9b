#include "actors/node/machine_info.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

namespace cafelet::actors {

namespace {

constexpr size_t max_file_size = 1 << 20;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::string out;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_file_size)
      break;
  }
  if (in.bad())
    return std::nullopt;
  return out;
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  };
  while (!s.empty() && ws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && ws(s.back()))
    s.remove_suffix(1);
  return s;
}

std::optional<int64_t> to_int(std::string_view s) {
  s = trim(s);
  int64_t x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || ptr != s.data() + s.size())
    return std::nullopt;
  return x;
}

/// A trimmed, non-empty file content.
std::optional<std::string> read_value(const std::string& path) {
  auto text = read_file(path);
  if (!text)
    return std::nullopt;
  auto v = trim(*text);
  if (v.empty())
    return std::nullopt;
  return std::string{v};
}

std::optional<int64_t> read_int(const std::string& path) {
  auto text = read_value(path);
  return text ? to_int(*text) : std::nullopt;
}

/// Value of "<key>: <n> kB" in a meminfo text, in bytes.
std::optional<int64_t> meminfo_bytes(std::string_view text,
                                     std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end == std::string_view::npos
                                   ? std::string_view::npos
                                   : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(0, colon) != key)
      continue;
    auto rest = trim(line.substr(colon + 1));
    int64_t factor = 1;
    if (rest.ends_with("kB")) {
      factor = 1024;
      rest = trim(rest.substr(0, rest.size() - 2));
    }
    auto n = to_int(rest);
    if (!n || *n < 0 || *n > std::numeric_limits<int64_t>::max() / factor)
      return std::nullopt;
    return *n * factor;
  }
  return std::nullopt;
}

/// Counts the CPUs of a list like "0-3,5,8-9".
std::optional<int64_t> count_cpu_list(std::string_view list) {
  list = trim(list);
  if (list.empty())
    return std::nullopt;
  int64_t total = 0;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{}
                                           : list.substr(comma + 1);
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      if (!to_int(item))
        return std::nullopt;
      ++total;
      continue;
    }
    auto lo = to_int(item.substr(0, dash));
    auto hi = to_int(item.substr(dash + 1));
    if (!lo || !hi || *hi < *lo)
      return std::nullopt;
    total += *hi - *lo + 1;
  }
  return total;
}

/// A CPU limit from cgroup v1 (cfs quota/period) or v2 (cpu.max), in
/// millicores.
std::optional<int64_t> cgroup_cpu_limit_millis(const std::string& sys) {
  auto from = [](std::optional<int64_t> quota,
                 std::optional<int64_t> period) -> std::optional<int64_t> {
    if (!quota || !period || *quota <= 0 || *period <= 0)
      return std::nullopt;
    return (*quota * 1000 + *period - 1) / *period;
  };
  for (auto dir : {"/fs/cgroup/cpu", "/fs/cgroup/cpu,cpuacct"}) {
    auto base = sys + dir;
    if (auto x = from(read_int(base + "/cpu.cfs_quota_us"),
                      read_int(base + "/cpu.cfs_period_us")))
      return x;
  }
  if (auto v2 = read_value(sys + "/fs/cgroup/cpu.max")) {
    auto space = v2->find(' ');
    if (space != std::string::npos)
      return from(to_int(std::string_view{*v2}.substr(0, space)),
                  to_int(std::string_view{*v2}.substr(space + 1)));
  }
  return std::nullopt;
}

/// A memory limit from cgroup v1 or v2, in bytes ("max" and the v1
/// "unlimited" page-rounded INT64_MAX are no limit).
std::optional<int64_t> cgroup_memory_limit(const std::string& sys) {
  for (auto file : {"/fs/cgroup/memory/memory.limit_in_bytes",
                    "/fs/cgroup/memory.max"})
    if (auto x = read_int(sys + file); x && *x > 0
                                       && *x < (int64_t{1} << 62))
      return x;
  return std::nullopt;
}

std::optional<std::string> os_release_pretty_name(const std::string& text) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    auto v = trim(line);
    if (!v.starts_with("PRETTY_NAME="))
      continue;
    v.remove_prefix(12);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')
        && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    if (!v.empty())
      return std::string{v};
  }
  return std::nullopt;
}

std::optional<fs_stats> real_statfs(const std::string& path) {
  std::string p = path.empty() ? std::string{"/"} : path;
  for (;;) {
    struct statvfs st;
    if (::statvfs(p.c_str(), &st) == 0) {
      fs_stats out;
      auto frsize = static_cast<int64_t>(st.f_frsize);
      out.capacity_bytes = static_cast<int64_t>(st.f_blocks) * frsize;
      out.available_bytes = static_cast<int64_t>(st.f_bavail) * frsize;
      out.inodes = static_cast<int64_t>(st.f_files);
      out.inodes_free = static_cast<int64_t>(st.f_favail);
      return out;
    }
    if (errno != ENOENT || p == "/")
      return std::nullopt;
    // The root directory may not exist yet: use its nearest parent.
    auto slash = p.find_last_of('/');
    p = (slash == 0 || slash == std::string::npos) ? "/" : p.substr(0, slash);
  }
}

std::optional<fs_stats> stat_fs(const host_paths& paths) {
  return paths.statfs ? paths.statfs(paths.root_dir)
                      : real_statfs(paths.root_dir);
}

std::optional<int64_t> usable_pid_max(const std::string& proc) {
  auto pid_max = read_int(proc + "/sys/kernel/pid_max");
  auto threads = read_int(proc + "/sys/kernel/threads-max");
  if (pid_max && threads && *threads > 0)
    return std::min(*pid_max, *threads);
  return pid_max;
}

std::vector<hugepage_size> read_hugepages(const std::string& sys) {
  std::vector<hugepage_size> out;
  auto dir = sys + "/kernel/mm/hugepages";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return out;
  while (auto* e = ::readdir(d)) {
    std::string_view name{e->d_name};
    if (!name.starts_with("hugepages-") || !name.ends_with("kB"))
      continue;
    auto kb = to_int(name.substr(10, name.size() - 12));
    if (!kb || *kb <= 0)
      continue;
    hugepage_size h;
    h.page_bytes = *kb * 1024;
    h.pages = read_int(dir + "/" + std::string{name} + "/nr_hugepages")
                .value_or(0);
    // Binary suffix of the page size, as upstream names the resource.
    static constexpr const char* suffixes[] = {"Ki", "Mi", "Gi", "Ti"};
    int64_t v = *kb;
    size_t i = 0;
    while (i + 1 < std::size(suffixes) && v % 1024 == 0) {
      v /= 1024;
      ++i;
    }
    h.resource = "hugepages-" + std::to_string(v) + suffixes[i];
    out.push_back(std::move(h));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.page_bytes < b.page_bytes;
  });
  return out;
}

} // namespace

std::string_view go_architecture() noexcept {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

machine_info read_machine_info(const host_paths& paths) {
  machine_info m;
  auto warn = [&m](std::string what) { m.warnings.push_back(std::move(what)); };
  if (auto id = read_value(paths.etc + "/machine-id"))
    m.machine_id = *id;
  else
    warn("cannot read " + paths.etc + "/machine-id; machineID left empty");
  if (auto uuid = read_value(paths.sys + "/class/dmi/id/product_uuid"))
    m.system_uuid = *uuid;
  else
    m.system_uuid = m.machine_id; // upstream's fallback without DMI
  if (auto id = read_value(paths.proc + "/sys/kernel/random/boot_id"))
    m.boot_id = *id;
  else
    warn("cannot read " + paths.proc
         + "/sys/kernel/random/boot_id; bootID left empty");
  if (auto rel = read_value(paths.proc + "/sys/kernel/osrelease")) {
    m.kernel_version = *rel;
  } else {
    struct utsname u;
    if (::uname(&u) == 0)
      m.kernel_version = u.release;
    else
      warn("cannot determine the kernel release");
  }
  auto os_release = read_file(paths.etc + "/os-release");
  std::optional<std::string> pretty;
  if (os_release)
    pretty = os_release_pretty_name(*os_release);
  if (pretty)
    m.os_image = *pretty;
  else
    warn("no PRETTY_NAME in " + paths.etc + "/os-release; osImage is Linux");
  m.architecture = std::string{go_architecture()};
  // CPUs.
  std::optional<int64_t> cpus;
  if (auto online = read_file(paths.sys + "/devices/system/cpu/online"))
    cpus = count_cpu_list(*online);
  if (!cpus) {
    auto hw = static_cast<int64_t>(std::thread::hardware_concurrency());
    cpus = hw > 0 ? hw : 1;
    warn("cannot read " + paths.sys + "/devices/system/cpu/online; using "
         + std::to_string(*cpus) + " CPUs");
  }
  m.cpu_millis = *cpus * 1000;
  if (auto limit = cgroup_cpu_limit_millis(paths.sys))
    m.cpu_millis = std::min(m.cpu_millis, *limit);
  // Memory.
  auto meminfo = read_file(paths.proc + "/meminfo");
  if (auto total = meminfo ? meminfo_bytes(*meminfo, "MemTotal")
                           : std::nullopt)
    m.memory_bytes = *total;
  else
    warn("cannot read MemTotal from " + paths.proc + "/meminfo; memory "
         "capacity is 0");
  if (auto limit = cgroup_memory_limit(paths.sys);
      limit && (m.memory_bytes == 0 || *limit < m.memory_bytes))
    m.memory_bytes = *limit;
  // Storage.
  if (auto fs = stat_fs(paths))
    m.ephemeral_storage_bytes = fs->capacity_bytes;
  else
    warn("cannot stat the file system of " + paths.root_dir
         + "; no ephemeral-storage capacity");
  m.hugepages = read_hugepages(paths.sys);
  if (auto pids = usable_pid_max(paths.proc)) {
    m.pid_max = *pids;
  } else {
    m.pid_max = 32768;
    warn("cannot read " + paths.proc + "/sys/kernel/pid_max; assuming 32768");
  }
  return m;
}

std::optional<double> pressure_sample::nodefs_available_ratio() const {
  if (!nodefs || nodefs->capacity_bytes <= 0)
    return std::nullopt;
  return static_cast<double>(nodefs->available_bytes)
         / static_cast<double>(nodefs->capacity_bytes);
}

pressure_sample read_pressure_sample(const host_paths& paths) {
  pressure_sample s;
  if (auto meminfo = read_file(paths.proc + "/meminfo"))
    s.memory_available = meminfo_bytes(*meminfo, "MemAvailable");
  if (!s.memory_available)
    s.warnings.push_back("cannot read MemAvailable from " + paths.proc
                         + "/meminfo");
  s.nodefs = stat_fs(paths);
  if (!s.nodefs)
    s.warnings.push_back("cannot stat the file system of " + paths.root_dir);
  // /proc/loadavg: "0.00 0.01 0.05 1/123 4567"; 123 is the task count.
  if (auto loadavg = read_value(paths.proc + "/loadavg")) {
    std::istringstream in{*loadavg};
    std::string a, b, c, tasks;
    in >> a >> b >> c >> tasks;
    auto slash = tasks.find('/');
    if (slash != std::string::npos)
      s.processes = to_int(std::string_view{tasks}.substr(slash + 1));
  }
  if (!s.processes)
    s.warnings.push_back("cannot read the task count from " + paths.proc
                         + "/loadavg");
  s.pid_max = usable_pid_max(paths.proc);
  if (!s.pid_max)
    s.warnings.push_back("cannot read " + paths.proc + "/sys/kernel/pid_max");
  return s;
}

// -- node IP detection --------------------------------------------------------

std::string default_route_interface(const host_paths& paths) {
  auto text = read_file(paths.proc + "/net/route");
  if (!text)
    return {};
  std::istringstream in{*text};
  std::string line;
  std::getline(in, line); // header
  std::string best;
  int64_t best_metric = std::numeric_limits<int64_t>::max();
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> iface >> dest >> gateway >> flags >> refcnt >> use
          >> metric >> mask))
      continue;
    if (dest != "00000000" || mask != "00000000")
      continue;
    auto f = std::strtol(flags.c_str(), nullptr, 16);
    if ((f & 0x1) == 0) // RTF_UP
      continue;
    auto m = to_int(metric).value_or(0);
    if (m < best_metric) {
      best_metric = m;
      best = iface;
    }
  }
  return best;
}

namespace {

bool usable_ipv4(std::string_view text) {
  in_addr a{};
  std::string s{text};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1)
    return false;
  auto host = ntohl(a.s_addr);
  return (host >> 24) != 127 && host != 0 // loopback, unspecified
         && (host >> 16) != 0xA9FE;       // 169.254/16 link-local
}

} // namespace

std::string choose_node_ip(std::string_view route_interface,
                           const std::vector<interface_address>& addrs,
                           const std::vector<std::string>& hostname_addrs) {
  if (!route_interface.empty())
    for (const auto& a : addrs)
      if (a.interface == route_interface && usable_ipv4(a.address))
        return a.address;
  for (const auto& a : hostname_addrs)
    if (usable_ipv4(a))
      return a;
  return {};
}

std::vector<interface_address> host_interface_addresses() {
  std::vector<interface_address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return out;
  for (auto* p = list; p != nullptr; p = p->ifa_next) {
    if (p->ifa_addr == nullptr || p->ifa_addr->sa_family != AF_INET
        || (p->ifa_flags & IFF_UP) == 0)
      continue;
    char buf[INET_ADDRSTRLEN] = {};
    auto* sin = reinterpret_cast<sockaddr_in*>(p->ifa_addr);
    if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) != nullptr)
      out.push_back({p->ifa_name, buf});
  }
  ::freeifaddrs(list);
  return out;
}

std::vector<std::string> resolve_ipv4(const std::string& hostname) {
  std::vector<std::string> out;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (hostname.empty()
      || ::getaddrinfo(hostname.c_str(), nullptr, &hints, &res) != 0)
    return out;
  for (auto* p = res; p != nullptr; p = p->ai_next) {
    char buf[INET_ADDRSTRLEN] = {};
    auto* sin = reinterpret_cast<sockaddr_in*>(p->ai_addr);
    if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) != nullptr
        && std::find(out.begin(), out.end(), buf) == out.end())
      out.emplace_back(buf);
  }
  ::freeaddrinfo(res);
  return out;
}

std::string detect_node_ip(const host_paths& paths, const std::string& hostname,
                           std::vector<std::string>& warnings,
                           const resolve_fn& resolve) {
  auto iface = default_route_interface(paths);
  auto ip = choose_node_ip(iface, host_interface_addresses(), {});
  if (ip.empty())
    ip = choose_node_ip({}, {},
                        resolve ? resolve(hostname) : resolve_ipv4(hostname));
  if (ip.empty())
    warnings.push_back("cannot detect the node IP (no address on the default "
                       "route interface, hostname \""
                       + hostname + "\" does not resolve); set --node-ip");
  return ip;
}

} // namespace cafelet::actors
