// The pure probe logic: a probe spec checked as the API server checks it
// (errors name the field), defaults applied, port names resolved against the
// container's ports; attempts counted into results as upstream's worker.
#include "actors/probes/probe_plan.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cafelet;
using namespace cafelet::actors::probes;
using net::probe::probe_result;

namespace {

k8s::int_or_string port_number(int32_t n) {
  k8s::int_or_string x;
  x.int_value = n;
  return x;
}

k8s::int_or_string port_name(std::string name) {
  k8s::int_or_string x;
  x.is_string = true;
  x.string_value = std::move(name);
  return x;
}

k8s::probe exec_probe(std::vector<std::string> cmd = {"cat", "/tmp/healthy"}) {
  k8s::probe p;
  p.exec = k8s::exec_action{std::move(cmd)};
  return p;
}

k8s::probe http_probe(k8s::int_or_string port) {
  k8s::probe p;
  k8s::http_get_action h;
  h.port = std::move(port);
  h.path = "/healthz";
  p.http_get = std::move(h);
  return p;
}

k8s::probe tcp_probe(k8s::int_or_string port) {
  k8s::probe p;
  k8s::tcp_socket_action t;
  t.port = std::move(port);
  p.tcp_socket = std::move(t);
  return p;
}

k8s::container app() {
  k8s::container c;
  c.name = "app";
  c.image = "busybox";
  k8s::container_port http;
  http.name = "http";
  http.container_port = 8080;
  k8s::container_port admin;
  admin.name = "admin";
  admin.container_port = 9090;
  c.ports = {http, admin};
  return c;
}

/// The error text of planning `p` as the `kind` probe of `app()`, or "ok".
std::string error_of(probe_kind kind, const k8s::probe& p,
                     std::string_view field = "spec.containers[0]") {
  auto plan = plan_probe(kind, p, app(), field);
  if (plan)
    return "ok";
  CHECK(is(plan.error(), errc::invalid));
  return context_of(plan.error());
}

probe_plan plan_of(probe_kind kind, const k8s::probe& p) {
  auto plan = plan_probe(kind, p, app(), "spec.containers[0]");
  INFO((plan ? std::string{} : context_of(plan.error())));
  REQUIRE(plan);
  return *plan;
}

probe_plan plan_with(probe_kind kind, int32_t success, int32_t failure) {
  probe_plan p;
  p.kind = kind;
  p.success_threshold = success;
  p.failure_threshold = failure;
  return p;
}

} // namespace

TEST_CASE("probe kinds and handlers have upstream's names") {
  CHECK(std::string{to_string(probe_kind::liveness)} == "Liveness");
  CHECK(std::string{to_string(probe_kind::readiness)} == "Readiness");
  CHECK(std::string{to_string(probe_kind::startup)} == "Startup");
  CHECK(std::string{label_of(probe_kind::liveness)} == "liveness");
  CHECK(std::string{label_of(probe_kind::readiness)} == "readiness");
  CHECK(std::string{label_of(probe_kind::startup)} == "startup");
  CHECK(std::string{handler_name(probe_target{exec_target{}})} == "exec");
  CHECK(std::string{handler_name(probe_target{http_target{}})} == "httpGet");
  CHECK(std::string{handler_name(probe_target{tcp_target{}})} == "tcpSocket");
  CHECK(std::string{handler_name(probe_target{grpc_target{}})} == "grpc");
}

TEST_CASE("zero numeric fields take the API defaults; set ones are kept") {
  auto p = exec_probe();
  p.initial_delay_seconds = 0;
  p.timeout_seconds = 0;
  p.period_seconds = 0;
  p.success_threshold = 0;
  p.failure_threshold = 0;
  auto d = plan_of(probe_kind::readiness, p);
  CHECK(d.kind == probe_kind::readiness);
  CHECK(d.initial_delay == std::chrono::seconds{0});
  CHECK(d.timeout == std::chrono::seconds{1});
  CHECK(d.period == std::chrono::seconds{10});
  CHECK(d.success_threshold == 1);
  CHECK(d.failure_threshold == 3);
  CHECK(!d.termination_grace_seconds);
  p.initial_delay_seconds = 7;
  p.timeout_seconds = 4;
  p.period_seconds = 5;
  p.success_threshold = 2;
  p.failure_threshold = 6;
  auto s = plan_of(probe_kind::readiness, p);
  CHECK(s.initial_delay == std::chrono::seconds{7});
  CHECK(s.timeout == std::chrono::seconds{4});
  CHECK(s.period == std::chrono::seconds{5});
  CHECK(s.success_threshold == 2);
  CHECK(s.failure_threshold == 6);
}

