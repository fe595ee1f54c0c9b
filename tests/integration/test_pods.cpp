// Pods end to end on a real runtime: the cafelet process against the test
// API server over HTTPS and a private containerd lab (run inside
// scripts/with-containerd-lab.sh, which exports CAFELET_CRI_ENDPOINT).
// Pods are created by the admin in namespace e2e, bound with spec.nodeName
// and run localhost/busybox:ci with imagePullPolicy Never.
//
// Covered: a long-running pod's Running status; creation-to-Running
// latency over 20 pods; exit codes under each restart policy with
// CrashLoopBackOff and its growing back-off; graceful deletion of a
// TERM-trapping and a TERM-ignoring container (both timings) leaving
// nothing in the runtime; pod specs cafelet cannot honour; pod events; a
// container over its memory limit (OOMKilled); kill -9 of cafelet and a
// new process adopting the running pods; a containerd restart under
// running pods.
//
// Every wait is a bounded poll of the API server; fixed periods are used
// only to observe that something does NOT change.

#include "tests/integration/pod_e2e.hpp"

using namespace cafelet;
using namespace cafelet::e2e;
using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

TEST_CASE("a long-running pod reaches Running with a faithful status, "
          "events and runtime objects") {
  pod_e2e e;
  INFO(e.dump());
  auto created = e.create({"web", std::string{trap_term}});
  auto uid = str_at(created, {"metadata", "uid"});
  auto t0 = steady_clock::now();

  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod(
                    "web",
                    [](const json::value& p) {
                      return is_running(p) && condition_status(p, "Ready") == "True";
                    },
                    30s, pod),
                  "web never Running and Ready; last: " << json::dump(pod));
  report("web Running and Ready ", seconds_since(t0), " s after creation");
  CAPTURE(json::dump(pod));

  // Pod level.
  auto ip = str_at(pod, {"status", "podIP"});
  CHECK(is_ipv4(ip));
  CHECK_MESSAGE(ip.starts_with(subnet_prefix()),
                "podIP " << ip << " not in the lab's subnet "
                         << (std::getenv("CAFELET_CNI_SUBNET")
                               ? std::getenv("CAFELET_CNI_SUBNET")
                               : "?"));
  const auto* pod_ips = pod.find_path({"status", "podIPs"});
  REQUIRE(pod_ips != nullptr);
  REQUIRE(pod_ips->size() == 1);
  CHECK(pod_ips->as_array()[0].get_string("ip") == ip);
  auto host_ip = str_at(pod, {"status", "hostIP"});
  CHECK_FALSE(host_ip.empty());
  CHECK(host_ip == internal_ip(e.node_json()));
  const auto* host_ips = pod.find_path({"status", "hostIPs"});
  CHECK_MESSAGE((host_ips != nullptr && host_ips->size() >= 1),
                "no status.hostIPs");
  if (host_ips != nullptr && host_ips->size() >= 1)
    CHECK(host_ips->as_array()[0].get_string("ip") == host_ip);
  CHECK(time_at(pod, {"status", "startTime"}).has_value());
  CHECK(str_at(pod, {"status", "qosClass"}) == "BestEffort");
  for (auto type : {"PodReadyToStartContainers", "Initialized", "ContainersReady",
                    "Ready"}) {
    CAPTURE(type);
    CHECK(condition_status(pod, type) == "True");
  }

  // Container level.
  const auto& cs = app_status(pod);
  CHECK(cs.get_string("name") == "app");
  CHECK(cs.get_string("containerID").starts_with("containerd://"));
  CHECK(cs.get_string("containerID").size() > std::string_view{"containerd://"}.size());
  CHECK(cs.get_string("image") == busybox);
  // The image's digest reference or ID, as the runtime reports it.
  CHECK_MESSAGE(cs.get_string("imageID").find("sha256:") != std::string::npos,
                "imageID " << cs.get_string("imageID"));
  CHECK(cs.get_bool("ready") == true);
  const auto* started = cs.find("started");
  REQUIRE(started != nullptr);
  CHECK(started->as_bool() == true);
  CHECK(restart_count(pod) == 0);
  CHECK(time_at(cs, {"state", "running", "startedAt"}).has_value());

  // The runtime holds the sandbox and the container, labelled with the
  // pod's UID; the container's ID is the one reported.
  auto ids = runtime_containers(uid);
  REQUIRE(ids.has_value());
  CHECK_MESSAGE(ids->size() == 2, "runtime containers: " << joined(*ids));
  auto cid = cs.get_string("containerID").substr(13);
  CHECK(std::find(ids->begin(), ids->end(), cid) != ids->end());

  // Events: Pulled (image already present), Created, Started, about
  // container app of this pod, in the pod's namespace.
  std::vector<json::value> events;
  CHECK_MESSAGE(eventually(
                  [&] {
                    events = e.events_of(uid);
                    return find_event(events, "Created") != nullptr
                           && find_event(events, "Started") != nullptr;
                  },
                  15s),
                "events: " << reasons_of(events));
  for (auto reason : {"Created", "Started"})
    if (const auto* ev = find_event(events, reason)) {
      CAPTURE(reason);
      check_pod_event(*ev, pod, "Normal");
      CHECK(ev->get_string("message").find("app") != std::string::npos);
    }
  // Upstream's image manager records that the image is present
  // (imagePullPolicy Never, image on the node).
  const auto* pulled = find_event(events, "Pulled");
  CHECK_MESSAGE(pulled != nullptr, "no Pulled event; events: " << reasons_of(events));
  if (pulled != nullptr) {
    check_pod_event(*pulled, pod, "Normal");
    CHECK(pulled->get_string("message")
          == "Container image \"localhost/busybox:ci\" already present on machine");
  }
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("20 pods: time from creation to Running") {
  // -v 3 logs the pod transitions, which split the time into the API
  // server's watch, the sandbox and the containers.
  pod_e2e e{std::vector<std::string>{"-v", "3"}};
  INFO(e.dump());
  constexpr int n = 20;
  struct sample {
    std::string name;
    k8s::timestamp created_wall;
    steady_clock::time_point created;
    std::optional<double> running_after;
  };
  std::vector<sample> samples;
  std::map<std::string, std::string> ips; // pod name -> podIP once Running
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "lat-%02d", i);
    pod_spec p{name, std::string{trap_term}};
    p.batch = "lat";
    auto wall = wall_now();
    auto at = steady_clock::now();
    e.create(p);
    samples.push_back({name, wall, at, std::nullopt});
  }
  auto all_running = [&] {
    auto list = e.cluster().get(pods_path + "?labelSelector=batch%3Dlat");
    const auto* items = list.body.find("items");
    if (items == nullptr)
      return false;
    auto now = steady_clock::now();
    for (const auto& p : items->as_array()) {
      if (!is_running(p))
        continue;
      auto name = str_at(p, {"metadata", "name"});
      ips[name] = str_at(p, {"status", "podIP"});
      for (auto& s : samples)
        if (s.name == name && !s.running_after)
          s.running_after = std::chrono::duration<double>(now - s.created).count();
    }
    return std::all_of(samples.begin(), samples.end(),
                       [](const sample& s) { return s.running_after.has_value(); });
  };
  bool done = eventually(all_running, 120s);
  std::vector<double> latencies;
  for (const auto& s : samples)
    if (s.running_after)
      latencies.push_back(*s.running_after);
  REQUIRE_MESSAGE(done, latencies.size() << " of " << n << " pods Running after 120 s");
  auto p50 = percentile(latencies, 50);
  auto p99 = percentile(latencies, 99);
  report("creation to Running over ", n, " pods created at once: p50 ",
         p50 * 1000, " ms, p99 ", p99 * 1000, " ms, min ",
         *std::min_element(latencies.begin(), latencies.end()) * 1000, " ms");
  CHECK(p99 < 30.0);
  // Each has an address of its own in the lab's subnet.
  std::set<std::string> distinct;
  for (const auto& [name, ip] : ips) {
    CAPTURE(name);
    CHECK(is_ipv4(ip));
    CHECK(ip.starts_with(subnet_prefix()));
    distinct.insert(ip);
  }
  CHECK(distinct.size() == n);

  // Where the time goes (cafelet's log, same host clock): API server watch
  // to admission; RunPodSandbox (containerd + CNI); sandbox to Running as
  // seen at the API server (image check, CreateContainer, StartContainer
  // in containerd, then the status patch).
  std::vector<double> to_admit;
  std::vector<double> sandbox;
  std::vector<double> rest;
  for (const auto& s : samples) {
    auto pod_kv = "pod=e2e/" + s.name + " ";
    auto admitted = first_log_time(e.node(), {"msg=\"pod admitted\"", pod_kv});
    auto begin = first_log_time(e.node(), {"msg=\"pod transition\"", pod_kv,
                                           "event=admitted"});
    auto ready = first_log_time(e.node(), {"msg=\"pod transition\"", pod_kv,
                                           "event=sandbox_ready"});
    if (!admitted || !begin || !ready || !s.running_after)
      continue;
    to_admit.push_back(seconds_between(s.created_wall, *admitted));
    sandbox.push_back(seconds_between(*begin, *ready));
    auto running_wall = s.created_wall
                        + std::chrono::microseconds{static_cast<int64_t>(
                          *s.running_after * 1e6)};
    rest.push_back(seconds_between(*ready, running_wall));
  }
  WARN_MESSAGE(to_admit.size() == n, "transition log lines found for "
                                       << to_admit.size() << " pods only");
  if (!to_admit.empty())
    report("median split: creation to admission ",
           percentile(to_admit, 50) * 1000, " ms; RunPodSandbox ",
           percentile(sandbox, 50) * 1000, " ms (p99 ",
           percentile(sandbox, 99) * 1000, " ms); sandbox ready to Running seen ",
           percentile(rest, 50) * 1000, " ms (p99 ", percentile(rest, 99) * 1000,
           " ms)");
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("exit codes under each restart policy: Succeeded, Failed, and "
          "CrashLoopBackOff with a growing back-off") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec never0{"never-0", "exit 0", "Never"};
  pod_spec onfailure0{"onfailure-0", "exit 0", "OnFailure"};
  pod_spec never3{"never-3", "exit 3", "Never"};
  pod_spec always3{"always-3", "exit 3", "Always"};
  std::map<std::string, std::string> uids;
  for (const auto* p : {&never0, &onfailure0, &never3, &always3})
    uids[p->name] = str_at(e.create(*p), {"metadata", "uid"});
  auto created = steady_clock::now();

  // The crash loop, followed from creation: the first exit restarts at
  // once; the next waits 10 s ("back-off 10s"), the one after 20 s.
  struct seen_at {
    std::optional<double> t;
    int64_t restarts = -1;
    k8s::timestamp wall{};
  };
  seen_at backoff10;
  seen_at restart_after10;
  seen_at backoff20;
  seen_at restart_after20;
  json::value crash;
  std::string crash_uid = uids["always-3"];
  auto follow = [&](const json::value& p) {
    auto now = seconds_since(created);
    auto msg = waiting_message(p);
    auto rc = restart_count(p);
    bool waiting = waiting_reason(p) == "CrashLoopBackOff";
    if (!backoff10.t && waiting && msg.find("back-off 10s") != std::string::npos)
      backoff10 = {now, rc, wall_now()};
    if (backoff10.t && !restart_after10.t && rc > backoff10.restarts)
      restart_after10 = {now, rc};
    if (!backoff20.t && waiting && msg.find("back-off 20s") != std::string::npos)
      backoff20 = {now, rc};
    if (backoff20.t && !restart_after20.t && rc > backoff20.restarts)
      restart_after20 = {now, rc};
  };
  bool got20 = e.wait_pod(
    "always-3",
    [&](const json::value& p) {
      follow(p);
      return backoff20.t.has_value();
    },
    45s, crash);
  CAPTURE(json::dump(crash));
  CHECK_MESSAGE(backoff10.t.has_value(), "never saw \"back-off 10s\"");
  CHECK_MESSAGE(got20, "never saw \"back-off 20s\" within 45 s of creation");
  if (backoff10.t)
    report("always-3: back-off 10s seen ", *backoff10.t, " s after creation (restartCount ",
           backoff10.restarts, ")");
  if (restart_after10.t && backoff10.t) {
    auto gap = *restart_after10.t - *backoff10.t;
    report("always-3: restarted ", gap, " s after back-off 10s was seen");
    CHECK(gap >= 7.0);
    CHECK(gap <= 14.0);
  }
  if (got20) {
    report("always-3: back-off 20s seen ", *backoff20.t,
           " s after creation (restartCount ", backoff20.restarts, ")");
    CHECK(backoff20.restarts > backoff10.restarts);
    // The state while backing off: waiting CrashLoopBackOff with upstream's
    // message, the last termination exit code 3 / Error, not ready.
    CHECK(waiting_reason(crash) == "CrashLoopBackOff");
    CHECK(waiting_message(crash)
          == "back-off 20s restarting failed container=app pod=" + pod_ref(crash));
    const auto& cs = app_status(crash);
    CHECK(int_at(cs, {"lastState", "terminated", "exitCode"}) == 3);
    CHECK(str_at(cs, {"lastState", "terminated", "reason"}) == "Error");
    // lastState is the latest termination: the run after the 10 s back-off
    // (upstream: the dead container that containerID names).
    CHECK(str_at(cs, {"lastState", "terminated", "containerID"})
          == cs.get_string("containerID"));
    auto finished = time_at(cs, {"lastState", "terminated", "finishedAt"});
    REQUIRE(finished.has_value());
    CHECK_MESSAGE(*finished >= std::chrono::time_point_cast<std::chrono::seconds>(
                                 backoff10.wall),
                  "lastState.terminated.finishedAt "
                    << k8s::format_time(*finished)
                    << " is older than the back-off 10s state, seen at "
                    << k8s::format_micro_time(backoff10.wall));
    CHECK(cs.get_bool("ready", true) == false);
    CHECK(phase_of(crash) == "Running");
    CHECK(condition_status(crash, "Ready") == "False");
    CHECK(condition_status(crash, "ContainersReady") == "False");
    // The restart after the 20 s back-off.
    json::value later;
    bool restarted = e.wait_pod(
      "always-3",
      [&](const json::value& p) {
        follow(p);
        return restart_after20.t.has_value();
      },
      30s, later);
    CHECK_MESSAGE(restarted, "no restart after the 20 s back-off; last: "
                               << json::dump(later));
    if (restarted) {
      auto gap = *restart_after20.t - *backoff20.t;
      report("always-3: restarted ", gap, " s after back-off 20s was seen");
      CHECK(gap >= 16.0);
      CHECK(gap <= 25.0);
    }
  }

  // The others are long done by now.
  auto terminal = [](const json::value& p) {
    auto ph = phase_of(p);
    return ph == "Succeeded" || ph == "Failed";
  };
  for (const auto* name : {"never-0", "onfailure-0"}) {
    CAPTURE(name);
    json::value p;
    REQUIRE_MESSAGE(e.wait_pod(name, terminal, 20s, p),
                    name << " never finished; last: " << json::dump(p));
    CAPTURE(json::dump(p));
    CHECK(phase_of(p) == "Succeeded");
    const auto& cs = app_status(p);
    CHECK(str_at(cs, {"state", "terminated", "reason"}) == "Completed");
    CHECK(int_at(cs, {"state", "terminated", "exitCode"}) == 0);
    CHECK(cs.get_string("containerID").starts_with("containerd://"));
    CHECK(restart_count(p) == 0);
    CHECK(cs.get_bool("ready", true) == false);
    const auto* ready = condition(p, "Ready");
    REQUIRE(ready != nullptr);
    CHECK(ready->get_string("status") == "False");
    CHECK(ready->get_string("reason") == "PodCompleted");
  }
  {
    json::value p;
    REQUIRE_MESSAGE(e.wait_pod("never-3", terminal, 20s, p),
                    "never-3 never finished; last: " << json::dump(p));
    CAPTURE(json::dump(p));
    CHECK(phase_of(p) == "Failed");
    const auto& cs = app_status(p);
    CHECK(str_at(cs, {"state", "terminated", "reason"}) == "Error");
    CHECK(int_at(cs, {"state", "terminated", "exitCode"}) == 3);
    CHECK(restart_count(p) == 0);
    const auto* ready = condition(p, "Ready");
    REQUIRE(ready != nullptr);
    CHECK(ready->get_string("status") == "False");
    CHECK(ready->get_string("reason") == "PodFailed");
  }

  // Events: the crash loop's BackOff, and Created/Started for every try.
  auto events = e.events_of(crash_uid);
  CAPTURE(reasons_of(events));
  const auto* backoff = find_event(events, "BackOff");
  REQUIRE(backoff != nullptr);
  check_pod_event(*backoff, crash, "Warning");
  CHECK(backoff->get_string("message")
        == "Back-off restarting failed container app in pod " + pod_ref(crash));
  for (auto reason : {"Created", "Started"}) {
    CAPTURE(reason);
    const auto* ev = find_event(events, reason);
    REQUIRE(ev != nullptr);
    check_pod_event(*ev, crash, "Normal");
    CHECK(int_at(*ev, {"count"}) >= 3);
  }

  // Deleting the finished pods removes them at once at the API server;
  // cafelet then removes their containers and sandboxes.
  for (const auto* name : {"never-0", "onfailure-0", "never-3"}) {
    e.remove(name);
    CHECK(e.get(name).status == 404);
  }
  for (const auto* name : {"never-0", "onfailure-0", "never-3"}) {
    CAPTURE(name);
    std::optional<std::vector<std::string>> left;
    CHECK_MESSAGE(eventually(
                    [&] {
                      left = runtime_containers(uids[name]);
                      return left && left->empty();
                    },
                    15s),
                  "left in the runtime: " << (left ? joined(*left) : "<ctr failed>"));
  }
  // ... and nothing comes back for them.
  auto leftovers = runtime_leftovers({uids["never-0"], uids["onfailure-0"],
                                      uids["never-3"]});
  CHECK_MESSAGE(leftovers.empty(), "in the runtime after deletion: " << leftovers);
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("graceful deletion: a TERM-trapping container goes at once, a "
          "TERM-ignoring one after its grace period; nothing is left") {
  pod_e2e e;
  INFO(e.dump());
  auto trapper = e.create({"trapper", std::string{trap_term}});
  pod_spec stubborn_spec{"stubborn", std::string{ignore_term}};
  stubborn_spec.grace = 3;
  auto stubborn = e.create(stubborn_spec);
  for (const auto* name : {"trapper", "stubborn"}) {
    json::value p;
    REQUIRE_MESSAGE(e.wait_pod(name, is_running, 30s, p),
                    name << " never Running; last: " << json::dump(p));
  }
  auto trapper_uid = str_at(trapper, {"metadata", "uid"});
  auto stubborn_uid = str_at(stubborn, {"metadata", "uid"});
  for (const auto& uid : {trapper_uid, stubborn_uid}) {
    auto ids = runtime_containers(uid);
    REQUIRE(ids.has_value());
    CHECK_MESSAGE(ids->size() == 2, "runtime containers of " << uid << ": "
                                                             << joined(*ids));
  }

  // Default grace (30 s): SIGTERM ends it at once.
  {
    auto asked = steady_clock::now();
    e.remove("trapper");
    auto pending = e.get("trapper");
    CHECK(pending.status == 200); // graceful: still there, with a deletionTimestamp
    CHECK(int_at(pending.body, {"metadata", "deletionGracePeriodSeconds"}) == 30);
    REQUIRE_MESSAGE(e.wait_gone("trapper", 20s), "trapper still there after 20 s");
    auto took = seconds_since(asked);
    report("trapper (TERM-trapping, grace 30 s) gone ", took, " s after DELETE");
    CHECK(took < 5.0);
    auto left = runtime_containers(trapper_uid);
    REQUIRE(left.has_value());
    CHECK_MESSAGE(left->empty(), "left in the runtime: " << joined(*left));
  }
  // Grace 3 s: SIGTERM is ignored, SIGKILL after 3 s.
  {
    auto asked = steady_clock::now();
    e.remove("stubborn");
    REQUIRE_MESSAGE(e.wait_gone("stubborn", 20s), "stubborn still there after 20 s");
    auto took = seconds_since(asked);
    report("stubborn (TERM-ignoring, grace 3 s) gone ", took, " s after DELETE");
    CHECK(took >= 2.5);
    CHECK(took < 10.0);
    auto left = runtime_containers(stubborn_uid);
    REQUIRE(left.has_value());
    CHECK_MESSAGE(left->empty(), "left in the runtime: " << joined(*left));
  }
  // Nothing comes back for either after their deletion completed.
  auto leftovers = runtime_leftovers({trapper_uid, stubborn_uid});
  CHECK_MESSAGE(leftovers.empty(), "in the runtime after deletion: " << leftovers);
  // Killing events for both.
  for (const auto* pod : {&trapper, &stubborn}) {
    auto events = e.events_of(str_at(*pod, {"metadata", "uid"}));
    CAPTURE(reasons_of(events));
    const auto* killing = find_event(events, "Killing");
    REQUIRE(killing != nullptr);
    check_pod_event(*killing, *pod, "Normal");
    CHECK(killing->get_string("message") == "Stopping container app");
  }
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("pod specs cafelet cannot honour end in a clear reason and event, "
          "never a crash") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec absent{"absent-image", std::string{trap_term}};
  absent.image = "localhost/absent:ci";
  pod_spec nonroot{"root-as-nonroot", std::string{trap_term}};
  nonroot.security_context = json::value{json::object{}};
  nonroot.security_context["runAsNonRoot"] = true;
  nonroot.security_context["runAsUser"] = 0;
  auto absent_pod = e.create(absent);
  auto nonroot_pod = e.create(nonroot);
  int probes = 0;
  int unhealthy = 0;
  auto healthy = [&] {
    ++probes;
    if (e.node().healthz() != 200)
      ++unhealthy;
  };

  json::value p;
  CHECK_MESSAGE(e.wait_pod(
                  "absent-image",
                  [&](const json::value& x) {
                    healthy();
                    return waiting_reason(x) == "ErrImageNeverPull";
                  },
                  30s, p),
                "absent-image: waiting reason " << waiting_reason(p));
  CHECK(waiting_message(p)
        == "Container image \"localhost/absent:ci\" is not present with pull "
           "policy of Never");
  CHECK(phase_of(p) == "Pending");
  json::value q;
  CHECK_MESSAGE(e.wait_pod(
                  "root-as-nonroot",
                  [&](const json::value& x) {
                    healthy();
                    return waiting_reason(x) == "CreateContainerConfigError";
                  },
                  30s, q),
                "root-as-nonroot: waiting reason " << waiting_reason(q));
  CHECK(waiting_message(q)
        == "container's runAsUser breaks non-root policy (pod: \""
             + pod_ref(q) + "\", container: app)");
  CHECK(phase_of(q) == "Pending");

  // Upstream keeps ErrImageNeverPull (there is no pull to back off from)
  // and retries CreateContainerConfigError: watched over 12 s, cafelet's
  // retry period (10 s) and more.
  std::set<std::string> absent_reasons;
  std::set<std::string> nonroot_reasons;
  auto window = steady_clock::now();
  while (seconds_since(window) < 12.0) {
    healthy();
    if (auto x = e.get("absent-image"); x.status == 200)
      absent_reasons.insert(waiting_reason(x.body));
    if (auto x = e.get("root-as-nonroot"); x.status == 200)
      nonroot_reasons.insert(waiting_reason(x.body));
    pause_for(250ms);
  }
  auto names = [](const std::set<std::string>& xs) {
    return joined(std::vector<std::string>(xs.begin(), xs.end()));
  };
  CHECK_MESSAGE(absent_reasons == std::set<std::string>{"ErrImageNeverPull"},
                "absent-image waiting reasons seen: " << names(absent_reasons));
  CHECK_MESSAGE(nonroot_reasons == std::set<std::string>{"CreateContainerConfigError"},
                "root-as-nonroot waiting reasons seen: " << names(nonroot_reasons));
  CHECK(unhealthy == 0);
  report("unhonourable specs: ", probes, " /healthz probes, ", unhealthy, " not 200");

  // Events: Failed ("Error: ...") for both; ErrImageNeverPull from the
  // image manager with its message.
  {
    auto events = e.events_of(str_at(absent_pod, {"metadata", "uid"}));
    CAPTURE(reasons_of(events));
    const auto* never = find_event(events, "ErrImageNeverPull");
    CHECK(never != nullptr);
    if (never != nullptr) {
      check_pod_event(*never, absent_pod, "Warning");
      CHECK(never->get_string("message")
            == "Container image \"localhost/absent:ci\" is not present with pull "
               "policy of Never");
    }
    const auto* failed = find_event(events, "Failed");
    REQUIRE(failed != nullptr);
    check_pod_event(*failed, absent_pod, "Warning");
    CHECK(failed->get_string("message").starts_with("Error: "));
  }
  {
    auto events = e.events_of(str_at(nonroot_pod, {"metadata", "uid"}));
    CAPTURE(reasons_of(events));
    const auto* failed = find_event(events, "Failed");
    REQUIRE(failed != nullptr);
    check_pod_event(*failed, nonroot_pod, "Warning");
    CHECK(failed->get_string("message")
          == "Error: container's runAsUser breaks non-root policy (pod: \""
               + pod_ref(nonroot_pod) + "\", container: app)");
  }

  // Both delete cleanly: no container ever ran, the sandboxes go.
  std::string before;
  for (const auto* pod : {&absent_pod, &nonroot_pod})
    if (auto ids = runtime_containers(str_at(*pod, {"metadata", "uid"})))
      before += str_at(*pod, {"metadata", "name"}) + ": " + joined(*ids) + "; ";
  INFO("in the runtime before deletion: " << before);
  for (const auto* pod : {&absent_pod, &nonroot_pod}) {
    auto name = str_at(*pod, {"metadata", "name"});
    CAPTURE(name);
    e.remove(name);
    CHECK_MESSAGE(e.wait_gone(name, 20s), name << " still there after 20 s");
    auto left = runtime_containers(str_at(*pod, {"metadata", "uid"}));
    REQUIRE(left.has_value());
    CHECK_MESSAGE(left->empty(), "left in the runtime: " << joined(*left));
  }
  auto leftovers = runtime_leftovers({str_at(absent_pod, {"metadata", "uid"}),
                                      str_at(nonroot_pod, {"metadata", "uid"})});
  CHECK_MESSAGE(leftovers.empty(), "in the runtime after deletion: " << leftovers);
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("a container over its memory limit is OOMKilled: exit code 137, "
          "phase Failed") {
  pod_e2e e;
  INFO(e.dump());
  // Doubles a shell string until the 16 MiB limit stops it.
  pod_spec hog{"hog", "a=x; while true; do a=\"$a$a\"; done", "Never"};
  hog.memory = "16Mi";
  e.create(hog);
  auto t0 = steady_clock::now();
  json::value p;
  REQUIRE_MESSAGE(e.wait_pod("hog", is_finished, 60s, p),
                  "hog never finished; last: " << json::dump(p));
  report("hog (16Mi, Never) finished ", seconds_since(t0), " s after creation");
  CAPTURE(json::dump(p));
  CHECK(phase_of(p) == "Failed");
  const auto& cs = app_status(p);
  CHECK(str_at(cs, {"state", "terminated", "reason"}) == "OOMKilled");
  CHECK(int_at(cs, {"state", "terminated", "exitCode"}) == 137);
  CHECK(cs.get_string("containerID").starts_with("containerd://"));
  CHECK(restart_count(p) == 0);
  CHECK(str_at(p, {"status", "qosClass"}) == "Burstable");
  const auto* ready = condition(p, "Ready");
  REQUIRE(ready != nullptr);
  CHECK(ready->get_string("status") == "False");
  CHECK(ready->get_string("reason") == "PodFailed");
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}

TEST_CASE("kill -9 of cafelet: a new process adopts the running pods "
          "without restarting them, and still deletes them") {
  constexpr std::string_view adopted = "adopted a running pod from the container runtime";
  pod_e2e e;
  INFO(e.dump());
  auto pods = start_pods(e, "adopt", 5);
  REQUIRE(e.node().lines_with({adopted}).empty());

  REQUIRE(e.node().kill_hard() == 128 + SIGKILL);
  // The runtime keeps everything while no kubelet runs.
  CHECK_MESSAGE(changed(e, pods, true).empty(), changed(e, pods, true));
  auto t0 = steady_clock::now();
  e.node().restart();
  std::vector<std::string> lines;
  bool all = eventually(
    [&] {
      lines = e.node().lines_with({adopted});
      return lines.size() >= pods.size();
    },
    30s);
  auto took = seconds_since(t0);
  CHECK_MESSAGE(all, lines.size() << " adoption log lines 30 s after the restart");
  report("kill -9: ", lines.size(), " pods adopted ", took, " s after the new process started");
  CHECK(e.node().healthz() == 200);
  CHECK(eventually([&] { return node_ready(e.cluster()) == "True"; }, 15s));
  // Watched for 8 s (status reports every 5 s, relists every second):
  // nothing restarts, nothing new in the runtime.
  std::string diff;
  auto window = steady_clock::now();
  while (diff.empty() && seconds_since(window) < 8.0) {
    diff = changed(e, pods, true);
    pause_for(250ms);
  }
  CHECK_MESSAGE(diff.empty(), "after adoption: " << diff);
  CHECK(e.node().lines_with({adopted}).size() == pods.size());
  for (const auto& [name, rp] : pods) {
    CAPTURE(name);
    auto found = std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.find("pod=e2e/" + name + " ") != std::string::npos;
    });
    CHECK_MESSAGE(found, "no adoption line for " << name);
  }

  // Deleting an adopted pod still stops and removes it.
  auto asked = steady_clock::now();
  e.remove("adopt-0");
  REQUIRE_MESSAGE(e.wait_gone("adopt-0", 20s), "adopt-0 still there after 20 s");
  report("kill -9: adopted pod adopt-0 gone ", seconds_since(asked), " s after DELETE");
  std::optional<std::vector<std::string>> left;
  CHECK_MESSAGE(eventually(
                  [&] {
                    left = runtime_containers(pods["adopt-0"].uid);
                    return left && left->empty();
                  },
                  15s),
                "left in the runtime: " << (left ? joined(*left) : "<ctr failed>"));
  auto leftovers = runtime_leftovers({pods["adopt-0"].uid});
  CHECK_MESSAGE(leftovers.empty(), "in the runtime after deletion: " << leftovers);
  pods.erase("adopt-0");
  CHECK_MESSAGE(changed(e, pods).empty(), changed(e, pods));
  CHECK(e.node().running());
}

