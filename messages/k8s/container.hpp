#pragma once
/// @file
/// `v1.Container` and what it refers to: environment, ports, resources,
/// volume mounts, probes, lifecycle hooks and security context.

#include "messages/k8s/boxed.hpp"
#include "messages/k8s/meta.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::k8s {

/// `v1.ObjectFieldSelector`: a field of the pod ("metadata.name").
struct object_field_selector {
  /// Schema version the path is written in ("v1").
  std::string api_version;
  /// Path of the field.
  std::string field_path;
};

/// `v1.ResourceFieldSelector`: a container's resource limit or request.
struct resource_field_selector {
  /// Container name (may be empty for env vars: the current container).
  std::string container_name;
  /// Resource, e.g. "limits.cpu".
  std::string resource;
  /// Output unit as quantity text ("1" if empty).
  std::string divisor;
};

/// `v1.ConfigMapKeySelector` / `v1.SecretKeySelector`.
struct key_selector {
  /// Name of the ConfigMap or Secret.
  std::string name;
  /// Key inside it.
  std::string key;
  /// Whether the object or key may be missing.
  std::optional<bool> optional;
};

/// `v1.EnvVarSource`: exactly one member is set.
struct env_var_source {
  /// `fieldRef`.
  std::optional<object_field_selector> field_ref;
  /// `resourceFieldRef`.
  std::optional<resource_field_selector> resource_field_ref;
  /// `configMapKeyRef`.
  std::optional<key_selector> config_map_key_ref;
  /// `secretKeyRef`.
  std::optional<key_selector> secret_key_ref;
};

/// `v1.EnvVar`.
struct env_var {
  /// Variable name.
  std::string name;
  /// Literal value (may contain $(VAR) references).
  std::string value;
  /// Source of the value when not literal.
  std::optional<env_var_source> value_from;
};

/// `v1.ConfigMapEnvSource` / `v1.SecretEnvSource`.
struct env_source_ref {
  /// Name of the ConfigMap or Secret.
  std::string name;
  /// Whether it may be missing.
  std::optional<bool> optional;
};

/// `v1.EnvFromSource`.
struct env_from_source {
  /// Prefix for every key.
  std::string prefix;
  /// `configMapRef`.
  std::optional<env_source_ref> config_map_ref;
  /// `secretRef`.
  std::optional<env_source_ref> secret_ref;
};

/// `v1.ContainerPort`.
struct container_port {
  /// IANA_SVC_NAME of the port.
  std::string name;
  /// Port in the container.
  int32_t container_port = 0;
  /// Port on the host (0: none).
  int32_t host_port = 0;
  /// "TCP", "UDP" or "SCTP".
  std::string protocol = "TCP";
  /// Host IP to bind to.
  std::string host_ip;
};

/// `v1.ResourceRequirements` (quantities kept as text).
struct resource_requirements {
  /// `limits`.
  resource_list limits;
  /// `requests`.
  resource_list requests;
};

/// `v1.VolumeMount`.
struct volume_mount {
  /// Name of the pod volume.
  std::string name;
  /// Path in the container.
  std::string mount_path;
  /// Sub-path of the volume to mount.
  std::string sub_path;
  /// Sub-path with $(VAR) expansion.
  std::string sub_path_expr;
  /// Mount read-only.
  bool read_only = false;
  /// "None", "HostToContainer" or "Bidirectional" (empty: None).
  std::string mount_propagation;
  /// "Disabled", "IfPossible" or "Enabled" (empty: Disabled).
  std::string recursive_read_only;
};

/// `v1.ExecAction`.
struct exec_action {
  /// Command line, not run in a shell.
  std::vector<std::string> command;
};

/// `v1.HTTPHeader`.
struct http_header {
  /// Header name.
  std::string name;
  /// Header value.
  std::string value;
};

/// `v1.HTTPGetAction`.
struct http_get_action {
  /// Request path.
  std::string path;
  /// Port number or container port name.
  int_or_string port;
  /// Host (empty: pod IP).
  std::string host;
  /// "HTTP" or "HTTPS".
  std::string scheme = "HTTP";
  /// Extra headers.
  std::vector<http_header> http_headers;
};

/// `v1.TCPSocketAction`.
struct tcp_socket_action {
  /// Port number or container port name.
  int_or_string port;
  /// Host (empty: pod IP).
  std::string host;
};

/// `v1.GRPCAction`.
struct grpc_action {
  /// Port number.
  int32_t port = 0;
  /// Service name for the gRPC health check (empty: server health).
  std::string service;
};

