// The cafelet process against the test API server over HTTPS with client
// certificates: registration, Ready, Lease renewals, status heartbeats and
// node events; the Node authorizer refusing a foreign node name; the pod
// list+watch through cut watches and an expired history; a 60 s API server
// outage; and a SIGTERM that leaves the Node and Lease in place.
//
// Intervals are shortened by a KubeletConfiguration (Lease renewed every
// 1 s, status reported every 5 s). Every wait is a bounded poll of the API
// server, /metrics or the log; only the outage's 60 s is a fixed period,
// as it is the subject of the test.

#include "tests/integration/api_cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <sstream>

using namespace cafelet;
using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

constexpr std::string_view node_path = "/api/v1/nodes/edge-1";
constexpr std::string_view lease_path
  = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1";
constexpr std::string_view pods_path = "/api/v1/namespaces/default/pods";
constexpr std::string_view events_path = "/api/v1/namespaces/default/events";

std::string str_at(const json::value& v,
                   std::initializer_list<std::string_view> path) {
  const auto* x = v.find_path(path);
  return x != nullptr ? x->as_string() : std::string{};
}

/// True once the Node exists with Ready=True.
bool node_ready(api_cluster& c, api_object& node) {
  node = c.get(node_path);
  const auto* ready = node.status == 200 ? node_condition(node.body, "Ready")
                                         : nullptr;
  return ready != nullptr && ready->get_string("status") == "True";
}

/// The Ready condition's lastHeartbeatTime, if the Node is there.
std::optional<k8s::timestamp> heartbeat_of(const api_object& node) {
  if (node.status != 200)
    return std::nullopt;
  const auto* ready = node_condition(node.body, "Ready");
  if (ready == nullptr)
    return std::nullopt;
  return time_at(*ready, {"lastHeartbeatTime"});
}

std::optional<k8s::timestamp> renew_time_of(const api_object& lease) {
  if (lease.status != 200)
    return std::nullopt;
  return time_at(lease.body, {"spec", "renewTime"});
}

/// `t` truncated to whole seconds (as metav1.Time stores it).
k8s::timestamp whole_seconds(k8s::timestamp t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

void create_pod(api_cluster& c, std::string_view name, std::string_view node) {
  auto res = c.admin().post(pods_path, pod_manifest(name, node));
  REQUIRE_MESSAGE(res.status == 201, "creating pod " << name << ": " << res.body);
}

void force_delete_pod(api_cluster& c, std::string_view name) {
  auto target = std::string{pods_path} + "/" + std::string{name}
                + "?gracePeriodSeconds=0";
  auto res = c.admin().del(target);
  REQUIRE_MESSAGE(res.status == 200, "deleting pod " << name << ": " << res.body);
}

/// The events in namespace default about Node `node`.
std::vector<json::value> node_events(api_cluster& c, std::string_view node) {
  std::vector<json::value> out;
  auto list = c.get(events_path);
  if (list.status != 200)
    return out;
  if (const auto* items = list.body.find("items"))
    for (const auto& ev : items->as_array())
      if (str_at(ev, {"involvedObject", "kind"}) == "Node"
          && str_at(ev, {"involvedObject", "name"}) == node)
        out.push_back(ev);
  return out;
}

/// Prints a measurement (timings for the report) to stderr.
template <class... Ts>
void report(const Ts&... xs) {
  std::ostringstream os;
  os << "[api_link] ";
  (os << ... << xs);
  os << '\n';
  std::fputs(os.str().c_str(), stderr);
}

/// Paces the outage's observation loop (not a synchronisation).
void pause_for(std::chrono::milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d - s);
  struct timespec ts{static_cast<time_t>(s.count()), static_cast<long>(ns.count())};
  nanosleep(&ts, nullptr);
}

} // namespace