TEST_CASE("a pod whose sandbox dies gets a new one, also across a cafelet "
          "restart: its container restarts there, counted; the old sandbox goes") {
  pod_e2e e;
  INFO(e.dump());
  auto pods = start_pods(e, "sbloss", 1);
  const auto uid = pods["sbloss-0"].uid;
  auto old_container = pods["sbloss-0"].container_id;
  // Running and Ready again with `restarts`, in one new sandbox (not
  // `dead`), and nothing else left in the runtime.
  auto recovered = [&](int64_t restarts, const std::string& dead, json::value& last,
                       std::string& runtime) {
    return eventually(
      [&] {
        auto p = e.get("sbloss-0");
        if (p.status != 200)
          return false;
        last = std::move(p.body);
        if (!is_running(last) || restart_count(last) != restarts
            || condition_status(last, "Ready") != "True")
          return false;
        auto sandboxes = runtime_sandboxes(uid);
        auto all = runtime_containers(uid);
        runtime = sandboxes && all ? "sandboxes " + joined(*sandboxes) + "; all " + joined(*all)
                                   : "ctr failed";
        return sandboxes && all && sandboxes->size() == 1 && sandboxes->front() != dead
               && all->size() == 2;
      },
      45s);
  };

  // While cafelet runs: the PLEG sees the sandbox die.
  auto t0 = steady_clock::now();
  auto dead = kill_sandbox(uid);
  REQUIRE_MESSAGE(!dead.empty(), "could not kill the sandbox of sbloss-0");
  json::value p;
  std::string runtime;
  REQUIRE_MESSAGE(recovered(1, dead, p, runtime),
                  "not recovered with restartCount 1; runtime: " << runtime << "; pod: "
                                                                 << json::dump(p));
  report("sandbox loss: Running again in a new sandbox ", seconds_since(t0),
         " s after its pause process was killed");
  CHECK(container_id(p) != old_container);
  CHECK(str_at(app_status(p), {"lastState", "terminated", "containerID"}) == old_container);
  CHECK(is_ipv4(str_at(p, {"status", "podIP"})));
  auto events = e.events_of(uid);
  const auto* changed_ev = find_event(events, "SandboxChanged");
  REQUIRE_MESSAGE(changed_ev != nullptr, "events: " << reasons_of(events));
  CHECK(changed_ev->get_string("message")
        == "Pod sandbox changed, it will be killed and re-created.");

  // While no cafelet runs: the restarted one finds the dead sandbox.
  auto second_container = container_id(p);
  REQUIRE(e.node().kill_hard() == 128 + SIGKILL);
  auto dead2 = kill_sandbox(uid);
  REQUIRE_MESSAGE(!dead2.empty(), "could not kill the second sandbox");
  e.node().restart();
  REQUIRE_MESSAGE(recovered(2, dead2, p, runtime),
                  "not recovered after the restart with restartCount 2; runtime: "
                    << runtime << "; pod: " << json::dump(p));
  CHECK(container_id(p) != second_container);
  CHECK(e.node().running());
}

