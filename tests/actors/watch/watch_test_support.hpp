#pragma once
// Shared pieces of the watch stream tests: pod JSON builders, a consumer
// actor that records what it receives, and a log capture.

#include "messages/api.hpp"
#include "messages/k8s/decode.hpp"
#include "messages/log.hpp"

#include <caf/event_based_actor.hpp>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cafelet::testing {

/// A small pod as the API server prints it.
inline std::string pod_json(std::string_view name, std::string_view rv,
                            std::string_view uid = {},
                            bool with_kind = true) {
  std::string out = "{";
  if (with_kind)
    out += R"("kind":"Pod","apiVersion":"v1",)";
  out += R"("metadata":{"name":")";
  out += name;
  out += R"(","namespace":"default","uid":")";
  out += uid.empty() ? "uid-" + std::string{name} : std::string{uid};
  out += R"(","resourceVersion":")";
  out += rv;
  out += R"("},"spec":{"nodeName":"edge-1","containers":[{"name":"app","image":"busybox"}]},)";
  out += R"("status":{"phase":"Pending"}})";
  return out;
}

/// A PodList page.
inline std::string list_json(std::string_view rv,
                             const std::vector<std::string>& items,
                             std::string_view cont = {}) {
  std::string out = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":")";
  out += rv;
  out += '"';
  if (!cont.empty()) {
    out += R"(,"continue":")";
    out += cont;
    out += '"';
  }
  out += R"(},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += items[i];
  }
  out += "]}";
  return out;
}

/// One watch event line (with its '\n').
inline std::string event_line(std::string_view type, const std::string& obj) {
  std::string out = R"({"type":")";
  out += type;
  out += R"(","object":)";
  out += obj;
  out += "}\n";
  return out;
}

/// A BOOKMARK line at `rv`.
inline std::string bookmark_line(std::string_view rv) {
  std::string obj = R"({"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":")";
  obj += rv;
  obj += R"("},"spec":{"containers":null},"status":{}})";
  return event_line("BOOKMARK", obj);
}

/// The Status of a 410 Expired.
inline std::string expired_status(std::string_view rv = "10") {
  std::string out = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: )";
  out += rv;
  out += R"j( (215)","reason":"Expired","code":410})j";
  return out;
}

/// What a consumer received, rendered "ADDED default/a 11" or
/// "SYNCED rv=10 items=2 +1 ~0 -0 gen=1".
struct recorded {
  mutable std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::string> lines;
  std::vector<k8s::pod_watch_event> events;
  std::vector<watch_synced> synced;

  std::vector<std::string> take() {
    std::lock_guard<std::mutex> guard{mtx};
    auto out = std::move(lines);
    lines.clear();
    return out;
  }

  /// Waits (real time) until `pred()` holds under the lock; false after
  /// `timeout` (a failure guard, not a synchronization device).
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout
                           = std::chrono::seconds{20}) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] { return pred(); });
  }

  /// True if some line equals `x` (call with the lock held).
  bool has(std::string_view x) const {
    for (auto& l : lines)
      if (l == x)
        return true;
    return false;
  }
};

inline std::string render(const k8s::pod_watch_event& ev) {
  std::string out{k8s::to_string(ev.type)};
  if (ev.object) {
    const auto& m = ev.object->metadata;
    if (ev.type != k8s::watch_event_type::bookmark) {
      out += ' ';
      out += m.namespace_;
      out += '/';
      out += m.name;
    }
    out += ' ';
    out += m.resource_version;
  }
  return out;
}

inline std::string render(const watch_synced& s) {
  return "SYNCED rv=" + s.resource_version + " items=" + std::to_string(s.items)
         + " +" + std::to_string(s.added) + " ~" + std::to_string(s.modified)
         + " -" + std::to_string(s.deleted)
         + " gen=" + std::to_string(s.generation);
}

/// A consumer that records everything into `rec`.
inline caf::behavior recorder(caf::event_based_actor*,
                              std::shared_ptr<recorded> rec) {
  return {
    [rec](const k8s::pod_watch_event& ev) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      rec->events.push_back(ev);
      rec->lines.push_back(render(ev));
      rec->cv.notify_all();
    },
    [rec](const watch_synced& s) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      rec->synced.push_back(s);
      rec->lines.push_back(render(s));
      rec->cv.notify_all();
    },
  };
}

/// Captures log lines while alive.
struct log_capture {
  std::shared_ptr<std::mutex> mtx = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines
    = std::make_shared<std::vector<std::string>>();

  int saved_verbosity = log::verbosity();

  /// Captures lines up to verbosity `v`.
  explicit log_capture(int v = 10) {
    log::set_verbosity(v);
    auto m = mtx;
    auto ls = lines;
    log::set_sink([m, ls](std::string_view line) {
      std::lock_guard<std::mutex> guard{*m};
      ls->emplace_back(line);
    });
  }

  ~log_capture() {
    log::set_sink(nullptr);
    log::set_verbosity(saved_verbosity);
  }

  /// Number of lines containing all of `words`.
  size_t count(std::initializer_list<std::string_view> words) const {
    std::lock_guard<std::mutex> guard{*mtx};
    size_t n = 0;
    for (auto& l : *lines) {
      bool all = true;
      for (auto w : words)
        all = all && l.find(w) != std::string::npos;
      n += all ? 1 : 0;
    }
    return n;
  }
};

/// The query parameters of a request path (values left encoded), in order.
inline std::vector<std::pair<std::string, std::string>>
query_of(std::string_view path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto q = path.find('?');
  if (q == std::string_view::npos)
    return out;
  auto rest = path.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto kv = rest.substr(0, amp);
    auto eq = kv.find('=');
    out.emplace_back(std::string{kv.substr(0, eq)},
                     eq == std::string_view::npos
                       ? std::string{}
                       : std::string{kv.substr(eq + 1)});
    if (amp == std::string_view::npos)
      break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

/// One query parameter ("" if absent).
inline std::string param(std::string_view path, std::string_view key) {
  for (auto& [k, v] : query_of(path))
    if (k == key)
      return v;
  return {};
}

/// True if the path has the query parameter `key`.
inline bool has_param(std::string_view path, std::string_view key) {
  for (auto& [k, v] : query_of(path))
    if (k == key)
      return true;
  return false;
}

} // namespace cafelet::testing
