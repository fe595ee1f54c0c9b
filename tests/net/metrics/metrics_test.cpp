// Prometheus registry: exact text format, parsing with the reference
// Python parser, concurrency and process metrics.

#include "messages/errors.hpp"
#include "net/metrics/process_metrics.hpp"
#include "net/metrics/registry.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

using namespace cafelet;
using namespace cafelet::net::metrics;

namespace {

/// Parses `text` with prometheus_client's parser and returns one line per
/// family ("F<TAB>name<TAB>type<TAB>json(help)") and per sample
/// ("S<TAB>name<TAB>json(labels, sorted)<TAB>repr(float(value))").
std::vector<std::string> python_parse(const std::string& text) {
  const char* py = std::getenv("PYTHON3");
  std::string python = py != nullptr ? py : "/usr/bin/python3";
  char tmpl[] = "/tmp/cafelet-metrics-XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream out{tmpl, std::ios::binary};
    out << text;
  }
  std::string script
    = "import sys, json\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "text = open(sys.argv[1], encoding=\"utf-8\").read()\n"
      "for f in text_string_to_metric_families(text):\n"
      "    print(\"F\\t\" + f.name + \"\\t\" + f.type + \"\\t\" + "
      "json.dumps(f.documentation))\n"
      "    for s in f.samples:\n"
      "        print(\"S\\t\" + s.name + \"\\t\" + json.dumps(s.labels, "
      "sort_keys=True) + \"\\t\" + repr(float(s.value)))\n";
  std::string cmd = "'" + python + "' -c '" + script + "' '" + tmpl + "' 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0)
    output.append(buf, n);
  int status = ::pclose(pipe);
  std::filesystem::remove(tmpl);
  REQUIRE_MESSAGE(status == 0, "python parser failed: " << output);
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < output.size()) {
    auto nl = output.find('\n', pos);
    lines.push_back(output.substr(pos, nl - pos));
    pos = nl == std::string::npos ? output.size() : nl + 1;
  }
  return lines;
}

bool contains(const std::vector<std::string>& lines, const std::string& x) {
  return std::find(lines.begin(), lines.end(), x) != lines.end();
}

} // namespace

TEST_CASE("metrics: exact text format of counters and gauges") {
  registry reg;
  auto req = reg.add_counter("http_requests_total", "Requests served.",
                             {"code", "method"});
  REQUIRE(req);
  (*req)->labels({"200", "GET"}).inc();
  (*req)->labels({"200", "GET"}).inc(2);
  (*req)->labels({"404", "GET"}).inc(0.5);
  (*req)->labels({"200", "GET"}).inc(-5); // ignored
  auto temp = reg.add_gauge("a_temperature_celsius", "Temp.\nSecond line \\ x");
  REQUIRE(temp);
  (*temp)->get().set(-3.25);
  CHECK(reg.render()
        == "# HELP a_temperature_celsius Temp.\\nSecond line \\\\ x\n"
           "# TYPE a_temperature_celsius gauge\n"
           "a_temperature_celsius -3.25\n"
           "# HELP http_requests_total Requests served.\n"
           "# TYPE http_requests_total counter\n"
           "http_requests_total{code=\"200\",method=\"GET\"} 3\n"
           "http_requests_total{code=\"404\",method=\"GET\"} 0.5\n");
  CHECK(content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("metrics: escaping and number formatting") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_help("x\"y\\z\n") == "x\"y\\\\z\\n");
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(-7) == "-7");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(1e20) == "1e+20");
  CHECK(format_value(1.0 / 0.0) == "+Inf");
  CHECK(format_value(-1.0 / 0.0) == "-Inf");
  CHECK(format_value(0.0 / 0.0) == "NaN");
  CHECK(valid_metric_name("cafelet:pods_total"));
  CHECK_FALSE(valid_metric_name("9lives"));
  CHECK_FALSE(valid_metric_name("has-dash"));
  CHECK_FALSE(valid_metric_name(""));
  CHECK(valid_label_name("pod_name"));
  CHECK_FALSE(valid_label_name("__reserved"));
  CHECK_FALSE(valid_label_name("a:b"));
  CHECK_FALSE(valid_label_name("0a"));
}

TEST_CASE("metrics: registration errors") {
  registry reg;
  CHECK(is(reg.add_counter("bad-name", "x").error(), errc::invalid));
  CHECK(is(reg.add_gauge("g", "x", {"__x"}).error(), errc::invalid));
  CHECK(is(reg.add_gauge("g", "x", {"a", "a"}).error(), errc::invalid));
  CHECK(is(reg.add_histogram("h", "x", {"le"}).error(), errc::invalid));
  CHECK(is(reg.add_histogram("h", "x", {}, {1, 1}).error(), errc::invalid));
  CHECK(is(reg.add_histogram("h", "x", {}, {2, 1}).error(), errc::invalid));
  REQUIRE(reg.add_histogram("lat_seconds", "x"));
  CHECK(is(reg.add_counter("lat_seconds", "x").error(), errc::conflict));
  CHECK(is(reg.add_gauge("lat_seconds_count", "x").error(), errc::conflict));
  CHECK(is(reg.add_collector("lat_seconds_sum", "x", metric_type::gauge, {},
                             [] { return std::vector<sample>{}; }),
           errc::conflict));
  CHECK(is(reg.add_collector("c", "x", metric_type::histogram, {},
                             [] { return std::vector<sample>{}; }),
           errc::invalid));
  // A histogram cannot take a name whose suffixed forms are already taken.
  REQUIRE(reg.add_gauge("q_sum", "x"));
  CHECK(is(reg.add_histogram("q", "x").error(), errc::conflict));
}

