#include "tests/apiserver/patch.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace cafelet::apiserver {

namespace {

/// Merge strategies of list fields, by kind and path. Lists not named here
/// have no patch strategy (listType=atomic): a patch replaces them.
const std::map<std::string, list_strategy, std::less<>>& strategies() {
  static const std::map<std::string, list_strategy, std::less<>> table = [] {
    std::map<std::string, list_strategy, std::less<>> t;
    auto add = [&](std::string_view kind, std::string_view path,
                   std::string key) {
      t[std::string{kind} + ":" + std::string{path}]
        = list_strategy{true, std::move(key)};
    };
    for (auto kind : {"Pod", "Node", "Lease", "ConfigMap", "Secret",
                      "ServiceAccount", "Event", "Namespace",
                      "CertificateSigningRequest"}) {
      add(kind, "metadata.ownerReferences", "uid");
      add(kind, "metadata.finalizers", "");
    }
    add("Pod", "spec.volumes", "name");
    for (auto list : {"spec.initContainers", "spec.containers",
                      "spec.ephemeralContainers"}) {
      std::string base{list};
      add("Pod", base, "name");
      add("Pod", base + ".ports", "containerPort");
      add("Pod", base + ".env", "name");
      add("Pod", base + ".volumeMounts", "mountPath");
      add("Pod", base + ".volumeDevices", "devicePath");
    }
    add("Pod", "spec.imagePullSecrets", "name");
    add("Pod", "spec.hostAliases", "ip");
    add("Pod", "spec.topologySpreadConstraints", "topologyKey");
    add("Pod", "spec.resourceClaims", "name");
    add("Pod", "spec.schedulingGates", "name");
    add("Pod", "status.conditions", "type");
    add("Pod", "status.podIPs", "ip");
    add("Pod", "status.hostIPs", "ip");
    add("Node", "spec.podCIDRs", "");
    add("Node", "status.conditions", "type");
    add("Node", "status.addresses", "type");
    add("Namespace", "status.conditions", "type");
    return t;
  }();
  return table;
}

bool is_directive(std::string_view key) {
  return key.starts_with("$");
}

/// Go's %v rendering of a value decoded into interface{}.
std::string go_format(const json::value& v) {
  switch (v.kind()) {
    case json::value::type::null:
      return "<nil>";
    case json::value::type::boolean:
      return v.as_bool() ? "true" : "false";
    case json::value::type::integer:
    case json::value::type::number: {
      double d = v.as_double();
      char buf[64];
      if (std::fabs(d) < 1e21 && d == std::floor(d))
        std::snprintf(buf, sizeof(buf), "%.0f", d);
      else
        std::snprintf(buf, sizeof(buf), "%g", d);
      return buf;
    }
    case json::value::type::string:
      return v.as_string();
    case json::value::type::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first)
          out += ' ';
        first = false;
        out += go_format(e);
      }
      return out + "]";
    }
    case json::value::type::object: {
      std::vector<std::pair<std::string, const json::value*>> members;
      for (const auto& [k, e] : v.as_object())
        members.emplace_back(k, &e);
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : members) {
        if (!first)
          out += ' ';
        first = false;
        out += k + ":" + go_format(*e);
      }
      return out + "]";
    }
  }
  return {};
}

/// Removes directives (and null members) from a value that is inserted as
/// is because the original has nothing to merge it with.
json::value strip(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, e] : v.as_object())
      if (!is_directive(k) && !e.is_null())
        out.emplace_back(k, strip(e));
    return json::value{std::move(out)};
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.as_array())
      out.push_back(strip(e));
    return json::value{std::move(out)};
  }
  return v;
}

class smp {
public:
  explicit smp(std::string_view kind) : kind_(kind) {
  }

  int code = 0;
  std::string error;

