#pragma once
/// @file
/// The kubelet configuration: `kubelet_configuration` mirrors the upstream
/// KubeletConfiguration (kubelet.config.k8s.io/v1beta1) fields cafelet
/// implements, with the upstream defaults; `agent_options` holds the
/// settings that upstream only takes as command-line flags.

#include "messages/units/quantity.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::config {

/// The only apiVersion accepted for configuration files.
inline constexpr std::string_view kubelet_config_api_version
  = "kubelet.config.k8s.io/v1beta1";

/// The only kind accepted for configuration files.
inline constexpr std::string_view kubelet_config_kind = "KubeletConfiguration";

/// The effect of a node taint.
enum class taint_effect : uint8_t {
  /// Pods that do not tolerate the taint are not scheduled.
  no_schedule,
  /// The scheduler tries to avoid placing such pods.
  prefer_no_schedule,
  /// Such pods are not scheduled and running ones are evicted.
  no_execute,
};

/// Returns "NoSchedule", "PreferNoSchedule" or "NoExecute".
std::string_view to_string(taint_effect x);

/// Parses the API spelling of an effect ("NoSchedule", ...); case-sensitive.
std::optional<taint_effect> parse_taint_effect(std::string_view text);

/// A taint the node registers with (`registerWithTaints`).
struct taint {
  /// A qualified name, e.g. "node-role.kubernetes.io/control-plane".
  std::string key;
  /// A label value; may be empty.
  std::string value;
  /// What the taint does to pods that do not tolerate it.
  taint_effect effect = taint_effect::no_schedule;

  /// Memberwise equality.
  bool operator==(const taint&) const = default;
};

/// Renders a taint like the flag syntax: "key=value:Effect" or "key:Effect".
std::string to_string(const taint& x);

/// The value of one eviction threshold: an absolute quantity ("100Mi") or a
/// percentage of capacity ("10%").
struct threshold_value {
  /// The absolute amount, or nullopt when given as a percentage.
  std::optional<units::quantity> quantity;
  /// The fraction of capacity in [0, 1] when `quantity` is empty.
  double percentage = 0;

  /// Memberwise equality.
  bool operator==(const threshold_value&) const = default;
};

/// Parses "100Mi" or "10%" for eviction signal `signal` with the upstream
/// rules: percentages within 0%..100%, quantities positive.
caf::expected<threshold_value> parse_threshold_value(std::string_view signal,
                                                     std::string_view text);

/// Renders a threshold value: "100Mi" or "10%".
std::string to_string(const threshold_value& x);

/// Reserved resources by name ("cpu", "memory", "ephemeral-storage", "pid").
using resource_map = std::map<std::string, units::quantity>;

/// Returns the upstream default `evictionHard` map.
std::map<std::string, threshold_value> default_eviction_hard();

/// The KubeletConfiguration fields cafelet implements. Member comments give
/// the upstream field name; defaults are the upstream v1beta1 defaults.
struct kubelet_configuration {
  // -- pod sources -----------------------------------------------------------

  /// staticPodPath: directory (or file) of static pod manifests; "" disables.
  std::string static_pod_path;
  /// syncFrequency: maximum period between pod resyncs.
  std::chrono::nanoseconds sync_frequency = std::chrono::minutes{1};
  /// fileCheckFrequency: how often static pod manifests are re-read.
  std::chrono::nanoseconds file_check_frequency = std::chrono::seconds{20};
  /// httpCheckFrequency: how often a static pod URL is polled.
  std::chrono::nanoseconds http_check_frequency = std::chrono::seconds{20};

  // -- serving ---------------------------------------------------------------

  /// address: IP the kubelet API server binds to.
  std::string address = "0.0.0.0";
  /// port: HTTPS port of the kubelet API.
  int32_t port = 10250;
  /// readOnlyPort: unauthenticated read-only port; 0 disables.
  int32_t read_only_port = 0;
  /// healthzPort: port of the local /healthz endpoint; 0 disables.
  int32_t healthz_port = 10248;
  /// healthzBindAddress: IP the /healthz endpoint binds to.
  std::string healthz_bind_address = "127.0.0.1";
  /// tlsCertFile: serving certificate; "" means self-signed in the cert dir.
  std::string tls_cert_file;
  /// tlsPrivateKeyFile: key of `tls_cert_file`.
  std::string tls_private_key_file;
  /// rotateCertificates: renew the client certificate through the API.
  bool rotate_certificates = false;
  /// serverTLSBootstrap: request the serving certificate through the API.
  bool server_tls_bootstrap = false;

  // -- API traffic -----------------------------------------------------------

  /// kubeAPIQPS: sustained request rate to the API server.
  int32_t kube_api_qps = 50;
  /// kubeAPIBurst: request burst to the API server.
  int32_t kube_api_burst = 100;
  /// eventRecordQPS: sustained event creation rate; 0 means unlimited.
  int32_t event_record_qps = 50;
  /// eventBurst: event creation burst.
  int32_t event_burst = 100;

  // -- images ----------------------------------------------------------------

  /// registryPullQPS: sustained image pull rate; 0 means unlimited.
  int32_t registry_pull_qps = 5;
  /// registryBurst: image pull burst.
  int32_t registry_burst = 10;
  /// serializeImagePulls: pull one image at a time.
  bool serialize_image_pulls = true;
  /// maxParallelImagePulls: parallel pull limit; unset means no limit.
  std::optional<int32_t> max_parallel_image_pulls;
  /// imageGCHighThresholdPercent: disk usage that triggers image GC.
  int32_t image_gc_high_threshold_percent = 85;
  /// imageGCLowThresholdPercent: disk usage image GC frees down to.
  int32_t image_gc_low_threshold_percent = 80;
  /// imageMinimumGCAge: minimum age of an unused image before GC.
  std::chrono::nanoseconds image_minimum_gc_age = std::chrono::minutes{2};

