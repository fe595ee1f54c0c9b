// KubeletConfiguration defaults, files (YAML and JSON), validation errors
// that name file, line and field, and kubelet-compatible flags.
#include "messages/config/config_file.hpp"
#include "messages/config/flags.hpp"
#include "messages/config/kubelet_config.hpp"
#include "messages/config/labels.hpp"
#include "messages/errors.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace cafelet;
using namespace cafelet::config;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A temporary directory removed at the end of the test.
struct temp_dir {
  fs::path path;

  temp_dir() {
    auto tmpl = (fs::temp_directory_path() / "cafelet-config-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }

  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  std::string write(const std::string& name, const std::string& text) {
    auto p = path / name;
    std::ofstream out{p};
    out << text;
    return p.string();
  }
};

constexpr std::string_view header
  = "apiVersion: kubelet.config.k8s.io/v1beta1\n"
    "kind: KubeletConfiguration\n";

/// Parses `body` after the two header lines (so `body` starts on line 3).
caf::expected<kubelet_configuration> parse(std::string_view body,
                                           std::vector<std::string>& warnings) {
  std::string text{header};
  text += body;
  return parse_config_yaml(text, "kubelet.yaml", warnings);
}

/// Expects a parse failure and returns its message.
std::string parse_error(std::string_view body) {
  std::vector<std::string> warnings;
  auto cfg = parse(body, warnings);
  REQUIRE_MESSAGE(!cfg, "unexpectedly accepted: ", std::string{body});
  CHECK(is(cfg.error(), errc::invalid_config));
  return context_of(cfg.error());
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

command_line parse_flags(std::vector<std::string> args) {
  auto cl = parse_command_line(args);
  REQUIRE_MESSAGE(cl, describe(cl.error()));
  return *cl;
}

std::string flag_error(std::vector<std::string> args) {
  auto cl = parse_command_line(args);
  REQUIRE_MESSAGE(!cl, "flags unexpectedly accepted");
  CHECK(is(cl.error(), errc::invalid_flag));
  return context_of(cl.error());
}

} // namespace

TEST_CASE("defaults match upstream") {
  kubelet_configuration c;
  CHECK(c.node_status_update_frequency == 10s);
  CHECK(c.node_status_report_frequency == 5min);
  CHECK(c.node_lease_duration_seconds == 40);
  CHECK(c.sync_frequency == 1min);
  CHECK(c.file_check_frequency == 20s);
  CHECK(c.http_check_frequency == 20s);
  CHECK(c.runtime_request_timeout == 2min);
  CHECK(c.max_pods == 110);
  CHECK(c.pod_pids_limit == -1);
  CHECK(c.kube_api_qps == 50);
  CHECK(c.kube_api_burst == 100);
  CHECK(c.event_record_qps == 50);
  CHECK(c.event_burst == 100);
  CHECK(c.registry_pull_qps == 5);
  CHECK(c.registry_burst == 10);
  CHECK(c.serialize_image_pulls);
  CHECK_FALSE(c.max_parallel_image_pulls.has_value());
  CHECK(c.healthz_port == 10248);
  CHECK(c.healthz_bind_address == "127.0.0.1");
  CHECK(c.port == 10250);
  CHECK(c.address == "0.0.0.0");
  CHECK(c.read_only_port == 0);
  CHECK(c.static_pod_path.empty());
  CHECK(c.container_runtime_endpoint
        == "unix:///run/containerd/containerd.sock");
  CHECK(c.fail_swap_on);
  CHECK(c.eviction_hard.size() == 4);
  CHECK(to_string(c.eviction_hard.at("memory.available")) == "100Mi");
  CHECK(to_string(c.eviction_hard.at("nodefs.available")) == "10%");
  CHECK(to_string(c.eviction_hard.at("imagefs.available")) == "15%");
  CHECK(to_string(c.eviction_hard.at("nodefs.inodesFree")) == "5%");
  CHECK(c.eviction_pressure_transition_period == 5min);
  CHECK(c.cluster_domain.empty());
  CHECK(c.cluster_dns.empty());
  CHECK(c.resolv_conf == "/etc/resolv.conf");
  CHECK(c.cgroup_driver == "cgroupfs");
  CHECK(c.cgroup_root == "/");
  CHECK(c.cgroups_per_qos);
  CHECK(c.system_reserved.empty());
  CHECK(c.kube_reserved.empty());
  CHECK(c.image_gc_high_threshold_percent == 85);
  CHECK(c.image_gc_low_threshold_percent == 80);
  CHECK(c.image_minimum_gc_age == 2min);
  CHECK(c.enforce_node_allocatable == std::vector<std::string>{"pods"});
  CHECK(c.register_node);
  CHECK(c.register_with_taints.empty());
  CHECK(c.shutdown_grace_period == 0s);
  CHECK(c.container_log_max_size.to_string() == "10Mi");
  CHECK(c.container_log_max_files == 5);
  CHECK_FALSE(c.rotate_certificates);
  CHECK_FALSE(c.server_tls_bootstrap);
  CHECK(validate(c).empty());
  agent_options a;
  CHECK(a.cert_dir == "/var/lib/kubelet/pki");
  CHECK(a.root_dir == "/var/lib/kubelet");
  CHECK(a.verbosity == 0);
  // A file with only the header yields the defaults.
  std::vector<std::string> warnings;
  auto cfg = parse("", warnings);
  REQUIRE(cfg);
  CHECK(*cfg == c);
  CHECK(warnings.empty());
}

TEST_CASE("a full YAML file") {
  temp_dir dir;
  auto path = dir.write("kubelet.yaml", std::string{header} + R"(
staticPodPath: /etc/kubernetes/manifests
syncFrequency: 30s
fileCheckFrequency: 10s
address: "::"
port: 10251
readOnlyPort: 10255
healthzPort: 0
healthzBindAddress: 0.0.0.0
rotateCertificates: true
serverTLSBootstrap: yes
kubeAPIQPS: 20
kubeAPIBurst: 40
eventRecordQPS: 0
registryPullQPS: 0
serializeImagePulls: false
maxParallelImagePulls: 3
imageGCHighThresholdPercent: 90
imageGCLowThresholdPercent: 70
imageMinimumGCAge: 5m
nodeStatusUpdateFrequency: 4s
nodeStatusReportFrequency: 1m
nodeLeaseDurationSeconds: 20
containerRuntimeEndpoint: unix:///run/crio/crio.sock
runtimeRequestTimeout: 1m30s
maxPods: 50
podPidsLimit: 4096
clusterDomain: cluster.local
clusterDNS: [10.96.0.10, "fd00::10"]
resolvConf: ""
cgroupDriver: systemd
cgroupRoot: /kubepods
cgroupsPerQOS: false
failSwapOn: false
evictionHard:
  memory.available: 200Mi
  nodefs.available: "7.5%"
evictionPressureTransitionPeriod: 30s
systemReserved:
  cpu: 100m
  memory: 1.5Gi
kubeReserved: {cpu: 1, ephemeral-storage: 1G, pid: "1000"}
enforceNodeAllocatable: [pods, kube-reserved]
registerNode: true
registerWithTaints:
  - key: node-role.kubernetes.io/control-plane
    effect: NoSchedule
  - key: dedicated
    value: gpu
    effect: NoExecute
shutdownGracePeriod: 30s
shutdownGracePeriodCriticalPods: 10s
containerLogMaxSize: 50Mi
containerLogMaxFiles: 3
)");
  std::vector<std::string> warnings;
  auto cfg = load_config_file(path, warnings);
  REQUIRE_MESSAGE(cfg, describe(cfg.error()));
  CHECK(warnings.empty());
  const auto& c = *cfg;
  CHECK(c.static_pod_path == "/etc/kubernetes/manifests");
  CHECK(c.sync_frequency == 30s);
  CHECK(c.file_check_frequency == 10s);
  CHECK(c.http_check_frequency == 20s);
  CHECK(c.address == "::");
  CHECK(c.port == 10251);
  CHECK(c.read_only_port == 10255);
  CHECK(c.healthz_port == 0); // explicit zero disables, not defaulted
  CHECK(c.healthz_bind_address == "0.0.0.0");
  CHECK(c.rotate_certificates);
  CHECK(c.server_tls_bootstrap);
  CHECK(c.kube_api_qps == 20);
  CHECK(c.kube_api_burst == 40);
  CHECK(c.event_record_qps == 0);
  CHECK(c.registry_pull_qps == 0);
  CHECK_FALSE(c.serialize_image_pulls);
  CHECK(c.max_parallel_image_pulls == 3);
  CHECK(c.image_gc_high_threshold_percent == 90);
  CHECK(c.image_gc_low_threshold_percent == 70);
  CHECK(c.image_minimum_gc_age == 5min);
  CHECK(c.node_status_update_frequency == 4s);
  CHECK(c.node_status_report_frequency == 1min);
  CHECK(c.node_lease_duration_seconds == 20);
  CHECK(c.container_runtime_endpoint == "unix:///run/crio/crio.sock");
  CHECK(c.runtime_request_timeout == 90s);
  CHECK(c.max_pods == 50);
  CHECK(c.pod_pids_limit == 4096);
  CHECK(c.cluster_domain == "cluster.local");
  CHECK(c.cluster_dns == std::vector<std::string>{"10.96.0.10", "fd00::10"});
  CHECK(c.resolv_conf.empty());
  CHECK(c.cgroup_driver == "systemd");
  CHECK(c.cgroup_root == "/kubepods");
  CHECK_FALSE(c.cgroups_per_qos);
  CHECK_FALSE(c.fail_swap_on);
  REQUIRE(c.eviction_hard.size() == 2); // a given map replaces the default
  CHECK(to_string(c.eviction_hard.at("memory.available")) == "200Mi");
  CHECK(c.eviction_hard.at("nodefs.available").percentage
        == doctest::Approx(0.075));
  CHECK(c.eviction_pressure_transition_period == 30s);
  CHECK(c.system_reserved.at("cpu").milli_value() == 100);
  CHECK(c.system_reserved.at("memory").to_string() == "1536Mi");
  CHECK(c.kube_reserved.at("cpu").value() == 1);
  CHECK(c.kube_reserved.at("ephemeral-storage").value() == 1000000000);
  CHECK(c.kube_reserved.at("pid").value() == 1000);
  CHECK(c.enforce_node_allocatable
        == std::vector<std::string>{"pods", "kube-reserved"});
  CHECK(c.register_node);
  REQUIRE(c.register_with_taints.size() == 2);
  CHECK(to_string(c.register_with_taints[0])
        == "node-role.kubernetes.io/control-plane:NoSchedule");
  CHECK(to_string(c.register_with_taints[1]) == "dedicated=gpu:NoExecute");
  CHECK(c.shutdown_grace_period == 30s);
  CHECK(c.shutdown_grace_period_critical_pods == 10s);
  CHECK(c.container_log_max_size.to_string() == "50Mi");
  CHECK(c.container_log_max_files == 3);
}

TEST_CASE("a JSON config file") {
  temp_dir dir;
  auto path = dir.write("kubelet.json", R"({
  "apiVersion": "kubelet.config.k8s.io/v1beta1",
  "kind": "KubeletConfiguration",
  "maxPods": 64,
  "syncFrequency": "2m",
  "failSwapOn": false,
  "clusterDNS": ["10.0.0.10"],
  "evictionHard": {"memory.available": "500Mi"},
  "registerWithTaints": [{"key": "a", "value": "b", "effect": "NoSchedule"}],
  "maxParallelImagePulls": null
})");
  std::vector<std::string> warnings;
  auto cfg = load_config_file(path, warnings);
  REQUIRE_MESSAGE(cfg, describe(cfg.error()));
  CHECK(cfg->max_pods == 64);
  CHECK(cfg->sync_frequency == 2min);
  CHECK_FALSE(cfg->fail_swap_on);
  CHECK(cfg->cluster_dns == std::vector<std::string>{"10.0.0.10"});
  CHECK(to_string(cfg->eviction_hard.at("memory.available")) == "500Mi");
  REQUIRE(cfg->register_with_taints.size() == 1);
  CHECK(to_string(cfg->register_with_taints[0]) == "a=b:NoSchedule");
  CHECK_FALSE(cfg->max_parallel_image_pulls.has_value());
  // JSON numbers where a duration string belongs are rejected, as upstream.
  auto bad = dir.write("bad.json", R"({
  "apiVersion": "kubelet.config.k8s.io/v1beta1",
  "kind": "KubeletConfiguration",
  "syncFrequency": 60
})");
  auto err = load_config_file(bad, warnings);
  REQUIRE_FALSE(err);
  auto msg = context_of(err.error());
  CHECK(contains(msg, bad + ":4: field syncFrequency:"));
  CHECK(contains(msg, "number 60"));
}

