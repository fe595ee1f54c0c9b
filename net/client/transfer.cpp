#include "net/client/client_core.hpp"

#include "messages/errors.hpp"
#include "messages/log.hpp"

#include <algorithm>
#include <cctype>

namespace cafelet::net::detail {

namespace {

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK || out == nullptr)
    return {};
  std::string s{out};
  curl_free(out);
  return s;
}

size_t on_header(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto n = size * nmemb;
  std::string_view line{ptr, n};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->rsp.headers.clear(); // a new response (after a redirect or 100)
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return n;
  http_header h;
  h.name.assign(line.substr(0, colon));
  std::transform(h.name.begin(), h.name.end(), h.name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  h.value.assign(value);
  t->rsp.headers.push_back(std::move(h));
  return n;
}

size_t on_write(char* ptr, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto n = size * nmemb;
  if (t->state->cancel_requested.load())
    return CURL_WRITEFUNC_ERROR;
  if (t->streaming) {
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code <= 299) {
      try {
        t->on_data(std::string_view{ptr, n});
      } catch (const std::exception& e) {
        log::error("stream data callback threw", {log::kv("error", e.what()),
                                                   log::kv("url", t->url)});
        t->callback_failed = true;
        return CURL_WRITEFUNC_ERROR;
      } catch (...) {
        t->callback_failed = true;
        return CURL_WRITEFUNC_ERROR;
      }
      return n;
    }
  }
  if (t->rsp.body.size() + n > t->max_body) {
    t->too_large = true;
    return CURL_WRITEFUNC_ERROR;
  }
  t->rsp.body.append(ptr, n);
  return n;
}

void set_blob(CURL* e, CURLoption opt, const std::string& data) {
  curl_blob blob;
  blob.data = const_cast<char*>(data.data());
  blob.len = data.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(e, opt, &blob);
}

curl_slist* append(curl_slist* list, const std::string& line, bool& ok) {
  auto* next = curl_slist_append(list, line.c_str());
  if (next == nullptr) {
    ok = false;
    return list;
  }
  return next;
}

} // namespace

caf::expected<endpoint> make_endpoint(const rest_config& cfg) {
  auto fail = [&](std::string why) {
    return make_error(errc::invalid_config,
                      "server \"" + cfg.server + "\": " + std::move(why));
  };
  if (cfg.server.empty())
    return make_error(errc::invalid_config, "server: missing");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u{curl_url(),
                                                        &curl_url_cleanup};
  if (!u)
    return make_error(errc::internal, "curl_url() failed");
  if (auto rc = curl_url_set(u.get(), CURLUPART_URL, cfg.server.c_str(), 0);
      rc != CURLUE_OK)
    return fail(std::string{"not a URL: "} + curl_url_strerror(rc));
  auto scheme = url_part(u.get(), CURLUPART_SCHEME);
  if (scheme != "https" && scheme != "http")
    return fail("scheme must be https or http");
  if (!url_part(u.get(), CURLUPART_QUERY).empty()
      || !url_part(u.get(), CURLUPART_FRAGMENT).empty())
    return fail("must not carry a query or fragment");
  if (!url_part(u.get(), CURLUPART_USER).empty())
    return fail("must not carry credentials");
  auto host = url_part(u.get(), CURLUPART_HOST);
  if (host.empty())
    return fail("no host");
  auto explicit_port = url_part(u.get(), CURLUPART_PORT);
  auto port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  auto path = url_part(u.get(), CURLUPART_PATH);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  endpoint ep;
  ep.https = scheme == "https";
  auto authority = host;
  if (!explicit_port.empty())
    authority += ":" + explicit_port;
  if (!cfg.tls_server_name.empty() && cfg.tls_server_name != host) {
    const auto& name = cfg.tls_server_name;
    if (name.find_first_of(":/[]@ ") != std::string::npos)
      return make_error(errc::invalid_config,
                        "tls-server-name \"" + name + "\": not a host name");
    ep.base_url = scheme + "://" + name + ":" + port + path;
    ep.connect_to = name + ":" + port + ":" + host + ":" + port;
    ep.host_header = "Host: " + authority;
  } else {
    ep.base_url = scheme + "://" + authority + path;
  }
  return ep;
}

