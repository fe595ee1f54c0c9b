#pragma once
/// @file
/// `v1.Pod`: the spec subset cafelet acts on and the status it reports.
/// Decoded pods are shared read-only as `pod_ptr`.

#include "messages/k8s/container.hpp"
#include "messages/k8s/meta.hpp"
#include "messages/k8s/volume.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `v1.HostAlias`: an /etc/hosts entry.
struct host_alias {
  /// IP address.
  std::string ip;
  /// Host names for it.
  std::vector<std::string> hostnames;
};

/// `v1.PodDNSConfigOption`.
struct dns_config_option {
  /// Option name.
  std::string name;
  /// Option value, if any.
  std::optional<std::string> value;
};

/// `v1.PodDNSConfig`.
struct pod_dns_config {
  /// Name servers.
  std::vector<std::string> nameservers;
  /// Search domains.
  std::vector<std::string> searches;
  /// resolv.conf options.
  std::vector<dns_config_option> options;
};

/// `v1.Sysctl`.
struct sysctl {
  /// Name.
  std::string name;
  /// Value.
  std::string value;
};

/// `v1.PodSecurityContext` (subset).
struct pod_security_context {
  /// UID to run as.
  std::optional<int64_t> run_as_user;
  /// GID to run as.
  std::optional<int64_t> run_as_group;
  /// Refuse to run as root.
  std::optional<bool> run_as_non_root;
  /// Supplemental group ids.
  std::vector<int64_t> supplemental_groups;
  /// Group owning volumes.
  std::optional<int64_t> fs_group;
  /// "OnRootMismatch" or "Always".
  std::string fs_group_change_policy;
  /// Namespaced sysctls.
  std::vector<k8s::sysctl> sysctls;
  /// Seccomp profile.
  std::optional<k8s::seccomp_profile> seccomp_profile;
};

/// `v1.Toleration`.
struct toleration {
  /// Taint key (empty with Exists: all).
  std::string key;
  /// "Exists" or "Equal".
  std::string operator_;
  /// Taint value.
  std::string value;
  /// Taint effect (empty: all).
  std::string effect;
  /// How long a NoExecute taint is tolerated.
  std::optional<int64_t> toleration_seconds;
};

/// `v1.PodSpec` (subset).
struct pod_spec {
  /// Volumes.
  std::vector<volume> volumes;
  /// Init containers, run in order.
  std::vector<container> init_containers;
  /// App containers.
  std::vector<container> containers;
  /// "Always", "OnFailure" or "Never".
  std::string restart_policy = "Always";
  /// Grace period for deletion.
  std::optional<int64_t> termination_grace_period_seconds;
  /// Deadline relative to startTime.
  std::optional<int64_t> active_deadline_seconds;
  /// "ClusterFirst", "ClusterFirstWithHostNet", "Default" or "None".
  std::string dns_policy = "ClusterFirst";
  /// Node selector.
  string_map node_selector;
  /// Service account name.
  std::string service_account_name;
  /// Whether to mount the service account token.
  std::optional<bool> automount_service_account_token;
  /// Node the pod is bound to.
  std::string node_name;
  /// Use the host network namespace.
  bool host_network = false;
  /// Use the host PID namespace.
  bool host_pid = false;
  /// Use the host IPC namespace.
  bool host_ipc = false;
  /// Share one PID namespace between containers.
  std::optional<bool> share_process_namespace;
  /// Pod-level security context.
  std::optional<pod_security_context> security_context;
  /// Names of image pull secrets.
  std::vector<std::string> image_pull_secrets;
  /// Hostname (empty: pod name).
  std::string hostname;
  /// Subdomain for the FQDN.
  std::string subdomain;
  /// Extra /etc/hosts entries.
  std::vector<host_alias> host_aliases;
  /// DNS configuration.
  std::optional<pod_dns_config> dns_config;
  /// Use the FQDN as hostname.
  std::optional<bool> set_hostname_as_fqdn;
  /// Scheduler that placed the pod.
  std::string scheduler_name;
  /// Tolerations.
  std::vector<toleration> tolerations;
  /// Priority class name.
  std::string priority_class_name;
  /// Priority value.
  std::optional<int32_t> priority;
  /// Runtime class.
  std::string runtime_class_name;
  /// Inject service environment variables.
  std::optional<bool> enable_service_links;
};