TEST_CASE("metrics: histograms render cumulative buckets") {
  registry reg;
  auto h = reg.add_histogram("rpc_duration_seconds", "RPC latency.", {"rpc"},
                             {0.1, 1, 10});
  REQUIRE(h);
  auto& run = (*h)->labels({"RunPodSandbox"});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0})
    run.observe(v);
  auto text = reg.render();
  CHECK(text
        == "# HELP rpc_duration_seconds RPC latency.\n"
           "# TYPE rpc_duration_seconds histogram\n"
           "rpc_duration_seconds_bucket{rpc=\"RunPodSandbox\",le=\"0.1\"} 2\n"
           "rpc_duration_seconds_bucket{rpc=\"RunPodSandbox\",le=\"1\"} 3\n"
           "rpc_duration_seconds_bucket{rpc=\"RunPodSandbox\",le=\"10\"} 4\n"
           "rpc_duration_seconds_bucket{rpc=\"RunPodSandbox\",le=\"+Inf\"} 5\n"
           "rpc_duration_seconds_sum{rpc=\"RunPodSandbox\"} 55.65\n"
           "rpc_duration_seconds_count{rpc=\"RunPodSandbox\"} 5\n");
  auto lines = python_parse(text);
  CHECK(contains(lines, "F\trpc_duration_seconds\thistogram\t\"RPC latency.\""));
  CHECK(contains(lines, "S\trpc_duration_seconds_bucket\t"
                        "{\"le\": \"0.1\", \"rpc\": \"RunPodSandbox\"}\t2.0"));
  CHECK(contains(lines, "S\trpc_duration_seconds_bucket\t"
                        "{\"le\": \"+Inf\", \"rpc\": \"RunPodSandbox\"}\t5.0"));
  CHECK(contains(lines, "S\trpc_duration_seconds_sum\t"
                        "{\"rpc\": \"RunPodSandbox\"}\t55.65"));
  CHECK(contains(lines, "S\trpc_duration_seconds_count\t"
                        "{\"rpc\": \"RunPodSandbox\"}\t5.0"));
}

TEST_CASE("metrics: the Python parser reads every family back") {
  registry reg;
  auto c = reg.add_counter("cafelet_evictions_total", "Evictions, \"quoted\".",
                           {"pod", "reason"});
  REQUIRE(c);
  (*c)->labels({"default/web-1", "memory \"pressure\""}).inc();
  (*c)->labels({"ns\\odd", "line\nbreak"}).inc(4);
  auto g = reg.add_gauge("cafelet_running_pods", "Running pods.\nPer node.");
  REQUIRE(g);
  (*g)->get().set(7);
  auto h = reg.add_histogram("cafelet_sync_seconds", "Sync latency.");
  REQUIRE(h);
  (*h)->get().observe(0.3);
  REQUIRE_FALSE(register_build_info(reg, "cafelet", "0.1.0", "abc123"));
  REQUIRE_FALSE(register_process_metrics(reg));
  auto lines = python_parse(reg.render());
  CHECK(contains(lines, "F\tcafelet_evictions\tcounter\t\"Evictions, \\\"quoted\\\".\""));
  CHECK(contains(lines, "S\tcafelet_evictions_total\t"
                        "{\"pod\": \"default/web-1\", \"reason\": "
                        "\"memory \\\"pressure\\\"\"}\t1.0"));
  CHECK(contains(lines, "S\tcafelet_evictions_total\t"
                        "{\"pod\": \"ns\\\\odd\", \"reason\": \"line\\nbreak\"}\t4.0"));
  CHECK(contains(lines, "F\tcafelet_running_pods\tgauge\t\"Running pods.\\nPer node.\""));
  CHECK(contains(lines, "S\tcafelet_running_pods\t{}\t7.0"));
  CHECK(contains(lines, "F\tcafelet_sync_seconds\thistogram\t\"Sync latency.\""));
  CHECK(contains(lines, "S\tcafelet_sync_seconds_bucket\t{\"le\": \"0.25\"}\t0.0"));
  CHECK(contains(lines, "S\tcafelet_sync_seconds_bucket\t{\"le\": \"0.5\"}\t1.0"));
  CHECK(contains(lines, "S\tcafelet_sync_seconds_bucket\t{\"le\": \"+Inf\"}\t1.0"));
  CHECK(contains(lines, "S\tcafelet_build_info\t"
                        "{\"git_commit\": \"abc123\", \"version\": \"0.1.0\"}\t1.0"));
  CHECK(contains(lines, "F\tprocess_cpu_seconds\tcounter\t"
                        "\"Total user and system CPU time spent in seconds.\""));
  std::set<std::string> families;
  for (const auto& l : lines)
    if (l.starts_with("F\t"))
      families.insert(l.substr(2, l.find('\t', 2) - 2));
  for (auto name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                    "process_start_time_seconds", "process_open_fds",
                    "cafelet_build_info"})
    CHECK_MESSAGE(families.count(name) == 1, name);
}