TEST_CASE("upstream defaulting of zero values and relative paths") {
  std::vector<std::string> warnings;
  auto cfg = parse("maxPods: 0\nsyncFrequency: 0s\nport: 0\naddress: ''\n"
                   "cgroupRoot: ''\nhealthzPort: 0\neventRecordQPS: 0\n",
                   warnings);
  REQUIRE_MESSAGE(cfg, describe(cfg.error()));
  CHECK(cfg->max_pods == 110);
  CHECK(cfg->sync_frequency == 1min);
  CHECK(cfg->port == 10250);
  CHECK(cfg->address == "0.0.0.0");
  CHECK(cfg->cgroup_root == "/");
  CHECK(cfg->healthz_port == 0);
  CHECK(cfg->event_record_qps == 0);
  // serializeImagePulls defaults to false when parallel pulls are allowed.
  cfg = parse("maxParallelImagePulls: 5\n", warnings);
  REQUIRE(cfg);
  CHECK_FALSE(cfg->serialize_image_pulls);
  // Null leaves the default.
  cfg = parse("maxPods: null\nevictionHard:\n", warnings);
  REQUIRE(cfg);
  CHECK(cfg->max_pods == 110);
  CHECK(cfg->eviction_hard == default_eviction_hard());
  // Relative paths are relative to the file's directory.
  temp_dir dir;
  auto path = dir.write("k.yaml", std::string{header}
                                    + "staticPodPath: manifests\n"
                                      "resolvConf: ../resolv.conf\n");
  auto loaded = load_config_file(path, warnings);
  REQUIRE(loaded);
  CHECK(loaded->static_pod_path == (dir.path / "manifests").string());
  CHECK(loaded->resolv_conf
        == (dir.path.parent_path() / "resolv.conf").string());
}

