#pragma once
/// @file
/// Pod cgroup names as the upstream kubelet's container manager spells them
/// (pkg/kubelet/cm): below cgroupRoot, `kubepods/pod<uid>` for Guaranteed,
/// `kubepods/burstable/pod<uid>` and `kubepods/besteffort/pod<uid>`; the
/// cgroupfs driver writes them as paths ("/kubepods/burstable/pod<uid>"),
/// the systemd driver as expanded slices
/// ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<u>.slice"
/// with dashes of the parts turned into underscores).

#include "runtime/kuberuntime/settings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cafelet::kuberuntime {

/// A cgroup as driver-neutral components, e.g. {"kubepods", "pod<uid>"};
/// empty is the root.
using cgroup_name = std::vector<std::string>;

/// Splits a cgroupfs path ("/", "/a/b") into components.
cgroup_name parse_cgroupfs(std::string_view path);

/// "/a/b" (the root is "/").
std::string to_cgroupfs(const cgroup_name& name);

/// "/a.slice/a-b.slice" with '-' inside components escaped as '_' (the root
/// is "/").
std::string to_systemd(const cgroup_name& name);

/// `name` spelled for the configured driver ("systemd" or else cgroupfs).
std::string to_driver(const settings& s, const cgroup_name& name);

/// The QoS-level cgroup: cgroupRoot + kubepods (Guaranteed) or
/// kubepods/burstable, kubepods/besteffort; cgroupRoot alone when
/// cgroupsPerQOS is off.
cgroup_name qos_cgroup_name(const settings& s, qos_class qos);

/// The pod cgroup: the QoS cgroup + "pod<uid>"; cgroupRoot alone when
/// cgroupsPerQOS is off (upstream then makes no pod cgroups).
cgroup_name pod_cgroup_name(const settings& s, qos_class qos,
                            std::string_view pod_uid);

/// `to_driver(s, pod_cgroup_name(s, qos, pod_uid))`: the sandbox's
/// cgroup_parent.
std::string pod_cgroup_parent(const settings& s, qos_class qos,
                              std::string_view pod_uid);

} // namespace cafelet::kuberuntime