/// `v1.Probe`; defaults are the API server's.
struct probe {
  /// `exec` handler.
  std::optional<exec_action> exec;
  /// `httpGet` handler.
  std::optional<http_get_action> http_get;
  /// `tcpSocket` handler.
  std::optional<tcp_socket_action> tcp_socket;
  /// `grpc` handler.
  std::optional<grpc_action> grpc;
  /// Delay before the first probe.
  int32_t initial_delay_seconds = 0;
  /// Timeout of one probe.
  int32_t timeout_seconds = 1;
  /// Interval between probes.
  int32_t period_seconds = 10;
  /// Consecutive successes to count as success.
  int32_t success_threshold = 1;
  /// Consecutive failures to count as failure.
  int32_t failure_threshold = 3;
  /// Probe-level override of the pod's grace period.
  std::optional<int64_t> termination_grace_period_seconds;
};

/// `v1.LifecycleHandler`.
struct lifecycle_handler {
  /// `exec` handler.
  std::optional<exec_action> exec;
  /// `httpGet` handler.
  std::optional<http_get_action> http_get;
  /// `tcpSocket` handler (deprecated, not run).
  std::optional<tcp_socket_action> tcp_socket;
  /// `sleep.seconds`.
  std::optional<int64_t> sleep_seconds;
};

/// `v1.Lifecycle`.
struct lifecycle {
  /// Run after the container starts.
  std::optional<lifecycle_handler> post_start;
  /// Run before the container is stopped.
  std::optional<lifecycle_handler> pre_stop;
};

/// `v1.Capabilities`.
struct capabilities {
  /// Capabilities to add.
  std::vector<std::string> add;
  /// Capabilities to drop.
  std::vector<std::string> drop;
};

/// `v1.SeccompProfile`.
struct seccomp_profile {
  /// "RuntimeDefault", "Unconfined" or "Localhost".
  std::string type;
  /// Profile path for "Localhost".
  std::string localhost_profile;
};

/// `v1.SecurityContext` (subset).
struct security_context {
  /// Run privileged.
  std::optional<bool> privileged;
  /// UID to run as.
  std::optional<int64_t> run_as_user;
  /// GID to run as.
  std::optional<int64_t> run_as_group;
  /// Refuse to run as root.
  std::optional<bool> run_as_non_root;
  /// Mount the root filesystem read-only.
  std::optional<bool> read_only_root_filesystem;
  /// Allow gaining privileges (no_new_privs off).
  std::optional<bool> allow_privilege_escalation;
  /// Capabilities to add/drop.
  std::optional<k8s::capabilities> capabilities;
  /// Seccomp profile.
  std::optional<k8s::seccomp_profile> seccomp_profile;
  /// "Default" or "Unmasked".
  std::string proc_mount;
};

/// `v1.Container` (also used for init containers).
struct container {
  /// Container name, unique in the pod.
  std::string name;
  /// Image reference.
  std::string image;
  /// "Always", "IfNotPresent" or "Never".
  std::string image_pull_policy;
  /// Entrypoint override.
  std::vector<std::string> command;
  /// Arguments.
  std::vector<std::string> args;
  /// Working directory.
  std::string working_dir;
  /// Exposed ports.
  std::vector<container_port> ports;
  /// Environment from whole ConfigMaps/Secrets.
  std::vector<env_from_source> env_from;
  /// Environment variables.
  std::vector<env_var> env;
  /// Resource requests and limits.
  resource_requirements resources;
  /// Volume mounts.
  std::vector<volume_mount> volume_mounts;
  /// Liveness probe.
  boxed<probe> liveness_probe;
  /// Readiness probe.
  boxed<probe> readiness_probe;
  /// Startup probe.
  boxed<probe> startup_probe;
  /// Lifecycle hooks.
  boxed<k8s::lifecycle> lifecycle;
  /// Path of the termination message file.
  std::string termination_message_path = "/dev/termination-log";
  /// "File" or "FallbackToLogsOnError".
  std::string termination_message_policy = "File";
  /// Security context.
  boxed<k8s::security_context> security_context;
  /// Keep stdin open.
  bool stdin_ = false;
  /// Close stdin after the first attach.
  bool stdin_once = false;
  /// Allocate a TTY.
  bool tty = false;
  /// Init containers only: "Always" makes it a sidecar.
  std::string restart_policy;
};

} // namespace cafelet::k8s
