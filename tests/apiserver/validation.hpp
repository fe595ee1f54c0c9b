#pragma once
/// @file
/// The validation the real API server performs that matters for a kubelet
/// (422 Invalid causes): object metadata, pod spec basics, pod and node
/// status IPs, lease spec, events, config map keys, and the immutability
/// checks of updates. What the real server accepts (e.g. a negative
/// restartCount or an unknown pod phase in a status update) is accepted.

#include "tests/apiserver/status.hpp"

#include "messages/json/json.hpp"

#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// Validates a new object of `kind`.
std::vector<field_error> validate_create(std::string_view kind,
                                         const json::value& obj);

/// Validates an update of an object of `kind` from `old` to `obj`;
/// `subresource` is "status" for status updates.
std::vector<field_error> validate_update(std::string_view kind,
                                         std::string_view subresource,
                                         const json::value& obj,
                                         const json::value& old);

/// True if `s` is a valid IPv4 or IPv6 address as Go's netip accepts it.
bool is_valid_ip(std::string_view s);

} // namespace cafelet::apiserver
