#pragma once
/// @file
/// List envelopes (`PodList`, `NodeList`, ...): list metadata plus shared
/// items.

#include "messages/k8s/meta.hpp"

#include <memory>
#include <vector>

namespace cafelet::k8s {

/// A `<Kind>List`: `metadata.resourceVersion`/`continue` and the items.
template <class T>
struct object_list {
  /// apiVersion/kind as sent ("v1", "PodList").
  type_meta type;
  /// Version to start a watch from, paging token.
  list_meta metadata;
  /// The items, each shared read-only.
  std::vector<std::shared_ptr<const T>> items;
};

} // namespace cafelet::k8s