TEST_CASE("the node registers, turns Ready, renews its Lease every second, "
          "reports status and records its events") {
  api_cluster cluster;
  auto started = steady_clock::now();
  cafelet_process node{{cluster.node_kubeconfig("edge-1")}};
  INFO("cafelet output (tail):\n" << node.tail());

  api_object n;
  REQUIRE_MESSAGE(eventually([&] { return node_ready(cluster, n); }, 20s),
                  "edge-1 never turned Ready; last GET " << n.status << ": "
                                                         << json::dump(n.body));
  report("registered and Ready ", seconds_since(started), " s after start");
  INFO("Node: " << json::dump(n.body));

  // Labels, capacity, addresses, nodeInfo.
  auto label = [&](std::string_view key) {
    return str_at(n.body, {"metadata", "labels", key});
  };
  CHECK(label("kubernetes.io/hostname") == "edge-1");
  CHECK(label("kubernetes.io/os") == "linux");
  auto info = [&](std::string_view key) {
    return str_at(n.body, {"status", "nodeInfo", key});
  };
  CHECK(label("kubernetes.io/os") == info("operatingSystem"));
  CHECK_FALSE(label("kubernetes.io/arch").empty());
  CHECK(label("kubernetes.io/arch") == info("architecture"));
  CHECK(label("beta.kubernetes.io/os") == "linux");
  for (auto field : {"capacity", "allocatable"})
    for (auto res : {"cpu", "memory", "pods", "ephemeral-storage"}) {
      CAPTURE(field);
      CAPTURE(res);
      CHECK_FALSE(str_at(n.body, {"status", field, res}).empty());
    }
  CHECK(str_at(n.body, {"status", "capacity", "pods"}) == "110");
  bool hostname_address = false;
  bool internal_ip = false;
  if (const auto* addrs = n.body.find_path({"status", "addresses"}))
    for (const auto& a : addrs->as_array()) {
      hostname_address |= a.get_string("type") == "Hostname"
                          && a.get_string("address") == "edge-1";
      internal_ip |= a.get_string("type") == "InternalIP"
                     && !a.get_string("address").empty();
    }
  CHECK(hostname_address);
  CHECK(internal_ip);
  auto version = info("kubeletVersion");
  static const std::regex semver{
    R"(^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*))"
    R"((-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)"};
  CHECK_MESSAGE(std::regex_match(version, semver), "kubeletVersion " << version);
  const auto* ready = node_condition(n.body, "Ready");
  REQUIRE(ready != nullptr);
  CHECK(ready->get_string("reason") == "KubeletReady");
  for (auto [type, reason] :
       {std::pair{"MemoryPressure", "KubeletHasSufficientMemory"},
        std::pair{"DiskPressure", "KubeletHasNoDiskPressure"},
        std::pair{"PIDPressure", "KubeletHasSufficientPID"}}) {
    const auto* c = node_condition(n.body, type);
    REQUIRE_MESSAGE(c != nullptr, type);
    CHECK(c->get_string("status") == "False");
    CHECK(c->get_string("reason") == reason);
  }
  auto node_uid = str_at(n.body, {"metadata", "uid"});
  REQUIRE_FALSE(node_uid.empty());

  // The Lease. It may be created before the Node is registered; its
  // ownerReference follows once the Node's uid is known (as upstream).
  api_object lease;
  REQUIRE_MESSAGE(eventually([&] {
                    lease = cluster.get(lease_path);
                    return lease.status == 200
                           && lease.body.find_path({"metadata", "ownerReferences"});
                  }),
                  "no Lease kube-node-lease/edge-1 with an ownerReference; last GET "
                    << lease.status << ": " << json::dump(lease.body));
  INFO("Lease: " << json::dump(lease.body));
  CHECK(str_at(lease.body, {"spec", "holderIdentity"}) == "edge-1");
  const auto* duration = lease.body.find_path({"spec", "leaseDurationSeconds"});
  REQUIRE(duration != nullptr);
  CHECK(duration->as_int() == 4);
  const auto* owners = lease.body.find_path({"metadata", "ownerReferences"});
  REQUIRE(owners != nullptr);
  REQUIRE(owners->size() == 1);
  const auto& owner = owners->as_array()[0];
  CHECK(owner.get_string("apiVersion") == "v1");
  CHECK(owner.get_string("kind") == "Node");
  CHECK(owner.get_string("name") == "edge-1");
  CHECK(owner.get_string("uid") == node_uid);

  // Renewals (the server's Lease) and heartbeats (the server's Node), watched
  // together: 5 distinct renewTimes (4 renewals) and 3 heartbeats (2
  // reports after registration).
  struct seen {
    k8s::timestamp value;
    steady_clock::time_point at;
  };
  std::vector<seen> renewals;
  std::vector<seen> heartbeats;
  auto note = [](std::vector<seen>& v, std::optional<k8s::timestamp> t) {
    if (t && (v.empty() || v.back().value != *t))
      v.push_back({*t, steady_clock::now()});
  };
  REQUIRE_MESSAGE(eventually(
                    [&] {
                      note(renewals, renew_time_of(cluster.get(lease_path)));
                      note(heartbeats, heartbeat_of(cluster.get(node_path)));
                      return renewals.size() >= 5 && heartbeats.size() >= 3;
                    },
                    30s),
                  "renewTimes seen: " << renewals.size()
                                      << ", heartbeats seen: " << heartbeats.size());
  std::string spacing;
  for (size_t i = 1; i < renewals.size(); ++i) {
    auto gap = seconds_between(renewals[i - 1].value, renewals[i].value);
    auto seen_gap = std::chrono::duration<double>(renewals[i].at
                                                  - renewals[i - 1].at)
                      .count();
    spacing += std::to_string(gap) + "s (seen " + std::to_string(seen_gap) + "s) ";
    CAPTURE(i);
    CHECK(gap >= 0.8);
    CHECK(gap <= 2.0);
    CHECK(seen_gap <= 2.5);
  }
  for (size_t i = 1; i < renewals.size(); ++i)
    CHECK(renewals[i].value > renewals[i - 1].value);
  auto mean = seconds_between(renewals.front().value, renewals.back().value)
              / static_cast<double>(renewals.size() - 1);
  CHECK(mean >= 0.9);
  CHECK(mean <= 1.3);
  report("Lease renewTime spacing: ", spacing, "mean ", mean, " s");
  std::string hb_spacing;
  for (size_t i = 1; i < heartbeats.size(); ++i) {
    auto gap = seconds_between(heartbeats[i - 1].value, heartbeats[i].value);
    hb_spacing += std::to_string(gap) + "s ";
    CAPTURE(i);
    CHECK(gap >= 4.0); // 5 s report frequency, whole-second timestamps
    CHECK(gap <= 8.0);
  }
  report("Node heartbeat (lastHeartbeatTime) spacing: ", hb_spacing);
  CHECK(node.metric_or("cafelet_node_status_patches_total") >= 2);
  CHECK(node.metric_or("cafelet_node_lease_renewals_total") >= 5);
  CHECK(node.metric_or("cafelet_node_lease_failures_total") == 0);
  auto late_n = node.metric_or("cafelet_node_lease_renewal_lateness_seconds_count");
  auto late_sum = node.metric_or("cafelet_node_lease_renewal_lateness_seconds_sum");
  CHECK(late_n >= 5);
  if (late_n > 0)
    report("mean Lease renewal lateness: ", 1000 * late_sum / late_n,
           " ms over ", late_n, " renewals");
  // The transition time stays where registration put it.
  api_object now_node = cluster.get(node_path);
  CHECK(time_at(*node_condition(now_node.body, "Ready"), {"lastTransitionTime"})
        == time_at(*ready, {"lastTransitionTime"}));

  // Node events in namespace default.
  const std::set<std::string> wanted{"Starting", "NodeHasSufficientMemory",
                                     "NodeHasNoDiskPressure",
                                     "NodeHasSufficientPID", "NodeReady"};
  std::vector<json::value> events;
  auto reasons = [&] {
    std::set<std::string> out;
    for (const auto& ev : events)
      out.insert(ev.get_string("reason"));
    return out;
  };
  CHECK_MESSAGE(eventually([&] {
                  events = node_events(cluster, "edge-1");
                  auto r = reasons();
                  return std::includes(r.begin(), r.end(), wanted.begin(),
                                       wanted.end());
                }),
                "events: " << json::dump(json::value{events}));
  for (const auto& ev : events) {
    CAPTURE(json::dump(ev));
    CHECK(str_at(ev, {"source", "component"}) == "kubelet");
    CHECK(str_at(ev, {"source", "host"}) == "edge-1");
    CHECK(ev.get_string("type") == "Normal");
    CHECK(str_at(ev, {"metadata", "namespace"}) == "default");
  }
  CHECK(node.metric_or("cafelet_events_posted_total") >= 5);
  CHECK(node.running());
}

