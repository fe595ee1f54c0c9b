// Machine facts, pressure samples and node IP detection from fake host trees.
#include "actors/node/machine_info.hpp"
#include "tests/actors/node/fake_host.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace cafelet;
using namespace cafelet::actors;
using cafelet::testing::fake_host;

namespace {

bool mentions(const std::vector<std::string>& warnings, std::string_view what) {
  return std::any_of(warnings.begin(), warnings.end(), [&](const auto& w) {
    return w.find(what) != std::string::npos;
  });
}

} // namespace

TEST_CASE("machine info is read from the host tree") {
  fake_host h;
  auto m = read_machine_info(h.paths);
  CHECK(m.machine_id == "3d1219c7c4c5404aaa1f6d2a48adfda4");
  CHECK(m.system_uuid == m.machine_id); // no DMI: upstream's fallback
  CHECK(m.boot_id == "053b4906-0cb6-4d35-905f-53215d1c9c57");
  CHECK(m.kernel_version == "6.18.44-fc-v669");
  CHECK(m.os_image == "Debian GNU/Linux 12 (bookworm)");
  CHECK(m.operating_system == "linux");
  CHECK(m.architecture == std::string{go_architecture()});
  CHECK(m.cpu_millis == 2000);
  CHECK(m.memory_bytes == int64_t{24684084} * 1024);
  CHECK(m.ephemeral_storage_bytes == fake_host::fs_capacity);
  REQUIRE(m.hugepages.size() == 2);
  CHECK(m.hugepages[0].resource == "hugepages-2Mi");
  CHECK(m.hugepages[0].page_bytes == 2 * 1024 * 1024);
  CHECK(m.hugepages[0].pages == 0);
  CHECK(m.hugepages[1].resource == "hugepages-1Gi");
  CHECK(m.pid_max == 192000); // min(pid_max, threads-max)
  CHECK(m.warnings.empty());
}

TEST_CASE("the DMI product UUID is the system UUID when readable") {
  fake_host h;
  h.write("sys/class/dmi/id/product_uuid", "8a1b2c3d-4e5f-6789-abcd-ef0123456789\n");
  CHECK(read_machine_info(h.paths).system_uuid
        == "8a1b2c3d-4e5f-6789-abcd-ef0123456789");
}

TEST_CASE("CPU count honours the online list and cgroup quotas") {
  fake_host h;
  h.write("sys/devices/system/cpu/online", "0-3,6,8-9\n");
  CHECK(read_machine_info(h.paths).cpu_millis == 7000);
  SUBCASE("cgroup v1 quota") {
    h.write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "150000\n");
    h.write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    CHECK(read_machine_info(h.paths).cpu_millis == 1500);
  }
  SUBCASE("cgroup v1 without quota") {
    h.write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
    h.write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    CHECK(read_machine_info(h.paths).cpu_millis == 7000);
  }
  SUBCASE("cgroup v2 cpu.max") {
    h.write("sys/fs/cgroup/cpu.max", "200000 100000\n");
    CHECK(read_machine_info(h.paths).cpu_millis == 2000);
    h.write("sys/fs/cgroup/cpu.max", "max 100000\n");
    CHECK(read_machine_info(h.paths).cpu_millis == 7000);
  }
  SUBCASE("a quota above the CPU count changes nothing") {
    h.write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "1600000\n");
    h.write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    CHECK(read_machine_info(h.paths).cpu_millis == 7000);
  }
}

