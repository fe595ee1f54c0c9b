#include "actors/pods/status_manager.hpp"

#include "actors/pods/admission.hpp"
#include "actors/pods/pod_phase.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/k8s/encode.hpp"
#include "messages/log.hpp"

#include <algorithm>
#include <functional>

namespace cafelet::actors::pods {

const char* status_manager_state::name = "status_manager";

// -- final_status_journal -----------------------------------------------------

void final_status_journal::keep(const pod_status_update& x) {
  if (!x.pod)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  entries_.insert_or_assign(x.pod->metadata.uid, x);
}

void final_status_journal::drop(std::string_view uid) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = entries_.find(uid); i != entries_.end())
    entries_.erase(i);
}

std::vector<pod_status_update> final_status_journal::entries() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<pod_status_update> out;
  out.reserve(entries_.size());
  for (const auto& kvp : entries_)
    out.push_back(kvp.second);
  return out;
}

size_t final_status_journal::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

// -- mirror_table -------------------------------------------------------------

void mirror_table::set(const std::string& uid, k8s::pod_ptr mirror) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (mirror)
    mirrors_.insert_or_assign(uid, std::move(mirror));
  else
    mirrors_.erase(uid);
}

k8s::pod_ptr mirror_table::get(const std::string& uid) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = mirrors_.find(uid);
  return i == mirrors_.end() ? nullptr : i->second;
}

size_t mirror_table::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return mirrors_.size();
}

// -- paths --------------------------------------------------------------------

std::string pod_path(std::string_view ns, std::string_view name) {
  std::string out = "/api/v1/namespaces/";
  out += ns;
  out += "/pods/";
  out += name;
  return out;
}

std::string pod_status_path(std::string_view ns, std::string_view name) {
  return pod_path(ns, name) + "/status";
}

// -- the actor ------------------------------------------------------------------

namespace {

using self_ptr = caf::stateful_actor<status_manager_state>*;
using namespace std::chrono;

void sync_pod(self_ptr self, const std::string& uid);

void use_mirror(self_ptr self, const std::string& uid, pod_status_entry& e,
                k8s::pod_ptr mirror);

/// A path segment the API server accepts as is (DNS names).
bool plain_segment(std::string_view x) {
  if (x.empty() || x.size() > 253)
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

/// True for a static pod (its status goes to its mirror pod).
bool is_static(const pod_status_entry& e) {
  return is_static_pod(*e.pod);
}

/// The status the server has, as far as this incarnation knows.
const k8s::pod_status& server_status(const pod_status_entry& e) {
  if (e.accepted)
    return *e.accepted;
  return e.mirror ? e.mirror->status : e.pod->status;
}

/// The UID the server knows the entry's pod by (a static pod's mirror).
const std::string& server_uid(const pod_status_entry& e) {
  return e.mirror ? e.mirror->metadata.uid : e.pod->metadata.uid;
}

/// True if the entry still has something to do.
bool has_work(const pod_status_entry& e) {
  return e.in_flight || e.final || (e.wanted && e.version > e.accepted_version);
}

/// Removes the entry of `uid`; with `gone`, also ignores it from now on.
void erase_entry(self_ptr self, const std::string& uid, bool gone) {
  auto& st = self->state;
  if (auto i = st.pods.find(uid); i != st.pods.end()) {
    if (i->second.in_flight)
      st.calls->cancel(i->second.call);
    st.pods.erase(i);
    ++st.cfg.stats->forgotten;
  }
  st.dirty.erase(uid);
  st.cfg.finals->drop(uid);
  if (gone)
    self->state.gone.insert(uid);
}

/// Schedules the next call of `uid` after a failure.
void retry_later(self_ptr self, const std::string& uid, pod_status_entry& e,
                 const api_response& r) {
  auto& st = self->state;
  if (!e.retry)
    e.retry = std::make_unique<net::backoff>(
      st.cfg.retry, st.cfg.seed ^ std::hash<std::string>{}(uid));
  auto delay = e.retry->next();
  // Retrying the same request soon cannot help (e.g. 403, 422 validation):
  // try again at the slowest pace, as upstream's periodic sync would.
  if (!is_retryable(r.error) && !r.cancelled)
    delay = e.retry->policy().cap;
  if (r.retry_after_ms > 0)
    delay = std::max(delay, std::min(milliseconds{r.retry_after_ms},
                                     st.cfg.max_retry_after));
  e.not_before = self->clock().now() + delay;
  self->delayed_send(self, delay, status_retry_atom::value, uid);
  auto attempts = e.retry->attempts();
  if (attempts == 1 || attempts % 10 == 0)
    log::warning("pod status update failed",
                 {log::pod_field(e.pod->metadata.namespace_,
                                 e.pod->metadata.name),
                  log::kv("podUID", uid), log::kv("attempt", attempts),
                  log::kv("final", e.final), log::kv("code", r.status),
                  {"err", describe(r.error)},
                  log::kv("retry_in_ms", delay.count())});
  else
    log::info(4, "pod status update failed",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid), log::kv("attempt", attempts),
               {"err", describe(r.error)},
               log::kv("retry_in_ms", delay.count())});
}