TEST_CASE("containerd restarts under running pods: they keep running, the "
          "node stays Ready, new pods start") {
  const char* src = std::getenv("CAFELET_SOURCE_ROOT");
  REQUIRE_MESSAGE(src != nullptr, "CAFELET_SOURCE_ROOT is not set");
  REQUIRE_MESSAGE(std::getenv("CAFELET_CTD_DIR") != nullptr,
                  "not inside scripts/with-containerd-lab.sh");
  pod_e2e e;
  INFO(e.dump());
  auto pods = start_pods(e, "steady", 3);

  // The daemon's pid, from "running pid <n> endpoint ...".
  auto lab = std::string{src} + "/scripts/containerd-lab.sh";
  auto daemon_pid = [&] {
    auto [rc, out] = run_shell(lab + " status");
    std::istringstream words{out};
    std::string running, pid_word, pid;
    words >> running >> pid_word >> pid;
    return rc == 0 && running == "running" && pid_word == "pid" ? pid : std::string{};
  };
  auto pid_before = daemon_pid();
  REQUIRE_MESSAGE(!pid_before.empty(), "containerd-lab.sh status: no pid");

  // The restart runs beside a watch of /healthz, the node's Ready
  // condition and the pods, continued for 15 s after it.
  std::atomic<bool> done{false};
  std::pair<int, std::string> restart_result;
  auto t0 = steady_clock::now();
  double restart_took = 0;
  std::thread restarter{[&] {
    restart_result = run_shell(lab + " restart");
    restart_took = seconds_since(t0);
    done = true;
  }};
  int probes = 0;
  std::vector<std::string> unhealthy;
  double not_ready_since = -1; // < 0: Ready
  double longest_not_ready = 0;
  std::string ready_seen;
  std::string diff;
  std::optional<steady_clock::time_point> finished;
  while (!finished || seconds_since(*finished) < 15.0) {
    if (!finished && done)
      finished = steady_clock::now();
    auto now = seconds_since(t0);
    ++probes;
    if (auto code = e.node().healthz(); code != 200)
      unhealthy.push_back(std::to_string(code) + " at " + std::to_string(now) + " s");
    auto ready = node_ready(e.cluster());
    if (ready_seen.empty() || !ready_seen.ends_with(ready + " "))
      ready_seen += "[" + std::to_string(now) + " s] " + ready + " ";
    if (ready != "True") {
      if (not_ready_since < 0)
        not_ready_since = now;
      longest_not_ready = std::max(longest_not_ready, now - not_ready_since);
    } else {
      not_ready_since = -1;
    }
    if (diff.empty())
      diff = changed(e, pods);
    pause_for(200ms);
  }
  restarter.join();
  REQUIRE_MESSAGE(restart_result.first == 0,
                  "containerd-lab.sh restart: " << restart_result.second);
  auto pid_after = daemon_pid();
  CHECK_MESSAGE((!pid_after.empty() && pid_after != pid_before),
                "containerd pid " << pid_before << " before, " << pid_after
                                  << " after: " << restart_result.second);
  report("containerd restart took ", restart_took, " s; ", probes, " probes, ",
         unhealthy.size(), " /healthz not 200; longest not Ready ",
         longest_not_ready, " s; Ready seen: ", ready_seen);
  CHECK_MESSAGE(unhealthy.empty(), "/healthz: " << joined(unhealthy));
  CHECK_MESSAGE(longest_not_ready <= 10.0, "Ready over time: " << ready_seen);
  CHECK(node_ready(e.cluster()) == "True");
  CHECK_MESSAGE(diff.empty(), "during or after the restart: " << diff);
  CHECK(e.node().running());
  // The runtime still holds exactly what it held.
  auto after = changed(e, pods, true);
  CHECK_MESSAGE(after.empty(), "after the restart: " << after);

  // A pod created afterwards starts.
  e.create({"after-restart", std::string{trap_term}});
  auto created = steady_clock::now();
  json::value p;
  CHECK_MESSAGE(e.wait_pod("after-restart", is_running, 30s, p),
                "after-restart never Running; last: " << json::dump(p));
  report("containerd restart: a new pod Running ", seconds_since(created),
         " s after creation");
  CHECK(e.node().healthz() == 200);
  CHECK(e.node().running());
}
