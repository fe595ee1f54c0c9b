#pragma once
/// @file
/// The CRI endpoint given by `--container-runtime-endpoint`
/// (containerRuntimeEndpoint): a unix socket, written
/// `unix:///run/containerd/containerd.sock` or as a bare absolute path.

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace cafelet::cri {

/// A parsed CRI endpoint.
struct endpoint {
  /// Absolute path of the unix socket.
  std::string path;
  /// The gRPC channel target for it: "unix://" + path.
  std::string target;
};

/// Parses the flag value. Accepts `unix://<absolute path>`,
/// `unix:<absolute path>` and a bare absolute path. Anything else (other
/// schemes such as tcp:// or npipe://, relative paths, `unix://host/...`,
/// paths too long for a unix socket) is an `errc::invalid_flag` error whose
/// message names the flag.
caf::expected<endpoint> parse_endpoint(std::string_view value);

} // namespace cafelet::cri