void note_failure(self_ptr self, const api_response& r) {
  self->state.cfg.stats->last_http_status = r.status;
}

/// True if a failed PATCH says the pod with this uid no longer exists under
/// its name: the uid precondition failed (422 metadata.uid, or 409).
bool replaced(const api_response& r) {
  if (r.status == 409 || is(r.error, errc::conflict))
    return true;
  return r.status == 422 && r.body.find("metadata.uid") != std::string::npos;
}

/// Ends the attempts for a forgotten pod on a non-retryable error.
bool give_up(self_ptr self, const std::string& uid, pod_status_entry& e,
             const api_response& r) {
  if (!e.orphaned || is_retryable(r.error))
    return false;
  log::info(2, "dropping the final status of a forgotten pod",
            {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
             log::kv("podUID", uid), log::kv("code", r.status),
             {"err", describe(r.error)}});
  ++self->state.cfg.stats->dropped;
  erase_entry(self, uid, true);
  return true;
}

void on_deleted(self_ptr self, const std::string& uid, api_response& r) {
  auto& st = self->state;
  auto i = st.pods.find(uid);
  if (i == st.pods.end())
    return;
  auto& e = i->second;
  e.in_flight = false;
  if (r.ok() || r.status == 404 || r.status == 409
      || is(r.error, errc::not_found) || is(r.error, errc::conflict)) {
    ++st.cfg.stats->deletes_done;
    log::info(3, r.ok() ? "pod fully terminated and removed from the API server"
                        : "pod already removed or replaced",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid), log::kv("code", r.status)});
    erase_entry(self, uid, true);
    return;
  }
  ++st.cfg.stats->delete_failures;
  note_failure(self, r);
  if (give_up(self, uid, e, r))
    return;
  retry_later(self, uid, e, r);
}

void send_delete(self_ptr self, const std::string& uid, pod_status_entry& e) {
  auto& st = self->state;
  net::http_request req;
  req.method = net::http_method::del;
  req.path = pod_path(e.pod->metadata.namespace_, e.pod->metadata.name);
  req.body = k8s::encode_delete_options(0, uid);
  req.content_type = "application/json";
  req.timeout = st.cfg.request_timeout;
  e.in_flight = true;
  ++st.cfg.stats->deletes_sent;
  e.call = st.calls->request(std::move(req), [self, uid](api_response& r) {
    on_deleted(self, uid, r);
  });
}

/// Learns from the patched pod the server returned whether it is being
/// deleted (upstream decides deletion on the returned pod, too).
void learn_deleting(pod_status_entry& e, const std::string& uid,
                    const api_response& r) {
  if (e.deleting || r.body.empty())
    return;
  if (auto p = k8s::decode_pod(r.body); p && *p && (*p)->metadata.uid == uid)
    e.deleting = (*p)->metadata.deletion_timestamp.has_value();
}

