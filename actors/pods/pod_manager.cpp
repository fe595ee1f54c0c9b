#include "actors/pods/pod_manager.hpp"

#include "actors/volumes/volume_dirs.hpp"

#include <set>

#include "actors/pods/status_manager.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/supervision.hpp"

#include <caf/send.hpp>

#include <algorithm>

namespace cafelet::actors {

const char* pod_manager_state::name = "pod-manager";

namespace {

using self_ptr = caf::stateful_actor<pod_manager_state>*;

bool terminal(const k8s::pod& p) {
  return p.status.phase == "Succeeded" || p.status.phase == "Failed";
}

std::vector<k8s::pod_ptr> admitted_pods(const pod_manager_state& st) {
  std::vector<k8s::pod_ptr> out;
  out.reserve(st.pods.size());
  for (const auto& [uid, mp] : st.pods)
    if (!mp.rejected && !mp.removed)
      out.push_back(mp.pod);
  return out;
}

void count_running(pod_manager_state& st) {
  uint64_t n = 0;
  for (const auto& [uid, mp] : st.pods)
    if (!mp.rejected)
      ++n;
  st.cfg.stats->running = n;
  // Pods bound here as the API server sees them (removed ones may still be
  // terminating).
  uint64_t known = 0;
  for (const auto& [uid, mp] : st.pods)
    if (!mp.removed)
      ++known;
  st.cfg.stats->known = known;
}

void reject(self_ptr self, const k8s::pod_ptr& pod,
            const pods::admission_result& why) {
  auto& st = self->state;
  const auto& meta = pod->metadata;
  ++st.cfg.stats->rejected;
  log::warning("pod rejected at admission",
               {log::pod_field(meta.namespace_, meta.name),
                log::kv("podUID", meta.uid), log::kv("reason", why.reason),
                log::kv("message", why.message)});
  auto now = st.cfg.clock ? st.cfg.clock() : k8s::now();
  if (st.cfg.status_manager)
    caf::anon_send(st.cfg.status_manager,
                   pod_status_update{pod,
                                     std::make_shared<const k8s::pod_status>(
                                       pods::rejected_status(*pod, why, now)),
                                     true});
  if (st.cfg.events) {
    record_event ev;
    ev.involved.kind = "Pod";
    ev.involved.api_version = "v1";
    ev.involved.namespace_ = meta.namespace_;
    ev.involved.name = meta.name;
    ev.involved.uid = meta.uid;
    ev.type = "Warning";
    ev.reason = why.reason;
    ev.message = why.message;
    caf::anon_send(st.cfg.events, std::move(ev));
  }
}

using pods::full_name;

void on_upsert(self_ptr self, const k8s::pod_ptr& pod);

/// Tells the status manager that `uid` runs again (a static pod put back:
/// same UID) and lets the board show it again.
void revive(self_ptr self, const std::string& uid) {
  auto& st = self->state;
  st.finished.erase(uid);
  if (st.cfg.board)
    st.cfg.board->revive(uid);
  if (st.cfg.status_manager)
    caf::anon_send(st.cfg.status_manager, pods::status_revive_atom::value, uid);
}

/// Starts the waiting static pods whose name no static pod holds any more.
void start_waiting(self_ptr self) {
  auto& st = self->state;
  std::vector<k8s::pod_ptr> ready;
  for (const auto& [full, pod] : st.static_waiting) {
    bool held = false;
    for (const auto& [uid, mp] : st.pods)
      held = held || (pods::is_static_pod(*mp.pod) && full_name(*mp.pod) == full);
    if (!held)
      ready.push_back(pod);
  }
  for (const auto& pod : ready) {
    st.static_waiting.erase(full_name(*pod));
    revive(self, pod->metadata.uid); // (it may be the same UID coming back)
    on_upsert(self, pod);
  }
}

/// Sends the mirror manager the static pods that have a worker, if that
/// set changed.
void publish_mirrors(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.mirrors || (st.cfg.static_source && !st.static_synced))
    return;
  auto feed = std::make_shared<static_pod_set>();
  for (const auto& [uid, mp] : st.pods) {
    if (mp.rejected || !pods::is_static_pod(*mp.pod))
      continue;
    if (auto e = st.static_entries.find(uid); e != st.static_entries.end())
      feed->pods.push_back(e->second);
  }
  std::sort(feed->pods.begin(), feed->pods.end(), [](const auto& x, const auto& y) {
    return x.pod->metadata.uid < y.pod->metadata.uid;
  });
  auto same = [](const static_pod_set& x, const static_pod_set& y) {
    return std::equal(x.pods.begin(), x.pods.end(), y.pods.begin(), y.pods.end(),
                      [](const auto& a, const auto& b) { return a.pod == b.pod; });
  };
  if (st.mirror_feed && same(*st.mirror_feed, *feed))
    return;
  feed->generation = st.mirror_feed ? st.mirror_feed->generation + 1 : 1;
  feed->source = self->id();
  st.mirror_feed = feed;
  self->send(st.cfg.mirrors, st.mirror_feed);
}

/// Replaces a config.source annotation an API pod carries with "api" (as
/// upstream's config layer does): only the file source makes static pods.
k8s::pod_ptr as_api_pod(const k8s::pod_ptr& pod) {
  auto& annotations = pod->metadata.annotations;
  auto i = annotations.find("kubernetes.io/config.source");
  if (i == annotations.end() || i->second == "api")
    return pod;
  auto copy = std::make_shared<k8s::pod>(*pod);
  copy->metadata.annotations["kubernetes.io/config.source"] = "api";
  return copy;
}

void on_upsert(self_ptr self, const k8s::pod_ptr& pod) {
  auto& st = self->state;
  const auto& meta = pod->metadata;
  st.api_uids.insert(meta.uid);
  if (st.finished.contains(meta.uid))
    return; // its worker is done; nothing runs here any more
  auto i = st.pods.find(meta.uid);
  if (i != st.pods.end() && i->second.removed && pods::is_static_pod(*pod)) {
    // A static pod added back (same manifest, same UID) while its worker
    // still terminates: it starts again once that worker is done.
    log::info(2, "static pod added back; it waits for its old worker to finish",
              {log::pod_field(meta.namespace_, meta.name), log::kv("podUID", meta.uid)});
    st.static_waiting[full_name(*pod)] = pod;
    return;
  }
  if (i != st.pods.end()) {
    auto& mp = i->second;
    mp.pod = pod;
    if (mp.worker)
      caf::anon_send(mp.worker, pod_update_atom::value, pod);
    return;
  }
  // A pod that already finished has nothing to run here.
  if (terminal(*pod))
    return;
  if (pods::is_static_pod(*pod)) {
    // Upstream runs one static pod per full name at a time: a replaced
    // manifest's pod starts once the old one is gone.
    auto full = full_name(*pod);
    for (const auto& [uid, other] : st.pods)
      if ((uid != meta.uid || other.removed) && pods::is_static_pod(*other.pod)
          && full_name(*other.pod) == full) {
        log::info(2, "static pod waits for its predecessor to terminate",
                  {log::pod_field(meta.namespace_, meta.name), log::kv("podUID", meta.uid),
                   log::kv("waitingFor", uid)});
        st.static_waiting[full] = pod;
        return;
      }
  }
  auto verdict = pods::admit(*pod, st.cfg.node, admitted_pods(st));
  auto& mp = st.pods[meta.uid];
  mp.pod = pod;
  if (!verdict.admitted) {
    mp.rejected = true;
    reject(self, pod, verdict);
    count_running(st);
    return;
  }
  ++st.cfg.stats->admitted;
  log::info(2, "pod admitted",
            {log::pod_field(meta.namespace_, meta.name), log::kv("podUID", meta.uid)});
  if (st.cfg.pods_supervisor)
    caf::anon_send(st.cfg.pods_supervisor,
                   start_child{"pod", meta.uid, restart_policy::transient,
                               caf::make_message(pod)});
  count_running(st);
  if (pods::is_static_pod(*pod))
    publish_mirrors(self);
}

void on_removed(self_ptr self, const k8s::pod_ptr& pod) {
  auto& st = self->state;
  st.api_uids.erase(pod->metadata.uid);
  st.finished.erase(pod->metadata.uid);
  // Gone from the API server: the status manager stops patching it (a
  // final status still pending is published first). A static pod is
  // forgotten when its worker is done: its final status goes to its mirror.
  bool is_static = pods::is_static_pod(*pod);
  if (st.cfg.status_manager && !is_static)
    caf::anon_send(st.cfg.status_manager, pods::status_forget_atom::value,
                   pod->metadata.uid);
  if (auto w = st.static_waiting.find(full_name(*pod));
      w != st.static_waiting.end() && w->second->metadata.uid == pod->metadata.uid)
    st.static_waiting.erase(w);
  auto i = st.pods.find(pod->metadata.uid);
  if (i == st.pods.end())
    return;
  auto& mp = i->second;
  if (mp.rejected || !mp.worker) {
    // Nothing runs (rejected), or the worker has not started yet: it will
    // learn on hello that the pod is gone.
    if (mp.rejected) {
      if (st.cfg.board)
        st.cfg.board->erase(pod->metadata.uid);
      if (st.cfg.status_manager && is_static)
        caf::anon_send(st.cfg.status_manager, pods::status_forget_atom::value,
                       pod->metadata.uid);
      st.pods.erase(i);
      count_running(st);
      start_waiting(self);
    } else {
      mp.removed = true;
      mp.pod = pod;
      count_running(st);
    }
    return;
  }
  mp.removed = true;
  mp.pod = pod;
  count_running(st);
  caf::anon_send(mp.worker, pod_removed_atom::value, pod->metadata.uid);
}

/// Starts a worker for every pod the runtime runs that is not bound here
/// (any more): it adopts what runs and removes it.
void clean_orphans(self_ptr self, const runtime_snapshot& snap) {
  auto& st = self->state;
  for (const auto& rp : snap.pods) {
    if (rp.uid.empty() || st.pods.count(rp.uid) > 0 || st.finished.contains(rp.uid)
        || st.api_uids.count(rp.uid) > 0)
      continue;
    bool has_sandbox = false;
    for (const auto& sb : rp.sandboxes)
      has_sandbox = has_sandbox || !sb.id.empty();
    if (!has_sandbox)
      continue;
    k8s::pod orphan;
    orphan.metadata.uid = rp.uid;
    orphan.metadata.name = rp.name;
    orphan.metadata.namespace_ = rp.ns;
    auto pod = std::make_shared<const k8s::pod>(std::move(orphan));
    log::info(0, "cleaning up a pod that is no longer bound to this node",
              {log::pod_field(rp.ns, rp.name), log::kv("podUID", rp.uid)});
    auto& mp = st.pods[rp.uid];
    mp.pod = pod;
    mp.removed = true;
    if (st.cfg.pods_supervisor)
      caf::anon_send(st.cfg.pods_supervisor,
                     start_child{"pod", rp.uid, restart_policy::transient,
                                 caf::make_message(pod)});
  }
  count_running(st);
  // Pod directories (volumes, hosts files) of pods that are neither bound
  // here nor in the runtime: left by a crash; removed on the I/O thread.
  // Those in the runtime go with their workers' clean-up.
  if (st.cfg.io) {
    std::set<std::string> keep;
    for (const auto& [uid, mp] : st.pods)
      keep.insert(uid);
    for (const auto& uid : st.api_uids)
      keep.insert(uid);
    for (const auto& rp : snap.pods)
      keep.insert(rp.uid);
    auto root = st.cfg.root_dir;
    st.cfg.io->post([root, keep = std::move(keep)] {
      for (const auto& uid : volumes::pod_dirs(root)) {
        if (keep.count(uid) > 0)
          continue;
        if (auto err = volumes::remove_pod_dir(root, uid))
          log::warning("removing an orphaned pod directory failed",
                       {log::kv("podUID", uid), log::kv("err", describe(err))});
        else
          log::info(0, "removed an orphaned pod directory", {log::kv("podUID", uid)});
      }
    });
  }
}

void find_orphans(self_ptr self) {
  auto& st = self->state;
  if (st.orphans_checked || !st.cfg.pleg)
    return;
  // Every source must have said what it wants first (upstream
  // sourcesReady), else a static pod could be taken for an orphan.
  if ((st.cfg.api_source && !st.api_synced)
      || (st.cfg.static_source && !st.static_synced))
    return;
  st.orphans_checked = true;
  self->request(st.cfg.pleg, std::chrono::seconds{60}, caf::get_atom::value)
    .then([self](const runtime_snapshot& snap) { clean_orphans(self, snap); },
          [self](const caf::error& err) {
            self->state.orphans_checked = false; // try at the next sync
            log::warning("could not look for orphaned pods",
                         {log::kv("err", describe(err))});
          });
}

/// The static pod source's set: start what is new, stop what is gone.
void on_static_set(self_ptr self, const static_pod_set_ptr& set) {
  auto& st = self->state;
  if (!set || !newer_than(*set, st.static_set.get()))
    return; // (an older set that a resync answer overtook)
  st.static_set = set;
  for (const auto& p : set->pods)
    st.static_entries.insert_or_assign(p.pod->metadata.uid, p);
  std::unordered_set<std::string> next;
  for (const auto& p : set->pods)
    next.insert(p.pod->metadata.uid);
  std::vector<k8s::pod_ptr> gone;
  for (const auto& uid : st.static_uids)
    if (next.count(uid) == 0) {
      if (auto i = st.pods.find(uid); i != st.pods.end())
        gone.push_back(i->second.pod);
      else
        for (const auto& [full, waiting] : st.static_waiting)
          if (waiting->metadata.uid == uid)
            gone.push_back(waiting);
    }
  for (const auto& pod : gone) {
    log::info(1, "static pod removed from its manifest",
              {log::pod_field(pod->metadata.namespace_, pod->metadata.name),
               log::kv("podUID", pod->metadata.uid)});
    on_removed(self, pod);
  }
  for (const auto& p : set->pods) {
    const auto& uid = p.pod->metadata.uid;
    if (st.static_uids.count(uid) == 0) {
      // The set is authoritative: a pod re-added after it finished runs
      // again.
      if (st.finished.contains(uid))
        revive(self, uid);
      log::info(1, "static pod from manifest",
                {log::pod_field(p.pod->metadata.namespace_, p.pod->metadata.name),
                 log::kv("podUID", uid), log::kv("file", p.file)});
    }
    auto known = st.pods.find(uid);
    if (known == st.pods.end() || st.static_uids.count(uid) == 0
        || known->second.pod != p.pod)
      on_upsert(self, p.pod); // new, back, or changed under the same UID
  }
  st.static_uids = std::move(next);
  // Entries neither wanted nor running are no longer needed.
  for (auto i = st.static_entries.begin(); i != st.static_entries.end();)
    if (st.static_uids.count(i->first) == 0 && st.pods.count(i->first) == 0)
      i = st.static_entries.erase(i);
    else
      ++i;
  if (!st.static_synced) {
    st.static_synced = true;
    find_orphans(self);
  }
  publish_mirrors(self);
}

} // namespace

