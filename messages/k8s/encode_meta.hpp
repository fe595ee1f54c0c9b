#pragma once
/// @file
/// Internal to the encoders: metadata writing shared by all objects.

#include "messages/k8s/meta.hpp"
#include "messages/k8s/writer.hpp"

namespace cafelet::k8s::detail {

/// Writes a `metadata` member with the non-empty fields of `x` (name,
/// generateName, namespace, uid, resourceVersion, labels, annotations,
/// ownerReferences, finalizers); `with_times` adds creationTimestamp and
/// deletionTimestamp (whole objects; patches never carry them).
void write_metadata(object_writer& o, const object_meta& x, bool with_times = false);

} // namespace cafelet::k8s::detail
