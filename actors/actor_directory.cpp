#include "actors/actor_directory.hpp"

#include "messages/json/json.hpp"

namespace cafelet::actors {

const char* to_string(entry_state x) {
  switch (x) {
    case entry_state::running: return "running";
    case entry_state::restarting: return "restarting";
    case entry_state::failed: return "failed";
  }
  return "unknown";
}

void actor_directory::started(const std::string& path, const std::string& kind,
                              const std::string& name, uint64_t actor_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = entries_[path];
  e.path = path;
  e.kind = kind;
  e.name = name;
  e.actor_id = actor_id;
  e.state = entry_state::running;
  e.started = clock::now();
}

void actor_directory::ended(const std::string& path,
                            const std::string& exit_reason, bool restarting) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(path);
  if (i == entries_.end())
    return;
  i->second.actor_id = 0;
  i->second.last_exit = exit_reason;
  i->second.state = restarting ? entry_state::restarting : entry_state::failed;
}

void actor_directory::count_restart(const std::string& path) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(path);
  if (i == entries_.end())
    return;
  ++i->second.restarts;
  ++restarts_by_kind_[i->second.kind];
}

void actor_directory::remove(const std::string& path) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto prefix = path + "/";
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->first == path || i->first.compare(0, prefix.size(), prefix) == 0)
      i = entries_.erase(i);
    else
      ++i;
  }
}

void actor_directory::remove_below(const std::string& path) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto prefix = path + "/";
  for (auto i = entries_.lower_bound(prefix); i != entries_.end();) {
    if (i->first.compare(0, prefix.size(), prefix) != 0)
      break;
    i = entries_.erase(i);
  }
}

void actor_directory::note_mailbox(const std::string& kind, size_t depth) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& hwm = mailbox_hwm_[kind];
  if (depth > hwm)
    hwm = depth;
}

void actor_directory::heartbeat() {
  std::lock_guard<std::mutex> guard{mtx_};
  last_heartbeat_ = clock::now();
}

std::vector<directory_entry> actor_directory::entries() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<directory_entry> out;
  out.reserve(entries_.size());
  for (const auto& [path, e] : entries_)
    out.push_back(e);
  return out;
}

std::map<std::string, uint64_t> actor_directory::restarts_by_kind() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return restarts_by_kind_;
}

std::map<std::string, uint64_t> actor_directory::live_by_kind() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::map<std::string, uint64_t> out;
  for (const auto& [path, e] : entries_)
    if (e.state == entry_state::running)
      ++out[e.kind];
  return out;
}

std::map<std::string, uint64_t> actor_directory::mailbox_high_water() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return mailbox_hwm_;
}

bool actor_directory::healthy(std::chrono::milliseconds max_silence,
                              std::string* reason) const {
  auto fail = [&](std::string why) {
    if (reason)
      *reason = std::move(why);
    return false;
  };
  std::lock_guard<std::mutex> guard{mtx_};
  if (entries_.empty())
    return fail("actor tree not started");
  for (const auto& [path, e] : entries_) {
    if (e.state == entry_state::failed)
      return fail("actor " + path + " failed: " + e.last_exit);
    if (path.find('/') == std::string::npos && e.state != entry_state::running)
      return fail("root supervisor " + path + " is " + to_string(e.state));
  }
  if (last_heartbeat_ != clock::time_point{}
      && clock::now() - last_heartbeat_ > max_silence)
    return fail("scheduler heartbeat is late");
  return true;
}

std::string actor_directory::to_json() const {
  auto snapshot = entries();
  auto now = clock::now();
  // Entries are sorted by path, so every child follows its parent: build
  // the nested tree with a stack of open objects.
  std::string out = "{\"actors\":[";
  std::vector<std::string> open; // paths whose "children" array is open
  bool first_at_level = true;
  auto close_until_parent_of = [&](const std::string& path) {
    while (!open.empty()) {
      const auto& top = open.back();
      if (path.size() > top.size() && path.compare(0, top.size(), top) == 0
          && path[top.size()] == '/')
        return;
      out += "]}";
      open.pop_back();
      first_at_level = false;
    }
  };
  for (const auto& e : snapshot) {
    close_until_parent_of(e.path);
    if (!first_at_level)
      out += ',';
    out += "{\"path\":";
    json::append_quoted(out, e.path);
    out += ",\"kind\":";
    json::append_quoted(out, e.kind);
    out += ",\"name\":";
    json::append_quoted(out, e.name);
    out += ",\"state\":";
    json::append_quoted(out, to_string(e.state));
    out += ",\"actorId\":" + std::to_string(e.actor_id);
    out += ",\"restarts\":" + std::to_string(e.restarts);
    auto uptime = e.state == entry_state::running
                    ? std::chrono::duration<double>(now - e.started).count()
                    : 0.0;
    out += ",\"uptimeSeconds\":";
    json::dump_to(out, json::value{uptime});
    out += ",\"lastExit\":";
    json::append_quoted(out, e.last_exit);
    out += ",\"children\":[";
    open.push_back(e.path);
    first_at_level = true;
  }
  close_until_parent_of(std::string{});
  out += "]}";
  return out;
}

} // namespace cafelet::actors
