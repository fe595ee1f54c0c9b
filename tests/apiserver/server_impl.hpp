#pragma once
/// @file
/// Internals of api_server shared by its source files (one per concern:
/// routing, reads, watches, writes, deletes, admission, extras).

#include "tests/apiserver/api.hpp"
#include "tests/apiserver/authz.hpp"
#include "tests/apiserver/request_info.hpp"
#include "tests/apiserver/resources.hpp"
#include "tests/apiserver/selectors.hpp"
#include "tests/apiserver/server.hpp"
#include "tests/apiserver/status.hpp"
#include "tests/apiserver/store.hpp"
#include "tests/apiserver/timer.hpp"

#include "messages/json/json.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cafelet::apiserver {

/// One request being served.
struct call {
  /// The request.
  request req;
  /// Where the answer goes.
  reply_ptr reply;
  /// Classification of the request.
  request_info info;
  /// The resource type (null for non-resource requests).
  const resource_def* def = nullptr;
  /// Render JSON indented (curl/wget user agents or ?pretty=true).
  bool pretty = false;
  /// The client accepts a meta.k8s.io Table (kubectl get).
  bool table = false;
};

/// One open watch stream.
struct watcher {
  /// Identifies the watcher.
  uint64_t id = 0;
  /// Watched resource.
  const resource_def* def = nullptr;
  /// Namespace filter (empty: all).
  std::string ns;
  /// Label filter.
  label_selector labels;
  /// Field filter.
  field_selector fields;
  /// True if BOOKMARK events are wanted.
  bool bookmarks = false;
  /// Request path (for cut_watches filters).
  std::string path;
  /// The response body stream.
  std::shared_ptr<stream_sink> sink;
  /// Waiting for a future resourceVersion `start_rv`.
  bool waiting = false;
  /// The resourceVersion the watch started from.
  uint64_t start_rv = 0;
  /// When the watch times out.
  timer_thread::clock::time_point deadline;
  /// Timer that ends the watch.
  timer_thread::timer_id timeout_timer = 0;
  /// Timer of the next bookmark.
  timer_thread::timer_id bookmark_timer = 0;
  /// Timer of the future-resourceVersion wait.
  timer_thread::timer_id wait_timer = 0;
  /// Chunks held back while the server hangs.
  std::vector<std::string> backlog;
};

/// A fault rule with its remaining budget.
struct active_failure {
  /// Identifies the rule for clear_failure.
  uint64_t id = 0;
  /// The rule; `times` counts down.
  failure_rule rule;
};

