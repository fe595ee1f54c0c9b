// PodSandboxConfig for the transcript pod, hostNetwork pods, port mappings
// and the sandbox security context.

#include "runtime/kuberuntime/labels.hpp"
#include "runtime/kuberuntime/sandbox.hpp"

#include "tests/runtime/kuberuntime/fixtures.hpp"

#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::kuberuntime;

namespace {

using strings = std::vector<std::string>;

pb::PodSandboxConfig build(const k8s::pod& p,
                           qos_class qos = qos_class::burstable,
                           uint32_t attempt = 0) {
  auto r = make_sandbox_config(p, qos, attempt, test::test_settings());
  REQUIRE(r);
  return std::move(r->config);
}

} // namespace

TEST_CASE("kuberuntime: sandbox of the transcript pod") {
  auto p = test::web1();
  auto r = make_sandbox_config(p, qos_class::burstable, 0,
                               test::test_settings());
  REQUIRE(r);
  CHECK(r->warnings.empty());
  const auto& cfg = r->config;
  CHECK(cfg.metadata().name() == "web-1");
  CHECK(cfg.metadata().namespace_() == "default");
  CHECK(cfg.metadata().uid() == test::web1_uid);
  CHECK(cfg.metadata().attempt() == 0);
  CHECK(cfg.hostname() == "web-1");
  CHECK(cfg.log_directory()
        == "/var/log/pods/default_web-1_a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  CHECK(strings(cfg.dns_config().servers().begin(),
                cfg.dns_config().servers().end())
        == strings{"10.96.0.10"});
  CHECK(cfg.dns_config().searches_size() == 4);
  REQUIRE(cfg.port_mappings_size() == 1);
  CHECK(cfg.port_mappings(0).protocol() == pb::TCP);
  CHECK(cfg.port_mappings(0).container_port() == 8080);
  CHECK(cfg.port_mappings(0).host_port() == 0);
  CHECK(cfg.port_mappings(0).host_ip().empty());
  CHECK(cfg.labels().size() == 4);
  CHECK(cfg.labels().at("app") == "web");
  CHECK(cfg.labels().at("io.kubernetes.pod.name") == "web-1");
  CHECK(cfg.labels().at("io.kubernetes.pod.namespace") == "default");
  CHECK(cfg.labels().at("io.kubernetes.pod.uid") == test::web1_uid);
  CHECK(cfg.annotations().at("io.kubernetes.pod.terminationGracePeriod")
        == "30");
  CHECK(cfg.annotations().at("io.cafelet.pod.qosClass") == "Burstable");
  CHECK(cfg.annotations().at("io.cafelet.pod.hostNetwork") == "false");
  const auto& lx = cfg.linux();
  CHECK(lx.cgroup_parent()
        == "/kubepods/burstable/poda43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  CHECK(cfg.annotations().at("io.cafelet.pod.cgroupParent")
        == lx.cgroup_parent());
  const auto& sc = lx.security_context();
  CHECK(sc.namespace_options().network() == pb::POD);
  CHECK(sc.namespace_options().pid() == pb::CONTAINER);
  CHECK(sc.namespace_options().ipc() == pb::POD);
  CHECK_FALSE(sc.privileged());
  CHECK_FALSE(sc.readonly_rootfs());
  CHECK_FALSE(sc.has_run_as_user());
  CHECK(sc.supplemental_groups_size() == 0);
  CHECK(sc.seccomp().profile_type() == pb::SecurityProfile::RuntimeDefault);
  CHECK(lx.sysctls().empty());
  CHECK(lx.resources().cpu_shares() == 51);
  CHECK(lx.resources().cpu_quota() == 0);
  CHECK(lx.resources().cpu_period() == 100000);
  CHECK(lx.resources().memory_limit_in_bytes() == 64 * 1024 * 1024);
  CHECK(lx.has_overhead());
  auto req = make_run_sandbox_request(cfg);
  CHECK(req.config().metadata().uid() == test::web1_uid);
  CHECK(req.runtime_handler().empty());
}