TEST_CASE("unknown and unsupported fields only warn") {
  std::vector<std::string> warnings;
  auto cfg = parse("maxPods: 12\nfooBar: 1\nauthentication:\n  anonymous:\n"
                   "    enabled: false\nmaxPods: 13\n",
                   warnings);
  REQUIRE_MESSAGE(cfg, describe(cfg.error()));
  CHECK(cfg->max_pods == 13);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0] == "kubelet.yaml:4: unknown field \"fooBar\"");
  CHECK(contains(warnings[1], "kubelet.yaml:5:"));
  CHECK(contains(warnings[1], "\"authentication\" is not supported"));
  CHECK(warnings[2] == "kubelet.yaml:8: duplicate field \"maxPods\"");
  warnings.clear();
  cfg = parse("registerWithTaints:\n- key: a\n  effect: NoSchedule\n  "
              "colour: red\n",
              warnings);
  REQUIRE(cfg);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0],
                 "unknown field \"registerWithTaints[0].colour\""));
}

TEST_CASE("file-level errors name the file") {
  temp_dir dir;
  std::vector<std::string> warnings;
  auto missing = (dir.path / "nope.yaml").string();
  auto cfg = load_config_file(missing, warnings);
  REQUIRE_FALSE(cfg);
  CHECK(is(cfg.error(), errc::io_error));
  CHECK(contains(context_of(cfg.error()), missing));
  CHECK(contains(context_of(cfg.error()), "No such file"));
  cfg = load_config_file(dir.path.string(), warnings);
  REQUIRE_FALSE(cfg);
  CHECK(is(cfg.error(), errc::io_error));

  auto malformed = dir.write("bad.yaml", std::string{header}
                                           + "maxPods: [1, 2\nport: 1\n");
  cfg = load_config_file(malformed, warnings);
  REQUIRE_FALSE(cfg);
  CHECK(is(cfg.error(), errc::invalid_config));
  auto msg = context_of(cfg.error());
  CHECK(contains(msg, malformed + ":"));
  CHECK(contains(msg, "malformed YAML"));

  auto empty = dir.write("empty.yaml", "");
  cfg = load_config_file(empty, warnings);
  REQUIRE_FALSE(cfg);
  CHECK(contains(context_of(cfg.error()), empty + ": empty document"));

  auto list = dir.write("list.yaml", "- a\n- b\n");
  cfg = load_config_file(list, warnings);
  REQUIRE_FALSE(cfg);
  CHECK(contains(context_of(cfg.error()), list + ":1: expected a mapping"));

  auto scalar = parse_config_yaml("hello", "s.yaml", warnings);
  REQUIRE_FALSE(scalar);
  CHECK(contains(context_of(scalar.error()), "s.yaml:1: expected a mapping"));
}

