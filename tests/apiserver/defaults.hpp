#pragma once
/// @file
/// Defaulting the API server applies to incoming objects (the generated
/// SetDefaults_* functions of core/v1), and derived values such as a pod's
/// QoS class.

#include "messages/json/json.hpp"

#include <string>
#include <string_view>

namespace cafelet::apiserver {

/// Applies the API defaults for objects of `kind` in place (pods: restart
/// policy, DNS policy, probe timings, termination message path, image pull
/// policy, volume modes, ...; secrets: type and stringData; namespaces:
/// finalizers).
void apply_defaults(std::string_view kind, json::value& obj);

/// The QoS class of `pod`: "Guaranteed", "Burstable" or "BestEffort".
std::string qos_class(const json::value& pod);

/// The image pull policy Kubernetes defaults to for `image`: "Always" for
/// ":latest" or no tag, else "IfNotPresent".
std::string default_pull_policy(std::string_view image);

} // namespace cafelet::apiserver