TEST_CASE("handlers are resolved into targets") {
  SUBCASE("exec keeps the command") {
    auto plan = plan_of(probe_kind::liveness, exec_probe({"sh", "-c", "true"}));
    auto* t = std::get_if<exec_target>(&plan.target);
    REQUIRE(t != nullptr);
    CHECK(t->command == std::vector<std::string>{"sh", "-c", "true"});
  }
  SUBCASE("httpGet: number port, scheme defaulted, host, path and headers kept") {
    auto p = http_probe(port_number(8443));
    p.http_get->scheme = "";
    p.http_get->host = "192.0.2.9";
    p.http_get->http_headers = {{"X-Probe", "1"}, {"Accept", "text/plain"}};
    auto plan = plan_of(probe_kind::readiness, p);
    auto* t = std::get_if<http_target>(&plan.target);
    REQUIRE(t != nullptr);
    CHECK(t->scheme == "HTTP");
    CHECK(t->host == "192.0.2.9");
    CHECK(t->port == 8443);
    CHECK(t->path == "/healthz");
    REQUIRE(t->headers.size() == 2);
    CHECK(t->headers[0] == std::pair<std::string, std::string>{"X-Probe", "1"});
    CHECK(t->headers[1] == std::pair<std::string, std::string>{"Accept", "text/plain"});
  }
  SUBCASE("httpGet: HTTPS kept, a port name resolved to the container's port") {
    auto p = http_probe(port_name("admin"));
    p.http_get->scheme = "HTTPS";
    auto plan = plan_of(probe_kind::liveness, p);
    auto* t = std::get_if<http_target>(&plan.target);
    REQUIRE(t != nullptr);
    CHECK(t->scheme == "HTTPS");
    CHECK(t->port == 9090);
    CHECK(t->host.empty());
  }
  SUBCASE("tcpSocket: a port name resolved, the host kept") {
    auto p = tcp_probe(port_name("http"));
    p.tcp_socket->host = "db.local";
    auto plan = plan_of(probe_kind::startup, p);
    auto* t = std::get_if<tcp_target>(&plan.target);
    REQUIRE(t != nullptr);
    CHECK(t->port == 8080);
    CHECK(t->host == "db.local");
  }
  SUBCASE("grpc: port and service") {
    k8s::probe p;
    p.grpc = k8s::grpc_action{50051, "health.v1"};
    auto plan = plan_of(probe_kind::readiness, p);
    auto* t = std::get_if<grpc_target>(&plan.target);
    REQUIRE(t != nullptr);
    CHECK(t->port == 50051);
    CHECK(t->service == "health.v1");
  }
}

TEST_CASE("handler errors name the field as the API server does") {
  CHECK(error_of(probe_kind::liveness, k8s::probe{})
        == "spec.containers[0].livenessProbe: Required value: must specify a handler type");
  CHECK(error_of(probe_kind::readiness, k8s::probe{}, "spec.initContainers[2]")
        == "spec.initContainers[2].readinessProbe: Required value: must specify a "
           "handler type");
  {
    auto p = exec_probe();
    p.tcp_socket = k8s::tcp_socket_action{port_number(80), ""};
    auto e = error_of(probe_kind::startup, p);
    // Upstream names the second handler's field.
    CHECK(e == "spec.containers[0].startupProbe.tcpSocket: Forbidden: may not specify more "
               "than 1 handler type");
  }
  CHECK(error_of(probe_kind::readiness, exec_probe({}))
        == "spec.containers[0].readinessProbe.exec.command: Required value");
  CHECK(error_of(probe_kind::liveness, http_probe(port_number(0)))
        == "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be "
           "between 1 and 65535, inclusive");
  CHECK(error_of(probe_kind::liveness, tcp_probe(port_number(65536)))
        == "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 65536: must "
           "be between 1 and 65535, inclusive");
  CHECK(error_of(probe_kind::liveness, tcp_probe(port_number(65535))) == "ok");
  CHECK(error_of(probe_kind::liveness, tcp_probe(port_number(1))) == "ok");
  {
    k8s::probe p;
    p.grpc = k8s::grpc_action{-1, ""};
    CHECK(error_of(probe_kind::readiness, p)
          == "spec.containers[0].readinessProbe.grpc.port: Invalid value: -1: must be "
             "between 1 and 65535, inclusive");
  }
  {
    auto p = http_probe(port_number(80));
    p.http_get->scheme = "FTP";
    CHECK(error_of(probe_kind::liveness, p)
          == "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "
             "\"FTP\": supported values: \"HTTP\", \"HTTPS\"");
  }
  {
    auto p = http_probe(port_number(80));
    p.http_get->http_headers = {{"", "x"}};
    auto e = error_of(probe_kind::liveness, p);
    CHECK(e.find("spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"\": "
                 "a valid HTTP header must consist of alphanumeric characters or '-'")
          == 0);
    p.http_get->http_headers = {{"X Bad", "x"}};
    CHECK(error_of(probe_kind::liveness, p).find("Invalid value: \"X Bad\"")
          != std::string::npos);
  }
}