TEST_CASE("edge-1's identity cannot act as edge-2: 403, a clear error, "
          "retries, a clean stop and nothing created") {
  api_cluster cluster;
  cafelet_process node{{cluster.node_kubeconfig("edge-1"), "edge-2"}};
  INFO("cafelet output (tail):\n" << node.tail());

  // It keeps retrying registration and the Lease, and each refusal is an
  // error that names the node, the identity it needs and what the server
  // answered.
  auto attempts = [&] {
    return node.lines_with({"msg=\"Attempting to register node\"", "node=edge-2"})
      .size();
  };
  std::vector<std::string> register_errors;
  std::vector<std::string> lease_errors;
  auto refusals = [&] {
    register_errors = node.lines_with(
      {"level=error", "refused this node identity for node edge-2",
       "system:node:edge-2", "node=edge-2", "403 Forbidden",
       "node \\\"edge-1\\\" is not allowed to modify node \\\"edge-2\\\""});
    lease_errors = node.lines_with(
      {"level=error", "refused this node identity access to its lease",
       "system:node:edge-2", "node=edge-2", "403 Forbidden"});
    return register_errors.size() >= 3 && lease_errors.size() >= 3;
  };
  CHECK_MESSAGE(eventually([&] { return attempts() >= 4; }, 20s),
                "registration attempts: " << attempts());
  CHECK_MESSAGE(eventually(refusals, 20s),
                "registration errors: " << register_errors.size()
                                        << ", lease errors: " << lease_errors.size());
  CHECK(node.metric_or("cafelet_node_lease_failures_total") >= 3);
  if (!register_errors.empty())
    report("registration error line: ", register_errors.front());

  CHECK(node.healthz() == 200);
  CHECK(node.running());
  CHECK(node.metric_or("cafelet_node_registrations_total") == 0);
  CHECK(node.metric_or("cafelet_node_lease_renewals_total") == 0);

  auto rc = node.stop();
  REQUIRE_MESSAGE(rc.has_value(), "cafelet did not stop on SIGTERM");
  CHECK(*rc == 0);
  CHECK(node.lines_with({"msg=\"cafelet stopped\""}).size() == 1);

  // Nothing for edge-2 (nor edge-1) was created. The recorder's "Starting"
  // event may exist: a real kube-apiserver lets any node create events.
  CHECK(cluster.get("/api/v1/nodes/edge-2").status == 404);
  CHECK(cluster.get("/api/v1/nodes/edge-1").status == 404);
  CHECK(cluster.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/"
                    "leases/edge-2")
          .status
        == 404);
  CHECK(cluster.get(lease_path).status == 404);
  for (const auto& ev : node_events(cluster, "edge-2")) {
    CAPTURE(json::dump(ev));
    CHECK(ev.get_string("reason") == "Starting");
  }
}

