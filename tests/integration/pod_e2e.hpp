#pragma once
// Shared helpers of the end-to-end pod suites (pods_e2e, probes_e2e): a test
// cluster with a Ready cafelet node edge-1 on the private containerd lab,
// pod builders and readers, runtime inspection through ctr.

#include "tests/integration/api_cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace cafelet::e2e {

using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;


constexpr std::string_view node_name = "edge-1";
constexpr std::string_view ns = "e2e";
const std::string pods_path = "/api/v1/namespaces/e2e/pods";
const std::string events_path = "/api/v1/namespaces/e2e/events";
constexpr std::string_view busybox = "localhost/busybox:ci";

/// A shell loop that exits 0 at once on SIGTERM.
constexpr std::string_view trap_term
  = "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done";
/// A shell loop that ignores SIGTERM (only SIGKILL ends it).
constexpr std::string_view ignore_term
  = "trap '' TERM; while true; do sleep 1; done";

inline std::string str_at(const json::value& v,
                   std::initializer_list<std::string_view> path) {
  const auto* x = v.find_path(path);
  return x != nullptr && x->is_string() ? x->as_string() : std::string{};
}

inline int64_t int_at(const json::value& v, std::initializer_list<std::string_view> path,
               int64_t fallback = -1) {
  const auto* x = v.find_path(path);
  return x != nullptr && x->is_int() ? x->as_int() : fallback;
}

/// Prints a measurement (for the report) to stderr, prefixed with the
/// suite's executable name.
template <class... Ts>
inline void report(const Ts&... xs) {
  std::ostringstream os;
  os << '[' << program_invocation_short_name << "] ";
  (os << ... << xs);
  os << '\n';
  std::fputs(os.str().c_str(), stderr);
}

/// Paces an observation window (never a synchronisation).
inline void pause_for(std::chrono::milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
  auto rest = std::chrono::duration_cast<std::chrono::nanoseconds>(d - s);
  struct timespec ts{static_cast<time_t>(s.count()), static_cast<long>(rest.count())};
  nanosleep(&ts, nullptr);
}

/// Nearest-rank percentile of `xs` (not empty).
inline double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(xs.size())));
  return xs[std::clamp<size_t>(rank, 1, xs.size()) - 1];
}

/// What a test pod looks like.
struct pod_spec {
  std::string name;
  /// `sh -c <script>` in container "app".
  std::string script;
  std::string restart_policy = "Always";
  std::string image = std::string{busybox};
  /// spec.terminationGracePeriodSeconds (API default 30 when absent).
  std::optional<int64_t> grace = std::nullopt;
  /// metadata.labels.batch (none when empty).
  std::string batch = {};
  /// The container's securityContext (none when null).
  json::value security_context = {};
  /// resources.limits.memory and resources.requests.memory (none when
  /// empty).
  std::string memory = {};
  /// More fields of container "app" (probes, ports), merged in.
  json::value container_extra = {};
  /// spec.hostNetwork.
  bool host_network = false;
  /// More fields of the pod spec (volumes, ...), merged in.
  json::value spec_extra = {};
  /// More containers after "app" (full container objects).
  std::vector<json::value> more_containers = {};
};

inline json::value pod_json(const pod_spec& p) {
  json::value pod{json::object{}};
  pod["apiVersion"] = "v1";
  pod["kind"] = "Pod";
  pod["metadata"]["name"] = p.name;
  pod["metadata"]["namespace"] = ns;
  if (!p.batch.empty())
    pod["metadata"]["labels"]["batch"] = p.batch;
  auto& spec = pod["spec"];
  spec["nodeName"] = node_name;
  spec["restartPolicy"] = p.restart_policy;
  if (p.grace)
    spec["terminationGracePeriodSeconds"] = *p.grace;
  json::value c{json::object{}};
  c["name"] = "app";
  c["image"] = p.image;
  c["imagePullPolicy"] = "Never";
  c["command"] = json::array{json::value{"sh"}, json::value{"-c"},
                             json::value{p.script}};
  if (!p.security_context.is_null())
    c["securityContext"] = p.security_context;
  if (!p.memory.empty()) {
    c["resources"]["limits"]["memory"] = p.memory;
    c["resources"]["requests"]["memory"] = p.memory;
  }
  if (p.container_extra.is_object())
    for (const auto& [key, value] : p.container_extra.as_object())
      c[key] = value;
  if (p.host_network)
    spec["hostNetwork"] = true;
  if (p.spec_extra.is_object())
    for (const auto& [key, value] : p.spec_extra.as_object())
      spec[key] = value;
  json::array containers{std::move(c)};
  for (const auto& more : p.more_containers)
    containers.push_back(more);
  spec["containers"] = std::move(containers);
  return pod;
}