TEST_CASE("metrics: scrape-time collectors") {
  registry reg;
  std::atomic<int> calls{0};
  REQUIRE_FALSE(reg.add_collector(
    "cafelet_containers", "Containers by state.", metric_type::gauge, {"state"},
    [&] {
      ++calls;
      return std::vector<sample>{{{"running"}, double(calls * 10)},
                                 {{"exited"}, 1},
                                 {{"too", "many"}, 99}, // dropped
                                 {{"exited"}, 2}};      // duplicate, dropped
    }));
  REQUIRE_FALSE(reg.add_callback_gauge("cafelet_answer", "Answer.",
                                       [] { return 42.0; }));
  auto first = reg.render();
  CHECK(first
        == "# HELP cafelet_answer Answer.\n"
           "# TYPE cafelet_answer gauge\n"
           "cafelet_answer 42\n"
           "# HELP cafelet_containers Containers by state.\n"
           "# TYPE cafelet_containers gauge\n"
           "cafelet_containers{state=\"exited\"} 1\n"
           "cafelet_containers{state=\"running\"} 10\n");
  auto second = reg.render();
  CHECK(second.find("cafelet_containers{state=\"running\"} 20\n")
        != std::string::npos);
  CHECK(calls == 2);
}

TEST_CASE("metrics: series removal") {
  registry reg;
  auto g = reg.add_gauge("pod_ready", "x", {"pod"});
  REQUIRE(g);
  (*g)->labels({"a"}).set(1);
  (*g)->labels({"b"}).set(1);
  CHECK((*g)->remove({"a"}));
  CHECK_FALSE((*g)->remove({"a"}));
  auto text = reg.render();
  CHECK(text.find("pod=\"a\"") == std::string::npos);
  CHECK(text.find("pod_ready{pod=\"b\"} 1") != std::string::npos);
  (*g)->clear();
  CHECK(reg.render() == "# HELP pod_ready x\n# TYPE pod_ready gauge\n");
}

TEST_CASE("metrics: concurrent increments give exact totals") {
  registry reg;
  auto c = reg.add_counter("ops_total", "x", {"worker"});
  auto shared = reg.add_counter("shared_total", "x");
  auto g = reg.add_gauge("level", "x");
  auto h = reg.add_histogram("sizes", "x", {}, {1, 2});
  REQUIRE(c);
  REQUIRE(shared);
  REQUIRE(g);
  REQUIRE(h);
  constexpr int threads = 8;
  constexpr int per_thread = 50000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto& mine = (*c)->labels({std::to_string(t % 2)}); // shared series too
      auto& total = (*shared)->get();
      for (int i = 0; i < per_thread; ++i) {
        mine.inc();
        total.inc();
        (*g)->get().inc();
        (*g)->get().dec();
        (*h)->get().observe(i % 3); // 0, 1, 2
        if (i % 1000 == 0)
          (void) reg.render(); // scrapes race with updates
      }
    });
  for (auto& t : pool)
    t.join();
  CHECK((*shared)->get().value() == threads * per_thread);
  CHECK((*c)->labels({"0"}).value() == threads / 2 * per_thread);
  CHECK((*c)->labels({"1"}).value() == threads / 2 * per_thread);
  CHECK((*g)->get().value() == 0);
  auto snap = (*h)->get().collect();
  CHECK(snap.count == uint64_t{threads} * per_thread);
  // Observations 0,1,2 repeat; each thread sees 16667 zeros for 50000 steps.
  uint64_t zeros = 16667, ones = 16667, twos = 16666;
  CHECK(snap.cumulative[0] == threads * (zeros + ones));
  CHECK(snap.cumulative[1] == threads * (zeros + ones + twos));
  CHECK(snap.sum == double(threads) * (ones * 1 + twos * 2));
}

TEST_CASE("metrics: process metrics are plausible") {
  auto st = read_process_stats();
  REQUIRE(st);
  CHECK(st->resident_bytes > 0);
  CHECK(st->virtual_bytes >= st->resident_bytes);
  CHECK(st->cpu_seconds >= 0);
  CHECK(st->open_fds >= 3);
  auto now = static_cast<double>(std::time(nullptr));
  CHECK(st->start_time_seconds <= now + 1);
  CHECK(st->start_time_seconds > now - 3600);
  // Opening a file shows up in the fd count.
  auto before = st->open_fds;
  FILE* f = std::fopen("/proc/self/stat", "r");
  REQUIRE(f != nullptr);
  auto after = read_process_stats();
  std::fclose(f);
  REQUIRE(after);
  CHECK(after->open_fds == before + 1);
}
