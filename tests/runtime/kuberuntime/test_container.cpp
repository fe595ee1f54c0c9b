// ContainerConfig for the transcript pod, security context mapping,
// validation errors and the container hash.

#include "runtime/kuberuntime/container.hpp"
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

template <class Field>
strings to_strings(const Field& xs) {
  return {xs.begin(), xs.end()};
}

caf::expected<pb::ContainerConfig> build(const k8s::pod& p, size_t index = 0,
                                         container_inputs in = {},
                                         settings s = test::test_settings()) {
  return make_container_config(p, p.spec.containers.at(index),
                               qos_class::burstable, in, s);
}

/// Expects `r` to fail with errc::invalid mentioning `needle`.
void check_invalid(const caf::expected<pb::ContainerConfig>& r,
                   const std::string& needle) {
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::invalid));
  CAPTURE(context_of(r.error()));
  CHECK(context_of(r.error()).find(needle) != std::string::npos);
}

k8s::pod pod_with(k8s::security_context sc) {
  auto p = test::simple_pod();
  p.spec.containers[0].security_context = std::move(sc);
  return p;
}

} // namespace

TEST_CASE("kuberuntime: container config of the transcript pod") {
  auto p = test::web1();
  container_inputs in;
  in.image_ref = "sha256:0123";
  in.env = {{"MODE", "edge"}, {"DB_PASSWORD", "s3cr3t"}};
  in.mounts = {{"/var/lib/kubelet/pods/x/volumes/config", "/etc/app", true,
                "", false}};
  in.termination_message_host_path
    = termination_log_path(test::test_settings(), test::web1_uid, "app",
                           "1f2e");
  auto r = build(p, 0, in);
  REQUIRE(r);
  const auto& cfg = *r;
  CHECK(cfg.metadata().name() == "app");
  CHECK(cfg.metadata().attempt() == 0);
  CHECK(cfg.image().image() == "sha256:0123");
  CHECK(cfg.image().user_specified_image() == "localhost/busybox:ci");
  CHECK(to_strings(cfg.command())
        == strings{"sh", "-c", "httpd -f -p 8080 -h /etc/app"});
  CHECK(cfg.args_size() == 0);
  CHECK(cfg.working_dir().empty());
  REQUIRE(cfg.envs_size() == 2);
  CHECK(cfg.envs(0).key() == "MODE");
  CHECK(cfg.envs(0).value() == "edge");
  CHECK(cfg.envs(1).key() == "DB_PASSWORD");
  CHECK(cfg.envs(1).value() == "s3cr3t");
  REQUIRE(cfg.mounts_size() == 2);
  CHECK(cfg.mounts(0).container_path() == "/etc/app");
  CHECK(cfg.mounts(0).readonly());
  CHECK(cfg.mounts(0).propagation() == pb::PROPAGATION_PRIVATE);
  CHECK(cfg.mounts(1).host_path()
        == "/var/lib/kubelet/pods/a43dfde4-248f-4ffa-aa9d-98e0cedcbcd0/"
           "containers/app/1f2e");
  CHECK(cfg.mounts(1).container_path() == "/dev/termination-log");
  CHECK_FALSE(cfg.mounts(1).readonly());
  CHECK(cfg.labels().size() == 4);
  CHECK(cfg.labels().at("io.kubernetes.container.name") == "app");
  CHECK(cfg.labels().at("io.kubernetes.pod.name") == "web-1");
  CHECK(cfg.labels().at("io.kubernetes.pod.namespace") == "default");
  CHECK(cfg.labels().at("io.kubernetes.pod.uid") == test::web1_uid);
  const auto& ann = cfg.annotations();
  CHECK(ann.at("io.kubernetes.container.hash") == "6524dd76");
  CHECK(ann.at("io.kubernetes.container.restartCount") == "0");
  CHECK(ann.at("io.kubernetes.container.terminationMessagePath")
        == "/dev/termination-log");
  CHECK(ann.at("io.kubernetes.container.terminationMessagePolicy") == "File");
  CHECK(ann.at("io.kubernetes.pod.terminationGracePeriod") == "30");
  CHECK(ann.at("io.kubernetes.container.ports")
        == R"([{"name":"http","containerPort":8080,"protocol":"TCP"}])");
  CHECK(ann.count("io.kubernetes.container.preStopHandler") == 0);
  CHECK(ann.count("io.kubernetes.pod.deletionGracePeriod") == 0);
  CHECK(cfg.log_path() == "app/0.log");
  CHECK_FALSE(cfg.stdin());
  CHECK_FALSE(cfg.tty());
  const auto& res = cfg.linux().resources();
  CHECK(res.cpu_shares() == 51);
  CHECK(res.cpu_quota() == 0);
  CHECK(res.cpu_period() == 100000);
  CHECK(res.memory_limit_in_bytes() == 64 * 1024 * 1024);
  CHECK(res.oom_score_adj() == 969);
  const auto& sc = cfg.linux().security_context();
  CHECK(sc.run_as_user().value() == 0);
  CHECK_FALSE(sc.privileged());
  CHECK_FALSE(sc.no_new_privs());
  CHECK_FALSE(sc.readonly_rootfs());
  CHECK_FALSE(sc.has_capabilities());
  CHECK(sc.namespace_options().network() == pb::POD);
  CHECK(sc.namespace_options().pid() == pb::CONTAINER);
  CHECK(to_strings(sc.masked_paths()) == default_masked_paths());
  CHECK(to_strings(sc.readonly_paths()) == default_readonly_paths());
  CHECK(sc.seccomp().profile_type() == pb::SecurityProfile::Unconfined);
}