inline const json::value* condition(const json::value& pod, std::string_view type) {
  const auto* conds = pod.find_path({"status", "conditions"});
  if (conds == nullptr || !conds->is_array())
    return nullptr;
  for (const auto& c : conds->as_array())
    if (c.get_string("type") == type)
      return &c;
  return nullptr;
}

inline std::string condition_status(const json::value& pod, std::string_view type) {
  const auto* c = condition(pod, type);
  return c != nullptr ? c->get_string("status") : std::string{"<absent>"};
}

/// status.containerStatuses[0] (an empty object if absent).
inline const json::value& app_status(const json::value& pod) {
  static const json::value none{json::object{}};
  const auto* xs = pod.find_path({"status", "containerStatuses"});
  if (xs == nullptr || !xs->is_array() || xs->size() == 0)
    return none;
  return xs->as_array()[0];
}

inline std::string phase_of(const json::value& pod) {
  return str_at(pod, {"status", "phase"});
}

inline std::string waiting_reason(const json::value& pod) {
  return str_at(app_status(pod), {"state", "waiting", "reason"});
}

inline std::string waiting_message(const json::value& pod) {
  return str_at(app_status(pod), {"state", "waiting", "message"});
}

inline int64_t restart_count(const json::value& pod) {
  return int_at(app_status(pod), {"restartCount"});
}

/// "name_namespace(uid)", as upstream's format.Pod.
inline std::string pod_ref(const json::value& pod) {
  return str_at(pod, {"metadata", "name"}) + "_" + std::string{ns} + "("
         + str_at(pod, {"metadata", "uid"}) + ")";
}

/// The containerd socket of the lab (from CAFELET_CRI_ENDPOINT).
inline std::string containerd_socket() {
  const char* ep = std::getenv("CAFELET_CRI_ENDPOINT");
  std::string s = ep != nullptr ? ep : "";
  if (s.starts_with("unix://"))
    s.erase(0, 7);
  return s;
}

/// Runs `ctr <args>` in namespace k8s.io on the lab's containerd; its
/// output lines, or nullopt if it failed.
inline std::optional<std::vector<std::string>> ctr(const std::string& args) {
  auto sock = containerd_socket();
  if (sock.empty())
    return std::nullopt;
  auto cmd = "ctr --connect-timeout 5s --address '" + sock + "' --namespace k8s.io "
             + args + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr)
    return std::nullopt;
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), f))
    out.append(buf, n);
  if (::pclose(f) != 0) {
    report("ctr ", args, " failed: ", out);
    return std::nullopt;
  }
  std::vector<std::string> lines;
  std::istringstream in{out};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  return lines;
}

/// Runs `sh -c <cmd>` in container `cid` through ctr; its output, or
/// nullopt if it failed.
inline std::optional<std::string> exec_out(const std::string& cid, const std::string& cmd) {
  static int n = 0;
  std::string quoted; // for the shell that runs ctr
  for (char ch : cmd)
    quoted += ch == '\'' ? std::string{"'\\''"} : std::string{ch};
  auto lines = ctr("tasks exec --exec-id e2e-" + std::to_string(::getpid()) + "-"
                   + std::to_string(++n) + " " + cid + " sh -c '" + quoted + "'");
  if (!lines)
    return std::nullopt;
  std::string out;
  for (const auto& l : *lines)
    out += (out.empty() ? "" : "\n") + l;
  return out;
}

/// IDs of the containers (sandboxes included) the runtime holds for pod
/// `uid`, via ctr on the lab's containerd; nullopt if ctr failed.
inline std::optional<std::vector<std::string>> runtime_containers(const std::string& uid) {
  return ctr("containers ls -q 'labels.\"io.kubernetes.pod.uid\"==" + uid + "'");
}

/// IDs of the sandboxes the runtime holds for pod `uid`.
inline std::optional<std::vector<std::string>> runtime_sandboxes(const std::string& uid) {
  return ctr("containers ls -q 'labels.\"io.kubernetes.pod.uid\"==" + uid
             + ",labels.\"io.cri-containerd.kind\"==sandbox'");
}