caf::behavior pod_manager(caf::stateful_actor<pod_manager_state>* self,
                          pod_manager_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (!st.cfg.stats)
    st.cfg.stats = std::make_shared<pod_manager_stats>();
  if (st.cfg.static_source)
    self->send(st.cfg.static_source, static_resync_atom::value);
  else
    publish_mirrors(self); // no static pods: every mirror is an orphan
  return {
    [self](const k8s::pod_watch_event& ev) {
      if (!ev.object)
        return;
      if (pods::is_mirror_pod(*ev.object)) {
        // The API copy of a static pod: nothing to run.
        if (self->state.cfg.mirrors)
          self->send(self->state.cfg.mirrors, ev);
        return;
      }
      if (ev.type != k8s::watch_event_type::bookmark) {
        const auto& m = ev.object->metadata;
        log::info(2, "pod update from the API server",
                  {log::kv("event", k8s::to_string(ev.type)),
                   log::pod_field(m.namespace_, m.name), log::kv("uid", m.uid),
                   log::kv("resourceVersion", m.resource_version)});
      }
      switch (ev.type) {
        case k8s::watch_event_type::added:
        case k8s::watch_event_type::modified:
          on_upsert(self, as_api_pod(ev.object));
          break;
        case k8s::watch_event_type::deleted:
          on_removed(self, as_api_pod(ev.object));
          break;
        default:
          break;
      }
    },
    [self](const watch_synced& x) {
      // The watch emits DELETED for pods that vanished during an outage,
      // so the known set is already in sync here.
      log::info(2, "pods in sync with the API server",
                {log::kv("resourceVersion", x.resource_version),
                 log::kv("pods", x.items), log::kv("generation", x.generation)});
      if (self->state.cfg.mirrors)
        self->send(self->state.cfg.mirrors, x);
      self->state.api_synced = true;
      find_orphans(self);
    },
    [self](const static_pod_set_ptr& set) { on_static_set(self, set); },
    [self](const container_event& ev) {
      auto& st = self->state;
      auto i = st.pods.find(ev.pod_uid);
      if (i == st.pods.end() || !i->second.worker) {
        ++st.cfg.stats->orphan_events;
        return;
      }
      ++st.cfg.stats->routed_events;
      caf::anon_send(i->second.worker, ev);
    },
    [self](pod_hello_atom, const std::string& uid) -> caf::result<pod_update_atom, k8s::pod_ptr> {
      auto& st = self->state;
      auto i = st.pods.find(uid);
      auto worker = caf::actor_cast<caf::actor>(self->current_sender());
      if (i == st.pods.end()) {
        // A worker the manager does not know (manager restarted, or the
        // pod vanished): tell it the pod is gone; it cleans up.
        if (worker)
          caf::anon_send(worker, pod_removed_atom::value, uid);
        return {pod_update_atom::value, k8s::pod_ptr{}};
      }
      i->second.worker = worker;
      if (i->second.removed && worker)
        caf::anon_send(worker, pod_removed_atom::value, uid);
      return {pod_update_atom::value, i->second.pod};
    },
    [self](pod_done_atom, const std::string& uid) {
      auto& st = self->state;
      auto done = st.pods.find(uid);
      bool was_static = done != st.pods.end() && pods::is_static_pod(*done->second.pod);
      st.pods.erase(uid);
      if (st.cfg.board)
        st.cfg.board->erase(uid);
      // A static pod is forgotten now that its final status went out.
      if (was_static && st.cfg.status_manager)
        caf::anon_send(st.cfg.status_manager, pods::status_forget_atom::value, uid);
      if (was_static && st.static_uids.count(uid) == 0)
        st.static_entries.erase(uid);
      st.finished.insert(uid);
      if (st.cfg.pods_supervisor)
        caf::anon_send(st.cfg.pods_supervisor, stop_child{uid});
      count_running(st);
      log::info(2, "pod worker finished", {log::kv("podUID", uid)});
      // A static pod that waited for this one's name starts now.
      start_waiting(self);
      publish_mirrors(self);
    },
    [self](static_resync_atom) {
      // A restarted mirror manager asks for the static pods with a worker.
      auto& st = self->state;
      if (st.mirror_feed)
        self->send(caf::actor_cast<caf::actor>(self->current_sender()), st.mirror_feed);
    },
    [self](caf::get_atom) {
      auto& st = self->state;
      pod_manager_stats_view v;
      v.known = st.pods.size();
      for (const auto& [uid, mp] : st.pods) {
        if (mp.worker)
          ++v.workers;
        if (mp.rejected)
          ++v.rejected;
      }
      return v;
    },
  };
}

} // namespace cafelet::actors
