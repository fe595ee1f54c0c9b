#pragma once
/// @file
/// Small builders for pods and containers in the pod-logic tests.

#include "messages/k8s/pod.hpp"

#include <string>
#include <utility>

namespace cafelet::test {

/// A container with the given name and optional requests/limits.
inline k8s::container make_container(std::string name,
                                     k8s::resource_list requests = {},
                                     k8s::resource_list limits = {}) {
  k8s::container c;
  c.name = std::move(name);
  c.image = "localhost/busybox:ci";
  c.resources.requests = std::move(requests);
  c.resources.limits = std::move(limits);
  return c;
}

/// A pod named `name` in "default" with uid `uid`.
inline k8s::pod make_pod(std::string name = "web",
                         std::string uid = "uid-1") {
  k8s::pod p;
  p.metadata.name = std::move(name);
  p.metadata.namespace_ = "default";
  p.metadata.uid = std::move(uid);
  p.spec.node_name = "edge-1";
  return p;
}

/// A shared pod with one app container.
inline k8s::pod_ptr shared_pod(std::string uid, k8s::container c) {
  auto p = make_pod("p-" + uid, std::move(uid));
  p.spec.containers.push_back(std::move(c));
  return std::make_shared<const k8s::pod>(std::move(p));
}

} // namespace cafelet::test