TEST_CASE("a port name must name one of the container's ports") {
  CHECK(error_of(probe_kind::readiness, http_probe(port_name("metrics")))
        == "spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"metrics\": "
           "no port of container app has this name");
  CHECK(error_of(probe_kind::liveness, tcp_probe(port_name("HTTP")))
        == "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: \"HTTP\": "
           "no port of container app has this name");
  CHECK(error_of(probe_kind::liveness, tcp_probe(port_name("")))
        == "spec.containers[0].livenessProbe.tcpSocket.port: Required value: port name "
           "or number");
  // A named container port without a usable number resolves to nothing.
  auto c = app();
  k8s::container_port broken;
  broken.name = "broken";
  c.ports.push_back(broken);
  auto plan = plan_probe(probe_kind::liveness, tcp_probe(port_name("broken")), c,
                         "spec.containers[0]");
  CHECK(!plan);
}

TEST_CASE("negative numbers are refused, each naming its field") {
  struct row {
    int32_t k8s::probe::*field;
    const char* name;
  };
  for (auto r : {row{&k8s::probe::initial_delay_seconds, "initialDelaySeconds"},
                 row{&k8s::probe::timeout_seconds, "timeoutSeconds"},
                 row{&k8s::probe::period_seconds, "periodSeconds"},
                 row{&k8s::probe::success_threshold, "successThreshold"},
                 row{&k8s::probe::failure_threshold, "failureThreshold"}}) {
    CAPTURE(r.name);
    auto p = exec_probe();
    p.*r.field = -1;
    CHECK(error_of(probe_kind::readiness, p, "spec.containers[1]")
          == std::string{"spec.containers[1].readinessProbe."} + r.name
               + ": Invalid value: -1: must be greater than or equal to 0");
  }
}

TEST_CASE("successThreshold must be 1 for liveness and startup probes") {
  auto p = exec_probe();
  p.success_threshold = 2;
  CHECK(error_of(probe_kind::liveness, p)
        == "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1");
  CHECK(error_of(probe_kind::startup, p)
        == "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1");
  CHECK(error_of(probe_kind::readiness, p) == "ok");
  // Zero is defaulted to 1 before the check.
  p.success_threshold = 0;
  CHECK(error_of(probe_kind::liveness, p) == "ok");
}

TEST_CASE("terminationGracePeriodSeconds: positive, and not on readiness probes") {
  auto p = exec_probe();
  p.termination_grace_period_seconds = 30;
  CHECK(plan_of(probe_kind::liveness, p).termination_grace_seconds == 30);
  CHECK(plan_of(probe_kind::startup, p).termination_grace_seconds == 30);
  CHECK(error_of(probe_kind::readiness, p)
        == "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid "
           "value: 30: must not be set for readinessProbes");
  p.termination_grace_period_seconds = 0;
  CHECK(error_of(probe_kind::liveness, p)
        == "spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid "
           "value: 0: must be greater than 0");
  p.termination_grace_period_seconds = -5;
  CHECK(error_of(probe_kind::startup, p)
        == "spec.containers[0].startupProbe.terminationGracePeriodSeconds: Invalid "
           "value: -5: must be greater than 0");
}

TEST_CASE("plan_probes: startup, liveness, readiness; the first error wins") {
  auto c = app();
  auto none = plan_probes(c, "spec.containers[0]");
  REQUIRE(none);
  CHECK(none->empty());
  c.readiness_probe = http_probe(port_name("http"));
  c.liveness_probe = tcp_probe(port_number(9090));
  c.startup_probe = exec_probe();
  auto all = plan_probes(c, "spec.containers[0]");
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].kind == probe_kind::startup);
  CHECK((*all)[1].kind == probe_kind::liveness);
  CHECK((*all)[2].kind == probe_kind::readiness);
  CHECK(std::get<http_target>((*all)[2].target).port == 8080);
  c.liveness_probe->success_threshold = 3;
  c.readiness_probe = k8s::probe{};
  auto bad = plan_probes(c, "spec.containers[3]");
  REQUIRE(!bad);
  CHECK(context_of(bad.error())
        == "spec.containers[3].livenessProbe.successThreshold: Invalid value: 3: must be 1");
}

