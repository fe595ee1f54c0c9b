// Benchmark: how late the node Lease renewals come while the pod watch is
// flooded with events, and how much resident memory a pod cached by the
// pod source costs. Prints one JSON object on stdout.
//
//   bench_lease_flood [--duration S] [--baseline S] [--rate N]
//                     [--flood-pods N] [--pods N] [--renew-interval S]
//                     [--policy sharing|stealing]
//
// One process holds the test API server over HTTPS (client certificates),
// an actor system with 2 scheduler threads (the agent's "sharing" policy
// unless `--policy stealing`) running the real lease actor on
// its own heartbeat transport and the real pod watch stream + pod source
// on the main transport behind the kubeAPIQPS limiter (both transports
// made by api::connect_api from a node kubeconfig, as node_root wires
// them), and a flood generator thread that patches the status of
// `--flood-pods` pods bound to the node at `--rate` per second through the
// server's in-process interface (no TLS for the generator).
//
// Phases: baseline (no flood, `--baseline` s), flood (`--duration` s),
// drain (until the consumer saw every generated event), memory (the watch
// is stopped, `--pods` pods are created and given a Running status, a new
// watch incarnation lists them into the pod source; the RSS growth over
// that list divided by the pods is the cost of one cached pod).

#include "bench/process_stats.hpp"
#include "actors/api/link.hpp"
#include "actors/lease/lease.hpp"
#include "actors/pods/pod_source.hpp"
#include "actors/relay.hpp"
#include "actors/watch/watch_stream.hpp"
#include "messages/config/flags.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/register.hpp"
#include "tests/apiserver/http_front.hpp"
#include "tests/apiserver/pki.hpp"
#include "tests/apiserver/server.hpp"
#include "tests/apiserver/test_data.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace cafelet;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr std::string_view node_name = "edge-1";
constexpr caf::atom_value pod_source_name = caf::atom("podsource");

// -- options ------------------------------------------------------------------

struct options {
  double duration_s = 60;
  double baseline_s = -1; // negative: same as duration
  double rate = 1000;
  size_t flood_pods = 100;
  size_t pods = 10000;
  double renew_interval_s = 1;
  std::string policy = "sharing";
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_lease_flood: %s\nusage: bench_lease_flood [--duration S] "
               "[--baseline S] [--rate N] [--flood-pods N] [--pods N] "
               "[--renew-interval S] [--policy sharing|stealing]\n",
               why);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options out;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc)
      usage("missing value");
    std::string_view key = argv[i];
    if (key == "--policy") {
      out.policy = argv[i + 1];
      if (out.policy != "sharing" && out.policy != "stealing")
        usage("--policy must be sharing or stealing");
      continue;
    }
    char* end = nullptr;
    auto value = std::strtod(argv[i + 1], &end);
    if (end == argv[i + 1] || *end != '\0' || value < 0)
      usage("bad value");
    if (key == "--duration")
      out.duration_s = value;
    else if (key == "--baseline")
      out.baseline_s = value;
    else if (key == "--rate")
      out.rate = value;
    else if (key == "--flood-pods")
      out.flood_pods = static_cast<size_t>(value);
    else if (key == "--pods")
      out.pods = static_cast<size_t>(value);
    else if (key == "--renew-interval")
      out.renew_interval_s = value;
    else
      usage("unknown flag");
  }
  if (out.baseline_s < 0)
    out.baseline_s = out.duration_s;
  if (out.flood_pods == 0)
    out.flood_pods = 1;
  if (out.renew_interval_s < 0.001)
    usage("--renew-interval must be at least 0.001");
  return out;
}

// -- process measurements -----------------------------------------------------

using bench::rss_bytes;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

long long max_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<long long>(ru.ru_maxrss) * 1024;
}

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