TEST_CASE("apiVersion and kind are checked") {
  std::vector<std::string> warnings;
  auto no_version = parse_config_yaml(
    "kind: KubeletConfiguration\nmaxPods: 1\n", "k.yaml", warnings);
  REQUIRE_FALSE(no_version);
  CHECK(contains(context_of(no_version.error()), "k.yaml: missing apiVersion"));
  auto no_kind = parse_config_yaml(
    "apiVersion: kubelet.config.k8s.io/v1beta1\n", "k.yaml", warnings);
  REQUIRE_FALSE(no_kind);
  CHECK(contains(context_of(no_kind.error()), "k.yaml: missing kind"));
  auto wrong_version = parse_config_yaml(
    "kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1alpha1\n",
    "k.yaml", warnings);
  REQUIRE_FALSE(wrong_version);
  auto msg = context_of(wrong_version.error());
  CHECK(contains(msg, "k.yaml:2: field apiVersion:"));
  CHECK(contains(msg, "kubelet.config.k8s.io/v1alpha1"));
  auto wrong_kind = parse_config_yaml(
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: Pod\n", "k.yaml",
    warnings);
  REQUIRE_FALSE(wrong_kind);
  CHECK(contains(context_of(wrong_kind.error()), "k.yaml:2: field kind:"));
  CHECK(contains(context_of(wrong_kind.error()), "\"Pod\""));
}