TEST_CASE("kuberuntime: sidecar container and restart counts") {
  auto p = test::web1();
  container_inputs in;
  in.restart_count = 4;
  auto r = build(p, 1, in);
  REQUIRE(r);
  CHECK(r->metadata().attempt() == 4);
  CHECK(r->log_path() == "sidecar/4.log");
  CHECK(r->annotations().at("io.kubernetes.container.restartCount") == "4");
  CHECK(r->image().image() == "localhost/busybox:ci");
  CHECK(r->annotations().count("io.kubernetes.container.ports") == 0);
  CHECK(r->linux().resources().cpu_shares() == 2);
  CHECK(r->linux().resources().oom_score_adj() == 999);
  CHECK(r->mounts_size() == 0);
}

TEST_CASE("kuberuntime: expanded command and args replace the written ones") {
  auto p = test::simple_pod();
  auto& c = p.spec.containers[0];
  c.command = {"echo", "$(A)"};
  c.args = {"$(B)"};
  c.working_dir = "/work";
  c.stdin_ = true;
  c.stdin_once = true;
  c.tty = true;
  auto written = build(p);
  REQUIRE(written);
  CHECK(to_strings(written->command()) == strings{"echo", "$(A)"});
  CHECK(to_strings(written->args()) == strings{"$(B)"});
  CHECK(written->working_dir() == "/work");
  CHECK(written->stdin());
  CHECK(written->stdin_once());
  CHECK(written->tty());
  container_inputs in;
  in.command = strings{"echo", "a"};
  in.args = strings{"b"};
  auto expanded = build(p, 0, in);
  REQUIRE(expanded);
  CHECK(to_strings(expanded->command()) == strings{"echo", "a"});
  CHECK(to_strings(expanded->args()) == strings{"b"});
  c.command.clear();
  c.args.clear();
  auto image_default = build(p);
  REQUIRE(image_default);
  CHECK(image_default->command_size() == 0);
  CHECK(image_default->args_size() == 0);
}