/// `v1.PodCondition`.
struct pod_condition {
  /// Condition type ("Ready", "PodScheduled", ...).
  std::string type;
  /// "True", "False" or "Unknown".
  std::string status;
  /// Last probe time.
  opt_time last_probe_time;
  /// Last status change.
  opt_time last_transition_time;
  /// Machine-readable reason.
  std::string reason;
  /// Human-readable message.
  std::string message;
};

/// `v1.ContainerStateWaiting`.
struct container_state_waiting {
  /// E.g. "ContainerCreating", "CrashLoopBackOff".
  std::string reason;
  /// Details.
  std::string message;
};

/// `v1.ContainerStateRunning`.
struct container_state_running {
  /// Start time.
  opt_time started_at;
};

/// `v1.ContainerStateTerminated`.
struct container_state_terminated {
  /// Exit status.
  int32_t exit_code = 0;
  /// Terminating signal.
  int32_t signal = 0;
  /// E.g. "Completed", "Error", "OOMKilled".
  std::string reason;
  /// Details.
  std::string message;
  /// Start time.
  opt_time started_at;
  /// End time.
  opt_time finished_at;
  /// "<runtime>://<id>".
  std::string container_id;
};

/// `v1.ContainerState`: at most one member should be set (the API server
/// does not enforce it).
struct container_state {
  /// Waiting.
  std::optional<container_state_waiting> waiting;
  /// Running.
  std::optional<container_state_running> running;
  /// Terminated.
  std::optional<container_state_terminated> terminated;
};

/// `v1.ContainerStatus` (subset).
struct container_status {
  /// Container name.
  std::string name;
  /// Current state.
  container_state state;
  /// Previous termination.
  container_state last_state;
  /// Passed its readiness probe.
  bool ready = false;
  /// Restarts so far.
  int32_t restart_count = 0;
  /// Image as in the spec.
  std::string image;
  /// Resolved image id.
  std::string image_id;
  /// "<runtime>://<id>".
  std::string container_id;
  /// Passed its startup probe.
  std::optional<bool> started;
};

/// `v1.PodStatus` (subset).
struct pod_status {
  /// "Pending", "Running", "Succeeded", "Failed" or "Unknown".
  std::string phase;
  /// Conditions.
  std::vector<pod_condition> conditions;
  /// Human-readable message.
  std::string message;
  /// Machine-readable reason (e.g. "Evicted").
  std::string reason;
  /// Primary host IP.
  std::string host_ip;
  /// Host IPs (`hostIPs[].ip`).
  std::vector<std::string> host_ips;
  /// Primary pod IP.
  std::string pod_ip;
  /// Pod IPs (`podIPs[].ip`).
  std::vector<std::string> pod_ips;
  /// When the kubelet accepted the pod.
  opt_time start_time;
  /// Init container statuses.
  std::vector<container_status> init_container_statuses;
  /// App container statuses.
  std::vector<container_status> container_statuses;
  /// "Guaranteed", "Burstable" or "BestEffort".
  std::string qos_class;
};

/// `v1.Pod`.
struct pod {
  /// apiVersion/kind as sent (may be empty inside lists).
  type_meta type;
  /// Metadata.
  object_meta metadata;
  /// Desired state.
  pod_spec spec;
  /// Observed state.
  pod_status status;
};

/// A decoded pod, shared read-only.
using pod_ptr = std::shared_ptr<const pod>;

} // namespace cafelet::k8s

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::k8s::pod_ptr)
