// Probes end to end on the real runtime: cafelet against the test API
// server and a private containerd lab (scripts/with-containerd-lab.sh).
// A busybox httpd whose readiness follows a file removed and restored in
// the container; a liveness exec probe that starts failing and restarts the
// container; a startup probe that holds a would-be-fatal liveness probe
// off; a tcpSocket probe on a named port; a grpc probe against a health
// server this test runs on the node's network (hostNetwork pod); a probe
// naming a port the container does not have.
//
// Every wait is a bounded poll of the API server; fixed periods are used
// only to observe that something does NOT change.

#include "tests/integration/pod_e2e.hpp"
#include "tests/support/grpc_health_server.hpp"

using namespace cafelet;
using namespace cafelet::e2e;
using namespace cafelet::testing;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

namespace {

json::value parse_json(std::string_view text) {
  auto v = json::parse(text);
  REQUIRE_MESSAGE(static_cast<bool>(v), "bad JSON in the test: " << text);
  return std::move(*v);
}

bool ready(const json::value& pod) {
  return condition_status(pod, "Ready") == "True";
}

/// The runtime ID of the pod's app container ("containerd://<id>").
std::string runtime_id(const json::value& pod) {
  auto id = container_id(pod);
  auto sep = id.find("://");
  return sep == std::string::npos ? id : id.substr(sep + 3);
}

/// Runs `cmd` in the app container through ctr; true if it exited 0.
bool exec_in(const json::value& pod, const std::string& cmd) {
  static int n = 0;
  auto out = ctr("tasks exec --exec-id probe-e2e-" + std::to_string(++n) + " "
                 + runtime_id(pod) + " sh -c '" + cmd + "'");
  return out.has_value();
}

/// Events of the pod with `reason` whose message contains `text`.
bool has_event(pod_e2e& e, const std::string& uid, std::string_view reason,
               std::string_view text) {
  for (const auto& ev : e.events_of(uid))
    if (ev.get_string("reason") == reason
        && ev.get_string("message").find(text) != std::string::npos)
      return true;
  return false;
}

double since(steady_clock::time_point t0) {
  return std::chrono::duration<double>(steady_clock::now() - t0).count();
}

} // namespace

TEST_CASE("readiness httpGet: the pod's Ready follows a file removed and restored") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"web", "mkdir -p /www && echo ok > /www/index.html && "
                       "exec httpd -f -p 8080 -h /www"};
  spec.container_extra = parse_json(R"({
    "ports": [{"name": "http", "containerPort": 8080}],
    "readinessProbe": {"httpGet": {"path": "/index.html", "port": "http"},
                       "periodSeconds": 1, "failureThreshold": 2}})");
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("web", [](const json::value& p) { return ready(p); }, 30s, pod),
                  "never Ready: " << json::dump(pod));
  CHECK(condition_status(pod, "ContainersReady") == "True");

  // period 1 s x failureThreshold 2: NotReady within ~2 s (bounded at 10).
  REQUIRE(exec_in(pod, "rm /www/index.html"));
  auto t0 = steady_clock::now();
  REQUIRE_MESSAGE(e.wait_pod("web", [](const json::value& p) { return !ready(p); }, 10s, pod),
                  "still Ready 10 s after the file was removed");
  auto unready_after = since(t0);
  report("readiness: NotReady ", unready_after, " s after the file was removed");
  CHECK(unready_after < 5.0);
  CHECK(condition_status(pod, "ContainersReady") == "False");
  CHECK(phase_of(pod) == "Running");
  CHECK(eventually([&] {
    return has_event(e, uid, "Unhealthy",
                     "Readiness probe failed: HTTP probe failed with statuscode: 404");
  }, 10s));

  REQUIRE(exec_in(pod, "echo ok > /www/index.html"));
  t0 = steady_clock::now();
  REQUIRE_MESSAGE(e.wait_pod("web", [](const json::value& p) { return ready(p); }, 10s, pod),
                  "not Ready again 10 s after the file was restored");
  report("readiness: Ready again ", since(t0), " s after the file was restored");
  // Readiness never restarts.
  CHECK(restart_count(pod) == 0);
}

TEST_CASE("liveness exec: a probe that starts failing restarts the container") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"alive", "trap 'exit 0' TERM; touch /tmp/healthy; sleep 3; "
                         "rm /tmp/healthy; while true; do sleep 1 & wait $!; done"};
  spec.container_extra = parse_json(R"({
    "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                      "periodSeconds": 1, "failureThreshold": 2}})");
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("alive", [](const json::value& p) { return is_running(p); },
                             30s, pod),
                  "never Running: " << json::dump(pod));
  auto first = container_id(pod);
  // Restarted: running again as a new container, counted.
  REQUIRE_MESSAGE(e.wait_pod("alive",
                             [&](const json::value& p) {
                               return restart_count(p) >= 1 && container_id(p) != first
                                      && !str_at(app_status(p),
                                                 {"state", "running", "startedAt"})
                                            .empty();
                             },
                             30s, pod),
                  "no restart 30 s after the probe started failing: " << json::dump(pod));
  CHECK(str_at(app_status(pod), {"lastState", "terminated", "containerID"}) == first);
  CHECK(eventually([&] {
    return has_event(e, uid, "Unhealthy",
                     "Liveness probe failed: cat: can't open '/tmp/healthy'")
           && has_event(e, uid, "Killing",
                        "Container app failed liveness probe, will be restarted");
  }, 10s));
}

