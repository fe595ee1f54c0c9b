#pragma once
/// @file
/// Small text helpers shared by every layer: joining lists and quoting the
/// way Go's `%q` does (upstream messages quote names with it, and cafelet's
/// messages must read the same).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::text {

/// Joins `xs` with `sep` between elements.
std::string join(const std::vector<std::string>& xs, std::string_view sep);

/// Quotes `s` as Go's %q does for the common cases: `"` and `\` escaped,
/// \n \r \t by name, other control bytes as \xNN, everything else as is.
std::string go_quote(std::string_view s);

/// `host:port` as Go's net.JoinHostPort writes it: an IPv6 literal (a host
/// with ':') in brackets, unless it already has them.
std::string join_host_port(std::string_view host, uint32_t port);

} // namespace cafelet::text
