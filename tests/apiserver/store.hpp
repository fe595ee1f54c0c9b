#pragma once
/// @file
/// The object store: every resource's objects keyed like etcd keys
/// ("namespace/name" or "name", listed in key order), one global
/// resourceVersion that every write increments, and a bounded history of
/// change events per resource (the watch cache window). Not thread-safe:
/// the server serializes all access under its lock.

#include "tests/apiserver/resources.hpp"

#include "messages/json/json.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::apiserver {

/// An immutable stored object.
using object_ptr = std::shared_ptr<const json::value>;

/// One change of one object.
struct change_event {
  /// "ADDED", "MODIFIED" or "DELETED".
  std::string type;
  /// The resourceVersion of the change.
  uint64_t rv = 0;
  /// Storage key of the object.
  std::string key;
  /// The object after the change (for DELETED: its last state, carrying
  /// the deletion's resourceVersion).
  object_ptr object;
  /// The object before the change (null for ADDED).
  object_ptr previous;
};

/// Objects of all resources plus the global resourceVersion.
class object_store {
public:
  /// Storage key of an object: "namespace/name" or "name".
  static std::string key_of(const resource_def& def, std::string_view ns,
                            std::string_view name);

  /// The current (highest) resourceVersion.
  uint64_t current_rv() const noexcept {
    return rv_;
  }

  /// The stored object, or null.
  object_ptr get(const resource_def& def, const std::string& key) const;

  /// Stores a new object: assigns the next resourceVersion, writes it into
  /// metadata.resourceVersion and records an ADDED event.
  const change_event& create(const resource_def& def, const std::string& key,
                             json::value obj);

  /// Replaces an existing object (MODIFIED event).
  const change_event& update(const resource_def& def, const std::string& key,
                             json::value obj);

  /// Removes an object (DELETED event whose object carries the new
  /// resourceVersion).
  const change_event& remove(const resource_def& def, const std::string& key);

  /// All objects of `def` (optionally only namespace `ns`) in key order as
  /// of resourceVersion `rv`; nullopt if `rv` is older than the retained
  /// history. `rv` must not exceed `current_rv()`.
  std::optional<std::vector<std::pair<std::string, object_ptr>>>
  list_at(const resource_def& def, std::string_view ns, uint64_t rv) const;

  /// Calls `fn(key, object)` for the current objects of `def` in namespace
  /// `ns` (all namespaces if empty), in key order, without copying them.
  template <class F>
  void for_each(const resource_def& def, std::string_view ns, F fn) const {
    const auto* st = find_state(def);
    if (st == nullptr)
      return;
    std::string prefix = ns.empty() ? std::string{} : std::string{ns} + "/";
    for (auto i = st->objects.lower_bound(prefix); i != st->objects.end(); ++i) {
      if (!prefix.empty() && !i->first.starts_with(prefix))
        break;
      fn(i->first, *i->second);
    }
  }

  /// The events of `def` with resourceVersion > `rv`, oldest first;
  /// nullopt if some of them are no longer retained.
  std::optional<std::vector<change_event>>
  events_after(const resource_def& def, uint64_t rv) const;

  /// The highest resourceVersion whose successors `def` still retains
  /// entirely: watching from an older one fails with 410 ("too old
  /// resource version: X (floor)").
  uint64_t floor(const resource_def& def) const;

  /// Sets how many events each resource retains (at least 1).
  void set_history_capacity(size_t n);

  /// Forgets all history: watches and lists from any older
  /// resourceVersion get 410 from now on.
  void expire_history();

private:
  struct resource_state {
    std::map<std::string, object_ptr> objects;
    std::deque<change_event> history;
    uint64_t floor = 0;
  };

  resource_state& state(const resource_def& def);

  const resource_state* find_state(const resource_def& def) const;

  const change_event& record(resource_state& st, change_event ev);

  uint64_t rv_ = 0;
  /// Floor of resources never written since the last expiry.
  uint64_t floor_all_ = 0;
  size_t capacity_ = 1000;
  std::map<const resource_def*, resource_state> states_;
};

/// Sets metadata.resourceVersion of `obj` to `rv`.
void set_resource_version(json::value& obj, uint64_t rv);

/// Parses a resourceVersion string; nullopt unless it is a decimal number.
std::optional<uint64_t> parse_rv(std::string_view s);

} // namespace cafelet::apiserver
