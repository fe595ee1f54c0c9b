#include "messages/objects.hpp"

#include <tuple>

namespace cafelet {

const char* to_string(object_kind x) {
  return x == object_kind::config_map ? "configmap" : "secret";
}

bool operator<(const object_key& x, const object_key& y) {
  return std::tie(x.kind, x.namespace_, x.name) < std::tie(y.kind, y.namespace_, y.name);
}

bool operator==(const object_key& x, const object_key& y) {
  return std::tie(x.kind, x.namespace_, x.name) == std::tie(y.kind, y.namespace_, y.name);
}

bool operator<(const token_key& x, const token_key& y) {
  return std::tie(x.namespace_, x.service_account, x.pod_name, x.pod_uid, x.audience,
                  x.expiration_seconds)
         < std::tie(y.namespace_, y.service_account, y.pod_name, y.pod_uid, y.audience,
                    y.expiration_seconds);
}

bool operator==(const token_key& x, const token_key& y) {
  return !(x < y) && !(y < x);
}

} // namespace cafelet