TEST_CASE("type errors name file, line and field") {
  // The body starts on line 3.
  auto msg = parse_error("maxPods: 10\nsyncFrequency: 5\n");
  CHECK(contains(msg, "kubelet.yaml:4: field syncFrequency:"));
  CHECK(contains(msg, "duration string"));
  msg = parse_error("maxPods: ten\n");
  CHECK(contains(msg, "kubelet.yaml:3: field maxPods:"));
  CHECK(contains(msg, "must be an integer, got string \"ten\""));
  msg = parse_error("maxPods: '110'\n");
  CHECK(contains(msg, "field maxPods: must be an integer"));
  msg = parse_error("maxPods: 1.5\n");
  CHECK(contains(msg, "field maxPods: must be an integer, got number 1.5"));
  msg = parse_error("port: 99999999999\n");
  CHECK(contains(msg, "field port: value 99999999999 is out of range"));
  msg = parse_error("failSwapOn: maybe\n");
  CHECK(contains(msg, "kubelet.yaml:3: field failSwapOn: must be a boolean"));
  msg = parse_error("failSwapOn: \"true\"\n");
  CHECK(contains(msg, "field failSwapOn: must be a boolean"));
  msg = parse_error("syncFrequency: 1d\n");
  CHECK(contains(msg, "field syncFrequency: unknown unit \"d\""));
  msg = parse_error("staticPodPath: [a]\n");
  CHECK(contains(msg, "field staticPodPath: must be a string, got a list"));
  msg = parse_error("clusterDNS: 10.0.0.1\n");
  CHECK(contains(msg, "field clusterDNS: must be a list"));
  msg = parse_error("\nevictionHard:\n  memory.available: lots\n");
  CHECK(contains(msg, "kubelet.yaml:5: field evictionHard[memory.available]:"));
  msg = parse_error("evictionHard:\n  nodefs.available: 150%\n");
  CHECK(contains(msg, "field evictionHard[nodefs.available]:"));
  CHECK(contains(msg, "<= 100%"));
  msg = parse_error("systemReserved:\n  memory: 1KiB\n");
  CHECK(contains(msg, "kubelet.yaml:4: field systemReserved[memory]:"));
  msg = parse_error("containerLogMaxSize: 10MB\n");
  CHECK(contains(msg, "field containerLogMaxSize: invalid quantity \"10MB\""));
  msg = parse_error("registerWithTaints:\n- key: a\n  effect: Sometimes\n");
  CHECK(contains(msg, "kubelet.yaml:5: field registerWithTaints[0].effect:"));
  msg = parse_error("registerWithTaints:\n- key: a\n");
  CHECK(contains(msg, "field registerWithTaints[0].effect: is required"));
  msg = parse_error(
    "registerWithTaints:\n- key: 'bad key'\n  effect: NoSchedule\n");
  CHECK(contains(msg, "field registerWithTaints[0].key: invalid taint key"));
}

TEST_CASE("validation errors name file, line and field") {
  auto msg = parse_error("maxPods: 5\nsyncFrequency: -5s\n");
  CHECK(contains(msg, "kubelet.yaml:4: field syncFrequency: must be greater "
                      "than 0"));
  msg = parse_error("maxPods: -1\n");
  CHECK(contains(msg, "kubelet.yaml:3: field maxPods: must not be a negative"));
  msg = parse_error("\n\nport: 70000\n");
  CHECK(contains(msg,
                 "kubelet.yaml:5: field port: must be between 1 and 65535"));
  msg = parse_error("healthzPort: 65536\n");
  CHECK(contains(msg, "field healthzPort: must be 0 (disabled) or between 1 "
                      "and 65535"));
  msg = parse_error("readOnlyPort: -1\n");
  CHECK(contains(msg, "field readOnlyPort:"));
  msg = parse_error("kubeAPIBurst: -3\n");
  CHECK(contains(msg, "field kubeAPIBurst: must not be a negative number"));
  msg = parse_error("registryPullQPS: -1\n");
  CHECK(contains(msg, "field registryPullQPS:"));
  msg = parse_error("nodeLeaseDurationSeconds: -40\n");
  CHECK(
    contains(msg, "field nodeLeaseDurationSeconds: must be greater than 0"));
  msg = parse_error("shutdownGracePeriod: -1s\n");
  CHECK(contains(msg, "field shutdownGracePeriod: must not be negative"));
  msg = parse_error("imageGCHighThresholdPercent: 50\n");
  CHECK(contains(msg, "field imageGCLowThresholdPercent: must be less than"));
  msg = parse_error("imageGCHighThresholdPercent: 101\n");
  CHECK(contains(msg, "kubelet.yaml:3: field imageGCHighThresholdPercent:"));
  msg = parse_error("address: localhost\n");
  CHECK(contains(msg, "field address: \"localhost\" is not a valid IP"));
  msg = parse_error("clusterDNS:\n- 10.0.0.1\n- dns.local\n");
  CHECK(contains(msg, "kubelet.yaml:5: field clusterDNS[1]:"));
  msg = parse_error("cgroupDriver: docker\n");
  CHECK(contains(msg, "field cgroupDriver:"));
  msg = parse_error("evictionHard:\n  disk.available: 1Gi\n");
  CHECK(contains(msg, "kubelet.yaml:4: field evictionHard[disk.available]: "
                      "unsupported eviction signal"));
  msg = parse_error("kubeReserved:\n  gpu: 1\n");
  CHECK(contains(msg, "field kubeReserved[gpu]: cannot reserve \"gpu\""));
  msg = parse_error("kubeReserved:\n  cpu: -1\n");
  CHECK(contains(msg, "field kubeReserved[cpu]: resource quantity cannot be "
                      "negative"));
  msg = parse_error("maxParallelImagePulls: 4\nserializeImagePulls: true\n");
  CHECK(contains(msg, "kubelet.yaml:3: field maxParallelImagePulls:"));
  msg = parse_error("containerLogMaxFiles: 1\n");
  CHECK(contains(msg, "field containerLogMaxFiles: must be greater than 1"));
  msg = parse_error("enforceNodeAllocatable: [pods, none]\n");
  CHECK(contains(msg, "field enforceNodeAllocatable[1]:"));
  msg = parse_error("containerRuntimeEndpoint: unix:///x\nshutdownGracePeriod: "
                    "10s\nshutdownGracePeriodCriticalPods: 20s\n");
  CHECK(
    contains(msg, "kubelet.yaml:5: field shutdownGracePeriodCriticalPods:"));
  // Several issues are all reported.
  msg = parse_error("port: 0\nhealthzPort: -2\nmaxPods: -3\n");
  CHECK(contains(msg, "field healthzPort"));
  CHECK(contains(msg, "field maxPods"));
}

