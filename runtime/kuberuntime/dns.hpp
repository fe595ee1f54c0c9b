#pragma once
/// @file
/// Pod DNS and hostname as the upstream kubelet derives them
/// (pkg/kubelet/network/dns GetPodDNS, GeneratePodHostNameAndDomain,
/// util/nodename GetNodenameForKernel): the resolv.conf parser, the
/// DNSConfig per dnsPolicy (ClusterFirst, ClusterFirstWithHostNet, Default,
/// None) merged with the pod's dnsConfig and cut to the resolver limits,
/// and the sandbox hostname.

#include "runtime/kuberuntime/format.hpp"
#include "runtime/kuberuntime/pb.hpp"
#include "runtime/kuberuntime/settings.hpp"

#include "messages/k8s/pod.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cafelet::kuberuntime {

/// Most nameservers a pod gets.
inline constexpr size_t max_dns_nameservers = 3;
/// Most search domains a pod gets.
inline constexpr size_t max_dns_search_paths = 32;
/// Longest search line (domains joined by spaces).
inline constexpr size_t max_dns_search_chars = 2048;

/// Parses resolv.conf text as upstream: `nameserver` lines accumulate, the
/// last `search` line wins (trailing dots removed, "." dropped), `options`
/// merge by name; '#' lines are comments. Fails with `errc::invalid` for a
/// `nameserver` line without an address.
caf::expected<host_dns> parse_resolv_conf(std::string_view text);

/// A pod's DNS configuration and the warnings met on the way.
struct pod_dns {
  /// Servers, searches, options for the sandbox.
  pb::DNSConfig config;
  /// MissingClusterDNS (ClusterFirst without clusterDNS: fell back to
  /// Default) and DNSConfigForming (limits exceeded, entries omitted).
  std::vector<build_warning> warnings;
};

/// The sandbox DNS configuration of `pod`:
/// - ClusterFirst (not hostNetwork) and ClusterFirstWithHostNet: the
///   cluster DNS servers, searches `<ns>.svc.<domain>`, `svc.<domain>`,
///   `<domain>` then the node's, options `ndots:5`;
/// - Default, and ClusterFirst with hostNetwork: the node's resolv.conf
///   (loopback servers and search "." when resolvConf is "");
/// - None: nothing;
/// then the pod's dnsConfig appended (duplicates omitted, options merged by
/// name) and cut to 3 servers and the search limits. Fails with
/// `errc::invalid` for an unknown dnsPolicy.
caf::expected<pod_dns> make_dns_config(const k8s::pod& pod,
                                       const dns_settings& dns);

/// True for an RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63
/// characters.
bool is_dns1123_label(std::string_view s) noexcept;

/// A pod's host name and domain.
struct pod_hostname {
  /// spec.hostname, else the pod name; cut to 63 characters without a
  /// trailing '-' or '.'.
  std::string hostname;
  /// `<subdomain>.<namespace>.svc.<cluster domain>`, or empty without a
  /// subdomain.
  std::string domain;
};

/// Upstream GeneratePodHostNameAndDomain. Fails with `errc::invalid` when
/// spec.hostname or spec.subdomain is not a DNS label.
caf::expected<pod_hostname> make_pod_hostname(const k8s::pod& pod,
                                              std::string_view cluster_domain);

/// The sandbox's hostname: empty for hostNetwork pods (runc cannot set one
/// without a private UTS namespace), else the pod hostname, or its FQDN
/// with setHostnameAsFQDN (which must fit 64 characters). Fails with
/// `errc::invalid` like `make_pod_hostname` or for a too long FQDN.
caf::expected<std::string> sandbox_hostname(const k8s::pod& pod,
                                            std::string_view cluster_domain);

} // namespace cafelet::kuberuntime