/// Kills the pause process of pod `uid`'s only sandbox (SIGKILL, as an
/// OOM kill or a crash would); returns the sandbox ID, empty on failure.
inline std::string kill_sandbox(const std::string& uid) {
  auto ids = runtime_sandboxes(uid);
  if (!ids || ids->size() != 1)
    return {};
  if (!ctr("tasks kill --signal SIGKILL " + ids->front()))
    return {};
  return ids->front();
}

inline std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

/// Watches the runtime for `window` and describes the first container (or
/// sandbox) seen for any of `uids`, or a ctr failure; empty when nothing
/// was there. Catches objects created after a pod's deletion completed.
inline std::string runtime_leftovers(const std::vector<std::string>& uids,
                              std::chrono::milliseconds window = 3s) {
  auto until = steady_clock::now() + window;
  do {
    for (const auto& uid : uids) {
      auto ids = runtime_containers(uid);
      if (!ids)
        return "ctr failed";
      if (!ids->empty())
        return "pod " + uid + ": " + joined(*ids) + " (after "
               + std::to_string(std::chrono::duration<double>(
                                  window - (until - steady_clock::now()))
                                  .count())
               + " s of watching)";
    }
    pause_for(200ms);
  } while (steady_clock::now() < until);
  return {};
}

/// The pods' subnet prefix "a.b.c." from CAFELET_CNI_SUBNET (a /24), or
/// "10." when unknown.
inline std::string subnet_prefix() {
  const char* s = std::getenv("CAFELET_CNI_SUBNET");
  std::string subnet = s != nullptr ? s : "";
  auto last_dot = subnet.rfind('.');
  if (subnet.empty() || last_dot == std::string::npos || !subnet.ends_with("/24"))
    return "10.";
  return subnet.substr(0, last_dot + 1);
}

inline bool is_ipv4(const std::string& ip) {
  int parts = 0;
  size_t start = 0;
  while (start <= ip.size()) {
    auto end = ip.find('.', start);
    auto part = ip.substr(start, end == std::string::npos ? std::string::npos
                                                          : end - start);
    if (part.empty() || part.size() > 3
        || part.find_first_not_of("0123456789") != std::string::npos
        || std::stoi(part) > 255)
      return false;
    ++parts;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return parts == 4;
}

/// A test cluster with namespace e2e and a Ready cafelet node edge-1 whose
/// pod cgroups live under the lab's cgroup prefix. Pods still present at
/// the end are deleted (best effort) so the runtime is left clean.
class pod_e2e {
public:
  explicit pod_e2e(std::vector<std::string> extra_args = {}) {
    auto res = cluster_.admin().post(
      "/api/v1/namespaces",
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"e2e"}})");
    REQUIRE_MESSAGE(res.status == 201, "creating namespace e2e: " << res.body);
    cafelet_options opts{cluster_.node_kubeconfig(std::string{node_name})};
    if (const char* prefix = std::getenv("CAFELET_CGROUP_PREFIX");
        prefix != nullptr && *prefix != '\0')
      opts.config += std::string{"cgroupRoot: /"} + prefix + "\n";
    opts.extra_args = std::move(extra_args);
    node_ = std::make_unique<cafelet_process>(opts);
    api_object n;
    bool ready = eventually(
      [&] {
        n = cluster_.get("/api/v1/nodes/edge-1");
        const auto* c = n.status == 200 ? node_condition(n.body, "Ready") : nullptr;
        return c != nullptr && c->get_string("status") == "True";
      },
      30s);
    REQUIRE_MESSAGE(ready, "edge-1 never turned Ready; last GET "
                             << n.status << ": " << json::dump(n.body)
                             << "\ncafelet output (tail):\n" << node_->tail());
    node_json_ = n.body;
  }

  ~pod_e2e() {
    // No actor of the node may have crashed during a pod test: a crash loop
    // escalates to restarting the node supervisor (the lease with it).
    auto restarts = node_->lines_with({"child exited, restarting"});
    CHECK_MESSAGE(restarts.empty(), "actors restarted during the test: "
                                      << restarts.size() << "; first: "
                                      << (restarts.empty() ? "" : restarts.front()));
    if (!node_->running())
      return;
    auto list = cluster_.get(pods_path);
    const auto* items = list.body.find("items");
    if (items == nullptr || items->size() == 0)
      return;
    for (const auto& p : items->as_array())
      cluster_.admin().del(pods_path + "/" + str_at(p, {"metadata", "name"})
                           + "?gracePeriodSeconds=1");
    eventually(
      [&] {
        auto l = cluster_.get(pods_path);
        const auto* xs = l.body.find("items");
        return xs != nullptr && xs->size() == 0;
      },
      20s);
  }

  pod_e2e(const pod_e2e&) = delete;
  pod_e2e& operator=(const pod_e2e&) = delete;

  api_cluster& cluster() {
    return cluster_;
  }

  cafelet_process& node() {
    return *node_;
  }

  /// The Node as it was when it turned Ready.
  const json::value& node_json() const {
    return node_json_;
  }

  /// Creates a pod (fails the test unless 201); returns the created object.
  json::value create(const pod_spec& p) {
    auto res = cluster_.admin().post(pods_path, json::dump(pod_json(p)));
    REQUIRE_MESSAGE(res.status == 201, "creating pod " << p.name << ": " << res.body);
    auto body = json::parse(res.body);
    REQUIRE(static_cast<bool>(body));
    return std::move(*body);
  }

  api_object get(const std::string& name) {
    return cluster_.get(pods_path + "/" + name);
  }

  /// Polls pod `name` until `pred(pod)` holds; `last` keeps the last read.
  template <class Pred>
  bool wait_pod(const std::string& name, Pred pred, std::chrono::milliseconds limit,
                json::value& last) {
    return eventually(
      [&] {
        auto p = get(name);
        if (p.status != 200)
          return false;
        last = std::move(p.body);
        return pred(last);
      },
      limit);
  }

  /// DELETE with `query` (e.g. "?gracePeriodSeconds=0"); fails unless 200.
  void remove(const std::string& name, std::string_view query = {}) {
    auto res = cluster_.admin().del(pods_path + "/" + name + std::string{query});
    REQUIRE_MESSAGE(res.status == 200, "deleting pod " << name << ": " << res.body);
  }

  /// Waits until pod `name` is gone from the API server.
  bool wait_gone(const std::string& name, std::chrono::milliseconds limit) {
    return eventually([&] { return get(name).status == 404; }, limit);
  }

  /// Events in e2e about the pod with `uid`.
  std::vector<json::value> events_of(const std::string& uid) {
    std::vector<json::value> out;
    auto list = cluster_.get(events_path);
    if (const auto* items = list.body.find("items"))
      for (const auto& ev : items->as_array())
        if (str_at(ev, {"involvedObject", "uid"}) == uid)
          out.push_back(ev);
    return out;
  }

  /// Every pod in e2e and the cafelet log tail (for failure messages).
  std::string dump() {
    std::string out = "pods in e2e:\n";
    auto list = cluster_.get(pods_path);
    if (const auto* items = list.body.find("items"))
      for (const auto& p : items->as_array())
        out += json::dump(p) + "\n";
    out += "cafelet output (tail):\n" + node_->tail(200);
    return out;
  }