TEST_CASE("a lower cgroup memory limit caps the memory capacity") {
  fake_host h;
  h.write("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
  CHECK(read_machine_info(h.paths).memory_bytes == int64_t{24684084} * 1024);
  h.write("sys/fs/cgroup/memory/memory.limit_in_bytes", "4294967296\n");
  CHECK(read_machine_info(h.paths).memory_bytes == 4294967296);
}

TEST_CASE("configured huge pages are counted") {
  fake_host h;
  h.write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  auto m = read_machine_info(h.paths);
  REQUIRE(m.hugepages.size() == 2);
  CHECK(m.hugepages[0].pages == 512);
  h.remove("sys/kernel/mm/hugepages");
  CHECK(read_machine_info(h.paths).hugepages.empty());
}

TEST_CASE("missing files give fallbacks and warnings, never a crash") {
  fake_host h{false};
  *h.fs = std::nullopt;
  auto m = read_machine_info(h.paths);
  CHECK(m.machine_id.empty());
  CHECK(m.system_uuid.empty());
  CHECK(m.os_image == "Linux");
  CHECK(!m.kernel_version.empty()); // uname(2)
  CHECK(m.cpu_millis >= 1000);
  CHECK(m.memory_bytes == 0);
  CHECK(m.ephemeral_storage_bytes == 0);
  CHECK(m.pid_max == 32768);
  CHECK(mentions(m.warnings, "machine-id"));
  CHECK(mentions(m.warnings, "os-release"));
  CHECK(mentions(m.warnings, "meminfo"));
  CHECK(mentions(m.warnings, "pid_max"));
  auto s = read_pressure_sample(h.paths);
  CHECK(!s.memory_available);
  CHECK(!s.nodefs);
  CHECK(!s.processes);
  CHECK(!s.nodefs_available_ratio());
  CHECK(s.warnings.size() == 4);
}

TEST_CASE("garbage in files is treated as missing") {
  fake_host h;
  h.write("proc/meminfo", "MemTotal: lots kB\n");
  h.write("sys/devices/system/cpu/online", "zero-one\n");
  h.write("proc/loadavg", "garbage\n");
  auto m = read_machine_info(h.paths);
  CHECK(m.memory_bytes == 0);
  CHECK(m.cpu_millis >= 1000);
  CHECK(mentions(m.warnings, "online"));
  auto s = read_pressure_sample(h.paths);
  CHECK(!s.memory_available);
  CHECK(!s.processes);
}

TEST_CASE("a pressure sample reads memory, file system and tasks") {
  fake_host h;
  h.meminfo(24684084, 102400);
  h.fs_available(fake_host::fs_capacity / 4);
  auto s = read_pressure_sample(h.paths);
  CHECK(s.memory_available == int64_t{102400} * 1024);
  REQUIRE(s.nodefs);
  CHECK(s.nodefs->capacity_bytes == fake_host::fs_capacity);
  CHECK(*s.nodefs_available_ratio() == doctest::Approx(0.25));
  CHECK(s.processes == 500);
  CHECK(s.pid_max == 192000);
  CHECK(s.warnings.empty());
}

TEST_CASE("the real statvfs is used without an override and walks up to an existing parent") {
  fake_host h;
  h.paths.statfs = nullptr;
  h.paths.root_dir = (h.root / "does/not/exist/yet").string();
  auto m = read_machine_info(h.paths);
  CHECK(m.ephemeral_storage_bytes > 0);
  CHECK(read_pressure_sample(h.paths).nodefs.has_value());
}

TEST_CASE("the real host can be read") {
  auto m = read_machine_info(host_paths{});
  CHECK(m.cpu_millis >= 1000);
  CHECK(m.memory_bytes > 0);
  CHECK(!m.kernel_version.empty());
  CHECK(m.architecture != "unknown");
  CHECK(m.pid_max > 0);
}

TEST_CASE("the default route interface has the lowest metric") {
  fake_host h;
  CHECK(default_route_interface(h.paths) == "eth0");
  h.write("proc/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "wlan0\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
          "eth1\t00000000\t010200C0\t0003\t0\t0\t50\t00000000\t0\t0\t0\n"
          "down0\t00000000\t010200C0\t0002\t0\t0\t1\t00000000\t0\t0\t0\n");
  CHECK(default_route_interface(h.paths) == "eth1");
  h.write("proc/net/route", "Iface\tDestination\n");
  CHECK(default_route_interface(h.paths).empty());
  h.remove("proc/net/route");
  CHECK(default_route_interface(h.paths).empty());
}

TEST_CASE("the node IP is the default route interface's first usable IPv4") {
  std::vector<interface_address> addrs = {
    {"lo", "127.0.0.1"},
    {"eth0", "169.254.3.4"},
    {"eth0", "192.0.2.2"},
    {"eth0", "192.0.2.3"},
    {"eth1", "10.0.0.5"},
  };
  CHECK(choose_node_ip("eth0", addrs, {}) == "192.0.2.2");
  CHECK(choose_node_ip("eth1", addrs, {"198.51.100.7"}) == "10.0.0.5");
  // No default route: the hostname's address, loopback skipped.
  CHECK(choose_node_ip("", addrs, {"127.0.1.1", "198.51.100.7"})
        == "198.51.100.7");
  CHECK(choose_node_ip("lo", addrs, {"127.0.1.1"}).empty());
  CHECK(choose_node_ip("eth9", {}, {"not-an-ip"}).empty());
}

TEST_CASE("without a default route the node IP is the hostname's address") {
  fake_host h;
  h.remove("proc/net/route");
  std::vector<std::string> warnings;
  std::string asked;
  auto ip = detect_node_ip(h.paths, "edge-1", warnings,
                           [&](const std::string& name) {
                             asked = name;
                             return std::vector<std::string>{"127.0.1.1",
                                                             "198.51.100.7"};
                           });
  CHECK(asked == "edge-1");
  CHECK(ip == "198.51.100.7");
  CHECK(warnings.empty());
  ip = detect_node_ip(h.paths, "edge-1", warnings, [](const std::string&) {
    return std::vector<std::string>{};
  });
  CHECK(ip.empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("--node-ip") != std::string::npos);
}

TEST_CASE("resolving localhost yields loopback only, which is never chosen") {
  auto addrs = resolve_ipv4("localhost");
  for (const auto& a : addrs)
    CHECK(a.rfind("127.", 0) == 0);
  CHECK(choose_node_ip("", {}, addrs).empty());
  CHECK(resolve_ipv4("").empty());
}