TEST_CASE("to_yaml round trips") {
  kubelet_configuration c;
  c.max_pods = 42;
  c.sync_frequency = 90s;
  c.cluster_dns = {"10.96.0.10"};
  c.register_with_taints = {{"a", "b", taint_effect::no_execute},
                            {"c", "", taint_effect::prefer_no_schedule}};
  c.system_reserved["memory"] = *units::parse_quantity("1Gi");
  c.max_parallel_image_pulls = 2;
  c.serialize_image_pulls = false;
  c.resolv_conf = "";
  std::vector<std::string> warnings;
  auto text = to_yaml(c);
  auto back = parse_config_yaml(text, "round-trip", warnings);
  REQUIRE_MESSAGE(back, describe(back.error()));
  CHECK(*back == c);
  CHECK(warnings.empty());
  auto defaults = parse_config_yaml(to_yaml(kubelet_configuration{}), "d",
                                    warnings);
  REQUIRE(defaults);
  CHECK(*defaults == kubelet_configuration{});
}

TEST_CASE("never throws on hostile input") {
  std::vector<std::string> warnings;
  std::string deep(5000, '[');
  CHECK_FALSE(parse_config_yaml(deep, "deep", warnings));
  CHECK_FALSE(parse_config_yaml("\t: :\n\x01\xff", "bin", warnings));
  CHECK_FALSE(parse_config_yaml("{a: *x}", "alias", warnings));
  std::string body{header};
  body += "? [complex, key]\n: 1\n";
  CHECK_FALSE(parse_config_yaml(body, "key", warnings));
}

TEST_CASE("label and taint syntax") {
  CHECK_FALSE(check_qualified_name("app"));
  CHECK_FALSE(check_qualified_name("example.com/My_Name-1.x"));
  CHECK(check_qualified_name(""));
  CHECK(check_qualified_name("-app"));
  CHECK(check_qualified_name("a/b/c"));
  CHECK(check_qualified_name("Example.com/x"));
  CHECK(check_qualified_name(std::string(64, 'a')));
  CHECK_FALSE(check_label_value(""));
  CHECK_FALSE(check_label_value("v1.2_3-x"));
  CHECK(check_label_value("a b"));
  CHECK(check_label_value(std::string(64, 'a')));
  CHECK_FALSE(check_dns1123_subdomain("node-1.example.com"));
  CHECK(check_dns1123_subdomain("Node1"));
  CHECK(check_dns1123_subdomain("a..b"));

  auto t = parse_taint("key=value:NoSchedule");
  REQUIRE(t);
  CHECK(t->key == "key");
  CHECK(t->value == "value");
  CHECK(t->effect == taint_effect::no_schedule);
  t = parse_taint("example.com/k:PreferNoSchedule");
  REQUIRE(t);
  CHECK(t->value.empty());
  CHECK(t->effect == taint_effect::prefer_no_schedule);
  CHECK_FALSE(parse_taint("key=value"));
  CHECK_FALSE(parse_taint("key:noschedule"));
  CHECK_FALSE(parse_taint("a=b=c:NoExecute"));
  CHECK_FALSE(parse_taint("a:b:NoExecute"));
  CHECK_FALSE(parse_taint("=v:NoExecute"));
  auto ts = parse_taints("a=1:NoSchedule,b:NoExecute");
  REQUIRE(ts);
  CHECK(ts->size() == 2);
  CHECK_FALSE(parse_taints("a=1:NoSchedule,a=2:NoSchedule"));
  CHECK(parse_taints("a=1:NoSchedule,a=2:NoExecute"));

  auto labels = parse_labels("a=1, example.com/b = two ,c=");
  REQUIRE(labels);
  CHECK(labels->at("a") == "1");
  CHECK(labels->at("example.com/b") == "two");
  CHECK(labels->at("c").empty());
  CHECK_FALSE(parse_labels("a"));
  CHECK_FALSE(parse_labels("a=b c"));
  CHECK_FALSE(parse_labels("=x"));
  CHECK_FALSE(check_node_label_namespaces(
    {{"node.kubernetes.io/pool", "a"}, {"kubernetes.io/hostname", "x"},
     {"example.com/x", "y"}, {"plain", ""}}));
  auto why
    = check_node_label_namespaces({{"node-role.kubernetes.io/worker", ""}});
  REQUIRE(why);
  CHECK(contains(*why, "node-role.kubernetes.io/worker"));
}

