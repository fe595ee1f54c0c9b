#pragma once
/// @file
/// Early validation of PEM key material with OpenSSL, so that a broken
/// kubeconfig fails at load time with a message naming the field instead of
/// at the first TLS handshake.

#include <caf/error.hpp>

#include <string_view>

namespace cafelet::net {

/// Checks that `pem` holds one or more X.509 certificates. `what` names the
/// source in the error ("users[name=edge-1].user.client-certificate-data").
caf::error check_certificate_pem(std::string_view pem, std::string_view what);

/// Checks that `pem` holds an unencrypted private key.
caf::error check_private_key_pem(std::string_view pem, std::string_view what);

/// Checks that `key_pem` is the private key of the first certificate in
/// `cert_pem`.
caf::error check_key_pair(std::string_view cert_pem, std::string_view key_pem,
                          std::string_view what);

} // namespace cafelet::net
