#pragma once
/// @file
/// Image pull policy as the API server defaults it.

#include "messages/k8s/container.hpp"

#include <string>
#include <string_view>

namespace cafelet::actors::pods {

/// The image's tag ("" without one; a digest reference has none).
std::string_view image_tag(std::string_view image);

/// The container's imagePullPolicy, defaulted as the API server does when
/// it is empty (static pods): "Always" for the tag `latest` or no tag
/// (unless pinned by digest), "IfNotPresent" otherwise.
std::string effective_pull_policy(const k8s::container& c);

} // namespace cafelet::actors::pods