/// Polls `pred` every 10 ms until it holds or `limit` passed.
bool wait_until(const std::function<bool()>& pred, std::chrono::seconds limit) {
  auto deadline = steady::now() + limit;
  while (!pred()) {
    if (steady::now() >= deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// -- calling the server in process ---------------------------------------------

/// Keeps the answer of one request; `wait` returns once it came.
class waiting_reply : public apiserver::reply_channel {
public:
  void respond(apiserver::response res) override {
    std::lock_guard<std::mutex> guard{mtx_};
    res_ = std::move(res);
    cv_.notify_all();
  }

  std::shared_ptr<apiserver::stream_sink> stream(int,
                                                 std::vector<apiserver::header>) override {
    respond(apiserver::response{500, "text/plain", "unexpected stream", {}});
    return nullptr;
  }

  void drop() override {
    respond(apiserver::response{599, "text/plain", "dropped", {}});
  }

  apiserver::response wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    if (!cv_.wait_for(guard, 30s, [this] { return res_.has_value(); }))
      return apiserver::response{598, "text/plain", "no answer in 30 s", {}};
    return *res_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<apiserver::response> res_;
};

/// The cluster admin, as a verified client certificate would make it.
apiserver::user_info admin() {
  return apiserver::user_info::from_certificate("bench-admin", {"system:masters"});
}

apiserver::response call(apiserver::api_server& srv, std::string method,
                         std::string path, std::string body,
                         std::string content_type = "application/json") {
  apiserver::request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.headers.push_back({"Content-Type", std::move(content_type)});
  req.body = std::move(body);
  req.user = admin();
  auto reply = std::make_shared<waiting_reply>();
  srv.handle(std::move(req), reply);
  return reply->wait();
}

bool ok(const apiserver::response& res) {
  return res.status >= 200 && res.status < 300;
}

std::string pods_path() {
  return "/api/v1/namespaces/default/pods";
}

/// The recorded web-1 pod body (two containers, probes, env, volumes),
/// renamed.
std::string pod_body(const std::string& name) {
  std::string out{apiserver::testing::pod_body};
  constexpr std::string_view from = R"("name":"web-1")";
  auto pos = out.find(from);
  if (pos != std::string::npos)
    out.replace(pos, from.size(), "\"name\":\"" + name + "\"");
  return out;
}

/// A Running status as the kubelet reports it for the pod above.
std::string running_status(size_t i) {
  char ip[32];
  std::snprintf(ip, sizeof(ip), "10.88.%zu.%zu", (i / 250) % 250, i % 250 + 2);
  std::string t = "2026-11-22T02:57:42Z";
  std::string out = R"({"status":{"phase":"Running","conditions":[)";
  for (auto type : {"PodReadyToStartContainers", "Initialized", "Ready",
                    "ContainersReady", "PodScheduled"}) {
    if (out.back() != '[')
      out += ',';
    out += R"({"type":")";
    out += type;
    out += R"(","status":"True","lastProbeTime":null,"lastTransitionTime":")" + t
           + "\"}";
  }
  out += R"(],"hostIP":"10.88.0.1","hostIPs":[{"ip":"10.88.0.1"}],"podIP":")";
  out += ip;
  out += R"(","podIPs":[{"ip":")";
  out += ip;
  out += R"("}],"startTime":")" + t + R"(","qosClass":"Burstable","containerStatuses":[)";
  for (auto c : {"app", "sidecar"}) {
    if (out.back() != '[')
      out += ',';
    out += R"({"name":")";
    out += c;
    out += R"(","state":{"running":{"startedAt":")" + t
           + R"("}},"lastState":{},"ready":true,"restartCount":0,)"
             R"("image":"localhost/busybox:ci","imageID":"sha256:4e1b1c5a8e0d3f7a9b2c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a",)"
             R"("containerID":"containerd://)";
    char id[72];
    std::snprintf(id, sizeof(id), "%016zx%s", i,
                  c[0] == 'a' ? "3f1e2d4c5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f9"
                              : "9a8b7c6d5e4f30211f2e3d4c5b6a79880123456789abcdef");
    out += id;
    out += R"(","started":true})";
  }
  out += "]}}";
  return out;
}