TEST_CASE("the pod watch delivers this node's pods and resumes after cut "
          "watches without relisting; an expired history forces one relist") {
  api_cluster cluster;
  auto& srv = cluster.server();
  cafelet_process node{{cluster.node_kubeconfig("edge-1")}};
  INFO("cafelet output (tail):\n" << node.tail());
  auto known = [&] { return node.metric_or("cafelet_pods_known"); };
  auto relists = [&] { return node.metric_or("cafelet_pod_watch_relists_total"); };
  auto reconnects = [&] {
    return node.metric_or("cafelet_pod_watch_reconnects_total");
  };
  // The pod watch only (pods' ConfigMaps have watches of their own).
  auto watching = [&] { return srv.watch_count("/api/v1/pods") == 1; };
  auto arrived = [&](std::string_view pod) {
    return !node
              .lines_with({"pod update from the API server",
                           "pod=default/" + std::string{pod} + " "})
              .empty();
  };

  REQUIRE_MESSAGE(eventually(watching, 20s), "the pod watch never opened");
  create_pod(cluster, "web-1", "edge-1");
  create_pod(cluster, "other-1", "edge-2");
  create_pod(cluster, "web-2", "edge-1");
  // Events arrive in resourceVersion order: once web-2 is here, other-1
  // would have been too.
  REQUIRE(eventually([&] { return arrived("web-2"); }));
  CHECK(arrived("web-1"));
  CHECK(known() == 2);
  CHECK_FALSE(arrived("other-1"));
  CHECK(node.lines_with({"other-1"}).empty());

  // Graceful end of the watch (terminating chunk).
  {
    CHECK(srv.cut_watches("/api/v1/pods", false) == 1);
    auto cut = steady_clock::now();
    create_pod(cluster, "web-3", "edge-1");
    REQUIRE(eventually([&] { return known() == 3; }, 40s));
    report("graceful cut: pod created after the cut arrived after ",
           seconds_since(cut), " s");
    CHECK(relists() == 0);
  }
  // Abrupt end (connection cut).
  {
    REQUIRE(eventually(watching, 40s));
    auto before = reconnects();
    CHECK(srv.cut_watches("/api/v1/pods", true) == 1);
    auto cut = steady_clock::now();
    create_pod(cluster, "web-4", "edge-1");
    REQUIRE(eventually([&] { return known() == 4; }, 40s));
    report("abrupt cut: pod created after the cut arrived after ",
           seconds_since(cut), " s");
    CHECK(relists() == 0);
    CHECK(reconnects() > before);
  }
  // 410: the watch is held down (503s) while one pod is deleted and one
  // created, and the history is forgotten; the next watch gets 410 Expired
  // and the stream relists.
  {
    REQUIRE(eventually(watching, 40s));
    auto failed_503 = [&] {
      return node.lines_with({"msg=\"watch failed\"", "watch=pods", "status=503"})
        .size();
    };
    auto block = srv.fail_requests({"GET", "/api/v1/pods", 503, -1, ""});
    CHECK(srv.cut_watches("/api/v1/pods", true) == 1);
    REQUIRE_MESSAGE(eventually([&] { return failed_503() >= 1; }, 20s),
                    "the watch was not re-tried while blocked");
    force_delete_pod(cluster, "web-1");
    create_pod(cluster, "web-5", "edge-1");
    srv.expire_history();
    srv.clear_failure(block);
    auto unblocked = steady_clock::now();
    // The pod source logs the sync after the stream logged the relist.
    REQUIRE(eventually(
      [&] {
        return !node.lines_with({"pods in sync with the API server", "generation=2"})
                  .empty();
      },
      40s));
    report("410: relisted ", seconds_since(unblocked),
           " s after the watch was let through");
    CHECK(relists() == 1);
    CHECK(known() == 4);
    // (modified may be non-zero: the pods run, and their status patches
    // changed them during the outage.)
    auto diff = node.lines_with({"msg=relisted", "watch=pods", "items=4",
                                 "added=1", "deleted=1"});
    CHECK_MESSAGE(diff.size() == 1, "no relist diff line in the log");
    if (!diff.empty())
      report("relist diff: ", diff.front());
    CHECK(node.lines_with({"pods in sync with the API server", "pods=4",
                           "generation=2"})
            .size()
          == 1);
    // The stream learned of the 410 from the watch (an ERROR event or the
    // status) or from its list at the old version.
    CHECK_FALSE((node.lines_with({"watch=pods", "msg=\"watch expired, relisting\""})
                   .empty()
                 && node.lines_with({"watch=pods", "resourceVersion gone"})
                      .empty()));
    // The watch goes on after the relist, without another one.
    create_pod(cluster, "web-6", "edge-1");
    CHECK(eventually([&] { return known() == 5; }, 40s));
    CHECK(relists() == 1);
  }
  CHECK(node.metric_or("cafelet_pod_watch_decode_errors_total") == 0);
  CHECK_FALSE(arrived("other-1"));
  CHECK(node.running());
}

