#include "net/probe/grpc_health.hpp"

#include "messages/errors.hpp"
#include "messages/text.hpp"
#include "messages/units/duration.hpp"

#include "cafelet_build_info.hpp"

#include "health.grpc.pb.h"

#include <grpc/support/time.h>
#include <grpcpp/alarm.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cafelet::net::probe {

namespace hv1 = ::grpc::health::v1;

namespace {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

/// Something the completion queue hands back.
struct tag {
  virtual void fire(bool ok) = 0;

protected:
  ~tag() = default;
};

/// Go's codes.Code.String().
std::string go_code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "Canceled";
    case grpc::StatusCode::UNKNOWN: return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT: return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND: return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS: return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED: return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FailedPrecondition";
    case grpc::StatusCode::ABORTED: return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE: return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED: return "Unimplemented";
    case grpc::StatusCode::INTERNAL: return "Internal";
    case grpc::StatusCode::UNAVAILABLE: return "Unavailable";
    case grpc::StatusCode::DATA_LOSS: return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED: return "Unauthenticated";
    default: break;
  }
  return "Code(" + std::to_string(static_cast<int>(code)) + ")";
}

probe_outcome make_outcome(probe_result r, std::string output) {
  if (output.size() > max_probe_output)
    output.resize(max_probe_output);
  return {r, std::move(output)};
}

/// Maps a finished Check call to upstream's result and output.
probe_outcome to_outcome(const grpc::Status& st,
                         const hv1::HealthCheckResponse& resp,
                         milliseconds timeout) {
  auto d = units::format_duration(timeout);
  if (!st.ok()) {
    switch (st.error_code()) {
      case grpc::StatusCode::UNIMPLEMENTED:
        return make_outcome(probe_result::failure,
                            "error: this server does not implement the grpc "
                            "health protocol (grpc.health.v1.Health): "
                              + st.error_message());
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return make_outcome(probe_result::failure,
                            "timeout: health rpc did not complete within "
                              + d);
      default:
        return make_outcome(probe_result::failure,
                            "error: health rpc probe failed: rpc error: code = "
                              + go_code_name(st.error_code())
                              + " desc = " + st.error_message());
    }
  }
  if (resp.status() != hv1::HealthCheckResponse::SERVING) {
    auto name = hv1::HealthCheckResponse::ServingStatus_Name(resp.status());
    if (name.empty()) // proto3 enums are open; Go prints the number
      name = std::to_string(static_cast<int>(resp.status()));
    return make_outcome(probe_result::failure,
                        "service unhealthy (responded with " + text::go_quote(name)
                          + ")");
  }
  return make_outcome(probe_result::success, "service healthy");
}

/// "kube-probe/1.32" from CAFELET_KUBE_VERSION ("v1.32.0").
std::string make_user_agent() {
  std::string_view v = CAFELET_KUBE_VERSION;
  if (!v.empty() && v.front() == 'v')
    v.remove_prefix(1);
  auto first = v.find('.');
  if (first != std::string_view::npos) {
    auto second = v.find('.', first + 1);
    v = v.substr(0, second);
  }
  return "kube-probe/" + std::string{v};
}

std::shared_ptr<grpc::Channel> make_channel(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(grpc_prober::user_agent());
  // Upstream dials with its own TCP dialer: no HTTP proxy, no DNS service
  // config, and a fresh connection rather than one shared with another
  // channel.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Retry a refused connection soon: a container that starts listening
  // within the probe's timeout passes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel("dns:///" + addr,
                                   grpc::InsecureChannelCredentials(), args);
}

gpr_timespec monotonic_now() {
  return gpr_now(GPR_CLOCK_MONOTONIC);
}

gpr_timespec monotonic_after(milliseconds d) {
  return gpr_time_add(monotonic_now(),
                      gpr_time_from_millis(std::max<int64_t>(d.count(), 0),
                                           GPR_TIMESPAN));
}

} // namespace

namespace detail {

/// One cached channel to a target.
struct channel_entry {
  std::string addr;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<hv1::Health::Stub> stub;
  /// Attempts holding this entry.
  size_t users = 0;
  steady::time_point last_used;
};

struct attempt;

/// Everything the prober's thread owns; outlives the prober until the last
/// attempt is done.
struct grpc_prober_state {
  grpc_prober_options opts;
  grpc::CompletionQueue cq;

  /// Number of callbacks that have not run yet.
  std::atomic<size_t> pending{0};
  /// Mirror of `cache.size()` for readers on other threads.
  std::atomic<size_t> cached{0};

  /// Guards `live` (added to by `check` on any thread).
  std::mutex mtx;
  std::unordered_set<attempt*> live;

  // -- prober thread only ---------------------------------------------------

  std::unordered_map<std::string, std::shared_ptr<channel_entry>> cache;
  bool closing = false;
  bool sweep_pending = false;
  bool cq_shut_down = false;