TEST_CASE("kuberuntime: container security context mapping") {
  k8s::security_context sc;
  sc.run_as_user = 1000;
  sc.run_as_group = 1000;
  sc.read_only_root_filesystem = true;
  sc.allow_privilege_escalation = false;
  sc.capabilities = k8s::capabilities{{"NET_ADMIN"}, {"ALL"}};
  auto p = pod_with(sc);
  k8s::pod_security_context psc;
  psc.fs_group = 2000;
  psc.supplemental_groups = {3000};
  psc.seccomp_profile = k8s::seccomp_profile{"RuntimeDefault", ""};
  p.spec.security_context = psc;
  auto r = build(p);
  REQUIRE(r);
  const auto& out = r->linux().security_context();
  CHECK(out.run_as_user().value() == 1000);
  CHECK(out.run_as_group().value() == 1000);
  CHECK(out.readonly_rootfs());
  CHECK(out.no_new_privs());
  CHECK(to_strings(out.capabilities().add_capabilities())
        == strings{"NET_ADMIN"});
  CHECK(to_strings(out.capabilities().drop_capabilities()) == strings{"ALL"});
  CHECK(std::vector<int64_t>(out.supplemental_groups().begin(),
                             out.supplemental_groups().end())
        == std::vector<int64_t>{2000, 3000});
  CHECK(out.seccomp().profile_type() == pb::SecurityProfile::RuntimeDefault);
  SUBCASE("privileged: no masked or read-only paths") {
    p.spec.containers[0].security_context->allow_privilege_escalation = true;
    p.spec.containers[0].security_context->privileged = true;
    auto q = build(p);
    REQUIRE(q);
    CHECK(q->linux().security_context().privileged());
    CHECK_FALSE(q->linux().security_context().no_new_privs());
    CHECK(q->linux().security_context().masked_paths_size() == 0);
    CHECK(q->linux().security_context().readonly_paths_size() == 0);
  }
  SUBCASE("procMount Unmasked: no masked paths") {
    p.spec.containers[0].security_context->proc_mount = "Unmasked";
    auto q = build(p);
    REQUIRE(q);
    CHECK(q->linux().security_context().masked_paths_size() == 0);
  }
  SUBCASE("the pod's runAsUser applies when the container sets none") {
    p.spec.containers[0].security_context->run_as_user.reset();
    p.spec.security_context->run_as_user = 4242;
    auto q = build(p);
    REQUIRE(q);
    CHECK(q->linux().security_context().run_as_user().value() == 4242);
  }
}

TEST_CASE("kuberuntime: the image user fills in runAsUser") {
  auto p = test::simple_pod();
  container_inputs in;
  in.user.uid = 1001;
  auto r = build(p, 0, in);
  REQUIRE(r);
  CHECK(r->linux().security_context().run_as_user().value() == 1001);
  in.user = {std::nullopt, "nobody"};
  r = build(p, 0, in);
  REQUIRE(r);
  CHECK_FALSE(r->linux().security_context().has_run_as_user());
  CHECK(r->linux().security_context().run_as_username() == "nobody");
}

TEST_CASE("kuberuntime: seccomp profiles") {
  auto s = test::test_settings();
  auto p = test::simple_pod();
  s.seccomp_default = true;
  auto r = build(p, 0, {}, s);
  REQUIRE(r);
  CHECK(r->linux().security_context().seccomp().profile_type()
        == pb::SecurityProfile::RuntimeDefault);
  k8s::security_context sc;
  sc.seccomp_profile = k8s::seccomp_profile{"Localhost", "profiles/audit.json"};
  p = pod_with(sc);
  r = build(p, 0, {}, s);
  REQUIRE(r);
  const auto& prof = r->linux().security_context().seccomp();
  CHECK(prof.profile_type() == pb::SecurityProfile::Localhost);
  CHECK(prof.localhost_ref() == "/var/lib/kubelet/seccomp/profiles/audit.json");
  sc.seccomp_profile = k8s::seccomp_profile{"Unconfined", ""};
  r = build(pod_with(sc), 0, {}, s);
  REQUIRE(r);
  CHECK(r->linux().security_context().seccomp().profile_type()
        == pb::SecurityProfile::Unconfined);
}

TEST_CASE("kuberuntime: runAsNonRoot is verified as upstream") {
  k8s::security_context sc;
  sc.run_as_non_root = true;
  sc.run_as_user = 0;
  check_invalid(build(pod_with(sc)),
                "container's runAsUser breaks non-root policy (pod: "
                "\"p_ns(uid-1)\", container: c)");
  sc.run_as_user.reset();
  auto p = pod_with(sc);
  check_invalid(build(p), "container has runAsNonRoot and image will run as "
                          "root");
  container_inputs in;
  in.user.uid = 0;
  check_invalid(build(p, 0, in), "image will run as root");
  in.user = {std::nullopt, "app"};
  check_invalid(build(p, 0, in), "image has non-numeric user (app)");
  in.user.uid = 1000;
  CHECK(build(p, 0, in));
  sc.run_as_user = 1000;
  CHECK(build(pod_with(sc)));
  SUBCASE("runAsNonRoot from the pod level counts too") {
    auto q = test::simple_pod();
    k8s::pod_security_context psc;
    psc.run_as_non_root = true;
    psc.run_as_user = 0;
    q.spec.security_context = psc;
    check_invalid(build(q), "runAsUser breaks non-root policy");
  }
}