TEST_CASE("SIGTERM stops cafelet with exit code 0 and leaves its Node and "
          "Lease in place") {
  api_cluster cluster;
  cafelet_process node{{cluster.node_kubeconfig("edge-1")}};
  INFO("cafelet output (tail):\n" << node.tail());
  api_object n;
  REQUIRE(eventually([&] { return node_ready(cluster, n); }, 20s));
  REQUIRE(eventually([&] {
    return node.metric_or("cafelet_node_lease_renewals_total") >= 2;
  }));
  auto lease = cluster.get(lease_path);
  REQUIRE(lease.status == 200);

  auto asked = steady_clock::now();
  auto rc = node.stop();
  REQUIRE_MESSAGE(rc.has_value(), "cafelet did not stop on SIGTERM");
  CHECK(*rc == 0);
  report("stopped ", seconds_since(asked), " s after SIGTERM");
  CHECK(node.lines_with({"msg=\"cafelet stopped\""}).size() == 1);

  auto after = cluster.get(node_path);
  REQUIRE_MESSAGE(after.status == 200, "the Node is gone after shutdown");
  INFO("Node after shutdown: " << json::dump(after.body));
  CHECK(str_at(after.body, {"metadata", "uid"}) == str_at(n.body, {"metadata", "uid"}));
  CHECK(after.body.find_path({"metadata", "deletionTimestamp"}) == nullptr);
  const auto* ready = node_condition(after.body, "Ready");
  REQUIRE(ready != nullptr);
  CHECK(ready->get_string("status") == "True");
  auto lease_after = cluster.get(lease_path);
  REQUIRE_MESSAGE(lease_after.status == 200, "the Lease is gone after shutdown");
  CHECK(str_at(lease_after.body, {"metadata", "uid"})
        == str_at(lease.body, {"metadata", "uid"}));
  CHECK(lease_after.body.find_path({"metadata", "deletionTimestamp"}) == nullptr);
  CHECK(str_at(lease_after.body, {"spec", "holderIdentity"}) == "edge-1");
  auto before_t = renew_time_of(lease);
  auto after_t = renew_time_of(lease_after);
  REQUIRE((before_t && after_t));
  CHECK(*after_t >= *before_t);
}