  struct sweep_tag final : tag {
    grpc_prober_state* self = nullptr;
    void fire(bool ok) override;
  } on_sweep;
  grpc::Alarm sweep_alarm;

  struct shutdown_tag final : tag {
    grpc_prober_state* self = nullptr;
    void fire(bool ok) override;
  } on_shutdown;
  grpc::Alarm shutdown_alarm;

  grpc_prober_state() {
    on_sweep.self = this;
    on_shutdown.self = this;
  }

  void run();
  std::shared_ptr<channel_entry> acquire(const std::string& addr);
  void release(std::shared_ptr<channel_entry>& entry);
  void evict(const std::shared_ptr<channel_entry>& entry);
  void arm_sweep();
  void sweep();
  void begin_shutdown();
  void maybe_finish();
  void remove(attempt* a);
};

/// One check, from `check` until its last completion-queue event.
struct attempt final : tag {
  enum class phase { starting, connecting, calling };

  grpc_prober_state* owner = nullptr;
  grpc_probe_request req;
  std::function<void(probe_outcome)> cb;
  std::string addr;
  gpr_timespec deadline{};
  phase ph = phase::starting;
  bool cancelled = false;
  bool done = false;
  std::shared_ptr<channel_entry> entry;
  grpc::Alarm start_alarm;
  grpc::ClientContext ctx;
  hv1::HealthCheckRequest request;
  hv1::HealthCheckResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<hv1::HealthCheckResponse>>
    rpc;

  void fire(bool ok) override {
    // Exactly one operation is outstanding at a time: this event ends it.
    if (done) { // cancelled while connecting; the watch has come back
      owner->remove(this);
      return;
    }
    switch (ph) {
      case phase::starting:
        if (cancelled || owner->closing) {
          finish({probe_result::unknown, "cancelled"});
          owner->remove(this);
          return;
        }
        entry = owner->acquire(addr);
        connect_step();
        return;
      case phase::connecting:
        if (!ok) { // deadline
          owner->evict(entry);
          finish(make_outcome(probe_result::failure,
                              "timeout: failed to connect service "
                                + text::go_quote(addr) + " within "
                                + units::format_duration(req.timeout)
                                + ": context deadline exceeded"));
          owner->remove(this);
          return;
        }
        connect_step();
        return;
      case phase::calling:
        if (cancelled) {
          finish({probe_result::unknown, "cancelled"});
        } else {
          // The connection may be dead without the channel knowing (no
          // keepalive): let the next attempt dial afresh, as upstream does.
          if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
              || status.error_code() == grpc::StatusCode::UNAVAILABLE)
            owner->evict(entry);
          finish(to_outcome(status, response, req.timeout));
        }
        owner->remove(this);
        return;
    }
  }

  /// Starts the call once the channel is ready, else waits for a change.
  void connect_step() {
    auto st = entry->channel->GetState(true);
    if (st == GRPC_CHANNEL_READY) {
      ph = phase::calling;
      ctx.set_deadline(deadline);
      request.set_service(req.service);
      rpc = entry->stub->PrepareAsyncCheck(&ctx, request, &owner->cq);
      rpc->StartCall();
      rpc->Finish(&response, &status, this);
      return;
    }
    ph = phase::connecting;
    entry->channel->NotifyOnStateChange(st, deadline, &owner->cq, this);
  }

  /// Cancels this attempt (prober thread, during shutdown).
  void cancel() {
    cancelled = true;
    switch (ph) {
      case phase::starting:
        return; // the start event reports it
      case phase::connecting:
        // Report now; dropping our channel reference lets the channel shut
        // down, which ends the watch early.
        finish({probe_result::unknown, "cancelled"});
        return;
      case phase::calling:
        ctx.TryCancel();
        return;
    }
  }

  /// Runs the callback (once) and gives back the channel.
  void finish(probe_outcome outcome) {
    if (done)
      return;
    done = true;
    if (entry)
      owner->release(entry);
    owner->pending.fetch_sub(1);
    auto f = std::move(cb);
    if (f) {
      try {
        f(std::move(outcome));
      } catch (...) {
        // A callback must not take the prober's thread down.
      }
    }
  }
};

void grpc_prober_state::run() {
  void* t = nullptr;
  bool ok = false;
  while (cq.Next(&t, &ok))
    static_cast<tag*>(t)->fire(ok);
}

std::shared_ptr<channel_entry>
grpc_prober_state::acquire(const std::string& addr) {
  auto i = cache.find(addr);
  if (i != cache.end() && i->second->users == 0
      && i->second->channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
    // Waiting out a reconnect backoff would fail probes that a fresh dial
    // (upstream dials per probe) passes.
    cache.erase(i);
    i = cache.end();
  }
  if (i == cache.end()) {
    auto e = std::make_shared<channel_entry>();
    e->addr = addr;
    e->channel = make_channel(addr);
    e->stub = hv1::Health::NewStub(e->channel);
    i = cache.emplace(addr, std::move(e)).first;
    cached.store(cache.size());
  }
  auto& e = i->second;
  ++e->users;
  e->last_used = steady::now();
  return e;
}

