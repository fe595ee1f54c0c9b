#include "actors/pods/crash_backoff.hpp"

#include <algorithm>

namespace cafelet::actors::pods {

namespace {

backoff_duration non_negative(steady_time::duration d) {
  auto ms = std::chrono::ceil<backoff_duration>(d);
  return ms.count() > 0 ? ms : backoff_duration{0};
}

} // namespace

// -- backoff_table ------------------------------------------------------------

backoff_table::backoff_table(backoff_duration initial, backoff_duration max,
                             steady_clock_fn clock)
  : initial_(std::max(initial, backoff_duration{0})),
    max_(std::max(max, initial_)),
    clock_(std::move(clock)) {
  if (!clock_)
    clock_ = [] { return std::chrono::steady_clock::now(); };
}

bool backoff_table::expired(const entry& e, steady_time event) const {
  return event - e.last_update > 2 * max_;
}

backoff_duration backoff_table::delay(const backoff_key& k) const {
  auto i = entries_.find(k);
  return i == entries_.end() ? backoff_duration{0} : i->second.delay;
}

void backoff_table::next(const backoff_key& k, steady_time event) {
  auto now = clock_();
  auto i = entries_.find(k);
  if (i == entries_.end() || expired(i->second, event)) {
    entries_.insert_or_assign(k, entry{initial_, now});
    return;
  }
  auto& e = i->second;
  e.delay = e.delay > max_ / 2 ? max_ : std::min(e.delay * 2, max_);
  e.last_update = now;
}

bool backoff_table::in_backoff_since(const backoff_key& k,
                                     steady_time event) const {
  return remaining_since(k, event).count() > 0;
}

backoff_duration backoff_table::remaining_since(const backoff_key& k,
                                                steady_time event) const {
  auto i = entries_.find(k);
  if (i == entries_.end() || expired(i->second, event))
    return backoff_duration{0};
  auto elapsed = clock_() - event;
  return non_negative(i->second.delay - elapsed);
}

bool backoff_table::in_backoff_since_update(const backoff_key& k) const {
  return remaining_since_update(k).count() > 0;
}

backoff_duration
backoff_table::remaining_since_update(const backoff_key& k) const {
  auto i = entries_.find(k);
  if (i == entries_.end())
    return backoff_duration{0};
  auto now = clock_();
  if (expired(i->second, now))
    return backoff_duration{0};
  return non_negative(i->second.delay - (now - i->second.last_update));
}

void backoff_table::reset(const backoff_key& k) {
  entries_.erase(k);
}

size_t backoff_table::forget_pod(std::string_view uid) {
  return std::erase_if(entries_,
                       [&](const auto& kv) { return kv.first.pod_uid == uid; });
}

size_t backoff_table::gc() {
  auto now = clock_();
  return std::erase_if(entries_, [&](const auto& kv) {
    return now - kv.second.last_update > 2 * max_;
  });
}

// -- crash_backoff ------------------------------------------------------------

crash_backoff::crash_backoff(steady_clock_fn clock, backoff_duration initial,
                             backoff_duration max)
  : table_(initial, max, std::move(clock)) {
}

crash_backoff::decision crash_backoff::on_exit(const std::string& uid,
                                               const std::string& name,
                                               steady_time exited_at) {
  backoff_key k{uid, name};
  decision d;
  if (auto wait = table_.remaining_since(k, exited_at); wait.count() > 0) {
    d.wait = wait;
    d.delay = table_.delay(k);
    return d;
  }
  table_.next(k, exited_at);
  d.restart = true;
  d.delay = table_.delay(k);
  return d;
}

// -- image_pull_backoff -------------------------------------------------------

image_pull_backoff::image_pull_backoff(steady_clock_fn clock,
                                       backoff_duration initial,
                                       backoff_duration max)
  : table_(initial, max, std::move(clock)) {
}

backoff_duration
image_pull_backoff::wait_before_pull(const std::string& uid,
                                     const std::string& image) const {
  return table_.remaining_since_update(backoff_key{uid, image});
}

void image_pull_backoff::pull_failed(const std::string& uid,
                                     const std::string& image) {
  // Upstream passes "now" as the event: the delay starts over once the
  // previous failure is more than 2 x max ago.
  table_.next(backoff_key{uid, image}, table_.now());
}

void image_pull_backoff::pull_succeeded() {
  table_.gc();
}

// -- messages -----------------------------------------------------------------

std::string go_duration(backoff_duration d) {
  auto ms = d.count();
  if (ms == 0)
    return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms < 1000)
    return out + std::to_string(ms) + "ms";
  auto h = ms / 3'600'000;
  auto m = ms / 60'000 % 60;
  auto s = ms / 1000 % 60;
  auto frac = ms % 1000;
  if (h > 0)
    out += std::to_string(h) + "h";
  if (h > 0 || m > 0)
    out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac > 0) {
    auto digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0')
      digits.pop_back();
    out += "." + digits;
  }
  out += "s";
  return out;
}

std::string format_pod(const k8s::pod& pod) {
  return pod.metadata.name + "_" + pod.metadata.namespace_ + "("
         + pod.metadata.uid + ")";
}

std::string crash_loop_message(backoff_duration delay,
                               std::string_view container,
                               const k8s::pod& pod) {
  std::string out = "back-off " + go_duration(delay);
  out += " restarting failed container=";
  out += container;
  out += " pod=" + format_pod(pod);
  return out;
}

std::string crash_loop_event_message(std::string_view container,
                                     const k8s::pod& pod) {
  std::string out = "Back-off restarting failed container ";
  out += container;
  out += " in pod " + format_pod(pod);
  return out;
}

std::string image_pull_backoff_message(std::string_view image) {
  std::string out = "Back-off pulling image \"";
  out += image;
  out += '"';
  return out;
}

} // namespace cafelet::actors::pods