TEST_CASE("kuberuntime: sandbox attempt, QoS cgroups and log root") {
  auto p = test::web1();
  CHECK(build(p, qos_class::guaranteed, 3).metadata().attempt() == 3);
  CHECK(build(p, qos_class::guaranteed).linux().cgroup_parent()
        == "/kubepods/poda43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  CHECK(build(p, qos_class::best_effort).linux().cgroup_parent()
        == "/kubepods/besteffort/poda43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  auto s = test::test_settings();
  s.pod_logs_dir = "/tmp/lab/pods/";
  s.cgroup_root = "/lab";
  auto r = make_sandbox_config(p, qos_class::burstable, 0, s);
  REQUIRE(r);
  CHECK(r->config.log_directory()
        == "/tmp/lab/pods/default_web-1_a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
  CHECK(r->config.linux().cgroup_parent()
        == "/lab/kubepods/burstable/poda43dfde4-248f-4ffa-aa9d-98e0cedcbcd0");
}

TEST_CASE("kuberuntime: hostNetwork sandboxes have no hostname") {
  auto p = test::web1();
  p.spec.host_network = true;
  p.spec.host_pid = true;
  p.spec.host_ipc = true;
  auto cfg = build(p);
  CHECK(cfg.hostname().empty());
  const auto& ns = cfg.linux().security_context().namespace_options();
  CHECK(ns.network() == pb::NODE);
  CHECK(ns.pid() == pb::NODE);
  CHECK(ns.ipc() == pb::NODE);
  CHECK(cfg.annotations().at("io.cafelet.pod.hostNetwork") == "true");
  // ClusterFirst on the host network resolves like Default.
  CHECK(cfg.dns_config().servers(0) == "192.168.1.1");
}

TEST_CASE("kuberuntime: port mappings of all containers") {
  auto p = test::simple_pod();
  auto& c = p.spec.containers[0];
  c.ports = {{"http", 80, 8080, "TCP", ""},
             {"dns", 53, 5353, "UDP", "10.0.0.1"},
             {"http", 81, 0, "TCP", ""},
             {"", 9000, 0, "SCTP", "fd00::1"},
             {"", 9000, 0, "SCTP", "fd00::1"}};
  auto second = c;
  second.name = "d";
  second.ports = {{"http", 82, 0, "TCP", ""}};
  p.spec.containers.push_back(second);
  auto cfg = build(p);
  REQUIRE(cfg.port_mappings_size() == 4);
  CHECK(cfg.port_mappings(0).container_port() == 80);
  CHECK(cfg.port_mappings(0).host_port() == 8080);
  CHECK(cfg.port_mappings(1).protocol() == pb::UDP);
  CHECK(cfg.port_mappings(1).host_ip() == "10.0.0.1");
  CHECK(cfg.port_mappings(2).protocol() == pb::SCTP);
  CHECK(cfg.port_mappings(2).container_port() == 9000);
  CHECK(cfg.port_mappings(3).container_port() == 82);
}

TEST_CASE("kuberuntime: sandbox security context from the pod") {
  auto p = test::simple_pod();
  k8s::pod_security_context psc;
  psc.run_as_user = 1000;
  psc.run_as_group = 3000;
  psc.fs_group = 2000;
  psc.supplemental_groups = {4000, 5000};
  psc.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0"},
                 {"kernel.shm_rmid_forced", "1"}};
  p.spec.security_context = psc;
  p.spec.share_process_namespace = true;
  k8s::security_context csc;
  csc.privileged = true;
  auto init = p.spec.containers[0];
  init.name = "init";
  init.security_context = csc;
  p.spec.init_containers.push_back(init);
  auto cfg = build(p);
  const auto& sc = cfg.linux().security_context();
  CHECK(sc.run_as_user().value() == 1000);
  CHECK(sc.run_as_group().value() == 3000);
  CHECK(std::vector<int64_t>(sc.supplemental_groups().begin(),
                             sc.supplemental_groups().end())
        == std::vector<int64_t>{2000, 4000, 5000});
  CHECK(sc.privileged());
  CHECK(sc.namespace_options().pid() == pb::POD);
  CHECK(cfg.linux().sysctls().size() == 2);
  CHECK(cfg.linux().sysctls().at("kernel.shm_rmid_forced") == "1");
  SUBCASE("negative ids are refused naming the field") {
    p.spec.security_context->run_as_group = -1;
    auto r = make_sandbox_config(p, qos_class::best_effort, 0,
                                 test::test_settings());
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::invalid));
    CHECK(context_of(r.error()).find("spec.securityContext.runAsGroup")
          != std::string::npos);
  }
}

TEST_CASE("kuberuntime: sandbox errors") {
  auto p = test::simple_pod();
  p.metadata.uid.clear();
  auto r = make_sandbox_config(p, qos_class::best_effort, 0,
                               test::test_settings());
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error()).find("metadata.uid") != std::string::npos);
  p = test::simple_pod();
  p.spec.hostname = "not_a_label";
  r = make_sandbox_config(p, qos_class::best_effort, 0, test::test_settings());
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::invalid));
  p = test::simple_pod();
  p.spec.containers[0].resources.limits = {{"memory", "lots"}};
  r = make_sandbox_config(p, qos_class::burstable, 0, test::test_settings());
  REQUIRE_FALSE(r);
  CHECK(context_of(r.error()).find("resources.limits.memory")
        != std::string::npos);
}

TEST_CASE("kuberuntime: the pod's annotations cannot fake cafelet's") {
  auto p = test::simple_pod();
  p.metadata.annotations["io.kubernetes.pod.terminationGracePeriod"] = "1";
  p.metadata.annotations["io.cafelet.pod.qosClass"] = "Guaranteed";
  p.metadata.annotations["team"] = "a";
  auto cfg = build(p, qos_class::best_effort);
  CHECK(cfg.annotations().count("io.kubernetes.pod.terminationGracePeriod")
        == 0);
  CHECK(cfg.annotations().at("io.cafelet.pod.qosClass") == "BestEffort");
  CHECK(cfg.annotations().at("team") == "a");
}
