// Labels and annotations written by the builders and read back for
// re-adoption.

#include "runtime/kuberuntime/container.hpp"
#include "runtime/kuberuntime/labels.hpp"
#include "runtime/kuberuntime/sandbox.hpp"

#include "tests/runtime/kuberuntime/fixtures.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

using namespace cafelet;
using namespace cafelet::kuberuntime;

TEST_CASE("kuberuntime: sandbox labels and annotations round trip") {
  auto p = test::web1();
  auto r = make_sandbox_config(p, qos_class::burstable, 2,
                               test::test_settings());
  REQUIRE(r);
  // What ListPodSandbox returns for it.
  pb::PodSandbox listed;
  listed.set_id("sb-1");
  *listed.mutable_metadata() = r->config.metadata();
  *listed.mutable_labels() = r->config.labels();
  *listed.mutable_annotations() = r->config.annotations();
  auto info = read_sandbox_info(listed);
  REQUIRE(info);
  CHECK(info->pod_uid == test::web1_uid);
  CHECK(info->pod_name == "web-1");
  CHECK(info->pod_namespace == "default");
  CHECK(info->termination_grace_period == 30);
  CHECK(info->qos == qos_class::burstable);
  CHECK(info->cgroup_parent == r->config.linux().cgroup_parent());
  CHECK_FALSE(info->host_network);
  pb::PodSandboxStatus status;
  *status.mutable_metadata() = r->config.metadata();
  *status.mutable_labels() = r->config.labels();
  status.mutable_labels()->erase(pod_name_label);
  auto from_status = read_sandbox_info(status);
  REQUIRE(from_status);
  CHECK(from_status->pod_name == "web-1");
  CHECK_FALSE(from_status->termination_grace_period);
  CHECK_FALSE(from_status->qos);
}

TEST_CASE("kuberuntime: sandboxes without a pod UID are not ours") {
  pb::PodSandbox foreign;
  (*foreign.mutable_labels())["app"] = "x";
  auto info = read_sandbox_info(foreign);
  REQUIRE_FALSE(info);
  CHECK(is(info.error(), errc::invalid));
}

TEST_CASE("kuberuntime: container labels and annotations round trip") {
  auto p = test::web1();
  p.metadata.deletion_grace_period_seconds = 5;
  container_inputs in;
  in.restart_count = 3;
  auto cfg = make_container_config(p, p.spec.containers[0],
                                   qos_class::burstable, in,
                                   test::test_settings());
  REQUIRE(cfg);
  // What ListContainers returns for it.
  pb::Container listed;
  listed.set_id("c-1");
  *listed.mutable_metadata() = cfg->metadata();
  *listed.mutable_labels() = cfg->labels();
  *listed.mutable_annotations() = cfg->annotations();
  auto info = read_container_info(listed);
  REQUIRE(info);
  CHECK(info->pod_uid == test::web1_uid);
  CHECK(info->pod_name == "web-1");
  CHECK(info->pod_namespace == "default");
  CHECK(info->container_name == "app");
  CHECK(info->restart_count == 3);
  CHECK(info->hash == container_hash(p.spec.containers[0]));
  CHECK(info->termination_grace_period == 30);
  CHECK(info->deletion_grace_period == 5);
  CHECK(info->termination_message_path == "/dev/termination-log");
  CHECK(info->termination_message_policy == "File");
  SUBCASE("a malformed restart count falls back to the attempt") {
    (*listed.mutable_annotations())[restart_count_annotation] = "x1";
    listed.mutable_metadata()->set_attempt(7);
    auto again = read_container_info(listed);
    REQUIRE(again);
    CHECK(again->restart_count == 7);
  }
  SUBCASE("a malformed hash reads as none") {
    (*listed.mutable_annotations())[container_hash_annotation] = "zz";
    auto again = read_container_info(listed);
    REQUIRE(again);
    CHECK_FALSE(again->hash);
  }
  SUBCASE("the same from a container status") {
    pb::ContainerStatus status;
    *status.mutable_metadata() = cfg->metadata();
    *status.mutable_labels() = cfg->labels();
    *status.mutable_annotations() = cfg->annotations();
    auto again = read_container_info(status);
    REQUIRE(again);
    CHECK(again->restart_count == 3);
    CHECK(again->container_name == "app");
  }
}

TEST_CASE("kuberuntime: containers without pod UID or name are not ours") {
  pb::Container foreign;
  (*foreign.mutable_labels())[pod_uid_label] = "u";
  auto info = read_container_info(foreign);
  REQUIRE_FALSE(info);
  CHECK(is(info.error(), errc::invalid));
}

TEST_CASE("kuberuntime: preStop handlers and ports as upstream JSON") {
  k8s::container c;
  c.name = "c";
  c.image = "img";
  c.ports = {{"", 53, 5353, "UDP", "10.0.0.1"}};
  CHECK(ports_json(c)
        == R"([{"hostPort":5353,"containerPort":53,"protocol":"UDP",)"
           R"("hostIP":"10.0.0.1"}])");
  k8s::lifecycle_handler exec;
  exec.exec = k8s::exec_action{{"sh", "-c", "sleep 1"}};
  CHECK(handler_json(exec) == R"({"exec":{"command":["sh","-c","sleep 1"]}})");
  k8s::lifecycle_handler http;
  k8s::http_get_action get;
  get.path = "/quit";
  get.port.is_string = true;
  get.port.string_value = "http";
  get.http_headers = {{"X-A", "1"}};
  http.http_get = get;
  CHECK(handler_json(http)
        == R"({"httpGet":{"path":"/quit","port":"http","scheme":"HTTP",)"
           R"("httpHeaders":[{"name":"X-A","value":"1"}]}})");
  k8s::lifecycle_handler sleep;
  sleep.sleep_seconds = 5;
  CHECK(handler_json(sleep) == R"({"sleep":{"seconds":5}})");
  k8s::lifecycle_handler tcp;
  tcp.tcp_socket = k8s::tcp_socket_action{{false, 8080, ""}, ""};
  CHECK(handler_json(tcp) == R"({"tcpSocket":{"port":8080}})");
  auto p = test::simple_pod();
  p.spec.containers[0].lifecycle = k8s::lifecycle{std::nullopt, exec};
  auto cfg = make_container_config(p, p.spec.containers[0],
                                   qos_class::best_effort, {},
                                   test::test_settings());
  REQUIRE(cfg);
  CHECK(cfg->annotations().at(pre_stop_handler_annotation)
        == handler_json(exec));
  CHECK(cfg->annotations().count(termination_grace_period_annotation) == 0);
}

TEST_CASE("kuberuntime: QoS class names") {
  for (auto q : {qos_class::guaranteed, qos_class::burstable,
                 qos_class::best_effort})
    CHECK(parse_qos_class(to_string(q)) == q);
  CHECK(to_string(qos_class::best_effort) == "BestEffort");
  CHECK_FALSE(parse_qos_class("besteffort"));
}
