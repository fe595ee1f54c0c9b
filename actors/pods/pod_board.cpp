#include "actors/pods/pod_board.hpp"

#include "messages/json/json.hpp"
#include "messages/k8s/encode.hpp"

#include <algorithm>
#include <vector>

namespace cafelet::actors::pods {

void pod_board::put(k8s::pod_ptr pod, std::shared_ptr<const k8s::pod_status> status) {
  if (!pod || !status)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  auto uid = pod->metadata.uid;
  if (erased_.contains(uid))
    return;
  pods_.insert_or_assign(std::move(uid), entry{std::move(pod), std::move(status)});
}

void pod_board::erase(const std::string& uid) {
  std::lock_guard<std::mutex> guard{mtx_};
  pods_.erase(uid);
  erased_.insert(uid);
}

void pod_board::revive(const std::string& uid) {
  std::lock_guard<std::mutex> guard{mtx_};
  erased_.erase(uid);
}

void pod_board::set_manifest(const std::string& uid,
                             std::shared_ptr<const std::string> json) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (json)
    manifests_.insert_or_assign(uid, manifest{std::move(json), nullptr});
  else
    manifests_.erase(uid);
}

size_t pod_board::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return pods_.size();
}

std::string pod_board::pod_list_json() const {
  struct item {
    entry e;
    manifest m;
  };
  std::vector<item> items;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    items.reserve(pods_.size());
    for (const auto& [uid, e] : pods_) {
      auto m = manifests_.find(uid);
      items.push_back(item{e, m == manifests_.end() ? manifest{} : m->second});
    }
  }
  // A manifest's spec is cut out once (here, on the server's thread, not
  // on the static source's) and kept for later requests.
  for (auto& x : items) {
    if (!x.m.json || x.m.spec)
      continue;
    std::string spec;
    if (auto doc = json::parse(*x.m.json))
      if (const auto* s = doc->find("spec"); s && s->is_object())
        spec = json::dump(*s);
    x.m.spec = std::make_shared<const std::string>(std::move(spec));
    std::lock_guard<std::mutex> guard{mtx_};
    if (auto m = manifests_.find(x.e.pod->metadata.uid);
        m != manifests_.end() && m->second.json == x.m.json)
      m->second.spec = x.m.spec;
  }
  std::sort(items.begin(), items.end(), [](const item& x, const item& y) {
    const auto& a = x.e.pod->metadata;
    const auto& b = y.e.pod->metadata;
    return std::tie(a.namespace_, a.name, a.uid) < std::tie(b.namespace_, b.name, b.uid);
  });
  // Encoded outside the lock: the entries are immutable.
  std::string out = R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[)";
  bool first = true;
  for (const auto& x : items) {
    if (!first)
      out += ',';
    first = false;
    out += k8s::encode_pod_view(*x.e.pod, *x.e.status,
                                x.m.spec ? std::string_view{*x.m.spec} : std::string_view{});
  }
  out += "]}";
  return out;
}

} // namespace cafelet::actors::pods