private:
  api_cluster cluster_;
  std::unique_ptr<cafelet_process> node_;
  json::value node_json_;
};

/// The event with `reason` among `events` (null if none).
inline const json::value* find_event(const std::vector<json::value>& events,
                              std::string_view reason) {
  for (const auto& ev : events)
    if (ev.get_string("reason") == reason)
      return &ev;
  return nullptr;
}

inline std::string reasons_of(const std::vector<json::value>& events) {
  std::string out;
  for (const auto& ev : events)
    out += ev.get_string("reason") + " (" + ev.get_string("message") + "); ";
  return out;
}

/// Checks an event's envelope: about container app of `pod`, from the
/// kubelet on edge-1, in namespace e2e.
inline void check_pod_event(const json::value& ev, const json::value& pod,
                     std::string_view type) {
  CAPTURE(json::dump(ev));
  CHECK(str_at(ev, {"metadata", "namespace"}) == ns);
  CHECK(str_at(ev, {"involvedObject", "kind"}) == "Pod");
  CHECK(str_at(ev, {"involvedObject", "apiVersion"}) == "v1");
  CHECK(str_at(ev, {"involvedObject", "namespace"}) == ns);
  CHECK(str_at(ev, {"involvedObject", "name"}) == str_at(pod, {"metadata", "name"}));
  CHECK(str_at(ev, {"involvedObject", "uid"}) == str_at(pod, {"metadata", "uid"}));
  CHECK(str_at(ev, {"involvedObject", "fieldPath"}) == "spec.containers{app}");
  CHECK(str_at(ev, {"source", "component"}) == "kubelet");
  CHECK(str_at(ev, {"source", "host"}) == node_name);
  CHECK(ev.get_string("type") == type);
}

