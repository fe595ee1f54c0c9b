#pragma once
/// @file
/// Pod admission as the upstream kubelet's predicate admit handler does it
/// (pkg/kubelet/lifecycle/predicate.go): may a new pod run on this node,
/// given what is already admitted? Pure functions, no actors.
///
/// Checks, in upstream order, reporting only the first failure:
///  1. the pod's `kubernetes.io/os` label against the node's OS label
///     (PodOSSelectorNodeLabelDoesNotMatch);
///  2. resources: pod count (OutOfpods), cpu, memory, ephemeral-storage and
///     scalar resources (OutOf<name>), each "Node didn't have enough
///     resource: cpu, requested: 1000, used: 1500, capacity: 2000";
///  3. nodeSelector and required node affinity (NodeAffinity);
///  4. spec.nodeName (NodeName);
///  5. host ports already taken by admitted pods (NodePorts);
///  6. NoExecute taints not tolerated, except for static pods
///     (TaintToleration). NoSchedule taints do not stop the kubelet.
/// Upstream's further admit handlers (eviction pressure, sysctls,
/// critical-pod preemption, shutdown) are not part of this check.

#include "messages/k8s/node.hpp"
#include "messages/k8s/pod.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::actors::pods {

/// `v1.NodeSelectorRequirement`.
struct node_selector_requirement {
  /// Label key (or field name for matchFields: only "metadata.name").
  std::string key;
  /// "In", "NotIn", "Exists", "DoesNotExist", "Gt" or "Lt".
  std::string operator_;
  /// Values (one integer for Gt/Lt, none for Exists/DoesNotExist).
  std::vector<std::string> values;
};

/// `v1.NodeSelectorTerm`: all requirements must hold; an empty term matches
/// no node.
struct node_selector_term {
  /// Requirements on node labels.
  std::vector<node_selector_requirement> match_expressions;
  /// Requirements on node fields.
  std::vector<node_selector_requirement> match_fields;
};

/// Pod spec fields admission needs that the object model does not carry yet
/// (`spec.affinity.nodeAffinity.required...`, `spec.overhead`).
struct pod_extras {
  /// `requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`
  /// (any term must match); nullopt: no required node affinity.
  std::optional<std::vector<node_selector_term>> required_node_affinity;
  /// `spec.overhead`, added to the pod's requests.
  k8s::resource_list overhead;
};

/// What admission needs to know about this node.
struct admission_node {
  /// Node name.
  std::string name;
  /// Node labels.
  k8s::string_map labels;
  /// Allocatable resources.
  k8s::resource_list allocatable;
  /// Taints.
  std::vector<k8s::taint> taints;
  /// Maximum number of pods (upstream: allocatable "pods").
  int64_t max_pods = 110;
};

/// Builds the admission view of `n`; `max_pods` is used when the node's
/// allocatable has no valid "pods" entry.
admission_node admission_node_of(const k8s::node& n, int64_t max_pods = 110);

/// Resource amounts in the scheduler's units: millicores for cpu, whole
/// units (rounded up) for everything else.
struct resource_amounts {
  /// cpu in millicores.
  int64_t milli_cpu = 0;
  /// memory in bytes.
  int64_t memory = 0;
  /// ephemeral-storage in bytes.
  int64_t ephemeral_storage = 0;
  /// Scalar resources (hugepages-*, extended "vendor/name", ...) by name.
  std::map<std::string, int64_t, std::less<>> scalar;
};

/// The pod's effective requests as the scheduler computes them (upstream
/// `PodRequests`): the sum of app containers and restartable (sidecar) init
/// containers, or the largest regular init container plus the sidecars
/// started before it, whichever is larger per resource; plus `overhead`.
/// Requests default to limits. Invalid quantities count as zero.
resource_amounts pod_requests(const k8s::pod_spec& spec,
                              const k8s::resource_list& overhead = {});

/// Parses a node's allocatable list into scheduler units.
resource_amounts allocatable_amounts(const k8s::resource_list& xs);

/// Outcome of an admission check.
struct admission_result {
  /// True if the pod may run.
  bool admitted = true;
  /// Upstream reason, e.g. "OutOfcpu", "NodeAffinity" (empty if admitted).
  std::string reason;
  /// Upstream message, e.g. "Node didn't have enough resource: cpu,
  /// requested: 1000, used: 1500, capacity: 2000".
  std::string message;
};

/// Decides whether `pod` may run next to the `admitted` pods (active pods
/// already admitted; an entry with the pod's own uid is ignored, null
/// entries are skipped).
admission_result admit(const k8s::pod& pod, const admission_node& node,
                       const std::vector<k8s::pod_ptr>& admitted,
                       const pod_extras& extras = {});

/// True if the pod came from a file or URL source (annotation
/// `kubernetes.io/config.source` present and not "api").
bool is_static_pod(const k8s::pod& pod);

/// The annotation marking a mirror pod (the API copy of a static pod); its
/// value is the static pod's config.hash.
inline constexpr std::string_view mirror_annotation = "kubernetes.io/config.mirror";

/// The static pod hash a mirror pod carries ("" if `pod` is no mirror pod).
std::string mirror_hash(const k8s::pod& pod);

/// True if `pod` is a mirror pod.
inline bool is_mirror_pod(const k8s::pod& pod) {
  return !mirror_hash(pod).empty();
}

/// "namespace/name".
std::string full_name(const k8s::pod& pod);

/// True if `t` tolerates `x` (upstream `ToleratesTaint`).
bool tolerates(const k8s::toleration& t, const k8s::taint& x);

/// True if the node matches the pod's nodeSelector and, if given, any of the
/// required node affinity terms.
bool matches_node_affinity(const k8s::pod_spec& spec,
                           const pod_extras& extras,
                           const admission_node& node);

/// The status a rejected pod gets (upstream `rejectPod` plus the status
/// manager): phase Failed, the reason, message "Pod was rejected:
/// <message>", qosClass and startTime kept (startTime `now` if unset), only
/// conditions not owned by the kubelet kept.
k8s::pod_status rejected_status(const k8s::pod& pod,
                                const admission_result& why,
                                k8s::timestamp now);

} // namespace cafelet::actors::pods
