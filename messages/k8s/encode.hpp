#pragma once
/// @file
/// Encoders for the request bodies cafelet sends to the API server. They
/// write compact JSON text directly; field names and shapes follow what the
/// upstream kubelet sends.

#include "messages/k8s/event.hpp"
#include "messages/k8s/lease.hpp"
#include "messages/k8s/node.hpp"
#include "messages/k8s/pod.hpp"
#include "messages/k8s/status.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cafelet::k8s {

/// The Content-Type of a PATCH body.
enum class patch_type : uint8_t {
  /// `application/merge-patch+json` (RFC 7386): lists are replaced whole.
  merge,
  /// `application/strategic-merge-patch+json`: lists with a merge key
  /// (conditions by `type`) merge element-wise; `$setElementOrder` fixes
  /// their order.
  strategic,
};

/// Returns the Content-Type header value for `x`.
std::string_view content_type(patch_type x);

/// Node for `POST /api/v1/nodes`: metadata (name, labels, annotations),
/// spec (podCIDR(s), providerID, unschedulable, taints) and the full status.
std::string encode_node(const node& x);

/// Strategic-merge patch for `PATCH /api/v1/nodes/<name>/status`:
/// `$setElementOrder/conditions` plus every condition in full. With `full`,
/// also capacity, allocatable, addresses (with `$setElementOrder/addresses`),
/// daemonEndpoints and nodeInfo.
std::string encode_node_status_patch(const node_status& x, bool full = false);

/// Lease for `POST` (create) or `PUT` (renew; needs
/// `metadata.resourceVersion`) in kube-node-lease. renewTime and
/// acquireTime are MicroTime.
std::string encode_lease(const lease& x);

/// core/v1 Event for `POST /api/v1/namespaces/<ns>/events`.
std::string encode_event(const event& x);

/// Body of the recorder's count bump:
/// `{"count":N,"lastTimestamp":"...","message":"..."}` (message omitted if
/// empty).
std::string encode_event_count_patch(int32_t count, timestamp last_timestamp,
                                     std::string_view message = {});

/// Body for `PATCH /api/v1/namespaces/<ns>/pods/<name>/status`. A non-empty
/// `uid` adds `metadata.uid`, which makes the API server reject the patch
/// (422) if the pod was replaced. With `patch_type::strategic`, conditions
/// get `$setElementOrder/conditions` and empty reason/message are sent as
/// null so that stale values are cleared.
std::string encode_pod_status_patch(const pod_status& x,
                                    std::string_view uid = {},
                                    patch_type type = patch_type::merge);

/// DeleteOptions for `DELETE`: `gracePeriodSeconds` if set and
/// `preconditions.uid` if `uid` is non-empty.
std::string encode_delete_options(std::optional<int64_t> grace_period_seconds,
                                  std::string_view uid = {});

/// A `metav1.Status` body (for test servers and error replies).
std::string encode_status(const status& x);

/// A whole Pod as a node reports it (kubelet `/pods`): kind, apiVersion,
/// metadata (with creation and deletion times), `spec` = `spec_json` when
/// given (a JSON object text, e.g. a static pod's manifest spec), else
/// nodeName, restartPolicy and the names and images of the containers,
/// and `status` = `x`.
std::string encode_pod_view(const pod& p, const pod_status& x,
                            std::string_view spec_json = {});

/// Appends the JSON of a pod status (as in a Pod's `status`).
void append_pod_status(std::string& out, const pod_status& x,
                       patch_type type = patch_type::merge);

} // namespace cafelet::k8s
