#pragma once
/// @file
/// The files of configMap, secret, downwardAPI and projected volumes, as the
/// upstream kubelet's volume plugins compute them (`MakePayload`,
/// `CollectData`, the projected plugin's `collectData`), and the names of
/// the ConfigMaps and Secrets a pod refers to. Pure functions, no actors:
/// the caller fetches the objects and tokens, then writes the payload with
/// the atomic writer (atomic_writer.hpp). No input crashes them.
///
/// Errors carry `cafelet::errc` and upstream's messages: `not_found` for a
/// missing object, `invalid` for a missing key, an unsupported field or
/// resource or a bad mode, `bad_response` for undecodable base64 data,
/// `not_ready` for a token the caller has not supplied. Where upstream
/// aggregates several errors (downwardAPI items, projected sources), the
/// message is Go's aggregate text ("a" or "[a, b]") and the code the first
/// error's.

#include "actors/volumes/payload.hpp"
#include "messages/k8s/config.hpp"
#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <map>
#include <set>
#include <string>

namespace cafelet::actors::volumes {

/// configMap volume: every key of `data` and `binaryData` (or only `items`,
/// each key to its path), mode = item mode, else `defaultMode`, else 0644.
/// A missing ConfigMap (`cm == nullptr`) gives an empty payload if the
/// volume is optional, else `configmap "<name>" not found` (`not_found`).
/// A key listed in `items` but absent fails with `configmap references
/// non-existent config key: <key>` (`invalid`) unless optional (skipped).
caf::expected<payload> config_map_payload(const k8s::config_map_volume& v,
                                          const k8s::config_map* cm);

/// secret volume: the same rules with the secret's wording (`secret
/// "<name>" not found`, `secret references non-existent secret key: <key>`);
/// file contents are the decoded bytes of `data`.
caf::expected<payload> secret_payload(const k8s::secret_volume& v,
                                      const k8s::secret* s);

/// Inputs of the downward API beyond the pod.
struct downward_inputs {
  /// Node allocatable: fills unset or zero cpu, memory and
  /// ephemeral-storage limits, as upstream.
  k8s::resource_list node_allocatable;
};

/// downwardAPI volume: `fieldRef` (metadata.name, metadata.namespace,
/// metadata.uid, metadata.labels, metadata.annotations and the subscripted
/// `metadata.labels['k']` / `metadata.annotations['k']`; whole maps as
/// upstream's `FormatMap`: sorted `key="value"` lines, values quoted as Go's
/// %q) and `resourceFieldRef` (limits/requests of cpu, memory,
/// ephemeral-storage and hugepages of the named container, divided by the
/// divisor and rounded up). Paths are cleaned as Go's `path.Clean`; modes
/// as for configMap volumes. Unsupported fields fail with `downwardAPI item
/// "<path>": <upstream message>`; all items are tried and their errors
/// aggregated.
caf::expected<payload> downward_payload(const k8s::downward_api_volume& v,
                                        const k8s::pod& pod,
                                        const downward_inputs& in);

/// What a projected volume needs besides the pod.
struct projected_inputs {
  /// ConfigMaps by name (null or absent: missing).
  std::map<std::string, const k8s::config_map*> config_maps;
  /// Secrets by name (null or absent: missing).
  std::map<std::string, const k8s::secret*> secrets;
  /// Service account tokens by source index.
  std::map<size_t, std::string> tokens;
  /// Downward API inputs.
  downward_inputs downward;
};

/// projected volume: the sources' files merged in order, where a later
/// source writing the same path replaces the earlier file (upstream assigns
/// into one map). `defaultMode` (else 0644) applies to every source; item
/// modes override it. A serviceAccountToken file gets `defaultMode`, or
/// 0600 when the pod has an fsGroup or all its containers run as the same
/// user (upstream `FsUser`/`FsGroup` rule; the atomic writer's caller owns
/// the ownership change). Missing objects and keys follow each source's
/// `optional`. A source kind cafelet does not support fails (`invalid`);
/// an empty source is skipped as upstream does.
caf::expected<payload> projected_payload(const k8s::projected_volume& v,
                                         const k8s::pod& pod,
                                         const projected_inputs& in);

/// Names of what a pod's volumes and containers refer to.
struct pod_references {
  /// ConfigMap names.
  std::set<std::string> config_maps;
  /// Secret names.
  std::set<std::string> secrets;
  /// True if a projected volume has a serviceAccountToken source.
  bool service_account_token = false;
};

/// The ConfigMaps and Secrets referenced by the pod's volumes (configMap,
/// secret, projected) and by `env`/`envFrom` of all init and app containers
/// (configMapKeyRef, secretKeyRef, configMapRef, secretRef), plus
/// `imagePullSecrets`, as upstream's `VisitPodConfigmapNames` /
/// `VisitPodSecretNames` (the node authorizer's graph) count them. Empty
/// names are ignored.
pod_references references_of(const k8s::pod& pod);

} // namespace cafelet::actors::volumes
