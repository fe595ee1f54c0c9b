#pragma once
/// @file
/// The generated CRI message types (api.pb.h, package runtime.v1) under the
/// short name the kuberuntime builders use, `kuberuntime::pb` (the same
/// namespace as `cri::pb`).

#include "api.pb.h"

namespace cafelet::kuberuntime {

/// The generated CRI message types.
namespace pb = ::runtime::v1;

/// Labels or annotations of a CRI object.
using pb_string_map = google::protobuf::Map<std::string, std::string>;

} // namespace cafelet::kuberuntime