void on_patched(self_ptr self, const std::string& uid, uint64_t version,
                std::shared_ptr<const k8s::pod_status> sent,
                api_response& r) {
  auto& st = self->state;
  auto i = st.pods.find(uid);
  if (i == st.pods.end())
    return;
  auto& e = i->second;
  e.in_flight = false;
  if (r.ok()) {
    ++st.cfg.stats->patches_accepted;
    e.accepted = std::move(sent);
    e.accepted_version = std::max(e.accepted_version, version);
    e.retry.reset();
    if (e.final && version == e.version)
      learn_deleting(e, uid, r);
    log::info(3, "pod status updated",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid), log::kv("phase", e.accepted->phase),
               log::kv("version", version), log::kv("final", e.final)});
    sync_pod(self, uid);
    return;
  }
  ++st.cfg.stats->patch_failures;
  note_failure(self, r);
  if (is_static(e) && !e.orphaned
      && (r.status == 404 || is(r.error, errc::not_found) || replaced(r))) {
    // The mirror pod is gone or was replaced: the mirror manager makes a
    // new one (and says so); until then, retry.
    log::info(3, "mirror pod gone or replaced; retrying until a new one exists",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid), log::kv("code", r.status)});
    retry_later(self, uid, e, r);
    return;
  }
  if (r.status == 404 || is(r.error, errc::not_found)) {
    log::info(3, "pod does not exist on the server; dropping its status",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid)});
    ++st.cfg.stats->dropped;
    erase_entry(self, uid, true);
    return;
  }
  if (replaced(r)) {
    log::info(2, "pod was deleted and then recreated; dropping its status",
              {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
               log::kv("podUID", uid), log::kv("code", r.status)});
    ++st.cfg.stats->dropped;
    erase_entry(self, uid, true);
    return;
  }
  if (give_up(self, uid, e, r))
    return;
  if (r.status == 422 || r.status == 400)
    log::error("the API server refused a pod status",
               {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
                log::kv("podUID", uid), log::kv("code", r.status),
                log::kv("body", r.body)});
  retry_later(self, uid, e, r);
}

void send_patch(self_ptr self, const std::string& uid, pod_status_entry& e) {
  auto& st = self->state;
  net::http_request req;
  req.method = net::http_method::patch;
  req.path = pod_status_path(e.pod->metadata.namespace_, e.pod->metadata.name);
  req.body = k8s::encode_pod_status_patch(*e.wanted, server_uid(e),
                                          k8s::patch_type::strategic);
  req.content_type = std::string{
    k8s::content_type(k8s::patch_type::strategic)};
  req.timeout = st.cfg.request_timeout;
  e.in_flight = true;
  e.sent_version = e.version;
  ++st.cfg.stats->patches_sent;
  e.call = st.calls->request(
    std::move(req), [self, uid, version = e.version, sent = e.wanted](
                      api_response& r) { on_patched(self, uid, version, sent, r); });
}

/// Upstream syncPod for one entry: patch a changed status, else delete a
/// finished pod that is being deleted, else forget a finished pod.
void sync_pod(self_ptr self, const std::string& uid) {
  auto& st = self->state;
  auto i = st.pods.find(uid);
  if (i == st.pods.end())
    return;
  auto& e = i->second;
  if (!st.calls || e.in_flight || self->clock().now() < e.not_before)
    return; // (local mode: the board is all there is)
  if (is_static(e))
    use_mirror(self, uid, e, st.cfg.mirrors->get(uid));
  if (is_static(e) && !e.mirror) {
    if (e.orphaned)
      erase_entry(self, uid, true);
    return; // no mirror pod yet: sent when the mirror manager names one
  }
  if (e.wanted && e.version > e.accepted_version) {
    if (status_changed(server_status(e), *e.wanted)) {
      send_patch(self, uid, e);
      return;
    }
    ++st.cfg.stats->unchanged;
    e.accepted_version = e.version;
  }
  if (!e.final || !e.wanted)
    return;
  if (e.deleting && !is_mirror_pod(*e.pod)) {
    if (!is_terminal_phase(e.wanted->phase))
      log::warning("final pod status without a terminal phase",
                   {log::pod_field(e.pod->metadata.namespace_,
                                   e.pod->metadata.name),
                    log::kv("podUID", uid), log::kv("phase", e.wanted->phase)});
    send_delete(self, uid, e);
    return;
  }
  if (is_static(e) && !e.orphaned)
    return; // kept until forgotten: a new mirror pod must get it again
  // Final and not being deleted: the pod actor sends its final status again
  // if the pod gets a deletionTimestamp later; nothing to keep until then.
  log::info(4, "final pod status published",
            {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
             log::kv("podUID", uid)});
  erase_entry(self, uid, false);
}