TEST_CASE("flag forms") {
  auto cl = parse_flags({"--config", "/etc/k.yaml", "--kubeconfig=/k",
                         "--bootstrap-kubeconfig", "/b", "--fail-swap-on",
                         "--container-runtime-endpoint=unix:///c.sock",
                         "--pod-manifest-path", "/m", "--node-ip=10.0.0.5",
                         "--hostname-override", "Node-A", "--cert-dir=/pki",
                         "--root-dir", "/r", "--healthz-port", "0",
                         "--healthz-bind-address=0.0.0.0", "--max-pods=30",
                         "-v", "4"});
  CHECK_FALSE(cl.help);
  CHECK_FALSE(cl.version);
  CHECK(cl.agent.config_file == "/etc/k.yaml");
  CHECK(cl.agent.kubeconfig == "/k");
  CHECK(cl.agent.bootstrap_kubeconfig == "/b");
  CHECK(cl.agent.node_ips == std::vector<std::string>{"10.0.0.5"});
  CHECK(cl.agent.hostname_override == "Node-A");
  CHECK(cl.agent.cert_dir == "/pki");
  CHECK(cl.agent.root_dir == "/r");
  CHECK(cl.agent.verbosity == 4);
  using kv = std::pair<std::string, std::string>;
  CHECK(cl.config_flags
        == std::vector<kv>{{"fail-swap-on", "true"},
                           {"container-runtime-endpoint", "unix:///c.sock"},
                           {"pod-manifest-path", "/m"},
                           {"healthz-port", "0"},
                           {"healthz-bind-address", "0.0.0.0"},
                           {"max-pods", "30"}});
  CHECK(parse_flags({"-v=3"}).agent.verbosity == 3);
  CHECK(parse_flags({"-v7"}).agent.verbosity == 7);
  CHECK(parse_flags({"--v=2"}).agent.verbosity == 2);
  CHECK(parse_flags({"--v", "5"}).agent.verbosity == 5);
  CHECK(parse_flags({"--fail-swap-on=false"}).config_flags.front().second
        == "false");
  CHECK(parse_flags({"--help", "--bogus"}).help);
  CHECK(parse_flags({"-h"}).help);
  CHECK(parse_flags({"--version"}).version);
  CHECK(parse_flags({"--version=false"}).version == false);
  CHECK(parse_flags({"--config="}).agent.config_file.empty());
  CHECK(parse_flags({"--node-ip=10.0.0.1,fd00::1"}).agent.node_ips.size() == 2);
  auto labels = parse_flags({"--node-labels=a=1,b=2", "--node-labels", "c=3"});
  CHECK(labels.agent.node_labels
        == std::map<std::string, std::string>{
          {"a", "1"}, {"b", "2"}, {"c", "3"}});
  auto taints
    = parse_flags({"--register-with-taints=k=v:NoSchedule,x:NoExecute"});
  CHECK(taints.config_flags.size() == 1);
  CHECK(parse_flags({}).agent == agent_options{});
}

TEST_CASE("flag errors name the flag") {
  CHECK(flag_error({"--bogus"}) == "unknown flag: --bogus");
  CHECK(contains(flag_error({"-x"}), "unknown shorthand flag: 'x'"));
  CHECK(flag_error({"--config"}) == "flag needs an argument: --config");
  CHECK(contains(flag_error({"--max-pods=ten"}),
                 "invalid argument \"ten\" for \"--max-pods\" flag"));
  CHECK(contains(flag_error({"--max-pods", "-1"}), "\"--max-pods\""));
  CHECK(contains(flag_error({"--healthz-port=70000"}),
                 "invalid argument \"70000\" for \"--healthz-port\" flag: "
                 "must be between 0 and 65535"));
  CHECK(contains(flag_error({"--fail-swap-on=maybe"}), "\"--fail-swap-on\""));
  CHECK(contains(flag_error({"--healthz-bind-address=localhost"}),
                 "\"--healthz-bind-address\" flag: not a valid IP"));
  CHECK(contains(flag_error({"--node-ip=1.2.3.4,5.6.7.8"}), "\"--node-ip\""));
  CHECK(contains(flag_error({"--node-ip=nope"}), "\"--node-ip\""));
  CHECK(contains(flag_error({"--node-labels=a"}), "\"--node-labels\""));
  CHECK(contains(flag_error({"--node-labels=bad key=x"}), "invalid label key"));
  CHECK(contains(flag_error({"--node-labels=node-role.kubernetes.io/x="}),
                 "unknown 'kubernetes.io' or 'k8s.io' labels"));
  CHECK(contains(flag_error({"--register-with-taints=a=b"}),
                 "\"--register-with-taints\""));
  CHECK(contains(flag_error({"--register-with-taints=a:Never"}), "Never"));
  CHECK(contains(flag_error({"-v", "x"}), "\"--v\""));
  CHECK(contains(flag_error({"--v=-1"}), "non-negative"));
  CHECK(contains(flag_error({"--sync-frequency=5"}), "missing unit"));
  CHECK(contains(flag_error({"serve"}), "unexpected argument \"serve\""));
  CHECK(contains(flag_error({"--", "x"}), "unexpected argument \"x\""));
  CHECK(contains(flag_error({"---x"}), "bad flag syntax"));
  CHECK(contains(flag_error({"-config=/x"}), "unknown shorthand flag: 'c'"));
}