/// Creates pod `name` bound to the node and gives it a Running status.
bool create_pod(apiserver::api_server& srv, const std::string& name, size_t i) {
  auto made = call(srv, "POST", pods_path(), pod_body(name));
  if (!ok(made)) {
    std::fprintf(stderr, "bench_lease_flood: creating pod %s: %d %s\n",
                 name.c_str(), made.status, made.body.c_str());
    return false;
  }
  auto st = call(srv, "PATCH", pods_path() + "/" + name + "/status",
                 running_status(i), "application/merge-patch+json");
  if (!ok(st)) {
    std::fprintf(stderr, "bench_lease_flood: patching pod %s: %d %s\n",
                 name.c_str(), st.status, st.body.c_str());
    return false;
  }
  return true;
}

// -- the flood generator --------------------------------------------------------

/// Answers of the flood's patches; handle() answers them synchronously.
struct flood_counts {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
};

class counting_reply : public apiserver::reply_channel {
public:
  explicit counting_reply(flood_counts* counts) : counts_(counts) {
  }

  void respond(apiserver::response res) override {
    if (res.status >= 200 && res.status < 300)
      ++counts_->ok;
    else
      ++counts_->failed;
  }

  std::shared_ptr<apiserver::stream_sink> stream(int,
                                                 std::vector<apiserver::header>) override {
    ++counts_->failed;
    return nullptr;
  }

  void drop() override {
    ++counts_->failed;
  }

private:
  flood_counts* counts_;
};

/// Patches `status.message` of the flood pods round robin at `rate` per
/// second until `stop`; catches up after a stall.
void run_flood(apiserver::api_server& srv, double rate, size_t pods,
               const std::atomic<bool>& stop, flood_counts& counts) {
  auto t0 = steady::now();
  uint64_t seq = 0;
  while (!stop.load()) {
    auto target = static_cast<uint64_t>(rate * seconds_since(t0));
    while (seq < target && !stop.load()) {
      auto name = "flood-" + std::to_string(seq % pods);
      apiserver::request req;
      req.method = "PATCH";
      req.path = pods_path() + "/" + name + "/status";
      req.headers.push_back({"Content-Type", "application/merge-patch+json"});
      req.body = R"({"status":{"message":"flood )" + std::to_string(seq) + "\"}}";
      req.user = admin();
      ++seq;
      ++counts.sent;
      srv.handle(std::move(req), std::make_shared<counting_reply>(&counts));
    }
    std::this_thread::sleep_for(1ms);
  }
}

// -- results --------------------------------------------------------------------

struct lateness {
  size_t samples = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

/// Nearest-rank percentiles of `xs` (seconds), in milliseconds.
lateness summarize(std::vector<double> xs) {
  lateness out;
  out.samples = xs.size();
  if (xs.empty())
    return out;
  std::sort(xs.begin(), xs.end());
  auto rank = [&](double q) {
    auto n = static_cast<size_t>(std::ceil(q * static_cast<double>(xs.size())));
    return xs[std::min(xs.size(), std::max<size_t>(n, 1)) - 1] * 1000.0;
  };
  out.p50_ms = rank(0.50);
  out.p99_ms = rank(0.99);
  out.max_ms = xs.back() * 1000.0;
  return out;
}

/// Counters at one point in time.
struct mark {
  steady::time_point at;
  double cpu = 0;
  uint64_t renewals = 0;
  uint64_t lease_failures = 0;
  size_t samples = 0;
  uint64_t events = 0;
  uint64_t decode_errors = 0;
  uint64_t reconnects = 0;
  uint64_t bytes = 0;
  long long rss = 0;
};

struct probes {
  std::shared_ptr<actors::lease_stats> lease;
  std::shared_ptr<actors::pod_source_stats> pods;
  std::shared_ptr<actors::watch_stats> watch;

