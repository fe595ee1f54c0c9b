#include "net/client/classify.hpp"

#include "messages/errors.hpp"
#include "net/http_text.hpp"

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace cafelet::net {

namespace {

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(),
                        needle.end(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a))
                                 == std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

errc errc_for_status(long status) {
  switch (status) {
    case 400:
    case 422: return errc::invalid;
    case 401: return errc::unauthorized;
    case 403: return errc::forbidden;
    case 404: return errc::not_found;
    case 408: return errc::timeout;
    case 409: return errc::conflict;
    case 410: return errc::gone;
    case 429: return errc::too_many_requests;
    case 504: return errc::timeout;
    default: break;
  }
  if (status >= 500 && status <= 599)
    return errc::server_error;
  if (status >= 400 && status <= 499)
    return errc::invalid;
  return errc::bad_response;
}

/// Compares ignoring case and spaces: "NotFound" equals "Not Found".
bool same_words(std::string_view a, std::string_view b) {
  auto next = [](std::string_view s, size_t& i) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    return i < s.size() ? std::tolower(static_cast<unsigned char>(s[i++])) : -1;
  };
  size_t i = 0;
  size_t j = 0;
  for (;;) {
    auto x = next(a, i);
    auto y = next(b, j);
    if (x != y)
      return false;
    if (x == -1)
      return true;
  }
}

bool looks_like_json(std::string_view content_type, std::string_view body) {
  if (contains_nocase(content_type, "json"))
    return true;
  auto pos = body.find_first_not_of(" \t\r\n");
  return content_type.empty() && pos != std::string_view::npos
         && body[pos] == '{';
}

/// True if an OpenSSL alert in `detail` says the server refused our client
/// certificate.
bool client_cert_refused(std::string_view detail) {
  for (auto pattern : {"alert certificate required", "alert bad certificate",
                       "alert unknown ca", "alert certificate expired",
                       "alert certificate revoked", "alert certificate unknown"})
    if (contains(detail, pattern))
      return true;
  return false;
}

std::string tls_verify_text(long verify_result, std::string_view detail) {
  constexpr auto mismatch = "the server certificate did not verify: name "
                            "mismatch (it is not valid for the server's host "
                            "name or tls-server-name)";
  if (contains(detail, "subject name") || contains(detail, "does not match")
      || contains(detail, "no alternative certificate"))
    return mismatch;
  switch (verify_result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the server certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the server certificate is not yet valid (check this node's "
             "clock)";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "the server certificate did not verify: it is signed by an "
             "unknown authority (not the configured certificate-authority)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return mismatch;
    case X509_V_OK:
      return "the server certificate did not verify";
    default:
      return std::string{"the server certificate did not verify: "}
             + X509_verify_cert_error_string(verify_result);
  }
}

caf::error transport_error(errc code, std::string_view target,
                           std::string_view what, std::string_view detail) {
  std::string ctx{target};
  ctx += ": ";
  ctx += what;
  if (!detail.empty()) {
    ctx += " (";
    ctx += detail;
    ctx += ')';
  }
  return make_error(code, std::move(ctx));
}

} // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  value = trim_ows(value);
  if (value.empty() || value.size() > 9)
    return std::nullopt;
  long n = 0;
  for (char c : value) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return std::chrono::seconds{n};
}

std::string_view reason_phrase(long status) {
  return standard_reason_phrase(status);
}