TEST_CASE("flags override the config file") {
  temp_dir dir;
  auto path = dir.write("k.yaml", std::string{header}
                                    + "maxPods: 50\nfailSwapOn: true\n"
                                      "healthzPort: 10000\n"
                                      "staticPodPath: /from/file\n"
                                      "clusterDomain: file.local\n");
  auto cl = parse_flags({"--config=" + path, "--max-pods", "70",
                         "--fail-swap-on=false", "--hostname-override=Node-1",
                         "--register-with-taints=a=b:NoSchedule",
                         "--system-reserved=cpu=500m,memory=1Gi"});
  std::vector<std::string> warnings;
  auto r = resolve_configuration(cl, warnings);
  REQUIRE_MESSAGE(r, describe(r.error()));
  CHECK(r->kubelet.max_pods == 70);            // flag wins
  CHECK_FALSE(r->kubelet.fail_swap_on);        // flag wins
  CHECK(r->kubelet.healthz_port == 10000);     // from the file
  CHECK(r->kubelet.static_pod_path == "/from/file");
  CHECK(r->kubelet.cluster_domain == "file.local");
  CHECK(r->kubelet.sync_frequency == 1min);    // default
  REQUIRE(r->kubelet.register_with_taints.size() == 1);
  CHECK(r->kubelet.system_reserved.at("cpu").milli_value() == 500);
  CHECK(r->agent.node_name == "node-1");
  CHECK(r->agent.config_file == path);

  // Without --config: defaults and flags.
  auto plain = resolve_configuration(parse_flags({"--hostname-override=n"}),
                                     warnings);
  REQUIRE(plain);
  CHECK(plain->kubelet == kubelet_configuration{});

  // A missing --config file is an error naming it.
  auto missing = resolve_configuration(
    parse_flags({"--config", (dir.path / "none.yaml").string()}), warnings);
  REQUIRE_FALSE(missing);
  CHECK(contains(context_of(missing.error()), "none.yaml"));

  // A cross-field issue introduced by a flag names the flag.
  auto gc = resolve_configuration(
    parse_flags({"--image-gc-low-threshold=90", "--hostname-override=n"}),
    warnings);
  REQUIRE_FALSE(gc);
  CHECK(is(gc.error(), errc::invalid_flag));
  CHECK(contains(context_of(gc.error()), "--image-gc-low-threshold"));
  auto reserved = resolve_configuration(
    parse_flags({"--kube-reserved=gpu=1", "--hostname-override=n"}), warnings);
  REQUIRE_FALSE(reserved);
  CHECK(contains(context_of(reserved.error()), "--kube-reserved"));
  CHECK(contains(context_of(reserved.error()), "gpu"));
}

TEST_CASE("node name") {
  auto n = resolve_node_name("  My-Node.Example.COM ");
  REQUIRE(n);
  CHECK(*n == "my-node.example.com");
  auto bad = resolve_node_name("under_score");
  REQUIRE_FALSE(bad);
  CHECK(is(bad.error(), errc::invalid_flag));
  CHECK(contains(context_of(bad.error()), "--hostname-override"));
  auto host = resolve_node_name("");
  REQUIRE_MESSAGE(host, describe(host.error()));
  CHECK_FALSE(host->empty());
  for (char c : *host)
    CHECK_FALSE((c >= 'A' && c <= 'Z'));
}

TEST_CASE("usage text lists every flag") {
  auto text = usage_text();
  for (auto flag : {"--config", "--kubeconfig", "--bootstrap-kubeconfig",
                    "--container-runtime-endpoint", "--pod-manifest-path",
                    "--fail-swap-on", "--node-ip", "--hostname-override",
                    "--node-labels", "--register-with-taints", "--cert-dir",
                    "--root-dir", "--healthz-port", "--healthz-bind-address",
                    "--max-pods", "-v, --v", "-h, --help", "--version"})
    CHECK_MESSAGE(contains(text, flag), flag);
  CHECK(contains(text, "(default /var/lib/kubelet/pki)"));
  CHECK(contains(text, "(default 110)"));
  // One line per flag, no line left without help.
  CHECK(text.find("\n\n\n") == std::string::npos);
}