/// The node's InternalIP.
inline std::string internal_ip(const json::value& node) {
  if (const auto* addrs = node.find_path({"status", "addresses"}))
    for (const auto& a : addrs->as_array())
      if (a.get_string("type") == "InternalIP")
        return a.get_string("address");
  return {};
}

inline bool is_running(const json::value& pod) {
  return phase_of(pod) == "Running";
}

/// Microsecond timestamp of a cafelet log line ("ts=..."), if any.
inline std::optional<k8s::timestamp> log_time(std::string_view line) {
  if (!line.starts_with("ts="))
    return std::nullopt;
  auto end = line.find(' ');
  auto t = k8s::parse_time(line.substr(3, end == std::string_view::npos
                                             ? std::string_view::npos
                                             : end - 3));
  if (!t)
    return std::nullopt;
  return *t;
}

/// Time of the first log line containing all of `words`.
inline std::optional<k8s::timestamp>
first_log_time(const cafelet_process& node,
               std::initializer_list<std::string_view> words) {
  auto lines = node.lines_with(words);
  if (lines.empty())
    return std::nullopt;
  return log_time(lines.front());
}

inline bool is_finished(const json::value& pod) {
  auto ph = phase_of(pod);
  return ph == "Succeeded" || ph == "Failed";
}

inline std::string container_id(const json::value& pod) {
  return app_status(pod).get_string("containerID");
}

/// status of the node's Ready condition ("" if the node is unreadable).
inline std::string node_ready(api_cluster& cluster) {
  auto n = cluster.get("/api/v1/nodes/" + std::string{node_name});
  const auto* c = n.status == 200 ? node_condition(n.body, "Ready") : nullptr;
  return c != nullptr ? c->get_string("status") : std::string{};
}

/// What must not change about a running pod across a restart.
struct running_pod {
  std::string uid;
  std::string container_id;
  int64_t restarts = -1;
  /// Runtime containers (sandbox included), sorted.
  std::vector<std::string> runtime;
};

/// Creates `n` TERM-trapping pods "<stem>-<i>" and waits until all run;
/// returns what they run as. Fails the test if one does not start.
inline std::map<std::string, running_pod> start_pods(pod_e2e& e, std::string_view stem,
                                              int n) {
  std::map<std::string, running_pod> out;
  for (int i = 0; i < n; ++i) {
    auto name = std::string{stem} + "-" + std::to_string(i);
    out[name].uid = str_at(e.create({name, std::string{trap_term}}),
                           {"metadata", "uid"});
  }
  for (auto& [name, rp] : out) {
    json::value p;
    REQUIRE_MESSAGE(e.wait_pod(name,
                               [](const json::value& x) {
                                 return is_running(x) && !container_id(x).empty();
                               },
                               60s, p),
                    name << " never Running; last: " << json::dump(p));
    rp.container_id = container_id(p);
    rp.restarts = restart_count(p);
    auto ids = runtime_containers(rp.uid);
    REQUIRE(ids.has_value());
    std::sort(ids->begin(), ids->end());
    CHECK_MESSAGE(ids->size() == 2, name << " in the runtime: " << joined(*ids));
    rp.runtime = std::move(*ids);
  }
  return out;
}

/// The first way in which `pods` differ from what they ran as (not
/// Running, another containerID or restartCount, other runtime containers
/// when `runtime` is set); empty if none.
inline std::string changed(pod_e2e& e, const std::map<std::string, running_pod>& pods,
                    bool runtime = false) {
  for (const auto& [name, rp] : pods) {
    auto p = e.get(name);
    if (p.status != 200)
      return name + ": GET " + std::to_string(p.status);
    if (!is_running(p.body) || container_id(p.body) != rp.container_id
        || restart_count(p.body) != rp.restarts)
      return name + ": phase " + phase_of(p.body) + ", containerID "
             + container_id(p.body) + " (was " + rp.container_id
             + "), restartCount " + std::to_string(restart_count(p.body))
             + " (was " + std::to_string(rp.restarts) + "): "
             + json::dump(p.body);
    if (runtime) {
      auto ids = runtime_containers(rp.uid);
      if (!ids)
        return "ctr failed";
      std::sort(ids->begin(), ids->end());
      if (*ids != rp.runtime)
        return name + ": runtime containers " + joined(*ids) + " (were "
               + joined(rp.runtime) + ")";
    }
  }
  return {};
}

/// Runs `cmd` through the shell; returns its exit status and output.
inline std::pair<int, std::string> run_shell(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr)
    return {-1, "popen failed"};
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), f))
    out.append(buf, n);
  int status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}


} // namespace cafelet::e2e
