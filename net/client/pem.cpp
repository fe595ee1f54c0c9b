#include "net/client/pem.hpp"

#include "messages/errors.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace cafelet::net {

namespace {

struct bio_free {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

using bio_ptr = std::unique_ptr<BIO, bio_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

bio_ptr mem_bio(std::string_view pem) {
  return bio_ptr{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
}

/// Pops OpenSSL's error queue into a short text (and clears it).
std::string ssl_reason() {
  unsigned long code = ERR_get_error();
  std::string out;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    out = buf;
  }
  ERR_clear_error();
  return out;
}

caf::error fail(std::string_view what, std::string msg) {
  auto reason = ssl_reason();
  std::string ctx{what};
  ctx += ": ";
  ctx += msg;
  if (!reason.empty()) {
    ctx += " (";
    ctx += reason;
    ctx += ')';
  }
  return make_error(errc::invalid_config, std::move(ctx));
}

int no_password(char*, int, int, void*) {
  return -1; // encrypted keys are not supported: fail instead of prompting
}

x509_ptr first_cert(std::string_view pem) {
  auto bio = mem_bio(pem);
  return x509_ptr{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
}

} // namespace

caf::error check_certificate_pem(std::string_view pem, std::string_view what) {
  if (pem.find("-----BEGIN") == std::string_view::npos)
    return fail(what, "not PEM data (no -----BEGIN line)");
  auto bio = mem_bio(pem);
  int count = 0;
  while (auto* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(raw);
    ++count;
  }
  ERR_clear_error(); // the loop always ends with a "no start line" error
  if (count == 0)
    return fail(what, "no PEM certificate found");
  return {};
}

caf::error check_private_key_pem(std::string_view pem, std::string_view what) {
  if (pem.find("-----BEGIN") == std::string_view::npos)
    return fail(what, "not PEM data (no -----BEGIN line)");
  if (pem.find("ENCRYPTED") != std::string_view::npos)
    return fail(what, "encrypted private keys are not supported");
  auto bio = mem_bio(pem);
  pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password,
                                       nullptr)};
  if (!key)
    return fail(what, "no PEM private key found");
  return {};
}

caf::error check_key_pair(std::string_view cert_pem, std::string_view key_pem,
                          std::string_view what) {
  auto cert = first_cert(cert_pem);
  if (!cert)
    return fail(what, "no PEM certificate found");
  auto bio = mem_bio(key_pem);
  pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password,
                                       nullptr)};
  if (!key)
    return fail(what, "no PEM private key found");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return fail(what, "the private key does not match the certificate");
  return {};
}

} // namespace cafelet::net
