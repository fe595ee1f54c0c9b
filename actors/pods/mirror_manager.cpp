#include "actors/pods/mirror_manager.hpp"

#include "actors/pods/admission.hpp"
#include "actors/pods/status_manager.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/json/json.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/log.hpp"

#include <caf/send.hpp>

#include <set>

namespace cafelet::actors::pods {

const char* mirror_manager_state::name = "mirror-manager";

namespace {

using self_ptr = caf::stateful_actor<mirror_manager_state>*;
using namespace std::chrono;

void reconcile(self_ptr self, const std::string& name);

void reconcile_all(self_ptr self) {
  std::vector<std::string> names;
  for (const auto& [name, slot] : self->state.slots)
    names.push_back(name);
  for (const auto& name : names)
    reconcile(self, name);
}

/// Tells the status manager which mirror (if any) static pod `slot` has.
void announce(self_ptr self, mirror_slot& slot) {
  auto& st = self->state;
  if (!slot.wanted)
    return;
  const auto& uid = slot.wanted->pod->metadata.uid;
  bool matches = slot.mirror && !slot.mirror->metadata.deletion_timestamp
                 && mirror_hash(*slot.mirror) == uid;
  auto now = matches ? slot.mirror->metadata.uid : std::string{};
  if (now == slot.announced)
    return;
  slot.announced = now;
  if (st.cfg.table)
    st.cfg.table->set(uid, matches ? slot.mirror : k8s::pod_ptr{});
  if (st.cfg.status_manager)
    caf::anon_send(st.cfg.status_manager, mirror_pod_atom::value, uid,
                   matches ? slot.mirror : k8s::pod_ptr{});
}

/// Drops slots with nothing left to do.
void prune(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.slots.find(name);
  if (i != st.slots.end() && !i->second.wanted && !i->second.mirror && !i->second.busy)
    st.slots.erase(i);
}

void failed(self_ptr self, const std::string& name, const char* what,
            const api_response& r) {
  auto& st = self->state;
  ++st.cfg.stats->failures;
  auto i = st.slots.find(name);
  if (i == st.slots.end())
    return;
  auto& slot = i->second;
  if (!slot.retry)
    slot.retry = std::make_unique<net::backoff>(
      st.cfg.retry, st.cfg.seed ^ std::hash<std::string>{}(name));
  auto delay = slot.retry->next();
  if (!is_retryable(r.error))
    delay = slot.retry->policy().cap;
  slot.not_before = self->clock().now() + delay;
  auto attempts = slot.retry->attempts();
  if (attempts == 1 || attempts % 10 == 0)
    log::warning(what, {log::kv("pod", name),
                        log::kv("podUID", slot.wanted ? slot.wanted->pod->metadata.uid
                                                      : std::string{}),
                        log::kv("code", r.status),
                        log::kv("reason", r.reason), {"err", describe(r.error)},
                        log::kv("attempt", attempts),
                        log::kv("retry_in_ms", delay.count())});
  self->delayed_send(self, delay, tick_atom::value, name);
}

void succeeded(mirror_slot& slot) {
  slot.retry.reset();
  slot.not_before = {};
}

/// Sends `method path [body]` with the configured time limit; `done` runs
/// in the actor with the answer.
template <class F>
void send_request(self_ptr self, net::http_method method, std::string path,
                  std::string body, F done) {
  auto& st = self->state;
  net::http_request req;
  req.method = method;
  req.path = std::move(path);
  if (!body.empty()) {
    req.body = std::move(body);
    req.content_type = "application/json";
  }
  req.timeout = st.cfg.request_timeout;
  st.calls->request(std::move(req), std::move(done));
}

/// Like `send_request` for the call of slot `name` (one at a time): the
/// slot is busy until the answer; `done(slot, answer)` runs only if the
/// slot still exists.
template <class F>
void slot_request(self_ptr self, const std::string& name, mirror_slot& slot,
                  net::http_method method, std::string path, std::string body, F done) {
  slot.busy = true;
  send_request(self, method, std::move(path), std::move(body),
               [self, name, done = std::move(done)](api_response& r) {
                 auto i = self->state.slots.find(name);
                 if (i == self->state.slots.end())
                   return;
                 i->second.busy = false;
                 done(i->second, r);
               });
}

void delete_mirror(self_ptr self, const std::string& name, mirror_slot& slot) {
  auto mirror = slot.mirror;
  log::info(1, "deleting mirror pod",
            {log::pod_field(mirror->metadata.namespace_, mirror->metadata.name),
             log::kv("podUID", mirror->metadata.uid),
             log::kv("reason", !slot.wanted ? "no static pod"
                               : mirror->metadata.deletion_timestamp ? "being deleted"
                                                                      : "outdated")});
  slot_request(self, name, slot, net::http_method::del,
               pod_path(mirror->metadata.namespace_, mirror->metadata.name),
               k8s::encode_delete_options(0, mirror->metadata.uid),
               [self, name, uid = mirror->metadata.uid](mirror_slot& slot,
                                                        api_response& r) {
    auto& st = self->state;
    if (r.ok() || r.status == 404 || r.status == 409 || is(r.error, errc::not_found)
        || is(r.error, errc::conflict)) {
      if (r.ok())
        ++st.cfg.stats->deleted;
      succeeded(slot);
      slot.gone = uid;
      if (slot.mirror && slot.mirror->metadata.uid == uid)
        slot.mirror = nullptr;
      announce(self, slot);
      reconcile(self, name);
      return;
    }
    failed(self, name, "deleting a mirror pod failed", r);
  });
}

/// Learns the pod the server has under `name` (after 409 AlreadyExists).
void fetch(self_ptr self, const std::string& name, mirror_slot& slot) {
  const auto& meta = slot.wanted->pod->metadata;
  slot_request(self, name, slot, net::http_method::get,
               pod_path(meta.namespace_, meta.name), {},
               [self, name](mirror_slot& slot, api_response& r) {
    if (!r.ok()) {
      if (r.status == 404)
        reconcile(self, name); // gone meanwhile: create again
      else
        failed(self, name, "reading an existing pod failed", r);
      return;
    }
    auto pod = k8s::decode_pod(r.body);
    if (!pod || !*pod) {
      failed(self, name, "reading an existing pod failed", r);
      return;
    }
    if (mirror_hash(**pod).empty()) {
      // An ordinary pod holds the name: nothing a node may do about it.
      api_response why = r;
      why.error = make_error(errc::conflict, "a pod that is not a mirror pod exists");
      failed(self, name, "static pod name taken by a pod that is not its mirror", why);
      return;
    }
    slot.mirror = *pod;
    announce(self, slot);
    reconcile(self, name);
  });
}

void create_mirror(self_ptr self, const std::string& name, mirror_slot& slot) {
  auto& st = self->state;
  const auto& sp = *slot.wanted;
  const auto& meta = sp.pod->metadata;
  log::info(2, "creating mirror pod",
            {log::pod_field(meta.namespace_, meta.name), log::kv("podUID", meta.uid)});
  slot_request(self, name, slot, net::http_method::post,
               "/api/v1/namespaces/" + meta.namespace_ + "/pods",
               mirror_pod_body(sp, st.cfg.node_name, st.node_uid),
               [self, name](mirror_slot& slot, api_response& r) {
    auto& st = self->state;
    if (r.ok()) {
      ++st.cfg.stats->created;
      succeeded(slot);
      if (auto pod = k8s::decode_pod(r.body); pod && *pod) {
        slot.mirror = *pod;
        log::info(1, "mirror pod created",
                  {log::pod_field((*pod)->metadata.namespace_, (*pod)->metadata.name),
                   log::kv("mirrorUID", (*pod)->metadata.uid),
                   log::kv("podUID", mirror_hash(**pod))});
        announce(self, slot);
      }
      reconcile(self, name);
      return;
    }
    if (r.status == 409 && slot.wanted) {
      fetch(self, name, slot);
      return;
    }
    if (r.status == 403 || r.status == 422)
      st.node_uid.clear(); // the Node may have been registered again: look again
    failed(self, name, "creating a mirror pod failed", r);
  });
}

void lookup_node(self_ptr self) {
  auto& st = self->state;
  if (st.node_lookup)
    return;
  st.node_lookup = true;
  send_request(self, net::http_method::get, "/api/v1/nodes/" + st.cfg.node_name, {},
               [self](api_response& r) {
    auto& st = self->state;
    st.node_lookup = false;
    if (r.ok())
      if (auto node = k8s::decode_node(r.body); node && *node
                                                && !(*node)->metadata.uid.empty()) {
        st.node_retry.reset();
        st.node_uid = (*node)->metadata.uid;
        log::info(2, "mirror pods will be owned by the node",
                  {log::kv("node", st.cfg.node_name), log::kv("nodeUID", st.node_uid)});
        reconcile_all(self);
        return;
      }
    // Not registered yet (404) or unreadable: ask again, backing off.
    if (!st.node_retry)
      st.node_retry = std::make_unique<net::backoff>(st.cfg.retry, st.cfg.seed);
    auto delay = st.node_retry->next();
    log::info(st.node_retry->attempts() == 1 ? 1 : 4, "node not readable yet; mirror pods wait",
              {log::kv("node", st.cfg.node_name), log::kv("code", r.status),
               log::kv("retry_in_ms", delay.count())});
    self->delayed_send(self, delay, tick_atom::value, std::string{});
  });
}

void list_mirrors(self_ptr self) {
  auto& st = self->state;
  if (st.listed || st.list_in_flight)
    return;
  st.list_in_flight = true;
  send_request(self, net::http_method::get,
               "/api/v1/pods?fieldSelector=spec.nodeName%3D" + st.cfg.node_name, {},
               [self](api_response& r) {
    auto& st = self->state;
    st.list_in_flight = false;
    if (st.listed)
      return; // the watch synced meanwhile
    auto list = r.ok() ? k8s::decode_list<k8s::pod>(r.body)
                       : caf::expected<k8s::pod_list_ptr>{r.error};
    if (!list) {
      log::info(2, "listing mirror pods failed; trying again",
                {log::kv("code", r.status), {"err", describe(list.error())}});
      self->delayed_send(self, seconds{1}, tick_atom::value, std::string{});
      return;
    }
    for (const auto& pod : (*list)->items) {
      if (!pod || mirror_hash(*pod).empty())
        continue;
      auto& slot = st.slots[full_name(*pod)];
      if (!slot.mirror && pod->metadata.uid != slot.gone)
        slot.mirror = pod; // (a watch event seen meanwhile is newer)
    }
    st.listed = true;
    reconcile_all(self);
  });
}

void reconcile(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.slots.find(name);
  if (i == st.slots.end())
    return;
  auto& slot = i->second;
  announce(self, slot);
  if (slot.busy || self->clock().now() < slot.not_before)
    return;
  const auto& m = slot.mirror;
  if (m) {
    bool orphan = !slot.wanted;
    bool outdated = slot.wanted && mirror_hash(*m) != slot.wanted->pod->metadata.uid;
    bool deleting = m->metadata.deletion_timestamp.has_value();
    if ((orphan && st.statics_known && st.listed) || outdated || deleting)
      delete_mirror(self, name, slot);
    return;
  }
  if (!slot.wanted) {
    prune(self, name);
    return;
  }
  if (!st.listed) {
    list_mirrors(self);
    return;
  }
  if (st.node_uid.empty()) {
    lookup_node(self);
    return;
  }
  create_mirror(self, name, slot);
}

void on_statics(self_ptr self, const static_pod_set_ptr& set) {
  auto& st = self->state;
  if (!set || !newer_than(*set, st.statics.get()))
    return; // (an older set that a resync answer overtook)
  st.statics = set;
  st.statics_known = true;
  std::set<std::string> names;
  for (const auto& p : set->pods) {
    auto name = full_name(*p.pod);
    names.insert(name);
    auto& slot = st.slots[name];
    if (!slot.wanted || slot.wanted->pod->metadata.uid != p.pod->metadata.uid) {
      if (slot.wanted && !slot.announced.empty()) {
        // The old static pod of this name no longer has a mirror.
        const auto& old_uid = slot.wanted->pod->metadata.uid;
        if (st.cfg.table)
          st.cfg.table->set(old_uid, nullptr);
        if (st.cfg.status_manager)
          caf::anon_send(st.cfg.status_manager, mirror_pod_atom::value, old_uid,
                         k8s::pod_ptr{});
        slot.announced.clear();
      }
      slot.wanted = p;
      slot.retry.reset();
      slot.not_before = {};
    }
  }
  for (auto& [name, slot] : st.slots)
    if (slot.wanted && names.count(name) == 0) {
      // The static pod is gone: its mirror goes too.
      if (!slot.announced.empty()) {
        if (st.cfg.table)
          st.cfg.table->set(slot.wanted->pod->metadata.uid, nullptr);
        if (st.cfg.status_manager)
          caf::anon_send(st.cfg.status_manager, mirror_pod_atom::value,
                         slot.wanted->pod->metadata.uid, k8s::pod_ptr{});
      }
      slot.announced.clear();
      slot.wanted.reset();
      slot.retry.reset();
      slot.not_before = {};
    }
  reconcile_all(self);
}

void on_event(self_ptr self, const k8s::pod_watch_event& ev) {
  auto& st = self->state;
  const auto& pod = ev.object;
  if (!pod || mirror_hash(*pod).empty())
    return;
  auto name = full_name(*pod);
  auto& slot = st.slots[name];
  switch (ev.type) {
    case k8s::watch_event_type::added:
    case k8s::watch_event_type::modified:
      if (pod->metadata.uid == slot.gone)
        return; // a late event about a mirror already deleted
      slot.mirror = pod;
      break;
    case k8s::watch_event_type::deleted:
      slot.gone = pod->metadata.uid;
      if (slot.mirror && slot.mirror->metadata.uid == pod->metadata.uid) {
        log::info(2, "mirror pod deleted on the API server",
                  {log::pod_field(pod->metadata.namespace_, pod->metadata.name),
                   log::kv("mirrorUID", pod->metadata.uid)});
        slot.mirror = nullptr;
      }
      break;
    default:
      return;
  }
  reconcile(self, name);
}

} // namespace

std::string mirror_pod_body(const static_pod_entry& x, const std::string& node,
                            const std::string& node_uid) {
  auto doc = x.json ? json::parse(*x.json) : caf::expected<json::value>{json::value{}};
  json::value body = doc ? std::move(*doc) : json::value{json::object{}};
  auto& meta = body["metadata"];
  meta.erase("uid");
  meta.erase("resourceVersion");
  meta["annotations"][mirror_annotation] = x.pod->metadata.uid;
  json::object owner;
  owner.emplace_back("apiVersion", "v1");
  owner.emplace_back("kind", "Node");
  owner.emplace_back("name", node);
  owner.emplace_back("uid", node_uid);
  owner.emplace_back("controller", true);
  meta["ownerReferences"] = json::array{json::value{std::move(owner)}};
  return json::dump(body);
}

caf::behavior mirror_manager(caf::stateful_actor<mirror_manager_state>* self,
                             std::shared_ptr<api::transport> api,
                             std::shared_ptr<api::rate_limiter> limiter,
                             mirror_manager_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.stats)
    st.cfg.stats = std::make_shared<mirror_stats>();
  st.calls = std::make_unique<api::api_calls>(self, std::move(api), std::move(limiter));
  if (st.cfg.static_source)
    self->send(st.cfg.static_source, static_resync_atom::value);
  list_mirrors(self);
  return st.calls->handlers().or_else(caf::message_handler{
    [self](const static_pod_set_ptr& set) { on_statics(self, set); },
    [self](const k8s::pod_watch_event& ev) { on_event(self, ev); },
    [self](const watch_synced&) {
      // The watch delivered every pod (mirrors included) before this.
      self->state.listed = true;
      reconcile_all(self);
    },
    [self](tick_atom, const std::string& name) {
      if (name.empty()) {
        list_mirrors(self);
        reconcile_all(self);
      } else {
        reconcile(self, name);
      }
    },
    [self](caf::get_atom) {
      auto& st = self->state;
      mirror_manager_view v;
      for (const auto& [name, slot] : st.slots) {
        if (slot.wanted)
          ++v.statics;
        if (slot.mirror)
          ++v.mirrors;
        if (!slot.announced.empty())
          ++v.matching;
      }
      return v;
    },
  });
}

} // namespace cafelet::actors::pods