/// Makes `mirror` the mirror of static entry `e`; a new one resets what the
/// server is known to have (the mirror's own status).
void use_mirror(self_ptr self, const std::string& uid, pod_status_entry& e,
                k8s::pod_ptr mirror) {
  auto& st = self->state;
  bool same = e.mirror && mirror && e.mirror->metadata.uid == mirror->metadata.uid;
  if (same || (!e.mirror && !mirror))
    return;
  e.mirror = std::move(mirror);
  if (e.in_flight)
    st.calls->cancel(e.call);
  e.in_flight = false;
  e.accepted = nullptr;
  e.accepted_version = 0;
  e.not_before = {};
  e.retry.reset();
  log::info(3, e.mirror ? "static pod has a new mirror pod" : "static pod has no mirror pod",
            {log::pod_field(e.pod->metadata.namespace_, e.pod->metadata.name),
             log::kv("podUID", uid),
             log::kv("mirrorUID", e.mirror ? e.mirror->metadata.uid : std::string{})});
}

void request_sync(self_ptr self) {
  auto& st = self->state;
  if (st.sync_pending)
    return;
  st.sync_pending = true;
  // Goes behind the updates already queued: a burst is coalesced.
  self->send(self, status_sync_atom::value);
}

void on_update(self_ptr self, const pod_status_update& x) {
  auto& st = self->state;
  ++st.cfg.stats->updates;
  if (!x.pod || !x.status || x.pod->metadata.uid.empty()
      || !plain_segment(x.pod->metadata.namespace_)
      || !plain_segment(x.pod->metadata.name)) {
    ++st.cfg.stats->dropped;
    log::warning("ignoring a malformed pod status update",
                 {log::kv("pod", x.pod ? x.pod->metadata.namespace_ + "/"
                                           + x.pod->metadata.name
                                       : std::string{"<null>"}),
                  log::kv("has_status", x.status != nullptr)});
    return;
  }
  const auto& uid = x.pod->metadata.uid;
  if (st.gone.contains(uid)) {
    if (st.cfg.board)
      st.cfg.board->put(x.pod, x.status); // still runs here

    ++st.cfg.stats->dropped;
    log::info(5, "ignoring a status update for a pod that is gone",
              {log::pod_field(x.pod->metadata.namespace_, x.pod->metadata.name),
               log::kv("podUID", uid)});
    return;
  }
  auto [i, added] = st.pods.try_emplace(uid);
  auto& e = i->second;
  e.pod = x.pod;
  if (added && is_static(e))
    e.mirror = st.cfg.mirrors->get(uid);
  e.deleting = e.deleting || x.pod->metadata.deletion_timestamp.has_value();
  if (e.final && !x.final) {
    // Upstream keeps podIsFinished sticky; the final status stays wanted.
    log::info(2, "ignoring a non-final status after the final one",
              {log::pod_field(x.pod->metadata.namespace_, x.pod->metadata.name),
               log::kv("podUID", uid)});
  } else {
    // (A static pod starts from its own status, not its mirror's: a mirror
    // may still show what an earlier run of the same UID ended with.)
    const auto& old = e.wanted ? *e.wanted
                               : is_static(e) ? e.pod->status : server_status(e);
    if (auto err = check_transition(x.pod->spec, old, *x.status)) {
      ++st.cfg.stats->dropped;
      log::error("pod status update aborted",
                 {log::pod_field(x.pod->metadata.namespace_,
                                 x.pod->metadata.name),
                  log::kv("podUID", uid), {"err", describe(err)}});
      if (added)
        st.pods.erase(i);
      return;
    }
    // Replaces a status that was never sent: coalesced.
    if (e.wanted && e.version > e.accepted_version
        && e.version > e.sent_version)
      ++st.cfg.stats->coalesced;
    e.wanted = x.status;
    ++e.version;
    e.final = e.final || x.final;
    if (st.cfg.board)
      st.cfg.board->put(e.pod, e.wanted);
  }
  if (e.final) {
    pod_status_update kept{e.pod, e.wanted, true};
    st.cfg.finals->keep(kept);
  }
  st.dirty.insert(uid);
  request_sync(self);
}

void on_sync(self_ptr self) {
  auto& st = self->state;
  st.sync_pending = false;
  auto dirty = std::move(st.dirty);
  st.dirty.clear();
  for (const auto& uid : dirty)
    sync_pod(self, uid);
}

/// Upstream syncBatch(all): every pod with work left whose retry is due.
void on_tick(self_ptr self) {
  auto& st = self->state;
  if (!st.calls)
    return; // local mode: nothing to publish
  std::vector<std::string> due;
  auto now = self->clock().now();
  for (const auto& [uid, e] : st.pods)
    if (!e.in_flight && has_work(e) && now >= e.not_before)
      due.push_back(uid);
  for (const auto& uid : due)
    sync_pod(self, uid);
  self->delayed_send(self, st.cfg.sync_period, tick_atom::value);
}