void grpc_prober_state::release(std::shared_ptr<channel_entry>& entry) {
  if (--entry->users == 0) {
    entry->last_used = steady::now();
    if (opts.channel_idle_ttl.count() <= 0)
      evict(entry);
  }
  entry.reset();
}

void grpc_prober_state::evict(const std::shared_ptr<channel_entry>& entry) {
  auto i = cache.find(entry->addr);
  if (i != cache.end() && i->second == entry) {
    cache.erase(i);
    cached.store(cache.size());
  }
}

void grpc_prober_state::arm_sweep() {
  if (opts.channel_idle_ttl.count() <= 0)
    return;
  auto period = std::clamp<milliseconds>(opts.channel_idle_ttl / 2,
                                         milliseconds{100},
                                         std::chrono::seconds{30});
  sweep_pending = true;
  sweep_alarm.Set(&cq, monotonic_after(period), &on_sweep);
}

void grpc_prober_state::sweep() {
  auto now = steady::now();
  for (auto i = cache.begin(); i != cache.end();) {
    auto& e = *i->second;
    if (e.users == 0 && now - e.last_used >= opts.channel_idle_ttl)
      i = cache.erase(i);
    else
      ++i;
  }
  cached.store(cache.size());
}

void grpc_prober_state::sweep_tag::fire(bool ok) {
  self->sweep_pending = false;
  if (ok && !self->closing) {
    self->sweep();
    self->arm_sweep();
  }
  self->maybe_finish();
}

void grpc_prober_state::shutdown_tag::fire(bool) {
  self->begin_shutdown();
}

void grpc_prober_state::begin_shutdown() {
  closing = true;
  std::vector<attempt*> xs;
  {
    std::lock_guard<std::mutex> guard{mtx};
    xs.assign(live.begin(), live.end());
  }
  for (auto* a : xs)
    a->cancel();
  cache.clear();
  cached.store(0);
  if (sweep_pending)
    sweep_alarm.Cancel();
  maybe_finish();
}

void grpc_prober_state::remove(attempt* a) {
  {
    std::lock_guard<std::mutex> guard{mtx};
    live.erase(a);
  }
  delete a;
  maybe_finish();
}

void grpc_prober_state::maybe_finish() {
  if (!closing || sweep_pending || cq_shut_down)
    return;
  {
    std::lock_guard<std::mutex> guard{mtx};
    if (!live.empty())
      return;
  }
  cq_shut_down = true;
  cq.Shutdown(); // Next returns false once drained; the thread ends
}

} // namespace detail

// -- grpc_prober --------------------------------------------------------------

caf::expected<std::unique_ptr<grpc_prober>>
grpc_prober::make(grpc_prober_options opts) {
  auto st = std::make_shared<detail::grpc_prober_state>();
  st->opts = opts;
  st->arm_sweep();
  try {
    std::thread{[st] {
      pthread_setname_np(pthread_self(), "grpc-probe");
      st->run();
    }}.detach();
  } catch (const std::exception& e) {
    // Nothing runs the queue: end the sweep alarm and drain by hand.
    st->closing = true;
    if (st->sweep_pending)
      st->sweep_alarm.Cancel();
    st->cq.Shutdown();
    void* t = nullptr;
    bool ok = false;
    while (st->cq.Next(&t, &ok)) {
    }
    return make_error(errc::internal,
                      std::string{"cannot start the grpc-probe thread: "}
                        + e.what());
  }
  return std::unique_ptr<grpc_prober>{new grpc_prober(std::move(st))};
}

grpc_prober::grpc_prober(std::shared_ptr<detail::grpc_prober_state> state)
  : state_(std::move(state)) {
}

grpc_prober::~grpc_prober() {
  // The thread cancels what is in flight and ends once it drained.
  state_->shutdown_alarm.Set(&state_->cq, monotonic_now(),
                             &state_->on_shutdown);
}

void grpc_prober::check(grpc_probe_request req,
                        std::function<void(probe_outcome)> cb) {
  auto* a = new detail::attempt;
  a->owner = state_.get();
  a->addr = text::join_host_port(req.host, req.port);
  a->deadline = monotonic_after(req.timeout);
  a->req = std::move(req);
  a->cb = std::move(cb);
  state_->pending.fetch_add(1);
  {
    std::lock_guard<std::mutex> guard{state_->mtx};
    state_->live.insert(a);
  }
  // Everything else happens on the prober's thread.
  a->start_alarm.Set(&state_->cq, monotonic_now(), a);
}

size_t grpc_prober::in_flight() const noexcept {
  return state_->pending.load();
}

size_t grpc_prober::cached_channels() const noexcept {
  return state_->cached.load();
}

std::string grpc_prober::user_agent() {
  static const std::string ua = make_user_agent();
  return ua;
}

} // namespace cafelet::net::probe
