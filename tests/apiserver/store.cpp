#include "tests/apiserver/store.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace cafelet::apiserver {

std::string object_store::key_of(const resource_def& def, std::string_view ns,
                                 std::string_view name) {
  if (!def.namespaced)
    return std::string{name};
  std::string key{ns};
  key += '/';
  key += name;
  return key;
}

object_store::resource_state& object_store::state(const resource_def& def) {
  auto [i, added] = states_.try_emplace(&def);
  if (added)
    i->second.floor = floor_all_;
  return i->second;
}

const object_store::resource_state*
object_store::find_state(const resource_def& def) const {
  auto i = states_.find(&def);
  return i == states_.end() ? nullptr : &i->second;
}

object_ptr object_store::get(const resource_def& def,
                             const std::string& key) const {
  const auto* st = find_state(def);
  if (st == nullptr)
    return nullptr;
  auto i = st->objects.find(key);
  return i == st->objects.end() ? nullptr : i->second;
}

const change_event& object_store::record(resource_state& st, change_event ev) {
  st.history.push_back(std::move(ev));
  while (st.history.size() > capacity_) {
    st.history.pop_front();
    st.floor = st.history.front().rv - 1;
  }
  return st.history.back();
}

const change_event& object_store::create(const resource_def& def,
                                         const std::string& key,
                                         json::value obj) {
  auto& st = state(def);
  set_resource_version(obj, ++rv_);
  auto ptr = std::make_shared<const json::value>(std::move(obj));
  st.objects[key] = ptr;
  return record(st, change_event{"ADDED", rv_, key, ptr, nullptr});
}

const change_event& object_store::update(const resource_def& def,
                                         const std::string& key,
                                         json::value obj) {
  auto& st = state(def);
  set_resource_version(obj, ++rv_);
  auto ptr = std::make_shared<const json::value>(std::move(obj));
  auto& slot = st.objects[key];
  auto prev = slot;
  slot = ptr;
  return record(st, change_event{"MODIFIED", rv_, key, ptr, std::move(prev)});
}

const change_event& object_store::remove(const resource_def& def,
                                         const std::string& key) {
  auto& st = state(def);
  auto i = st.objects.find(key);
  object_ptr prev = i == st.objects.end() ? nullptr : i->second;
  if (i != st.objects.end())
    st.objects.erase(i);
  ++rv_;
  json::value last = prev ? *prev : json::value{json::object{}};
  set_resource_version(last, rv_);
  auto ptr = std::make_shared<const json::value>(std::move(last));
  return record(st, change_event{"DELETED", rv_, key, ptr, std::move(prev)});
}

std::optional<std::vector<std::pair<std::string, object_ptr>>>
object_store::list_at(const resource_def& def, std::string_view ns,
                      uint64_t rv) const {
  std::map<std::string, object_ptr> snapshot;
  if (rv < rv_ && rv < floor(def))
    return std::nullopt;
  if (const auto* st = find_state(def)) {
    snapshot = st->objects;
    // Undo the changes made after rv, newest first.
    for (auto i = st->history.rbegin(); i != st->history.rend() && i->rv > rv;
         ++i) {
      if (i->previous)
        snapshot[i->key] = i->previous;
      else
        snapshot.erase(i->key);
    }
  }
  std::vector<std::pair<std::string, object_ptr>> out;
  std::string prefix;
  if (def.namespaced && !ns.empty()) {
    prefix = std::string{ns} + "/";
  }
  for (auto& [key, obj] : snapshot)
    if (prefix.empty() || key.starts_with(prefix))
      out.emplace_back(key, obj);
  return out;
}

std::optional<std::vector<change_event>>
object_store::events_after(const resource_def& def, uint64_t rv) const {
  std::vector<change_event> out;
  if (rv < floor(def))
    return std::nullopt;
  const auto* st = find_state(def);
  if (st == nullptr)
    return out;
  for (const auto& ev : st->history)
    if (ev.rv > rv)
      out.push_back(ev);
  return out;
}

uint64_t object_store::floor(const resource_def& def) const {
  const auto* st = find_state(def);
  return st == nullptr ? floor_all_ : st->floor;
}

void object_store::set_history_capacity(size_t n) {
  capacity_ = n == 0 ? 1 : n;
  for (auto& [def, st] : states_) {
    while (st.history.size() > capacity_) {
      st.history.pop_front();
      st.floor = st.history.front().rv - 1;
    }
  }
}

void object_store::expire_history() {
  floor_all_ = rv_;
  for (auto& [def, st] : states_) {
    st.history.clear();
    st.floor = rv_;
  }
}

void set_resource_version(json::value& obj, uint64_t rv) {
  auto& meta = obj["metadata"];
  json::value text{std::to_string(rv)};
  if (auto* cur = meta.find("resourceVersion")) {
    *cur = std::move(text);
    return;
  }
  // Insert where ObjectMeta declares the field, before everything after it.
  static constexpr std::string_view later[]
    = {"generation",     "creationTimestamp", "deletionTimestamp",
       "deletionGracePeriodSeconds", "labels", "annotations",
       "ownerReferences", "finalizers",       "managedFields"};
  auto& members = meta.as_object();
  auto pos = std::find_if(members.begin(), members.end(), [](const auto& m) {
    return std::find(std::begin(later), std::end(later), m.first)
           != std::end(later);
  });
  members.insert(pos, {"resourceVersion", std::move(text)});
}

std::optional<uint64_t> parse_rv(std::string_view s) {
  uint64_t out = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (res.ec != std::errc{} || res.ptr != s.data() + s.size() || s.empty())
    return std::nullopt;
  return out;
}

} // namespace cafelet::apiserver