status_manager_snapshot snapshot(self_ptr self) {
  auto& st = self->state;
  status_manager_snapshot x;
  x.pods = st.pods.size();
  for (const auto& kvp : st.pods) {
    if (has_work(kvp.second))
      ++x.pending;
    if (kvp.second.in_flight)
      ++x.in_flight;
  }
  x.gone = st.gone.size();
  x.patches_sent = st.cfg.stats->patches_sent;
  x.patch_failures = st.cfg.stats->patch_failures;
  x.deletes_sent = st.cfg.stats->deletes_sent;
  return x;
}

} // namespace

caf::behavior status_manager(caf::stateful_actor<status_manager_state>* self,
                             std::shared_ptr<api::transport> api,
                             std::shared_ptr<api::rate_limiter> limiter,
                             status_manager_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.stats)
    st.cfg.stats = std::make_shared<status_manager_stats>();
  st.gone.capacity(st.cfg.gone_capacity);
  if (!st.cfg.finals)
    st.cfg.finals = std::make_shared<final_status_journal>();
  if (!st.cfg.mirrors)
    st.cfg.mirrors = std::make_shared<mirror_table>();
  if (st.cfg.sync_period.count() <= 0)
    st.cfg.sync_period = milliseconds{10000};
  if (api)
    st.calls = std::make_unique<api::api_calls>(self, std::move(api),
                                                std::move(limiter));
  // Resume the final statuses a previous incarnation had not finished.
  auto resumed = st.cfg.finals->entries();
  if (!resumed.empty())
    log::info(1, "resuming final pod statuses",
              {log::kv("pods", resumed.size())});
  for (const auto& x : resumed) {
    on_update(self, x);
    // Nobody may tell this incarnation to forget it: like a forgotten pod,
    // it ends at the first non-retryable answer.
    if (auto i = st.pods.find(x.pod->metadata.uid); i != st.pods.end())
      i->second.orphaned = true;
  }
  if (st.calls)
    self->delayed_send(self, st.cfg.sync_period, tick_atom::value);
  caf::message_handler calls;
  if (st.calls)
    calls = st.calls->handlers();
  return calls.or_else(caf::message_handler{
    [self](const pod_status_update& x) { on_update(self, x); },
    [self](status_sync_atom) { on_sync(self); },
    [self](status_retry_atom, const std::string& uid) {
      sync_pod(self, uid);
    },
    [self](tick_atom) { on_tick(self); },
    [self](status_forget_atom, const std::string& uid) {
      auto& st = self->state;
      if (auto i = st.pods.find(uid);
          st.calls && i != st.pods.end() && i->second.final) {
        // Publish the final status first (if not yet); later updates are
        // ignored.
        log::info(4, "pod forgotten with its final status pending",
                  {log::kv("podUID", uid)});
        i->second.orphaned = true;
        self->state.gone.insert(uid);
        st.dirty.insert(uid);
        request_sync(self);
        return;
      }
      log::info(5, "forgetting pod status", {log::kv("podUID", uid)});
      erase_entry(self, uid, true);
    },
    [self](mirror_pod_atom, const std::string& uid, const k8s::pod_ptr& mirror) {
      auto& st = self->state;
      st.cfg.mirrors->set(uid, mirror); // (the mirror manager wrote it too)
      auto i = st.pods.find(uid);
      if (i == st.pods.end() || !is_static(i->second))
        return;
      use_mirror(self, uid, i->second, mirror);
      if (i->second.mirror) {
        st.dirty.insert(uid);
        request_sync(self);
      }
    },
    [self](status_revive_atom, const std::string& uid) {
      auto& st = self->state;
      log::info(4, "pod status counts again", {log::kv("podUID", uid)});
      erase_entry(self, uid, false); // what an old worker left behind
      st.gone.erase(uid);
    },
    [self](caf::get_atom) { return snapshot(self); },
    [self](crash_atom) {
      // Fault injection (tests, chaos lab): fail loudly.
      self->quit(make_error(errc::internal, "status manager: injected crash"));
    },
  });
}

} // namespace cafelet::actors::pods
