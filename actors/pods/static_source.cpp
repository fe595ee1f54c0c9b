#include "actors/pods/static_source.hpp"

#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/k8s/manifest.hpp"
#include "messages/log.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace cafelet::actors::pods {

const char* static_source_state::name = "static-pod-source";

namespace {

using self_ptr = caf::stateful_actor<static_source_state>*;

/// Reads a regular file of at most `max_bytes`.
void read_one(manifest_files::file& f, size_t max_bytes) {
  // O_NONBLOCK: a FIFO dropped into the directory must not block the read
  // (it is refused below as not a regular file). Symlinks are followed.
  int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    f.error = std::strerror(errno);
    return;
  }
  struct stat sb;
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    f.error = "not a regular file";
    ::close(fd);
    return;
  }
  if (static_cast<size_t>(sb.st_size) > max_bytes) {
    f.error = "larger than " + std::to_string(max_bytes) + " bytes";
    ::close(fd);
    return;
  }
  char buf[16384];
  for (;;) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      f.error = std::strerror(errno);
      break;
    }
    if (n == 0)
      break;
    f.content.append(buf, static_cast<size_t>(n));
    if (f.content.size() > max_bytes) {
      f.error = "larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
  }
  ::close(fd);
}

void start_read(self_ptr self);

/// A read is done: start the next one if changes came in meanwhile.
void finish_read(self_ptr self) {
  auto& st = self->state;
  if (st.read_again) {
    st.read_again = false;
    start_read(self);
  }
}

void send_set(self_ptr self, const caf::actor& to) {
  if (self->state.current && to)
    self->send(to, self->state.current);
}