  /// Merges `patch` into `orig`. Returns false if the element must be
  /// deleted ($patch: delete). Sets `error` on failure.
  bool merge_map(json::value& orig, const json::value& patch,
                 const std::string& path) {
    if (!orig.is_object())
      orig = json::value{json::object{}};
    if (const auto* directive = patch.find("$patch")) {
      auto what = directive->as_string();
      if (what == "delete")
        return false;
      if (what == "replace") {
        orig = strip(patch);
        return true;
      }
      if (what != "merge") {
        fail(400, "Unsupported strategic merge patch format");
        return true;
      }
    }
    for (const auto& [key, pv] : patch.as_object()) {
      if (!error.empty())
        return true;
      if (is_directive(key)) {
        if (key.starts_with("$deleteFromPrimitiveList/"))
          delete_from_primitive_list(orig, key.substr(25), pv);
        continue;
      }
      auto child = path.empty() ? key : path + "." + key;
      if (pv.is_null()) {
        orig.erase(key);
        continue;
      }
      auto* ov = orig.find(key);
      if (pv.is_object()) {
        json::value base = ov != nullptr && ov->is_object()
                             ? std::move(*ov)
                             : json::value{json::object{}};
        if (merge_map(base, pv, child))
          orig[key] = std::move(base);
        else
          orig.erase(key);
      } else if (pv.is_array()) {
        auto strategy = list_strategy_for(kind_, child);
        if (!strategy.merge) {
          orig[key] = strip(pv);
        } else if (strategy.key.empty()) {
          json::value base = ov != nullptr && ov->is_array()
                               ? std::move(*ov)
                               : json::value{json::array{}};
          for (const auto& e : pv.as_array())
            if (std::find(base.as_array().begin(), base.as_array().end(), e)
                == base.as_array().end())
              base.push_back(e);
          orig[key] = std::move(base);
        } else {
          json::value base = ov != nullptr && ov->is_array()
                               ? std::move(*ov)
                               : json::value{json::array{}};
          const auto* order = patch.find("$setElementOrder/" + key);
          merge_list(base, pv, strategy.key, child, order);
          orig[key] = std::move(base);
        }
      } else {
        orig[key] = pv;
      }
    }
    // Directives that apply after the merge.
    for (const auto& [key, pv] : patch.as_object()) {
      if (key.starts_with("$setElementOrder/")) {
        auto list = key.substr(17);
        auto child = path.empty() ? list : path + "." + list;
        auto strategy = list_strategy_for(kind_, child);
        if (auto* target = orig.find(list);
            target && target->is_array() && strategy.key.empty())
          reorder(*target, pv);
      } else if (key == "$retainKeys" && pv.is_array()) {
        json::object kept;
        for (auto& [k, e] : orig.as_object()) {
          bool keep = false;
          for (const auto& r : pv.as_array())
            keep = keep || (r.is_string() && r.as_string() == k);
          if (keep)
            kept.emplace_back(k, std::move(e));
        }
        orig.as_object() = std::move(kept);
      }
    }
    return true;
  }

private:
  void fail(int status, std::string msg) {
    if (error.empty()) {
      code = status;
      error = std::move(msg);
    }
  }

  void delete_from_primitive_list(json::value& orig, const std::string& list,
                                  const json::value& values) {
    auto* target = orig.find(list);
    if (target == nullptr || !target->is_array() || !values.is_array())
      return;
    auto& arr = target->as_array();
    arr.erase(std::remove_if(arr.begin(), arr.end(),
                             [&](const json::value& e) {
                               const auto& vs = values.as_array();
                               return std::find(vs.begin(), vs.end(), e)
                                      != vs.end();
                             }),
              arr.end());
  }

  static bool same_key(const json::value& a, const json::value& b,
                       const std::string& key) {
    const auto* x = a.find(key);
    const auto* y = b.find(key);
    return x && y && *x == *y;
  }

  /// Position of `item` in `order` by merge key; -1 if absent.
  static long index_in(const json::array& order, const json::value& item,
                       const std::string& key) {
    for (size_t i = 0; i < order.size(); ++i)
      if (same_key(order[i], item, key))
        return static_cast<long>(i);
    return -1;
  }

