#pragma once
/// @file
/// Restart and image-pull backoff as the upstream kubelet keeps it
/// (client-go `flowcontrol.Backoff` without jitter, used by `doBackOff` and
/// the image manager): per (pod uid, container or image) delays of 10 s
/// doubling to 300 s, reset once the event comes more than 2 x 300 s = 10
/// minutes after the last restart (the container ran that long), entries
/// dropped after 10 minutes without an update. Time comes from an
/// injectable steady clock (`[self] { return self->clock().now(); }` in an
/// actor). Plain classes, no actors.

#include "messages/k8s/pod.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace cafelet::actors::pods {

/// A steady point in time (CAF's `actor_clock::time_point`).
using steady_time = std::chrono::steady_clock::time_point;

/// Returns the current steady time.
using steady_clock_fn = std::function<steady_time()>;

/// Backoff delays are kept in milliseconds.
using backoff_duration = std::chrono::milliseconds;

/// Identifies one backoff entry.
struct backoff_key {
  /// Pod uid.
  std::string pod_uid;
  /// Container name (restarts) or image reference (pulls).
  std::string name;

  /// Ordering for the table.
  auto operator<=>(const backoff_key&) const = default;
};

/// Exponential per-key backoff (upstream `flowcontrol.Backoff`).
class backoff_table {
public:
  /// A table starting at `initial`, doubling up to `max`.
  backoff_table(backoff_duration initial, backoff_duration max,
                steady_clock_fn clock);

  /// The current delay of `k`, zero if it has none.
  backoff_duration delay(const backoff_key& k) const;

  /// Moves `k` to its next delay: `initial` if it has none or if `event`
  /// lies more than 2 x max after its last update, else twice the delay,
  /// capped at max. Records now as the last update.
  void next(const backoff_key& k, steady_time event);

  /// True while less than the delay of `k` has passed since `event`
  /// (upstream `IsInBackOffSince`); false for unknown or expired keys.
  bool in_backoff_since(const backoff_key& k, steady_time event) const;

  /// How long until `event` + delay, zero when not in backoff.
  backoff_duration remaining_since(const backoff_key& k,
                                   steady_time event) const;

  /// True while less than the delay of `k` has passed since its last
  /// update (upstream `IsInBackOffSinceUpdate(k, now)`).
  bool in_backoff_since_update(const backoff_key& k) const;

  /// How long until the last update + delay, zero when not in backoff.
  backoff_duration remaining_since_update(const backoff_key& k) const;

  /// Forgets `k`.
  void reset(const backoff_key& k);

  /// Forgets every entry of pod `uid`; returns how many.
  size_t forget_pod(std::string_view uid);

  /// Drops entries not updated for more than 2 x max; returns how many.
  size_t gc();

  /// Number of entries.
  size_t size() const noexcept {
    return entries_.size();
  }

  /// The table's current steady time.
  steady_time now() const {
    return clock_();
  }

  /// The initial delay.
  backoff_duration initial() const noexcept {
    return initial_;
  }

  /// The maximum delay.
  backoff_duration max() const noexcept {
    return max_;
  }

private:
  struct entry {
    backoff_duration delay;
    steady_time last_update;
  };

  bool expired(const entry& e, steady_time event) const;

  backoff_duration initial_;
  backoff_duration max_;
  steady_clock_fn clock_;
  std::map<backoff_key, entry> entries_;
};

/// Upstream defaults: 10 s doubling to 300 s.
inline constexpr backoff_duration default_initial_backoff{10'000};

/// See `default_initial_backoff`.
inline constexpr backoff_duration default_max_backoff{300'000};

/// CrashLoopBackOff bookkeeping for exited containers (upstream
/// `doBackOff`).
class crash_backoff {
public:
  /// What to do with an exited container.
  struct decision {
    /// True: restart now (the restart has been recorded).
    bool restart = false;
    /// When not restarting: time left until the restart is allowed.
    backoff_duration wait{0};
    /// The delay in force ("back-off 20s ..."); after a restart the one a
    /// crash now would wait.
    backoff_duration delay{0};
  };

  /// Upstream delays (10 s to 300 s) on `clock`.
  explicit crash_backoff(steady_clock_fn clock,
                         backoff_duration initial = default_initial_backoff,
                         backoff_duration max = default_max_backoff);

  /// Container `name` of pod `uid` exited at `exited_at` and is due to be
  /// restarted by its restart policy: either restart now (recorded) or wait.
  decision on_exit(const std::string& uid, const std::string& name,
                   steady_time exited_at);

  /// The underlying table (for reset, forget_pod, gc).
  backoff_table& table() noexcept {
    return table_;
  }

private:
  backoff_table table_;
};

/// ImagePullBackOff bookkeeping (upstream image manager): after a failed
/// pull of `image` for pod `uid`, further pulls wait out the delay.
class image_pull_backoff {
public:
  /// Upstream delays (10 s to 300 s) on `clock`.
  explicit image_pull_backoff(steady_clock_fn clock,
                              backoff_duration initial
                              = default_initial_backoff,
                              backoff_duration max = default_max_backoff);

  /// Zero if a pull may start now, else the time left.
  backoff_duration wait_before_pull(const std::string& uid,
                                    const std::string& image) const;

  /// Records a failed pull (the next delay starts now).
  void pull_failed(const std::string& uid, const std::string& image);

  /// Records a successful pull; drops stale entries as upstream does.
  void pull_succeeded();

  /// The underlying table (for reset, forget_pod, gc).
  backoff_table& table() noexcept {
    return table_;
  }

private:
  backoff_table table_;
};

/// Go's `time.Duration.String()` for `d`: "10s", "1m20s", "5m0s", "500ms".
std::string go_duration(backoff_duration d);

/// Upstream `format.Pod`: "name_namespace(uid)".
std::string format_pod(const k8s::pod& pod);

/// The CrashLoopBackOff waiting message: "back-off 20s restarting failed
/// container=app pod=web_default(uid)".
std::string crash_loop_message(backoff_duration delay,
                               std::string_view container,
                               const k8s::pod& pod);

/// The BackOff event message: "Back-off restarting failed container app in
/// pod web_default(uid)".
std::string crash_loop_event_message(std::string_view container,
                                     const k8s::pod& pod);

/// The ImagePullBackOff message: "Back-off pulling image \"img\"".
std::string image_pull_backoff_message(std::string_view image);

} // namespace cafelet::actors::pods