std::string excerpt(std::string_view body, size_t max) {
  std::string out;
  bool space = false;
  size_t i = 0;
  for (; i < body.size() && out.size() < max; ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  bool rest = false;
  for (size_t j = i; j < body.size(); ++j)
    if (!std::isspace(static_cast<unsigned char>(body[j]))) {
      rest = true;
      break;
    }
  if (rest) {
    // do not cut a UTF-8 sequence in half
    auto p = out.size();
    for (int k = 0; k < 3 && p > 0
                    && (static_cast<unsigned char>(out[p - 1]) & 0xC0) == 0x80;
         ++k)
      --p;
    if (p > 0) {
      auto lead = static_cast<unsigned char>(out[p - 1]);
      size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      if (out.size() - (p - 1) < need)
        out.resize(p - 1);
    }
    out += "...";
  }
  return out;
}

classification classify_response(long status, std::string_view content_type,
                                  std::string_view retry_after_header,
                                  std::string_view body) {
  classification out;
  auto phrase = reason_phrase(status);
  auto head = std::to_string(status);
  if (!phrase.empty()) {
    head += ' ';
    head += phrase;
  }
  if (status >= 200 && status <= 299) {
    if (contains_nocase(content_type, "text/html"))
      out.error = make_error(errc::bad_response,
                             head + ": expected JSON, got an HTML page: "
                               + excerpt(body));
    return out;
  }
  auto code = errc_for_status(status);
  std::string message;
  if (looks_like_json(content_type, body)) {
    if (auto st = parse_api_status(body)) {
      if (!st->reason.empty() && !same_words(st->reason, phrase)) {
        head += " (";
        head += st->reason;
        head += ')';
      }
      message = st->message;
      out.status = std::move(*st);
    }
  }
  if (message.empty()) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
      message = "empty response body";
    else if (out.status)
      message = "response body: " + excerpt(body);
    else
      message = "unexpected non-JSON response body"
                + (content_type.empty() ? std::string{}
                                        : " (" + std::string{content_type} + ")")
                + ": " + excerpt(body);
  }
  if (!retry_after_header.empty())
    out.retry_after = parse_retry_after(retry_after_header);
  if (!out.retry_after && out.status && out.status->retry_after_seconds)
    out.retry_after = std::chrono::seconds{*out.status->retry_after_seconds};
  auto ctx = head + ": " + message;
  if (out.retry_after)
    ctx += " (retry after " + std::to_string(out.retry_after->count()) + "s)";
  out.error = make_error(code, std::move(ctx));
  return out;
}

caf::error classify_transport(int curl_code, long ssl_verify_result,
                              std::string_view detail, std::string_view target) {
  if (detail.empty())
    detail = curl_easy_strerror(static_cast<CURLcode>(curl_code));
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return {};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return transport_error(errc::invalid_config, target,
                             "bad server URL", detail);
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
      return transport_error(errc::connection_failed, target,
                             "cannot resolve the host name", detail);
    case CURLE_COULDNT_CONNECT:
      return transport_error(errc::connection_failed, target,
                             "cannot connect (connection refused or host "
                             "unreachable)", detail);
    case CURLE_OPERATION_TIMEDOUT:
      if (contains(detail, "too slow"))
        return transport_error(errc::timeout, target,
                               "no data received for too long (connection "
                               "stalled)", detail);
      if (contains_nocase(detail, "connection timed out")
          || contains_nocase(detail, "connect"))
        return transport_error(errc::timeout, target, "connect timed out",
                               detail);
      return transport_error(errc::timeout, target, "request timed out", detail);
    case CURLE_PEER_FAILED_VERIFICATION:
      return transport_error(errc::connection_failed, target,
                             "TLS verification failed: "
                               + tls_verify_text(ssl_verify_result, detail),
                             detail);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      if (client_cert_refused(detail))
        return transport_error(errc::unauthorized, target,
                               "the server rejected our client certificate",
                               detail);
      if (ssl_verify_result != X509_V_OK)
        return transport_error(errc::connection_failed, target,
                               "TLS verification failed: "
                                 + tls_verify_text(ssl_verify_result, detail),
                               detail);
      if (contains(detail, "getpeername"))
        return transport_error(errc::connection_failed, target,
                               "the server dropped the connection right after "
                               "the TLS handshake (did it refuse our client "
                               "certificate?)", detail);
      if (curl_code == CURLE_SSL_CONNECT_ERROR)
        return transport_error(errc::connection_failed, target,
                               "TLS handshake failed", detail);
      return transport_error(errc::connection_failed, target,
                             "connection lost", detail);
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CIPHER:
      return transport_error(errc::invalid_config, target,
                             "TLS setup failed: the configured certificate "
                             "authority, client certificate or key cannot "
                             "be used", detail);
    case CURLE_GOT_NOTHING:
      return transport_error(errc::connection_failed, target,
                             "the server closed the connection without "
                             "answering", detail);
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return transport_error(errc::connection_failed, target,
                             "the connection broke mid-response", detail);
    case CURLE_FILESIZE_EXCEEDED:
      return transport_error(errc::bad_response, target,
                             "the response is larger than allowed", detail);
    case CURLE_TOO_MANY_REDIRECTS:
      return transport_error(errc::bad_response, target, "too many redirects",
                             detail);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return transport_error(errc::bad_response, target,
                             "the server's reply is not valid HTTP", detail);
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
      return transport_error(errc::internal, target,
                             "the transfer was aborted by a callback", detail);
    default:
      return transport_error(errc::connection_failed, target,
                             "transport failure", detail);
  }
}

} // namespace cafelet::net