/// The state and request handlers of api_server.
class api_server::impl : public std::enable_shared_from_this<impl>,
                         public node_graph {
public:
  /// Creates the state and the initial namespaces.
  explicit impl(server_options opts);

  /// Stops the timers and closes open streams.
  ~impl() override;

  // -- entry points (thread-safe) ---------------------------------------------

  /// Applies fault rules, then serves `req` (see api_server::handle).
  void handle(request req, reply_ptr reply);

  /// Ends a hang: flushes watch backlogs, serves parked requests.
  void end_hang();

  // -- node_graph ---------------------------------------------------------------

  /// See node_graph::related.
  bool related(std::string_view node, std::string_view resource,
               std::string_view ns, std::string_view name) const override;

  // -- helpers used by the handler files (called with mtx_ held) ---------------

  /// Runs one request after faults were applied.
  void serve(call& c);

  /// Serves a resource request (authorized).
  void serve_resource(call& c);

  /// Serves discovery, /version and health endpoints.
  bool serve_non_resource(call& c);

  /// GET of one object.
  void serve_get(call& c);

  /// GET of a collection (list).
  void serve_list(call& c);

  /// GET with watch=true: starts a watch stream.
  void serve_watch(call& c);

  /// POST.
  void serve_create(call& c);

  /// PUT.
  void serve_update(call& c);

  /// PATCH (merge, strategic merge and JSON patch).
  void serve_patch(call& c);

  /// DELETE of one object.
  void serve_delete(call& c);

  /// DELETE of a collection.
  void serve_delete_collection(call& c);

  /// POST serviceaccounts/<name>/token.
  void serve_token_request(call& c);

  /// Sends an error.
  void fail(call& c, const api_error& e);

  /// Sends an object with status `code`.
  void send(call& c, int code, const json::value& body,
            std::vector<header> extra = {});

  /// Sends a Table for a get or list result.
  void send_table(call& c, const json::value& list_or_object);

  /// Writes an object (create/update/remove) and notifies watchers.
  const change_event& commit_create(const resource_def& def,
                                    const std::string& key, json::value obj);
  const change_event& commit_update(const resource_def& def,
                                    const std::string& key, json::value obj);
  const change_event& commit_remove(const resource_def& def,
                                    const std::string& key);

  /// Delivers `ev` to matching watchers and wakes waiters.
  void dispatch(const resource_def& def, const change_event& ev);

  /// Creates namespace `name` with its default service account and root CA
  /// configmap (what the controllers of a full cluster do).
  void create_namespace_objects(const std::string& name);

  /// Empties and removes terminating namespace `name` (namespace
  /// controller), if enabled.
  void finalize_namespace(const std::string& name);

  /// Parses a body as an object of `def` (Go syntax and type errors as the
  /// real server reports them for create/update). On failure sends the
  /// error and returns nullopt.
  std::optional<json::value> decode_body(call& c, const resource_def& def);

  /// Applies admission plugins to a create or update. Returns an error to
  /// send, if any. `old` is null for creates.
  std::optional<api_error> admit(call& c, const resource_def& def,
                                 json::value& obj, const json::value* old);

  /// Status-subresource and main-resource preparation before updates.
  void prepare_update(const resource_def& def, std::string_view subresource,
                      json::value& obj, const json::value& old);

  /// Shared tail of PUT and PATCH: preconditions, preparation, admission,
  /// validation, no-op detection, commit, answer.
  void finish_update(call& c, const std::string& key, json::value obj,
                     const object_ptr& old);

  /// Ends a watch: cancels its timers, removes it, closes the stream.
  void end_watch(uint64_t id, bool abrupt);

  /// Sends a BOOKMARK to `w` and schedules the next one.
  void send_bookmark(watcher& w, const std::string& annotation = {});

  /// Schedules `w`'s next bookmark.
  void schedule_bookmark(watcher& w);

  /// Writes `chunk` to `w` (or its backlog during a hang).
  void write_to(watcher& w, std::string chunk);

  /// Activates watchers and lists waiting for a resourceVersion now
  /// reached.
  void wake_waiters();

  /// The zero object of `def` carrying only `rv` (bookmark payload).
  json::value bookmark_object(const resource_def& def, uint64_t rv,
                              const std::string& annotation) const;

  /// True if `obj` passes `w`'s filters.
  bool watcher_matches(const watcher& w, const json::value& obj) const;

  // -- state (guarded by mtx_) ----------------------------------------------------

  /// Settings.
  server_options opts;
  /// Guards everything below.
  mutable std::mutex mtx;
  /// All objects and their history.
  object_store store;
  /// Open watches by id.
  std::map<uint64_t, std::shared_ptr<watcher>> watchers;
  /// Id of the next watcher.
  uint64_t next_watcher_id = 1;
  /// Extra authorization rules.
  std::vector<access_rule> grants;
  /// Active failure rules.
  std::vector<active_failure> failures;
  /// Active latency rules by id.
  std::map<uint64_t, latency_rule> latencies;
  /// Id of the next fault rule.
  uint64_t next_rule_id = 1;
  /// Requests parked during a hang.
  std::vector<std::pair<request, reply_ptr>> parked;
  /// True while the server does not answer.
  bool hanging = false;
  /// Timer ending a timed hang.
  timer_thread::timer_id hang_timer = 0;
  /// The transport's switch for accepting connections.
  std::function<void(bool)> listener_control;
  /// Lists waiting for a future resourceVersion: (rv, action).
  std::vector<std::pair<uint64_t, std::function<void()>>> rv_waiters;

  /// The timer thread; declared last so it stops first on destruction.
  std::unique_ptr<timer_thread> timer;
};

/// True if `text` matches `glob` ('*' matches any run of characters).
bool glob_match(std::string_view glob, std::string_view text);

/// Returns `obj` without kind/apiVersion (the shape of list items).
json::value as_list_item(const json::value& obj);

/// Renders `v` compactly or indented.
std::string render(const json::value& v, bool pretty);

} // namespace cafelet::apiserver