/// Parses what changed, builds the new set, publishes it if it differs.
void on_files(self_ptr self, manifest_files& r) {
  auto& st = self->state;
  st.read_in_flight = false;
  if (!r.exists) {
    if (!st.missing_logged)
      log::info(0, "static pod path does not exist; no static pods until it does",
                {log::kv("path", st.cfg.path)});
    st.missing_logged = true;
  } else {
    st.missing_logged = false;
    if (!r.error.empty()) {
      // As upstream: a listing error sends no update; what runs stays.
      log::warning("cannot list the static pod path; keeping the current static pods",
                   {log::kv("path", st.cfg.path), log::kv("err", r.error)});
      finish_read(self);
      return;
    }
  }
  // Old entries by UID: an unchanged pod keeps its object (config.seen).
  std::map<std::string, const static_pod_entry*> by_uid;
  for (const auto& [path, fs] : st.files)
    if (fs.pod)
      by_uid.emplace(fs.pod->pod->metadata.uid, &*fs.pod);
  std::map<std::string, manifest_state> next;
  for (auto& f : r.files) {
    auto& ms = next[f.path];
    if (!f.error.empty()) {
      auto old = st.files.find(f.path);
      if (old == st.files.end() || old->second.content != "\x01" + f.error)
        log::warning("cannot read a static pod manifest; skipped",
                     {log::kv("file", f.path), log::kv("err", f.error)});
      ms.content = "\x01" + f.error; // remembered so it is logged once
      continue;
    }
    ms.content = std::move(f.content);
    auto old = st.files.find(f.path);
    if (old != st.files.end() && old->second.content == ms.content) {
      ms.pod = old->second.pod;
      continue;
    }
    if (!f.parsed)
      continue; // (changed again after the read was planned: next read)
    if (auto* problem = std::get_if<k8s::manifest_problem>(&*f.parsed)) {
      log::warning("invalid static pod manifest; skipped",
                   {log::kv("file", f.path), log::kv("line", problem->line),
                    log::kv("field", problem->field),
                    log::kv("err", k8s::to_string(*problem, f.path))});
      continue;
    }
    auto& sp = std::get<k8s::static_pod>(*f.parsed);
    if (auto i = by_uid.find(sp.pod->metadata.uid); i != by_uid.end()) {
      // Same UID (a formatting change, or a manifest naming its own uid):
      // unchanged if the pod's JSON is.
      const auto& old_pod = *i->second;
      if (old_pod.json && sp.json && *old_pod.json == *sp.json) {
        ms.pod = old_pod;
        ms.pod->file = f.path;
        continue;
      }
    }
    ms.pod = static_pod_entry{sp.pod, sp.json, f.path};
  }
  if (r.single_file && st.current)
    // One manifest named directly: a broken file changes nothing (upstream
    // keeps the pod when the file cannot be used).
    for (auto& [path, ms] : next)
      if (auto old = st.files.find(path); !ms.pod && old != st.files.end())
        ms.pod = old->second.pod;
  st.files = std::move(next);
  // The set: the first file (by name) wins a pod name.
  auto set = std::make_shared<static_pod_set>();
  std::set<std::string> duplicates;
  std::map<std::string, std::string> names; // ns/name -> file
  std::map<std::string, std::string> uids;  // uid -> file
  for (const auto& [path, fs] : st.files) {
    if (!fs.pod)
      continue;
    const auto& m = fs.pod->pod->metadata;
    auto full = m.namespace_ + "/" + m.name;
    if (auto [u, fresh] = uids.emplace(m.uid, path); !fresh) {
      if (duplicates.insert(path + "|uid:" + m.uid).second
          && st.duplicates.count(path + "|uid:" + m.uid) == 0)
        log::warning("static pod manifest gives a UID another manifest gives; skipped",
                     {log::kv("file", path), log::kv("podUID", m.uid),
                      log::kv("defined_in", u->second)});
      continue;
    }
    auto [i, added] = names.emplace(full, path);
    if (!added) {
      if (duplicates.insert(path + "|" + full).second
          && st.duplicates.count(path + "|" + full) == 0)
        log::warning("static pod manifest names a pod another manifest defines; skipped",
                     {log::kv("file", path), log::kv("pod", full),
                      log::kv("defined_in", i->second)});
      continue;
    }
    set->pods.push_back(*fs.pod);
  }
  st.duplicates = std::move(duplicates);
  // Changed if a pod came, went, or was replaced by a changed one.
  auto pods_of = [](const static_pod_set& s) {
    std::set<const k8s::pod*> out;
    for (const auto& p : s.pods)
      out.insert(p.pod.get());
    return out;
  };
  bool changed = !st.current || pods_of(*st.current) != pods_of(*set);
  if (changed) {
    set->generation = st.current ? st.current->generation + 1 : 1;
    set->source = self->id();
    if (st.cfg.board) {
      std::set<std::string> now;
      for (const auto& p : set->pods) {
        st.cfg.board->set_manifest(p.pod->metadata.uid, p.json);
        now.insert(p.pod->metadata.uid);
      }
      if (st.current)
        for (const auto& p : st.current->pods)
          if (now.count(p.pod->metadata.uid) == 0)
            st.cfg.board->set_manifest(p.pod->metadata.uid, nullptr);
    }
    log::info(1, "static pods changed",
              {log::kv("path", st.cfg.path), log::kv("pods", set->pods.size()),
               log::kv("generation", set->generation)});
    st.current = std::move(set);
    for (const auto& c : st.cfg.consumers)
      send_set(self, c);
  }
  finish_read(self);
}

void start_read(self_ptr self) {
  auto& st = self->state;
  if (st.read_in_flight) {
    st.read_again = true;
    return;
  }
  st.read_in_flight = true;
  auto path = st.cfg.path;
  manifest_parse_context ctx;
  ctx.node_name = st.cfg.node_name;
  ctx.now = st.cfg.clock ? st.cfg.clock() : k8s::now();
  for (const auto& [file, fs] : st.files) {
    ctx.known.emplace(file, fs.content);
    if (fs.pod) {
      const auto& a = fs.pod->pod->metadata.annotations;
      if (auto i = a.find("kubernetes.io/config.seen"); i != a.end())
        if (auto t = k8s::parse_time(i->second))
          ctx.seen.emplace(fs.pod->pod->metadata.uid, *t);
    }
  }
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self);
  auto task = [path, weak, ctx = std::move(ctx)] {
    auto r = read_manifest_files(path);
    parse_manifest_files(r, ctx);
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), std::move(r));
  };
  if (st.cfg.io)
    st.cfg.io->post(std::move(task));
  else
    task();
}