TEST_CASE("initial results: readiness not ready, liveness alive, startup undecided") {
  CHECK(probe_counter{plan_with(probe_kind::readiness, 1, 3)}.result() == false);
  CHECK(probe_counter{plan_with(probe_kind::liveness, 1, 3)}.result() == true);
  CHECK(!probe_counter{plan_with(probe_kind::startup, 1, 3)}.result().has_value());
}

TEST_CASE("readiness counts to its thresholds and reports each change once") {
  probe_counter c{plan_with(probe_kind::readiness, 2, 3)};
  // Already not ready: failures change nothing, at any count.
  for (int i = 0; i < 4; ++i)
    CHECK(!c.observe(probe_result::failure));
  CHECK(c.run() == 4);
  CHECK(c.result() == false);
  // Two successes in a row make it ready, reported once.
  CHECK(!c.observe(probe_result::success));
  CHECK(c.run() == 1);
  CHECK(c.observe(probe_result::success) == true);
  CHECK(c.result() == true);
  CHECK(!c.observe(probe_result::success));
  // A failure breaks the run; three in a row make it not ready.
  CHECK(!c.observe(probe_result::failure));
  CHECK(!c.observe(probe_result::success));
  CHECK(!c.observe(probe_result::failure));
  CHECK(!c.observe(probe_result::failure));
  CHECK(c.observe(probe_result::failure) == false);
  CHECK(c.result() == false);
  CHECK(!c.observe(probe_result::failure));
}

TEST_CASE("liveness fails at failureThreshold; startup decides either way") {
  probe_counter live{plan_with(probe_kind::liveness, 1, 2)};
  CHECK(!live.observe(probe_result::success));
  CHECK(!live.observe(probe_result::failure));
  CHECK(live.observe(probe_result::failure) == false);
  CHECK(live.result() == false);
  probe_counter start_ok{plan_with(probe_kind::startup, 1, 3)};
  CHECK(start_ok.observe(probe_result::success) == true);
  CHECK(!start_ok.observe(probe_result::success));
  probe_counter start_bad{plan_with(probe_kind::startup, 1, 3)};
  CHECK(!start_bad.observe(probe_result::failure));
  CHECK(!start_bad.observe(probe_result::failure));
  CHECK(start_bad.observe(probe_result::failure) == false);
  CHECK(start_bad.result() == false);
}

TEST_CASE("unknown outcomes neither count nor reset; a warning is a success") {
  probe_counter c{plan_with(probe_kind::liveness, 1, 3)};
  CHECK(!c.observe(probe_result::failure));
  CHECK(!c.observe(probe_result::unknown));
  CHECK(!c.observe(probe_result::failure));
  CHECK(!c.observe(probe_result::unknown));
  CHECK(!c.observe(probe_result::unknown));
  CHECK(c.run() == 2);
  CHECK(c.result() == true);
  CHECK(c.observe(probe_result::failure) == false);
  probe_counter r{plan_with(probe_kind::readiness, 2, 3)};
  CHECK(!r.observe(probe_result::warning));
  CHECK(!r.observe(probe_result::unknown));
  CHECK(r.observe(probe_result::success) == true);
  probe_counter s{plan_with(probe_kind::startup, 1, 3)};
  CHECK(!s.observe(probe_result::unknown));
  CHECK(!s.result().has_value());
  CHECK(s.observe(probe_result::warning) == true);
}

TEST_CASE("event messages as upstream writes them") {
  CHECK(unhealthy_message(probe_kind::liveness, "HTTP probe failed with statuscode: 500")
        == "Liveness probe failed: HTTP probe failed with statuscode: 500");
  CHECK(unhealthy_message(probe_kind::readiness, "")
        == "Readiness probe failed: ");
  CHECK(unhealthy_message(probe_kind::startup, "dial tcp 10.0.0.1:80: connect refused")
        == "Startup probe failed: dial tcp 10.0.0.1:80: connect refused");
  // Output is cut at 10 KiB.
  std::string big(3 * net::probe::max_probe_output, 'x');
  auto m = unhealthy_message(probe_kind::liveness, big);
  CHECK(m.size() == std::string{"Liveness probe failed: "}.size() + 10 * 1024);
  CHECK(killing_message(probe_kind::liveness, "app")
        == "Container app failed liveness probe, will be restarted");
  CHECK(killing_message(probe_kind::startup, "web")
        == "Container web failed startup probe, will be restarted");
}