transfer::~transfer() {
  if (easy != nullptr)
    curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
}

caf::error setup_transfer(transfer& t, const endpoint& ep,
                          const rest_config& cfg, const client_options& opts,
                          const std::string& user_agent,
                          const std::string& token, CURLSH* share) {
  auto* e = curl_easy_init();
  if (e == nullptr)
    return make_error(errc::internal, "curl_easy_init() failed");
  t.easy = e;
  const auto& req = t.req;
  if (!req.path.empty() && req.path.front() != '/')
    return make_error(errc::invalid, "request path \"" + req.path
                                       + "\" must start with '/'");
  t.url = ep.base_url + req.path;
  t.max_body = opts.max_response_bytes;
  curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, ep.https ? "https" : "http");
  curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent.c_str());
  if (share != nullptr)
    curl_easy_setopt(e, CURLOPT_SHARE, share);
  // -- HTTP version and connection reuse ------------------------------------
  if (opts.http2) {
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_1_1));
  }
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  // -- limits ---------------------------------------------------------------
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(opts.connect_timeout.count()));
  auto total = req.timeout.value_or(
    t.streaming ? std::chrono::milliseconds{0} : opts.request_timeout);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  auto idle = req.idle_timeout.value_or(t.streaming ? opts.stream_idle_timeout
                                                    : opts.idle_timeout);
  if (idle.count() > 0) {
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, opts.low_speed_limit);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(idle.count()));
  }
  if (!t.streaming)
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(opts.max_response_bytes));
  if (opts.max_redirects > 0) {
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, opts.max_redirects);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, ep.https ? "https" : "http");
    curl_easy_setopt(e, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
  }
  // -- TLS ------------------------------------------------------------------
  if (cfg.insecure_skip_tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (!cfg.ca_pem.empty()) {
    // trust exactly this bundle, not the system store as well
    curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    set_blob(e, CURLOPT_CAINFO_BLOB, cfg.ca_pem);
  }
  if (!cfg.client_cert_pem.empty()) {
    set_blob(e, CURLOPT_SSLCERT_BLOB, cfg.client_cert_pem);
    curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    set_blob(e, CURLOPT_SSLKEY_BLOB, cfg.client_key_pem);
    curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
  }
  bool ok = true;
  if (!ep.connect_to.empty()) {
    t.connect_to = append(t.connect_to, ep.connect_to, ok);
    curl_easy_setopt(e, CURLOPT_CONNECT_TO, t.connect_to);
    t.headers = append(t.headers, ep.host_header, ok);
  }
  // -- method, body and headers ---------------------------------------------
  switch (req.method) {
    case http_method::get:
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
      break;
    case http_method::head:
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
      break;
    case http_method::post:
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      break;
    default:
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, to_string(req.method).data());
      break;
  }
  bool sends_body = req.method == http_method::post
                    || req.method == http_method::put
                    || req.method == http_method::patch || !req.body.empty();
  if (sends_body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
    t.headers = append(t.headers, "Expect:", ok);
    auto ct = req.content_type.empty() ? std::string{"application/json"}
                                       : req.content_type;
    t.headers = append(t.headers, "Content-Type: " + ct, ok);
  }
  if (!req.accept.empty())
    t.headers = append(t.headers, "Accept: " + req.accept, ok);
  if (!token.empty())
    t.headers = append(t.headers, "Authorization: Bearer " + token, ok);
  for (const auto& h : req.headers) {
    if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos
        || h.value.find_first_of("\r\n") != std::string::npos)
      return make_error(errc::invalid, "request header \"" + h.name
                                         + "\": invalid name or value");
    t.headers = append(t.headers, h.name + ": " + h.value, ok);
  }
  if (!ok)
    return make_error(errc::internal, "out of memory building headers");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  return {};
}

} // namespace cafelet::net::detail