  mark now() const {
    mark m;
    m.at = steady::now();
    m.cpu = cpu_seconds();
    m.renewals = lease->renewals.load();
    m.lease_failures = lease->failures.load();
    m.samples = lease->lateness_samples().size();
    m.events = pods->events.load();
    m.decode_errors = watch->decode_errors.load();
    m.reconnects = watch->reconnects.load();
    m.bytes = watch->bytes.load();
    m.rss = rss_bytes();
    return m;
  }
};

std::string phase_json(const mark& a, const mark& b, const lateness& late) {
  auto secs = std::chrono::duration<double>(b.at - a.at).count();
  auto events = static_cast<double>(b.events - a.events);
  char buf[1024];
  std::snprintf(
    buf, sizeof(buf),
    "\"seconds\":%.2f,\"events_at_consumer\":%llu,\"events_per_s\":%.1f,"
    "\"watch_mb_per_s\":%.2f,\"decode_errors\":%llu,\"watch_reconnects\":%llu,"
    "\"lease_renewals\":%llu,\"lease_failures\":%llu,"
    "\"lateness_ms\":{\"samples\":%zu,\"p50\":%.2f,\"p99\":%.2f,\"max\":%.2f},"
    "\"cpu_seconds\":%.2f,\"cpu_cores_used\":%.2f,\"rss_end_bytes\":%lld",
    secs, static_cast<unsigned long long>(b.events - a.events),
    secs > 0 ? events / secs : 0.0,
    secs > 0 ? static_cast<double>(b.bytes - a.bytes) / secs / 1e6 : 0.0,
    static_cast<unsigned long long>(b.decode_errors - a.decode_errors),
    static_cast<unsigned long long>(b.reconnects - a.reconnects),
    static_cast<unsigned long long>(b.renewals - a.renewals),
    static_cast<unsigned long long>(b.lease_failures - a.lease_failures),
    late.samples, late.p50_ms, late.p99_ms, late.max_ms, b.cpu - a.cpu,
    secs > 0 ? (b.cpu - a.cpu) / secs : 0.0, b.rss);
  return buf;
}

/// The lateness samples recorded between two marks.
std::vector<double> samples_between(const actors::lease_stats& stats,
                                    const mark& a, const mark& b) {
  auto all = stats.lateness_samples();
  auto lo = std::min(a.samples, all.size());
  auto hi = std::min(b.samples, all.size());
  return {all.begin() + static_cast<ptrdiff_t>(lo),
          all.begin() + static_cast<ptrdiff_t>(hi)};
}

void sleep_seconds(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

int fail(const std::string& what) {
  std::fprintf(stderr, "bench_lease_flood: %s\n", what.c_str());
  return 1;
}

// -- the bench ------------------------------------------------------------------

/// The API server over HTTPS and a node kubeconfig; removes its files.
struct cluster {
  std::string dir;
  std::unique_ptr<apiserver::api_server> srv;
  std::unique_ptr<apiserver::http_front> front;
  std::string kubeconfig;

  ~cluster() {
    if (front)
      front->stop();
    front.reset();
    srv.reset();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }

  caf::error start() {
    char tmpl[] = "/tmp/cafelet-bench-lease-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr)
      return make_error(errc::io_error, "mkdtemp failed");
    dir = tmpl;
    auto pki = apiserver::test_pki::generate(dir);
    if (!pki)
      return pki.error();
    apiserver::server_options opts;
    opts.root_ca_pem = pki->ca_pem();
    srv = std::make_unique<apiserver::api_server>(opts);
    auto started = apiserver::http_front::start(
      *srv, {"127.0.0.1", 0, pki->server().cert, pki->server().key,
             pki->ca().cert});
    if (!started)
      return started.error();
    front = std::move(*started);
    std::string node{node_name};
    auto cert = pki->issue_client(node, "system:node:" + node, {"system:nodes"});
    if (!cert)
      return cert.error();
    auto cfg = pki->write_kubeconfig(node, *cert, front->url(), node);
    if (!cfg)
      return cfg.error();
    kubeconfig = *cfg;
    return caf::none;
  }
};

caf::actor spawn_pod_watch(caf::actor_system& sys, const api::api_link& link,
                           const caf::actor& consumer,
                           std::shared_ptr<actors::watch_stats> stats) {
  // As node_root's "pod-watch" child.
  actors::watch_stream_config pods;
  pods.path = "/api/v1/pods";
  pods.field_selector = "spec.nodeName=" + std::string{node_name};
  pods.seed = std::hash<std::string>{}(std::string{node_name} + "/pod-watch");
  pods.stats = std::move(stats);
  pods.log.name = "pods";
  pods.consumer = consumer;
  return sys.spawn(actors::watch_stream<k8s::pod>, link.main, link.limiter,
                   std::move(pods));
}

int run(const options& opts) {
  auto t_start = steady::now();
  cluster cl;
  if (auto err = cl.start())
    return fail("cannot start the API server: " + describe(err));
  auto& srv = *cl.srv;
  if (!ok(call(srv, "POST", "/api/v1/nodes",
               std::string{apiserver::testing::node_body})))
    return fail("cannot create the Node");
  for (size_t i = 0; i < opts.flood_pods; ++i)
    if (!create_pod(srv, "flood-" + std::to_string(i), i))
      return fail("cannot create the flood pods");

  config::resolved_configuration rc;
  rc.agent.kubeconfig = cl.kubeconfig;
  rc.agent.node_name = std::string{node_name};
  auto link = api::connect_api(rc);
  if (!link)
    return fail("cannot connect: " + describe(link.error()));

  probes pr;
  pr.lease = std::make_shared<actors::lease_stats>();
  pr.pods = std::make_shared<actors::pod_source_stats>();
  pr.watch = std::make_shared<actors::watch_stats>();
  flood_counts counts;
  std::string out;
  int rc_exit = 0;
  {
    caf::actor_system_config cfg;
    register_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    cfg.set("scheduler.policy", opts.policy == "sharing" ? caf::atom("sharing")
                                                          : caf::atom("stealing"));
    caf::actor_system sys{cfg};

    // As node_root: the pod source behind a relay, the watch feeding the
    // relay, the lease on the heartbeat transport.
    auto source = sys.spawn(actors::pod_source, pr.pods);
    actors::register_incarnation(sys, pod_source_name, source);
    auto relay = actors::spawn_relay(sys, pod_source_name);
    auto watch = spawn_pod_watch(sys, *link, relay, pr.watch);
    actors::lease_config lc;
    lc.node_name = std::string{node_name};
    lc.duration_seconds = rc.kubelet.node_lease_duration_seconds;
    lc.renew_interval = std::chrono::milliseconds{
      static_cast<int64_t>(std::llround(opts.renew_interval_s * 1000))};
    lc.seed = std::hash<std::string>{}(std::string{node_name} + "/lease");
    lc.stats = pr.lease;
    auto lease = sys.spawn(actors::lease_actor, link->heartbeat, lc);

    auto stop_all = [&] {
      for (auto* h : {&lease, &watch, &relay, &source})
        if (*h)
          caf::anon_send_exit(*h, caf::exit_reason::user_shutdown);
      lease = watch = relay = source = nullptr;
      sys.registry().erase(pod_source_name);
      sys.await_all_actors_done();
    };

    bool ready = wait_until(
      [&] {
        return pr.pods->pods.load() >= opts.flood_pods
               && pr.lease->renewals.load() >= 1;
      },
      30s);
    if (!ready) {
      stop_all();
      return fail("the pod source or the lease did not come up within 30 s");
    }
    auto setup_s = seconds_since(t_start);

    // -- baseline ------------------------------------------------------------
    auto b0 = pr.now();
    sleep_seconds(opts.baseline_s);
    auto b1 = pr.now();

    // -- flood ---------------------------------------------------------------
    std::atomic<bool> stop{false};
    std::thread gen{[&] {
      run_flood(srv, opts.rate, opts.flood_pods, stop, counts);
    }};
    sleep_seconds(opts.duration_s);
    stop = true;
    gen.join();
    auto f1 = pr.now();
    auto expected = b1.events + counts.ok.load();
    auto drained = wait_until([&] { return pr.pods->events.load() >= expected; },
                              60s);
    auto f2 = pr.now();
    auto drain_s = std::chrono::duration<double>(f2.at - f1.at).count();

    // -- memory --------------------------------------------------------------
    caf::anon_send_exit(watch, caf::exit_reason::user_shutdown);
    watch = nullptr;
    bool watch_gone = wait_until([&] { return srv.watch_count() == 0; }, 30s);
    malloc_trim(0);
    auto rss0 = rss_bytes();
    size_t created = 0;
    auto c0 = steady::now();
    for (size_t i = 0; i < opts.pods; ++i)
      if (create_pod(srv, "mem-" + std::to_string(i), opts.flood_pods + i))
        ++created;
    auto create_s = seconds_since(c0);
    malloc_trim(0);
    auto rss1 = rss_bytes();
    auto syncs = pr.pods->syncs.load();
    auto l0 = steady::now();
    watch = spawn_pod_watch(sys, *link, relay, pr.watch);
    auto want = opts.flood_pods + created;
    bool listed = wait_until(
      [&] {
        return pr.pods->syncs.load() > syncs && pr.pods->pods.load() >= want;
      },
      300s);
    auto list_s = seconds_since(l0);
    malloc_trim(0);
    auto rss2 = rss_bytes();
    auto cached = pr.pods->pods.load();

    auto base = summarize(samples_between(*pr.lease, b0, b1));
    auto flood = summarize(samples_between(*pr.lease, b1, f1));
    auto flood_secs = std::chrono::duration<double>(f1.at - b1.at).count();
    auto n = static_cast<double>(std::max<size_t>(created, 1));
    char buf[2048];
    out = "{\"benchmark\":\"lease_flood\"";
    std::snprintf(buf, sizeof(buf),
                  ",\"renew_interval_s\":%.3f,\"flood_pods\":%zu,"
                  "\"scheduler_threads\":2,\"scheduler_policy\":\"%s\","
                  "\"setup_seconds\":%.2f",
                  opts.renew_interval_s, opts.flood_pods, opts.policy.c_str(),
                  setup_s);
    out += buf;
    out += ",\"baseline\":{" + phase_json(b0, b1, base) + "}";
    std::snprintf(buf, sizeof(buf),
                  ",\"target_events_per_s\":%.1f,\"generated_per_s\":%.1f,"
                  "\"generated\":%llu,\"generator_failures\":%llu,"
                  "\"drain_seconds\":%.2f,\"drained\":%s",
                  opts.rate,
                  flood_secs > 0 ? static_cast<double>(counts.sent.load()) / flood_secs
                                 : 0.0,
                  static_cast<unsigned long long>(counts.sent.load()),
                  static_cast<unsigned long long>(counts.failed.load()),
                  drain_s, drained ? "true" : "false");
    out += ",\"flood\":{" + phase_json(b1, f1, flood) + buf + "}";
    std::snprintf(buf, sizeof(buf),
                  ",\"memory\":{\"pods\":%zu,\"created\":%zu,\"cached\":%llu,"
                  "\"create_seconds\":%.2f,\"list_seconds\":%.2f,"
                  "\"listed\":%s,\"rss_before_bytes\":%lld,"
                  "\"rss_after_create_bytes\":%lld,\"rss_after_list_bytes\":%lld,"
                  "\"rss_bytes_per_cached_pod\":%.0f,"
                  "\"rss_bytes_per_pod_incl_server\":%.0f}",
                  opts.pods, created, static_cast<unsigned long long>(cached),
                  create_s, list_s, listed ? "true" : "false", rss0, rss1, rss2,
                  static_cast<double>(rss2 - rss1) / n,
                  static_cast<double>(rss2 - rss0) / n);
    out += buf;
    if (!watch_gone || !listed || created != opts.pods || !drained
        || f1.renewals == b0.renewals)
      rc_exit = 1;

    stop_all();
  }
  // The actors are gone: stop the clients before the server.
  link->heartbeat.reset();
  link->main.reset();
  char tail[256];
  std::snprintf(tail, sizeof(tail),
                ",\"cpu_seconds_total\":%.2f,\"max_rss_bytes\":%lld,"
                "\"wall_seconds\":%.1f,\"ok\":%s}\n",
                cpu_seconds(), max_rss_bytes(), seconds_since(t_start),
                rc_exit == 0 ? "true" : "false");
  out += tail;
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return rc_exit;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  log::set_verbosity(0);
  return run(opts);
}
