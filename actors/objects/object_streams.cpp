#include "actors/objects/object_streams.hpp"

#include "messages/api.hpp"
#include "messages/errors.hpp"

#include <caf/make_message.hpp>
#include <caf/message_handler.hpp>

#include <utility>

namespace cafelet::actors {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/// DNS-1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends.
bool is_dns_label(std::string_view x) {
  if (x.empty() || x.size() > 63 || !is_lower_alnum(x.front())
      || !is_lower_alnum(x.back()))
    return false;
  for (char c : x)
    if (!is_lower_alnum(c) && c != '-')
      return false;
  return true;
}

/// DNS-1123 subdomain: 1-253 characters, dot-separated labels.
bool is_dns_subdomain(std::string_view x) {
  if (x.empty() || x.size() > 253)
    return false;
  size_t start = 0;
  while (true) {
    auto dot = x.find('.', start);
    auto label = x.substr(start, dot == std::string_view::npos
                                   ? std::string_view::npos
                                   : dot - start);
    if (!is_dns_label(label))
      return false;
    if (dot == std::string_view::npos)
      return true;
    start = dot + 1;
  }
}

bool is_auth_failure(const api_response& res) {
  if (res.status == 401 || res.status == 403)
    return true;
  // `is` needs a non-empty error.
  return res.error
         && (is(res.error, errc::unauthorized) || is(res.error, errc::forbidden));
}

/// The refusal in words, e.g. "HTTP 403 Forbidden: configmaps "x" is
/// forbidden: ...".
std::string why_refused(const api_response& res) {
  if (auto ctx = context_of(res.error); !ctx.empty())
    return ctx;
  if (res.error)
    return describe(res.error);
  return "HTTP " + std::to_string(res.status);
}

/// `watch_stream<T>` with refused calls also reported to the consumer.
template <class T>
caf::behavior object_stream(caf::event_based_actor* self,
                            std::shared_ptr<api::transport> transport,
                            std::shared_ptr<api::rate_limiter> limiter,
                            watch_stream_config cfg) {
  auto consumer = cfg.consumer;
  auto inner = watch_stream<T>(self, std::move(transport), std::move(limiter),
                               std::move(cfg));
  caf::message_handler tap{
    [self, consumer, inner](api_response& res) mutable {
      if (!res.cancelled && is_auth_failure(res) && consumer)
        self->send(consumer, object_denied_atom::value, res.status,
                   why_refused(res));
      auto msg = caf::make_message(std::move(res));
      inner(msg);
    },
  };
  return tap.or_else(inner);
}

} // namespace

std::string check_object_key(const object_key& key) {
  if (!is_dns_label(key.namespace_))
    return "invalid namespace \"" + key.namespace_
           + "\": must be a DNS-1123 label";
  if (!is_dns_subdomain(key.name))
    return std::string{"invalid "} + to_string(key.kind) + " name \""
           + key.name + "\": must be a DNS-1123 subdomain";
  return {};
}

std::string object_collection_path(const object_key& key) {
  std::string out = "/api/v1/namespaces/";
  out += key.namespace_;
  out += key.kind == object_kind::config_map ? "/configmaps" : "/secrets";
  return out;
}

watch_stream_config object_stream_config(const object_key& key,
                                         watch_stream_config base) {
  base.path = object_collection_path(key);
  base.field_selector = "metadata.name=" + key.name;
  base.label_selector.clear();
  base.log.name = std::string{to_string(key.kind)} + '/' + key.namespace_
                  + '/' + key.name;
  return base;
}

caf::behavior config_map_stream(caf::event_based_actor* self,
                                std::shared_ptr<api::transport> transport,
                                std::shared_ptr<api::rate_limiter> limiter,
                                watch_stream_config cfg) {
  return object_stream<k8s::config_map>(self, std::move(transport),
                                        std::move(limiter), std::move(cfg));
}

caf::behavior secret_stream(caf::event_based_actor* self,
                            std::shared_ptr<api::transport> transport,
                            std::shared_ptr<api::rate_limiter> limiter,
                            watch_stream_config cfg) {
  return object_stream<k8s::secret>(self, std::move(transport),
                                    std::move(limiter), std::move(cfg));
}

} // namespace cafelet::actors