TEST_CASE("kuberuntime: specs cafelet cannot honour fail naming the field") {
  SUBCASE("invalid quantities") {
    auto p = test::simple_pod();
    p.spec.containers[0].resources.limits = {{"cpu", "1.5.5"}};
    check_invalid(build(p), "resources.limits.cpu: invalid quantity");
    p.spec.containers[0].resources.limits = {{"memory", "1Gi"}};
    p.spec.containers[0].resources.requests = {{"memory", "2Gi"}};
    check_invalid(build(p), "resources.requests.memory: must be less than or "
                            "equal to memory limit");
  }
  SUBCASE("contradictory security contexts") {
    k8s::security_context sc;
    sc.privileged = true;
    sc.allow_privilege_escalation = false;
    check_invalid(build(pod_with(sc)), "`privileged` to true");
    sc.privileged.reset();
    sc.capabilities = k8s::capabilities{{"SYS_ADMIN"}, {}};
    check_invalid(build(pod_with(sc)), "CAP_SYS_ADMIN");
    sc = {};
    sc.run_as_user = -1;
    check_invalid(build(pod_with(sc)), "securityContext.runAsUser");
    sc = {};
    sc.proc_mount = "Sometimes";
    check_invalid(build(pod_with(sc)), "securityContext.procMount");
  }
  SUBCASE("bad seccomp profiles") {
    k8s::security_context sc;
    sc.seccomp_profile = k8s::seccomp_profile{"Localhost", ""};
    check_invalid(build(pod_with(sc)), "localhostProfile must be set");
    sc.seccomp_profile = k8s::seccomp_profile{"Localhost", "../etc/x.json"};
    check_invalid(build(pod_with(sc)), "seccompProfile.localhostProfile");
    sc.seccomp_profile = k8s::seccomp_profile{"Strict", ""};
    check_invalid(build(pod_with(sc)), "seccompProfile.type");
  }
  SUBCASE("mounts, policies and counts") {
    auto p = test::simple_pod();
    container_inputs in;
    in.mounts = {{"/a", "/b", false, "Bidirectional", false}};
    check_invalid(build(p, 0, in), "volumeMounts[/b].mountPropagation");
    in.mounts = {{"/a", "/b", false, "Sideways", false}};
    check_invalid(build(p, 0, in), "unsupported value \"Sideways\"");
    in.mounts.clear();
    in.restart_count = -1;
    check_invalid(build(p, 0, in), "restartCount");
    p.spec.containers[0].termination_message_policy = "Never";
    check_invalid(build(p), "terminationMessagePolicy");
  }
  SUBCASE("privileged containers may use Bidirectional propagation") {
    k8s::security_context sc;
    sc.privileged = true;
    container_inputs in;
    in.mounts = {{"/a", "/b", false, "Bidirectional", false}};
    auto r = build(pod_with(sc), 0, in);
    REQUIRE(r);
    CHECK(r->mounts(0).propagation() == pb::PROPAGATION_BIDIRECTIONAL);
  }
}

TEST_CASE("kuberuntime: create container request carries the sandbox config") {
  auto p = test::web1();
  auto sandbox = make_sandbox_config(p, qos_class::burstable, 0,
                                     test::test_settings());
  REQUIRE(sandbox);
  auto cfg = build(p);
  REQUIRE(cfg);
  auto req = make_create_container_request("sb-1", *cfg, sandbox->config);
  CHECK(req.pod_sandbox_id() == "sb-1");
  CHECK(req.config().metadata().name() == "app");
  CHECK(req.sandbox_config().metadata().uid() == test::web1_uid);
  CHECK(req.sandbox_config().log_directory()
        == sandbox->config.log_directory());
}

TEST_CASE("kuberuntime: the container hash follows name and image only") {
  auto p = test::web1();
  const auto& app = p.spec.containers[0];
  CHECK(container_hash(app) == 0x6524dd76u);
  CHECK(hash_text(container_hash(app)) == "6524dd76");
  CHECK(hash_text(0xabu) == "ab");
  auto same = app;
  same.env.clear();
  same.resources = {};
  CHECK(container_hash(same) == container_hash(app));
  auto other_image = app;
  other_image.image = "localhost/busybox:other";
  CHECK(container_hash(other_image) != container_hash(app));
  auto other_name = app;
  other_name.name = "app2";
  CHECK(container_hash(other_name) != container_hash(app));
}
