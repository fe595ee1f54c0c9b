#include "net/client/http_client.hpp"

#include "cafelet_build_info.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "net/client/client_core.hpp"
#include "net/client/pem.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace cafelet::net {

namespace {

caf::error global_init() {
  static std::once_flag flag;
  static CURLcode rc = CURLE_OK;
  std::call_once(flag, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (rc != CURLE_OK)
    return make_error(errc::internal, std::string{"curl_global_init: "}
                                        + curl_easy_strerror(rc));
  return {};
}

caf::error validate(const rest_config& cfg) {
  if (!cfg.ca_pem.empty())
    if (auto err = check_certificate_pem(cfg.ca_pem, "certificate-authority"))
      return err;
  if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty())
    return make_error(errc::invalid_config,
                      "client-certificate and client-key must be set together");
  if (!cfg.client_cert_pem.empty())
    if (auto err = check_key_pair(cfg.client_cert_pem, cfg.client_key_pem,
                                  "client-certificate/client-key"))
      return err;
  if (!cfg.ca_pem.empty() && cfg.insecure_skip_tls_verify)
    return make_error(errc::invalid_config,
                      "certificate-authority and insecure-skip-tls-verify "
                      "are both set");
  return {};
}

constexpr std::string_view arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv)
  return "riscv64";
#else
  return "unknown";
#endif
}

} // namespace

std::string_view to_string(http_method x) {
  switch (x) {
    case http_method::get: return "GET";
    case http_method::head: return "HEAD";
    case http_method::post: return "POST";
    case http_method::put: return "PUT";
    case http_method::patch: return "PATCH";
    case http_method::del: return "DELETE";
  }
  return "GET";
}

std::string_view http_response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(),
                   [](char a, char b) {
                     return std::tolower(static_cast<unsigned char>(a))
                            == std::tolower(static_cast<unsigned char>(b));
                   }))
      return h.value;
  return {};
}

std::string default_user_agent() {
  std::string ua = "cafelet/v" CAFELET_VERSION " (linux/";
  ua += arch();
  ua += ") kubernetes/" CAFELET_GIT_COMMIT;
  return ua;
}

void call_handle::cancel() const {
  if (!state_)
    return;
  if (state_->cancel_requested.exchange(true))
    return;
  if (auto core = state_->core.lock())
    core->request_cancel(state_);
}

uint64_t call_handle::id() const noexcept {
  return state_ ? state_->id : 0;
}

caf::expected<std::unique_ptr<http_client>>
http_client::make(rest_config cfg, client_options opts) {
  if (auto err = global_init())
    return err;
  if (auto err = validate(cfg))
    return err;
  auto ep = detail::make_endpoint(cfg);
  if (!ep)
    return std::move(ep.error());
  if (cfg.insecure_skip_tls_verify)
    log::warning("TLS verification of the API server is disabled",
                 {log::kv("client", opts.name), log::kv("server", cfg.server)});
  auto core = std::make_shared<detail::client_core>(std::move(cfg),
                                                    std::move(opts),
                                                    std::move(*ep));
  if (auto err = core->start()) {
    core->stop();
    return err;
  }
  return std::unique_ptr<http_client>{new http_client(std::move(core))};
}

http_client::http_client(std::shared_ptr<detail::client_core> core)
  : core_(std::move(core)) {
  // nop
}

http_client::~http_client() {
  core_->stop();
}

call_handle http_client::request(http_request req, completion_fn done) {
  return core_->submit(std::move(req), {}, std::move(done), false);
}

call_handle http_client::stream(http_request req, data_fn on_data,
                                completion_fn done) {
  return core_->submit(std::move(req), std::move(on_data), std::move(done),
                       true);
}

const rest_config& http_client::config() const noexcept {
  return core_->config();
}

const client_options& http_client::options() const noexcept {
  return core_->options();
}

size_t http_client::in_flight() const noexcept {
  return core_->in_flight();
}

} // namespace cafelet::net