TEST_CASE("a 60 s API server outage: cafelet stays up and healthy, then its "
          "Lease, heartbeat and pod watch resume") {
  // hang_mode::refuse: the server's listener and all its connections close
  // and new connections are refused, as when kube-apiserver is down (a
  // crashed or restarting process, or a load balancer with no backend).
  // hang_mode::accept would model a stalled server instead.
  api_cluster cluster;
  auto& srv = cluster.server();
  cafelet_process node{{cluster.node_kubeconfig("edge-1")}};
  INFO("cafelet output (tail):\n" << node.tail());
  api_object n;
  REQUIRE(eventually([&] { return node_ready(cluster, n); }, 20s));
  REQUIRE(eventually([&] {
    return node.metric_or("cafelet_node_lease_renewals_total") >= 2;
  }));
  REQUIRE(eventually([&] { return srv.watch_count("/api/v1/pods") == 1; }, 20s));
  create_pod(cluster, "web-1", "edge-1");
  REQUIRE(eventually([&] { return node.metric_or("cafelet_pods_known") == 1; }));
  auto lease_before = renew_time_of(cluster.get(lease_path));
  REQUIRE(lease_before.has_value());
  auto failures_before = node.metric_or("cafelet_node_lease_failures_total");
  auto reconnects_before = node.metric_or("cafelet_pod_watch_reconnects_total");

  srv.hang(0ms, apiserver::hang_mode::refuse); // until resume()
  auto down = steady_clock::now();
  int probes = 0;
  int unhealthy = 0;
  bool exited = false;
  while (seconds_since(down) < 60.0) {
    if (!node.running()) {
      exited = true;
      break;
    }
    ++probes;
    if (node.healthz() != 200)
      ++unhealthy;
    pause_for(500ms);
  }
  REQUIRE_FALSE_MESSAGE(exited, "cafelet exited during the outage");
  CHECK(unhealthy == 0);
  report("outage: ", probes, " /healthz probes, ", unhealthy, " not 200");
  auto failures_during = node.metric_or("cafelet_node_lease_failures_total")
                         - failures_before;
  CHECK(failures_during > 0);

  srv.resume();
  auto back = steady_clock::now();
  auto back_wall = wall_now();

  // Lease and heartbeat, watched together.
  std::optional<k8s::timestamp> renewed;
  std::optional<k8s::timestamp> beat;
  std::optional<double> lease_after;
  std::optional<double> heartbeat_after;
  CHECK_MESSAGE(eventually(
                  [&] {
                    if (!lease_after) {
                      renewed = renew_time_of(cluster.get(lease_path));
                      if (renewed && *renewed >= back_wall)
                        lease_after = seconds_since(back);
                    }
                    if (!heartbeat_after) {
                      beat = heartbeat_of(cluster.get(node_path));
                      if (beat && *beat >= whole_seconds(back_wall))
                        heartbeat_after = seconds_since(back);
                    }
                    return lease_after && heartbeat_after;
                  },
                  15s),
                "15 s after the server returned: Lease renewed: "
                  << lease_after.has_value()
                  << ", Node heartbeat advanced: " << heartbeat_after.has_value());
  CHECK(lease_after.value_or(99) <= 10.0);
  CHECK(heartbeat_after.value_or(99) <= 10.0);

  // The pod watch: reopened from where it was (no relist), delivering a
  // pod created after the outage.
  create_pod(cluster, "web-2", "edge-1");
  REQUIRE_MESSAGE(eventually([&] {
                    return node.metric_or("cafelet_pods_known") == 2;
                  }, 45s),
                  "the pod watch did not resume");
  auto watch_after = seconds_since(back);
  CHECK(node.metric_or("cafelet_pod_watch_relists_total") == 0);
  CHECK(node.metric_or("cafelet_pod_watch_reconnects_total") > reconnects_before);
  CHECK(srv.watch_count("/api/v1/pods") == 1);
  CHECK(node.healthz() == 200);
  CHECK(node.running());
  auto again = node.lines_with({"msg=\"node lease renewed again\"", "node=edge-1"});
  CHECK(again.size() == 1);

  report("after the outage: Lease renewed after ", lease_after.value_or(-1),
         " s, heartbeat after ", heartbeat_after.value_or(-1),
         " s, a pod created after that seen after ", watch_after,
         " s; Lease failures during the outage: ", failures_during);
  if (!again.empty())
    report(again.front());
  if (lease_after)
    report("Lease renewTime before the outage ",
           k8s::format_micro_time(*lease_before), ", first after ",
           k8s::format_micro_time(*renewed), " (gap ",
           seconds_between(*lease_before, *renewed), " s)");
  auto late_n = node.metric_or("cafelet_node_lease_renewal_lateness_seconds_count");
  auto late_sum = node.metric_or("cafelet_node_lease_renewal_lateness_seconds_sum");
  report("Lease renewal lateness over the run: ", late_n, " renewals, ",
         late_sum, " s in total");
}
