#pragma once
/// @file
/// Messages of the object manager (ConfigMaps and Secrets a node's pods
/// reference, one watch per object shared by its subscribers) and of the
/// token manager (service-account tokens bound to pods, via TokenRequest).

#include "messages/k8s/config.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace cafelet {

/// Subscribes to / unsubscribes from an object or a token.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;

/// The kinds of objects a pod can reference.
enum class object_kind : uint8_t { config_map, secret };

/// Returns "configmap" or "secret" (as in upstream's messages).
const char* to_string(object_kind x);

/// Names one object.
struct object_key {
  object_kind kind = object_kind::config_map;
  std::string namespace_;
  std::string name;
};

bool operator<(const object_key& x, const object_key& y);
bool operator==(const object_key& x, const object_key& y);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_key& x) {
  return f(caf::meta::type_name("object_key"), x.kind, x.namespace_, x.name);
}

/// Object manager -> subscriber: the current state of a subscribed object,
/// sent once the object's first list completed (and again at once to a
/// later subscriber) and on every change. Exactly one of `config_map` /
/// `secret` is set when the object exists; both null: it does not exist
/// (or this node may not read it: `error` says so).
struct object_update {
  object_key key;
  k8s::config_map_ptr config_map;
  k8s::secret_ptr secret;
  /// Non-empty when the object could not be read (e.g. 403); the
  /// subscriber treats it as missing and keeps waiting.
  std::string error;
};

/// What a token is for: a pod's service account, audience and lifetime.
struct token_key {
  std::string namespace_;
  std::string service_account;
  std::string pod_name;
  std::string pod_uid;
  /// Empty: the API server's audiences.
  std::string audience;
  /// Requested lifetime (spec.expirationSeconds).
  int64_t expiration_seconds = 3600;
};

bool operator<(const token_key& x, const token_key& y);
bool operator==(const token_key& x, const token_key& y);

/// Token manager -> subscriber: a (new) token for `key`, or an error while
/// none could be had.
struct token_update {
  token_key key;
  /// The JWT (empty with `error`).
  std::string token;
  /// status.expirationTimestamp, unix seconds.
  int64_t expires_at = 0;
  std::string error;
};

} // namespace cafelet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::object_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::token_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafelet::token_update)
