#pragma once
/// @file
/// Kubernetes name rules (label keys and values, DNS subdomains) and the
/// flag syntax of node labels and taints.

#include "messages/config/kubelet_config.hpp"

#include <caf/expected.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::config {

/// Checks a qualified name (a label or taint key): an optional DNS-1123
/// subdomain prefix and '/', then a name of at most 63 characters made of
/// alphanumerics, '-', '_' and '.', starting and ending alphanumeric.
/// Returns nullopt if valid, else the reason.
std::optional<std::string> check_qualified_name(std::string_view key);

/// Checks a label value: empty, or at most 63 characters made of
/// alphanumerics, '-', '_' and '.', starting and ending alphanumeric.
/// Returns nullopt if valid, else the reason.
std::optional<std::string> check_label_value(std::string_view value);

/// Checks a lowercase RFC 1123 subdomain (node names, label prefixes): at
/// most 253 characters, dot-separated labels of [a-z0-9-] that start and
/// end alphanumeric. Returns nullopt if valid, else the reason.
std::optional<std::string> check_dns1123_subdomain(std::string_view name);

/// Parses one taint in flag syntax: "key=value:Effect" or "key:Effect",
/// with Effect one of NoSchedule, PreferNoSchedule, NoExecute.
caf::expected<taint> parse_taint(std::string_view spec);

/// Parses a comma-separated taint list ("" gives an empty list). Rejects
/// two taints with the same key and effect.
caf::expected<std::vector<taint>> parse_taints(std::string_view spec);

/// Parses "k=v,k2=v2" into labels, trimming blanks around keys and values
/// and validating each key and value ("" gives no labels).
caf::expected<std::map<std::string, std::string>>
parse_labels(std::string_view spec);

/// Applies the kubelet's rule for --node-labels: keys in the kubernetes.io
/// or k8s.io namespaces must be in the kubelet's allowed set
/// (kubelet.kubernetes.io/*, node.kubernetes.io/*, kubernetes.io/hostname,
/// kubernetes.io/os, kubernetes.io/arch, topology.kubernetes.io/region,
/// ...). Returns nullopt if all labels are allowed, else the reason.
std::optional<std::string>
check_node_label_namespaces(const std::map<std::string, std::string>& labels);

} // namespace cafelet::config
