#pragma once
/// @file
/// Reading and writing KubeletConfiguration files (YAML or JSON).

#include "messages/config/kubelet_config.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cafelet::config {

/// Reads and decodes the KubeletConfiguration file at `path` (see
/// `parse_config_yaml`). A missing or unreadable file gives
/// `errc::io_error` naming the path.
caf::expected<kubelet_configuration>
load_config_file(const std::string& path, std::vector<std::string>& warnings);

/// Decodes a KubeletConfiguration document (YAML, or JSON as a subset of
/// YAML) over the upstream defaults, then validates it. The document must be
/// a mapping with apiVersion kubelet.config.k8s.io/v1beta1 and kind
/// KubeletConfiguration. Zero values of fields that upstream defaults when
/// unset ("maxPods: 0", "syncFrequency: 0s") take the default, as upstream.
///
/// Errors (`errc::invalid_config`) read "<source>:<line>: field <name>:
/// <reason>", e.g. a duration given as a number ("syncFrequency: 5"), a word
/// where a number belongs ("maxPods: ten"), a negative count or an
/// out-of-range port. Unknown fields, duplicates and upstream fields cafelet
/// does not implement only append a warning ("<source>:<line>: unknown
/// field \"fooBar\"") to `warnings`. Never throws.
caf::expected<kubelet_configuration>
parse_config_yaml(std::string_view text, std::string_view source_name,
                  std::vector<std::string>& warnings);

/// Renders `cfg` as a KubeletConfiguration YAML document (apiVersion and
/// kind included) that `parse_config_yaml` reads back to the same value.
std::string to_yaml(const kubelet_configuration& cfg);

} // namespace cafelet::config