/// (Re)starts the inotify watch if there is none or it died.
void ensure_watch(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.watch || (st.watch && st.watch->alive()))
    return;
  st.watch.reset();
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(self);
  auto w = manifest_watch::start(st.cfg.path, [weak] {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), static_changed_atom::value);
  });
  if (w) {
    st.watch = std::move(*w);
    log::info(2, "watching static pod manifests", {log::kv("path", st.cfg.path)});
  } else {
    log::info(3, "cannot watch the static pod path yet",
              {log::kv("path", st.cfg.path), log::kv("err", context_of(w.error()))});
  }
}

} // namespace

void parse_manifest_files(manifest_files& r, const manifest_parse_context& ctx) {
  for (auto& f : r.files) {
    if (!f.error.empty())
      continue;
    if (auto i = ctx.known.find(f.path); i != ctx.known.end() && i->second == f.content)
      continue;
    k8s::static_pod_origin origin;
    origin.file = f.path;
    origin.node_name = ctx.node_name;
    origin.seen = ctx.now;
    f.parsed = k8s::read_static_pod(f.content, origin);
    // A known UID keeps its first-seen time.
    if (auto* sp = std::get_if<k8s::static_pod>(&*f.parsed))
      if (auto s = ctx.seen.find(sp->pod->metadata.uid);
          s != ctx.seen.end() && s->second != ctx.now) {
        origin.seen = s->second;
        f.parsed = k8s::read_static_pod(f.content, origin);
      }
  }
}

manifest_files read_manifest_files(const std::string& path, size_t max_bytes) {
  manifest_files out;
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) {
    out.exists = errno != ENOENT && errno != ENOTDIR;
    if (out.exists)
      out.error = std::strerror(errno);
    return out;
  }
  if (!S_ISDIR(sb.st_mode)) {
    out.single_file = true;
    manifest_files::file f;
    f.path = path;
    read_one(f, max_bytes);
    out.files.push_back(std::move(f));
    return out;
  }
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    out.error = std::strerror(errno);
    return out;
  }
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string_view name{e->d_name};
    if (name == "." || name == ".." || k8s::ignored_manifest_name(name))
      continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  auto base = path;
  if (base.empty() || base.back() != '/')
    base += '/';
  for (const auto& name : names) {
    auto full = base + name;
    struct stat fsb;
    if (::stat(full.c_str(), &fsb) != 0 || S_ISDIR(fsb.st_mode))
      continue; // vanished, or a subdirectory (not recursed into, as upstream)
    manifest_files::file f;
    f.path = std::move(full);
    read_one(f, max_bytes);
    out.files.push_back(std::move(f));
  }
  return out;
}

caf::behavior static_source(caf::stateful_actor<static_source_state>* self,
                            static_source_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  if (st.cfg.check_period.count() <= 0)
    st.cfg.check_period = std::chrono::seconds{20};
  ensure_watch(self);
  start_read(self);
  self->delayed_send(self, st.cfg.check_period, tick_atom::value);
  return {
    [self](manifest_files& r) { on_files(self, r); },
    [self](static_scan_atom) {
      self->state.settle_pending = false;
      start_read(self);
    },
    [self](static_changed_atom) {
      auto& st = self->state;
      if (st.settle_pending)
        return;
      st.settle_pending = true;
      self->delayed_send(self, st.cfg.settle, static_scan_atom::value);
    },
    [self](tick_atom) {
      ensure_watch(self);
      start_read(self);
      self->delayed_send(self, self->state.cfg.check_period, tick_atom::value);
    },
    [self](static_resync_atom) {
      send_set(self, caf::actor_cast<caf::actor>(self->current_sender()));
    },
    [self](caf::get_atom) { return self->state.current; },
  };
}

} // namespace cafelet::actors::pods
