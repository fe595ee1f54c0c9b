#pragma once
/// @file
/// Reads a kubeconfig (clusters, users, contexts, current-context) into a
/// `rest_config`, resolving files the way client-go does: relative paths are
/// relative to the directory of the kubeconfig, `*-data` fields are base64,
/// `tokenFile` wins over `token`. Key material is validated with OpenSSL.
///
/// Every error names the kubeconfig and the field, e.g.
///   kubeconfig /etc/kubernetes/kubelet.conf: clusters[name=prod].cluster.server: missing

#include "net/client/rest_config.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace cafelet::net {

/// Loads the kubeconfig at `path`. Uses `context` if not empty, else the
/// file's current-context. Unreadable files fail with `errc::io_error`,
/// malformed content with `errc::invalid_config`.
caf::expected<rest_config> load_kubeconfig(const std::string& path,
                                           const std::string& context = {});

/// Parses kubeconfig text. `origin` names it in errors and `base_dir`
/// anchors relative file paths. Uses `context` if not empty, else
/// current-context.
caf::expected<rest_config> parse_kubeconfig(std::string_view text,
                                            std::string_view origin,
                                            const std::string& base_dir,
                                            const std::string& context = {});

} // namespace cafelet::net