  // -- node status -----------------------------------------------------------

  /// nodeStatusUpdateFrequency: how often node status is computed.
  std::chrono::nanoseconds node_status_update_frequency
    = std::chrono::seconds{10};
  /// nodeStatusReportFrequency: maximum time between status patches.
  std::chrono::nanoseconds node_status_report_frequency
    = std::chrono::minutes{5};
  /// nodeLeaseDurationSeconds: duration of the node Lease.
  int32_t node_lease_duration_seconds = 40;

  // -- container runtime -----------------------------------------------------

  /// containerRuntimeEndpoint: CRI endpoint.
  std::string container_runtime_endpoint
    = "unix:///run/containerd/containerd.sock";
  /// runtimeRequestTimeout: timeout of runtime requests (except long ones).
  std::chrono::nanoseconds runtime_request_timeout = std::chrono::minutes{2};

  // -- pods ------------------------------------------------------------------

  /// maxPods: pods this node can run.
  int32_t max_pods = 110;
  /// podPidsLimit: maximum PIDs per pod; -1 means unlimited.
  int64_t pod_pids_limit = -1;
  /// clusterDomain: DNS domain of the cluster ("cluster.local").
  std::string cluster_domain;
  /// clusterDNS: IPs of the cluster DNS servers.
  std::vector<std::string> cluster_dns;
  /// resolvConf: resolver configuration used as the base for pod DNS.
  std::string resolv_conf = "/etc/resolv.conf";

  // -- cgroups and host ------------------------------------------------------

  /// cgroupDriver: "cgroupfs" or "systemd".
  std::string cgroup_driver = "cgroupfs";
  /// cgroupRoot: root cgroup for pods.
  std::string cgroup_root = "/";
  /// cgroupsPerQOS: create the QoS cgroup hierarchy.
  bool cgroups_per_qos = true;
  /// failSwapOn: refuse to start when swap is enabled.
  bool fail_swap_on = true;

  // -- resources and eviction -------------------------------------------------

  /// evictionHard: hard eviction thresholds by signal.
  std::map<std::string, threshold_value> eviction_hard
    = default_eviction_hard();
  /// evictionPressureTransitionPeriod: how long a pressure condition holds.
  std::chrono::nanoseconds eviction_pressure_transition_period
    = std::chrono::minutes{5};
  /// systemReserved: resources reserved for the OS.
  resource_map system_reserved;
  /// kubeReserved: resources reserved for Kubernetes daemons.
  resource_map kube_reserved;
  /// enforceNodeAllocatable: "pods", "system-reserved", "kube-reserved" or
  /// "none".
  std::vector<std::string> enforce_node_allocatable = {"pods"};

  // -- registration ----------------------------------------------------------

  /// registerNode: register the Node object with the API server.
  bool register_node = true;
  /// registerWithTaints: taints the node registers with.
  std::vector<taint> register_with_taints;

  // -- shutdown and logs -----------------------------------------------------

  /// shutdownGracePeriod: total delay of a node shutdown; 0 disables.
  std::chrono::nanoseconds shutdown_grace_period = std::chrono::seconds{0};
  /// shutdownGracePeriodCriticalPods: part of it reserved for critical pods.
  std::chrono::nanoseconds shutdown_grace_period_critical_pods
    = std::chrono::seconds{0};
  /// containerLogMaxSize: size at which a container log is rotated.
  units::quantity container_log_max_size
    = units::quantity::from_value(10 * 1024 * 1024,
                                  units::quantity_format::binary_si);
  /// containerLogMaxFiles: rotated log files kept per container.
  int32_t container_log_max_files = 5;

  /// Memberwise equality.
  bool operator==(const kubelet_configuration&) const = default;
};

/// cafelet settings that upstream takes only as flags (KubeletFlags), kept
/// apart so that `kubelet_configuration` stays faithful to the file format.
struct agent_options {
  /// --config: path of the KubeletConfiguration file; "" for none.
  std::string config_file;
  /// --kubeconfig: credentials for the API server.
  std::string kubeconfig;
  /// --bootstrap-kubeconfig: credentials to request a client certificate.
  std::string bootstrap_kubeconfig;
  /// --hostname-override: the node name to use instead of the hostname.
  std::string hostname_override;
  /// The resolved node name: the lowercased override or hostname.
  std::string node_name;
  /// --node-ip: node IP addresses (at most one per family); empty means
  /// auto-detect.
  std::vector<std::string> node_ips;
  /// --node-labels: labels added to the Node at registration.
  std::map<std::string, std::string> node_labels;
  /// --cert-dir: directory of the TLS certificates.
  std::string cert_dir = "/var/lib/kubelet/pki";
  /// --root-dir: directory for the kubelet's files (volumes, plugins).
  std::string root_dir = "/var/lib/kubelet";
  /// -v: log verbosity.
  int verbosity = 0;

  /// Memberwise equality.
  bool operator==(const agent_options&) const = default;
};

/// One violation of the upstream validation rules.
struct config_issue {
  /// The offending field as spelled in the file, e.g. "healthzPort" or
  /// "evictionHard[memory.available]".
  std::string field;
  /// What is wrong, e.g. "must be between 1 and 65535, inclusive, got 0".
  std::string message;
};

/// Checks `cfg` against the upstream validation rules (port ranges,
/// positive frequencies, non-negative counts, percent ranges, known
/// eviction signals and reservable resources, ...). Returns every issue.
std::vector<config_issue> validate(const kubelet_configuration& cfg);

/// True if `text` is a literal IPv4 or IPv6 address.
bool is_ip_address(std::string_view text);

} // namespace cafelet::config