TEST_CASE("a startup probe holds a failing liveness probe off until it passes") {
  pod_e2e e;
  INFO(e.dump());
  // Liveness fails at the first attempt until /tmp/started exists (4 s).
  pod_spec spec{"slow", "trap 'exit 0' TERM; sleep 4; touch /tmp/started; "
                        "while true; do sleep 1 & wait $!; done"};
  spec.container_extra = parse_json(R"({
    "startupProbe": {"exec": {"command": ["cat", "/tmp/started"]},
                     "periodSeconds": 1, "failureThreshold": 30},
    "livenessProbe": {"exec": {"command": ["cat", "/tmp/started"]},
                      "periodSeconds": 1, "failureThreshold": 1}})");
  auto created = e.create(spec);
  auto t0 = steady_clock::now();
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("slow", [](const json::value& p) { return is_running(p); }, 30s,
                             pod),
                  "never Running: " << json::dump(pod));
  CHECK_FALSE(app_status(pod).get_bool("started"));
  REQUIRE_MESSAGE(e.wait_pod("slow",
                             [](const json::value& p) {
                               return app_status(p).get_bool("started") && ready(p);
                             },
                             30s, pod),
                  "never started: " << json::dump(pod));
  auto took = since(t0);
  report("startup probe: started ", took, " s after creation");
  CHECK(took >= 4.0);
  // Liveness now runs and passes: no restart for the next 4 s.
  auto until = steady_clock::now() + 4s;
  while (steady_clock::now() < until) {
    auto p = e.get("slow");
    REQUIRE(p.status == 200);
    REQUIRE_MESSAGE(restart_count(p.body) == 0, "restarted: " << json::dump(p.body));
    pause_for(500ms);
  }
}

TEST_CASE("tcpSocket readiness on a named port") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"tcp", "trap 'exit 0' TERM; while true; do nc -l -p 9000 </dev/null & "
                       "wait $!; done"};
  spec.container_extra = parse_json(R"({
    "ports": [{"name": "tcp-ready", "containerPort": 9000}],
    "readinessProbe": {"tcpSocket": {"port": "tcp-ready"}, "periodSeconds": 1}})");
  e.create(spec);
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("tcp", [](const json::value& p) { return ready(p); }, 30s, pod),
                  "never Ready: " << json::dump(pod));
  CHECK(restart_count(pod) == 0);
}

TEST_CASE("grpc readiness against a health server on the node's network") {
  grpc_health_server_options opts;
  opts.address = "0.0.0.0:0";
  grpc_health_server server{opts};
  REQUIRE(server.running());
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"grpc", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"};
  spec.host_network = true;
  spec.container_extra = parse_json(R"({"readinessProbe": {"grpc": {"port": )"
                                    + std::to_string(server.port())
                                    + R"(}, "periodSeconds": 1, "failureThreshold": 1}})");
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("grpc", [](const json::value& p) { return ready(p); }, 30s, pod),
                  "never Ready: " << json::dump(pod));
  CHECK(server.checks() >= 1);
  CHECK(server.last_user_agent().find("kube-probe/1.32") != std::string::npos);
  server.set_status("", health_status::not_serving);
  REQUIRE_MESSAGE(e.wait_pod("grpc", [](const json::value& p) { return !ready(p); }, 10s, pod),
                  "still Ready after NOT_SERVING");
  CHECK(eventually([&] {
    return has_event(e, uid, "Unhealthy",
                     "Readiness probe failed: service unhealthy (responded with "
                     "\"NOT_SERVING\")");
  }, 10s));
  server.set_status("", health_status::serving);
  CHECK(e.wait_pod("grpc", [](const json::value& p) { return ready(p); }, 10s, pod));
}

TEST_CASE("a probe naming a port the container does not have: a clear reason, no crash") {
  pod_e2e e;
  INFO(e.dump());
  pod_spec spec{"badport", "sleep 3600"};
  spec.container_extra = parse_json(R"({
    "livenessProbe": {"httpGet": {"path": "/", "port": "metrics"}}})");
  auto uid = str_at(e.create(spec), {"metadata", "uid"});
  json::value pod;
  REQUIRE_MESSAGE(e.wait_pod("badport",
                             [](const json::value& p) {
                               return waiting_reason(p) == "CreateContainerConfigError";
                             },
                             30s, pod),
                  "no CreateContainerConfigError: " << json::dump(pod));
  CHECK(waiting_message(pod)
        == "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"metrics\": no "
           "port of container app has this name");
  CHECK(eventually([&] {
    return has_event(e, uid, "Failed", "Error: spec.containers[0].livenessProbe.httpGet.port");
  }, 10s));
  CHECK(e.node().running());
  CHECK(e.node().healthz() == 200);
}