  /// Merges a list by merge key as the apimachinery strategic merge patch
  /// does, including its element ordering (normalizeElementOrder): patched
  /// items in patch (or $setElementOrder) order, interleaved with the
  /// server-only items by their original positions.
  void merge_list(json::value& orig, const json::value& patch,
                  const std::string& key, const std::string& path,
                  const json::value* order) {
    const auto& elements = patch.as_array();
    // A {"$patch": "replace"} element replaces the whole list.
    for (const auto& e : elements) {
      if (e.is_object() && e.get_string("$patch") == "replace") {
        json::array out;
        for (const auto& other : elements)
          if (!(other.is_object() && other.find("$patch")))
            out.push_back(strip(other));
        orig = json::value{std::move(out)};
        return;
      }
    }
    json::array original = std::move(orig.as_array());
    json::array server_order = original;
    json::array patch_items;
    json::array patch_keys;
    for (const auto& pe : elements) {
      if (!pe.is_object()) {
        fail(500, "map: " + go_format(pe)
                    + " does not contain declared merge key: " + key);
        return;
      }
      if (pe.get_string("$patch") == "delete") {
        original.erase(std::remove_if(original.begin(), original.end(),
                                      [&](const json::value& oe) {
                                        return same_key(oe, pe, key);
                                      }),
                       original.end());
        continue;
      }
      if (pe.find(key) == nullptr) {
        fail(500, "map: " + go_format(pe)
                    + " does not contain declared merge key: " + key);
        return;
      }
      auto match = std::find_if(original.begin(), original.end(),
                                [&](const json::value& oe) {
                                  return same_key(oe, pe, key);
                                });
      json::value merged{json::object{}};
      if (match != original.end()) {
        merged = std::move(*match);
        original.erase(match);
      }
      if (merge_map(merged, pe, path))
        patch_items.push_back(std::move(merged));
      patch_keys.push_back(pe);
      if (!error.empty())
        return;
    }
    // What remains in `original` exists only on the server.
    const auto& patch_order = order && order->is_array() ? order->as_array()
                                                         : patch_keys;
    std::stable_sort(patch_items.begin(), patch_items.end(),
                     [&](const json::value& a, const json::value& b) {
                       auto ia = index_in(patch_order, a, key);
                       auto ib = index_in(patch_order, b, key);
                       if (ia < 0 || ib < 0)
                         return ia >= 0 && ib < 0;
                       return ia < ib;
                     });
    json::array out;
    size_t i = 0;
    size_t j = 0;
    while (i < original.size() || j < patch_items.size()) {
      if (i >= original.size()) {
        out.push_back(std::move(patch_items[j++]));
      } else if (j >= patch_items.size()) {
        out.push_back(std::move(original[i++]));
      } else {
        auto li = index_in(server_order, original[i], key);
        auto ri = index_in(server_order, patch_items[j], key);
        if (li >= 0 && ri >= 0 && li < ri)
          out.push_back(std::move(original[i++]));
        else
          out.push_back(std::move(patch_items[j++]));
      }
    }
    orig = json::value{std::move(out)};
  }

  /// Orders a primitive list by a $setElementOrder list; values not in it
  /// keep their relative order at the end.
  static void reorder(json::value& list, const json::value& order) {
    if (!order.is_array())
      return;
    auto& arr = list.as_array();
    json::array sorted;
    std::vector<bool> taken(arr.size(), false);
    for (const auto& o : order.as_array())
      for (size_t i = 0; i < arr.size(); ++i)
        if (!taken[i] && arr[i] == o) {
          taken[i] = true;
          sorted.push_back(std::move(arr[i]));
          break;
        }
    for (size_t i = 0; i < arr.size(); ++i)
      if (!taken[i])
        sorted.push_back(std::move(arr[i]));
    arr = std::move(sorted);
  }

  std::string_view kind_;
};

} // namespace

list_strategy list_strategy_for(std::string_view kind, std::string_view path) {
  std::string key{kind};
  key += ':';
  key += path;
  const auto& t = strategies();
  auto i = t.find(key);
  return i == t.end() ? list_strategy{} : i->second;
}

smp_result apply_strategic_merge_patch(json::value original,
                                       const json::value& patch,
                                       std::string_view kind) {
  smp_result out;
  if (!patch.is_object()) {
    out.code = 400;
    out.error = "Unsupported strategic merge patch format";
    return out;
  }
  smp merger{kind};
  if (!merger.merge_map(original, patch, "")) {
    original = json::value{json::object{}};
  }
  if (!merger.error.empty()) {
    out.code = merger.code;
    out.error = std::move(merger.error);
    return out;
  }
  out.object = std::move(original);
  return out;
}

} // namespace cafelet::apiserver
