#pragma once
/// @file
/// Kubernetes variable expansion and container environments, as the
/// upstream kubelet does them (third_party/forked/golang/expansion,
/// `makeEnvironmentVariables`, `ExpandContainerCommandAndArgs`,
/// `ExpandContainerVolumeMounts`, the downward API field and resource
/// selectors). Pure functions, no actors; ConfigMaps and Secrets come from
/// caller-supplied lookups. No input crashes them.

#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafelet::actors::pods {

/// Environment variables in definition order.
using env_list = std::vector<std::pair<std::string, std::string>>;

/// Resolves a variable name; nullopt if unknown.
using var_lookup = std::function<std::optional<std::string>(std::string_view)>;

/// Expands `$(VAR)` references in `input`: known names are replaced, unknown
/// ones stay as written, `$$` becomes `$`, any other `$` is kept, and an
/// unterminated `$(` is kept. One pass: replacements are not re-expanded.
std::string expand(std::string_view input, const var_lookup& lookup);

/// `expand` against `env` (the last definition of a name wins).
std::string expand(std::string_view input, const env_list& env);

/// Returns a ConfigMap's or Secret's data (Secret values decoded) by name,
/// or nullptr if the object does not exist.
using data_lookup
  = std::function<const k8s::string_map*(std::string_view name)>;

/// What building a container environment needs besides the pod.
struct env_inputs {
  /// Service variables (FOO_SERVICE_HOST, ...), already filtered by
  /// `enableServiceLinks`; they never override explicit variables.
  env_list service_env;
  /// Pod IPs, primary first.
  std::vector<std::string> pod_ips;
  /// Node IPs, primary first.
  std::vector<std::string> host_ips;
  /// Node allocatable: default limits for resourceFieldRef.
  k8s::resource_list node_allocatable;
  /// ConfigMaps of the pod's namespace (unset: none exist).
  data_lookup config_map;
  /// Secrets of the pod's namespace (unset: none exist).
  data_lookup secret;
};

/// A container environment.
struct environment {
  /// Variables: envFrom and env in order (a redefinition keeps the first
  /// position and takes the new value), then service variables not
  /// defined otherwise.
  env_list vars;
  /// InvalidEnvironmentVariableNames warnings (upstream event messages) for
  /// envFrom keys that were skipped.
  std::vector<std::string> warnings;
};

/// Builds `c`'s environment as upstream: envFrom sources in order (prefix
/// applied, invalid names skipped), then env in order, where a literal value
/// is expanded against the variables defined so far and the service
/// variables, and `valueFrom` is resolved (fieldRef, resourceFieldRef,
/// configMapKeyRef, secretKeyRef; optional references that cannot be
/// resolved define nothing); then service variables. Fails with
/// `errc::invalid` and upstream's message ("configmap \"x\" not found",
/// "couldn't find key k in ConfigMap ns/x", ...), which becomes a
/// CreateContainerConfigError.
caf::expected<environment> make_environment(const k8s::pod& pod,
                                            const k8s::container& c,
                                            const env_inputs& in);

/// Command and args after expansion against the environment.
struct command_line {
  /// Expanded `command`.
  std::vector<std::string> command;
  /// Expanded `args`.
  std::vector<std::string> args;
};

/// Expands `c.command` and `c.args` against `env`.
command_line expand_command(const k8s::container& c, const env_list& env);

/// Expands a volume mount's `subPathExpr`; fails with `errc::invalid`
/// ("missing value for A, B") if a referenced variable is unknown or empty.
caf::expected<std::string> expand_sub_path(std::string_view expr,
                                           const env_list& env);

/// True for a valid environment variable name: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
bool is_env_var_name(std::string_view name) noexcept;

/// The downward API value of a pod field (metadata.name, metadata.namespace,
/// metadata.uid, metadata.labels['k'], metadata.annotations['k'],
/// metadata.labels, metadata.annotations, spec.nodeName,
/// spec.serviceAccountName, status.hostIP(s), status.podIP(s)). Unknown paths
/// fail with `errc::invalid`.
caf::expected<std::string>
field_ref_value(const k8s::pod& pod, const k8s::object_field_selector& fs,
                const std::vector<std::string>& pod_ips,
                const std::vector<std::string>& host_ips);

/// The downward API value of a container resource ("limits.cpu",
/// "requests.memory", "limits.hugepages-2Mi", ...) divided by the divisor
/// (default 1) and rounded up; missing cpu, memory and ephemeral-storage
/// limits default to `node_allocatable`.
caf::expected<std::string>
resource_field_value(const k8s::container& c,
                     const k8s::resource_field_selector& fs,
                     const k8s::resource_list& node_allocatable);

} // namespace cafelet::actors::pods
