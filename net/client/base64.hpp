#pragma once
/// @file
/// Strict standard-alphabet base64 decoding, as used by kubeconfig `*-data`
/// fields. Whitespace (line breaks in wrapped data) is skipped.

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace cafelet::net {

/// Decodes `in` (RFC 4648 alphabet, '=' padding optional). Fails with
/// `errc::invalid_config` naming `what` and the offending offset.
caf::expected<std::string> base64_decode(std::string_view in,
                                         std::string_view what);

/// Encodes `in` with padding (used by tests and diagnostics).
std::string base64_encode(std::string_view in);

} // namespace cafelet::net
