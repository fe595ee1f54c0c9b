#pragma once
/// @file
/// Internal to the decoders: `read` overloads shared between the pod
/// decoding files. Include only from .cpp files.

#include "messages/k8s/pod.hpp"
#include "messages/k8s/reader.hpp"

namespace cafelet::k8s::detail {

/// Reads `v1.ObjectFieldSelector`.
error_code read(reader& r, od::value v, object_field_selector& out);

/// Reads `v1.ResourceFieldSelector`.
error_code read(reader& r, od::value v, resource_field_selector& out);

/// Reads `v1.SeccompProfile`.
error_code read(reader& r, od::value v, seccomp_profile& out);

/// Reads `v1.Container`.
error_code read(reader& r, od::value v, container& out);

/// Reads `v1.Volume`.
error_code read(reader& r, od::value v, volume& out);

} // namespace cafelet::k8s::detail
