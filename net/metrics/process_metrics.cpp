#include "net/metrics/process_metrics.hpp"

#include "messages/errors.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace cafelet::net::metrics {

namespace {

caf::expected<std::string> slurp(const char* path) {
  std::ifstream in{path};
  if (!in)
    return make_error(errc::io_error, std::string{"cannot read "} + path);
  return std::string{std::istreambuf_iterator<char>{in},
                     std::istreambuf_iterator<char>{}};
}

/// Reads "btime" (boot time, seconds since the epoch) from /proc/stat.
caf::expected<double> boot_time() {
  auto text = slurp("/proc/stat");
  if (!text)
    return std::move(text.error());
  std::istringstream lines{*text};
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with("btime "))
      return std::stod(line.substr(6));
  return make_error(errc::io_error, "no btime in /proc/stat");
}

caf::expected<double> count_open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator i{"/proc/self/fd", ec}, end;
       !ec && i != end; i.increment(ec))
    ++n;
  if (ec)
    return make_error(errc::io_error, "cannot list /proc/self/fd");
  return n;
}

} // namespace

caf::expected<process_stats> read_process_stats() {
  auto stat = slurp("/proc/self/stat");
  if (!stat)
    return std::move(stat.error());
  // The command name (field 2) is in parentheses and may contain anything.
  auto close = stat->rfind(')');
  if (close == std::string::npos)
    return make_error(errc::io_error, "malformed /proc/self/stat");
  std::istringstream fields{stat->substr(close + 1)};
  std::vector<std::string> f{std::istream_iterator<std::string>{fields},
                             std::istream_iterator<std::string>{}};
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23,
  // rss=24 in proc(5) numbering.
  if (f.size() < 22)
    return make_error(errc::io_error, "short /proc/self/stat");
  auto field = [&](int n) { return std::stod(f[static_cast<size_t>(n - 3)]); };
  auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  auto btime = boot_time();
  if (!btime)
    return std::move(btime.error());
  auto fds = count_open_fds();
  if (!fds)
    return std::move(fds.error());
  process_stats st;
  st.cpu_seconds = (field(14) + field(15)) / ticks;
  st.start_time_seconds = *btime + field(22) / ticks;
  st.virtual_bytes = field(23);
  st.resident_bytes = field(24) * page;
  st.open_fds = *fds;
  return st;
}

caf::error register_process_metrics(registry& reg) {
  auto one = [](double process_stats::*member) {
    return [member] {
      auto st = read_process_stats();
      if (!st)
        return std::vector<sample>{};
      return std::vector<sample>{sample{{}, (*st).*member}};
    };
  };
  struct entry {
    const char* name;
    const char* help;
    metric_type type;
    double process_stats::*member;
  };
  const entry entries[] = {
    {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
     metric_type::counter, &process_stats::cpu_seconds},
    {"process_resident_memory_bytes", "Resident memory size in bytes.",
     metric_type::gauge, &process_stats::resident_bytes},
    {"process_virtual_memory_bytes", "Virtual memory size in bytes.",
     metric_type::gauge, &process_stats::virtual_bytes},
    {"process_open_fds", "Number of open file descriptors.",
     metric_type::gauge, &process_stats::open_fds},
  };
  for (const auto& e : entries)
    if (auto err = reg.add_collector(e.name, e.help, e.type, {}, one(e.member)))
      return err;
  auto st = read_process_stats();
  if (!st)
    return std::move(st.error());
  auto start = reg.add_gauge("process_start_time_seconds",
                             "Start time of the process since unix epoch in "
                             "seconds.");
  if (!start)
    return std::move(start.error());
  (*start)->get().set(st->start_time_seconds);
  return {};
}

caf::error register_build_info(registry& reg, std::string_view prefix,
                               std::string_view version,
                               std::string_view git_commit) {
  std::string name{prefix};
  name += "_build_info";
  std::string help = "A metric with a constant '1' value labeled by version "
                     "and git commit from which ";
  help += prefix;
  help += " was built.";
  auto fam = reg.add_gauge(std::move(name), std::move(help),
                           {"version", "git_commit"});
  if (!fam)
    return std::move(fam.error());
  (*fam)->labels({version, git_commit}).set(1);
  return {};
}

} // namespace cafelet::net::metrics
