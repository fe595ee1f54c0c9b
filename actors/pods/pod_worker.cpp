#include "actors/pods/pod_worker.hpp"

#include "messages/api.hpp"
#include "messages/atoms.hpp"
#include "messages/errors.hpp"
#include "messages/log.hpp"
#include "messages/units/duration.hpp"
#include "actors/volumes/projection.hpp"

#include <caf/send.hpp>

#include <mutex>

namespace cafelet::actors {

const char* pod_worker_state::name = "pod";

namespace {

using self_ptr = caf::stateful_actor<pod_worker_state>*;
using namespace std::chrono;

void fire(self_ptr self, pod_event ev);
void start_container(self_ptr self, bool init, size_t index);
void pull(self_ptr self, bool init, size_t index, const k8s::container& c);
void run_sandbox(self_ptr self);
bool volumes_ready(self_ptr self);
void settle_gone(self_ptr self);
void sandbox_lost(self_ptr self);
void discard_sandbox(std::shared_ptr<pods::pod_runtime> rt, std::vector<std::string> ids,
                     std::string sandbox, int64_t grace, pods::runtime_done done);
void create_and_start(self_ptr self, bool init, size_t index,
                      const pods::ready_image& image);

k8s::timestamp now(self_ptr self) {
  return self->state.cfg.clock ? self->state.cfg.clock() : k8s::now();
}

log::field pod_kv(self_ptr self) {
  const auto& m = self->state.pod->metadata;
  return log::pod_field(m.namespace_, m.name);
}

void after(self_ptr self, milliseconds d, std::function<void()> fn) {
  auto& st = self->state;
  auto gen = ++st.timer_gen;
  st.timers.emplace(gen, std::move(fn));
  self->delayed_send(self, d, tick_atom::value, gen);
}

void event(self_ptr self, const char* type, std::string reason,
           std::string message, const std::string& field_path = {}) {
  auto& st = self->state;
  if (!st.cfg.events)
    return;
  record_event ev;
  const auto& m = st.pod->metadata;
  ev.involved.kind = "Pod";
  ev.involved.api_version = "v1";
  ev.involved.namespace_ = m.namespace_;
  ev.involved.name = m.name;
  ev.involved.uid = m.uid;
  ev.involved.field_path = field_path;
  ev.type = type;
  ev.reason = std::move(reason);
  ev.message = std::move(message);
  caf::anon_send(st.cfg.events, std::move(ev));
}

std::string field_path(const container_slot& slot, size_t) {
  return std::string{slot.init ? "spec.initContainers{" : "spec.containers{"}
         + slot.obs.name + "}";
}

const k8s::container* spec_of(self_ptr self, const container_slot& slot) {
  const auto& spec = self->state.pod->spec;
  const auto& xs = slot.init ? spec.init_containers : spec.containers;
  for (const auto& c : xs)
    if (c.name == slot.obs.name)
      return &c;
  return nullptr;
}

container_slot& slot_at(self_ptr self, bool init, size_t index) {
  auto& st = self->state;
  return init ? st.init_containers[index] : st.containers[index];
}

/// "spec.containers[2]" / "spec.initContainers[0]" of the slot's spec.
std::string spec_field(self_ptr self, const container_slot& slot) {
  const auto& spec = self->state.pod->spec;
  const auto& xs = slot.init ? spec.init_containers : spec.containers;
  for (size_t i = 0; i < xs.size(); ++i)
    if (xs[i].name == slot.obs.name)
      return std::string{slot.init ? "spec.initContainers[" : "spec.containers["}
             + std::to_string(i) + "]";
  return "spec";
}

/// Stops the probe actors of a container instance.
void stop_probes(container_slot& slot) {
  for (auto& p : slot.probes)
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  slot.probes.clear();
}

void stop_all_probes(self_ptr self) {
  for (auto* xs : {&self->state.init_containers, &self->state.containers})
    for (auto& slot : *xs)
      stop_probes(slot);
}

/// The pod IP probes go to (the node's for host-network pods).
std::string probe_ip(self_ptr self) {
  const auto& st = self->state;
  if (st.pod->spec.host_network)
    return st.cfg.host_ips.empty() ? std::string{"127.0.0.1"} : st.cfg.host_ips.front();
  if (st.sandbox && !st.sandbox->ips.empty())
    return st.sandbox->ips.front();
  return {};
}

/// Spawns the probe actors of `kinds` for the slot's running container.
void spawn_probes(self_ptr self, container_slot& slot, bool startup_only) {
  auto& st = self->state;
  const auto* spec = spec_of(self, slot);
  if (slot.init || spec == nullptr || !st.cfg.probes || slot.id.empty())
    return;
  auto plans = probes::plan_probes(*spec, spec_field(self, slot));
  if (!plans)
    return; // refused before the container was created
  bool has_startup = false;
  for (const auto& plan : *plans)
    has_startup = has_startup || plan.kind == probe_kind::startup;
  for (auto& plan : *plans) {
    bool is_startup = plan.kind == probe_kind::startup;
    if (startup_only ? !is_startup : is_startup)
      continue;
    probe_actor_config cfg;
    cfg.executor = st.cfg.probes;
    cfg.parent = caf::actor_cast<caf::actor>(self);
    cfg.events = st.cfg.events;
    cfg.stats = st.cfg.probe_metrics;
    cfg.pod = st.pod;
    cfg.container = slot.obs.name;
    cfg.field_path = "spec.containers{" + slot.obs.name + "}";
    cfg.container_id = slot.id;
    cfg.pod_ip = probe_ip(self);
    cfg.plan = std::move(plan);
    cfg.seed = st.cfg.seed ^ std::hash<std::string>{}(slot.id + probes::label_of(cfg.plan.kind));
    slot.probes.push_back(self->spawn(probe_actor, std::move(cfg)));
  }
  (void) has_startup;
}

/// Starts probing a container that runs: its startup probe first, if any.
void start_probes(self_ptr self, container_slot& slot) {
  const auto* spec = spec_of(self, slot);
  if (spec == nullptr)
    return;
  spawn_probes(self, slot, spec->startup_probe.has_value());
}

/// Computes the status and sends it to the status manager if it changed.
void publish(self_ptr self, bool final = false) {
  auto& st = self->state;
  pods::observed_pod obs;
  obs.sandbox_ready = st.sandbox.has_value() && is_live(st.machine);
  if (st.pod->spec.host_network)
    obs.pod_ips = st.cfg.host_ips;
  else if (st.sandbox)
    obs.pod_ips = st.sandbox->ips;
  obs.host_ips = st.cfg.host_ips;
  for (const auto& s : st.init_containers)
    obs.init_containers.push_back(s.obs);
  for (const auto& s : st.containers)
    obs.containers.push_back(s.obs);
  obs.terminal = st.machine == pod_state::completed
                 || st.machine == pod_state::terminated;
  auto next = pods::compute_status(*st.pod, obs, st.last_status, now(self));
  if (st.deadline_exceeded) {
    next.phase = "Failed";
    next.reason = "DeadlineExceeded";
    next.message = "Pod was active on the node longer than the specified deadline";
  }
  if (!final && !pods::status_changed(st.last_status, next))
    return;
  st.last_status = next;
  if (st.cfg.status_manager)
    caf::anon_send(st.cfg.status_manager,
                   pod_status_update{st.pod,
                                     std::make_shared<const k8s::pod_status>(
                                       std::move(next)),
                                     final});
}

void set_waiting(container_slot& slot, std::string reason, std::string message = {}) {
  slot.obs.state = k8s::container_state_waiting{std::move(reason), std::move(message)};
}

/// Grace period for stopping: deletionGracePeriodSeconds, else the spec's
/// terminationGracePeriodSeconds, else the API default of 30 s.
int64_t grace_seconds(const k8s::pod& pod) {
  if (pod.metadata.deletion_grace_period_seconds)
    return *pod.metadata.deletion_grace_period_seconds;
  return pod.spec.termination_grace_period_seconds.value_or(30);
}

bool restarts(const std::string& policy, int32_t exit_code) {
  if (policy == "Never")
    return false;
  if (policy == "OnFailure")
    return exit_code != 0;
  return true;
}

/// Restarts an exited container, or waits in CrashLoopBackOff first (as
/// upstream's doBackOff: the first exit restarts at once and starts the
/// backoff; an exit within the backoff waits for its rest, then asks again).
void schedule_restart(self_ptr self, bool init, size_t index,
                      pods::steady_time exited_at) {
  auto& st = self->state;
  auto& slot = slot_at(self, init, index);
  auto d = st.backoff->on_exit(st.uid, slot.obs.name, exited_at);
  if (d.restart) {
    if (auto* t = std::get_if<k8s::container_state_terminated>(&slot.obs.state))
      slot.obs.last_termination = *t;
    ++slot.obs.restart_count;
    // Keep one dead container per name; remove the one before it.
    if (!slot.dead_id.empty()) {
      auto rt = st.cfg.runtime;
      auto old = slot.dead_id;
      st.ops->run<caf::error>(
        [rt, old](auto cb) { rt->remove_container(old, std::move(cb)); },
        [self, old](caf::error& err) {
          if (err)
            log::info(2, "could not remove a dead container",
                      {pod_kv(self), log::kv("id", old), log::kv("err", describe(err))});
        });
    }
    slot.dead_id = slot.id;
    slot.id.clear();
    start_container(self, init, index);
    return;
  }
  bool entering = true;
  if (auto* w = std::get_if<k8s::container_state_waiting>(&slot.obs.state))
    entering = w->reason != "CrashLoopBackOff";
  // While backing off, lastState shows the exit just seen (as upstream).
  if (auto* t = std::get_if<k8s::container_state_terminated>(&slot.obs.state))
    slot.obs.last_termination = *t;
  set_waiting(slot, "CrashLoopBackOff",
              pods::crash_loop_message(d.delay, slot.obs.name, *st.pod));
  if (entering)
    event(self, "Warning", "BackOff",
          pods::crash_loop_event_message(slot.obs.name, *st.pod),
          field_path(slot, index));
  publish(self);
  after(self, d.wait, [self, init, index, exited_at] {
    if (is_live(self->state.machine))
      schedule_restart(self, init, index, exited_at);
  });
}

/// A step of the create/start pipeline failed: report and retry later.
/// Image pulls back off 10 s doubling to 5 min (ImagePullBackOff between
/// tries, as upstream); other failures retry with the pod sync backoff.
void container_failed(self_ptr self, bool init, size_t index, std::string reason,
                      const caf::error& err) {
  auto& slot = slot_at(self, init, index);
  slot.busy = false;
  auto msg = context_of(err).empty() ? describe(err) : context_of(err);
  set_waiting(slot, reason, msg);
  // As upstream: the image manager's own event, then the generic Failed.
  if (reason == "ErrImageNeverPull")
    event(self, "Warning", "ErrImageNeverPull", msg, field_path(slot, 0));
  if (reason == "ErrImagePull")
    event(self, "Warning", "Failed",
          "Failed to pull image \""
            + (spec_of(self, slot) ? spec_of(self, slot)->image : std::string{})
            + "\": " + msg,
          field_path(slot, 0));
  bool image_error = reason == "ErrImagePull" || reason == "ErrImageNeverPull";
  event(self, "Warning", "Failed", "Error: " + (image_error ? reason : msg),
        field_path(slot, 0));
  log::warning("container start failed",
               {pod_kv(self), log::kv("podUID", self->state.uid),
                log::kv("container", slot.obs.name), log::kv("reason", reason),
                log::kv("err", describe(err))});
  publish(self);
  auto delay = milliseconds{10000};
  if (reason == "ErrImagePull") {
    slot.pull_delay = slot.pull_delay.count() == 0
                        ? milliseconds{10000}
                        : std::min(slot.pull_delay * 2, milliseconds{300000});
    delay = slot.pull_delay;
    auto image = spec_of(self, slot) ? spec_of(self, slot)->image : std::string{};
    // The next sync finds the pull in backoff.
    after(self, milliseconds{1000}, [self, init, index, image] {
      if (!is_live(self->state.machine))
        return;
      auto& slot = slot_at(self, init, index);
      if (slot.busy)
        return;
      set_waiting(slot, "ImagePullBackOff", pods::image_pull_backoff_message(image));
      event(self, "Normal", "BackOff", pods::image_pull_backoff_message(image),
            field_path(slot, 0));
      publish(self);
    });
  }
  after(self, delay, [self, init, index] {
    if (is_live(self->state.machine))
      start_container(self, init, index);
  });
}

void start_container(self_ptr self, bool init, size_t index) {
  auto& st = self->state;
  auto& slot = slot_at(self, init, index);
  const auto* spec = spec_of(self, slot);
  if (spec == nullptr || slot.busy || !is_live(st.machine) || st.sandbox_gone)
    return;
  // Adopted after a restart: running, or exited and left to the policy.
  if (!slot.id.empty()
      && (std::holds_alternative<pods::observed_running>(slot.obs.state)
          || std::holds_alternative<k8s::container_state_terminated>(slot.obs.state)))
    return;
  // Volumes first (as upstream's WaitForAttachAndMount): the container
  // waits in ContainerCreating / PodInitializing until they are set up.
  if (!volumes_ready(self)) {
    if (!std::holds_alternative<k8s::container_state_waiting>(slot.obs.state))
      set_waiting(slot, init ? "PodInitializing" : "ContainerCreating");
    publish(self);
    return;
  }
  slot.busy = true;
  // A container retried after an image pull failure keeps showing that
  // reason until the pull succeeds (as upstream).
  auto* waiting = std::get_if<k8s::container_state_waiting>(&slot.obs.state);
  if (waiting == nullptr
      || (waiting->reason != "ImagePullBackOff" && waiting->reason != "ErrImagePull"
          && waiting->reason != "ErrImageNeverPull"))
    set_waiting(slot, init ? "PodInitializing" : "ContainerCreating");
  publish(self);
  if (!init) {
    if (auto plans = probes::plan_probes(*spec, spec_field(self, slot)); !plans) {
      container_failed(self, init, index, "CreateContainerConfigError",
                       make_error(errc::invalid, context_of(plans.error())));
      return;
    }
  }
  auto c = *spec;
  auto rt = st.cfg.runtime;
  st.ops->run<caf::expected<std::optional<pods::ready_image>>>(
    [rt, c](auto cb) { rt->image_status(c, std::move(cb)); },
    [self, init, index, c](caf::expected<std::optional<pods::ready_image>>& present) {
      if (!present) {
        container_failed(self, init, index, "ErrImagePull", present.error());
        return;
      }
      auto policy = pods::effective_pull_policy(c);
      if (*present && policy != "Always") {
        auto& slot = slot_at(self, init, index);
        event(self, "Normal", "Pulled",
              "Container image \"" + c.image + "\" already present on machine",
              field_path(slot, index));
        create_and_start(self, init, index, **present);
        return;
      }
      if (policy == "Never") {
        container_failed(self, init, index, "ErrImageNeverPull",
                         make_error(errc::not_found,
                                    "Container image \"" + c.image
                                      + "\" is not present with pull policy of Never"));
        return;
      }
      pull(self, init, index, c);
    });
}

void pull(self_ptr self, bool init, size_t index, const k8s::container& c) {
  auto& st = self->state;
  event(self, "Normal", "Pulling", "Pulling image \"" + c.image + "\"",
        field_path(slot_at(self, init, index), index));
  auto pod = st.pod;
  auto rt = st.cfg.runtime;
  auto t0 = self->clock().now();
  st.ops->run<caf::expected<pods::ready_image>>(
    [rt, pod, c](auto cb) { rt->pull_image(*pod, c, std::move(cb)); },
    [self, init, index, c, t0](caf::expected<pods::ready_image>& image) {
      if (!image) {
        container_failed(self, init, index, "ErrImagePull", image.error());
        return;
      }
      // As upstream: the pull time truncated to milliseconds; pulls are not
      // serialised here, so the waiting time is the same.
      auto took = units::format_duration(
        duration_cast<milliseconds>(self->clock().now() - t0));
      event(self, "Normal", "Pulled",
            "Successfully pulled image \"" + c.image + "\" in " + took + " (" + took
              + " including waiting). Image size: "
              + std::to_string(image->size_bytes) + " bytes.",
            field_path(slot_at(self, init, index), index));
      create_and_start(self, init, index, *image);
    });
}

/// The volumes and objects a container of this pod is created with.
pods::container_context container_context_of(self_ptr self) {
  auto& st = self->state;
  pods::container_context ctx;
  ctx.volumes = st.mounted_volumes;
  ctx.config_maps = st.volume_inputs.config_maps;
  ctx.secrets = st.volume_inputs.secrets;
  if (st.cfg.io && st.volumes == volume_phase::ready)
    ctx.etc_hosts = volumes::etc_hosts_path(st.cfg.root_dir, st.uid);
  return ctx;
}

/// The image is there: create and start the container.
void create_and_start(self_ptr self, bool init, size_t index,
                      const pods::ready_image& image) {
  auto& st = self->state;
  auto& slot = slot_at(self, init, index);
  const auto* spec = spec_of(self, slot);
  if (spec == nullptr || !is_live(st.machine) || !st.sandbox) {
    slot.busy = false;
    return;
  }
  slot.pull_delay = milliseconds{0};
  slot.obs.image = spec->image;
  slot.obs.image_id = image.ref;
  auto pod = st.pod;
  auto c = *spec;
  auto rt = st.cfg.runtime;
  auto sandbox = *st.sandbox;
  auto restarts = static_cast<uint32_t>(slot.obs.restart_count);
  auto ctx = container_context_of(self);
  st.ops->run<caf::expected<pods::created_container>>(
    [rt, pod, c, sandbox, restarts, ctx](auto cb) {
      rt->create_container(*pod, c, sandbox, restarts, ctx, std::move(cb));
    },
    [self, init, index, rt](caf::expected<pods::created_container>& made) {
      if (!made) {
        container_failed(self, init, index,
                         is(made.error(), errc::invalid) ? "CreateContainerConfigError"
                                                         : "CreateContainerError",
                         made.error());
        return;
      }
      auto& st = self->state;
      auto& slot = slot_at(self, init, index);
      slot.id = made->id;
      slot.obs.container_id = st.cfg.runtime_name + "://" + made->id;
      if (!made->image_ref.empty())
        slot.obs.image_id = made->image_ref;
      event(self, "Normal", "Created", "Created container " + slot.obs.name,
            field_path(slot, index));
      auto id = made->id;
      st.ops->run<caf::error>(
        [rt, id](auto cb) { rt->start_container(id, std::move(cb)); },
        [self, init, index](caf::error& err) {
          if (err) {
            container_failed(self, init, index, "RunContainerError", err);
            return;
          }
          auto& slot = slot_at(self, init, index);
          slot.busy = false;
          pods::observed_running r;
          r.started_at = now(self);
          if (init) {
            r.started = true;
            r.ready = false;
          } // app containers: no probe result yet (ready/started per spec)
          slot.obs.state = r;
          event(self, "Normal", "Started", "Started container " + slot.obs.name,
                field_path(slot, index));
          start_probes(self, slot);
          publish(self);
        });
    });
}

/// Remembers the manager incarnation that answered a subscription and
/// monitors it: when it dies, its subscriptions are gone too.
void track_manager(self_ptr self, caf::actor& slot, const caf::actor& who) {
  if (!who || slot == who)
    return;
  slot = who;
  self->monitor(who);
}

/// Subscribes to an object (through the manager's relay).
void subscribe_object(self_ptr self, const object_key& key) {
  auto& st = self->state;
  self->request(st.cfg.objects, caf::infinite, subscribe_atom::value, key,
                caf::actor_cast<caf::actor>(self))
    .then([self](const caf::actor& who) { track_manager(self, self->state.objects_incarnation, who); },
          [](const caf::error&) {});
}

void subscribe_token(self_ptr self, const token_key& key) {
  auto& st = self->state;
  self->request(st.cfg.tokens, caf::infinite, subscribe_atom::value, key,
                caf::actor_cast<caf::actor>(self))
    .then([self](const caf::actor& who) { track_manager(self, self->state.tokens_incarnation, who); },
          [](const caf::error&) {});
}

/// Subscribes to what the pod's volumes and environment refer to.
void subscribe_inputs(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.io)
    return;
  const auto& pod = *st.pod;
  auto refs = volumes::references_of(pod);
  for (auto [kind, names] : {std::pair{object_kind::config_map, &refs.config_maps},
                             std::pair{object_kind::secret, &refs.secrets}})
    for (const auto& name : *names) {
      object_key key{kind, pod.metadata.namespace_, name};
      if (!st.cfg.objects)
        continue; // no manager: missing
      st.awaiting_objects.insert(key);
      st.object_keys.push_back(key);
      subscribe_object(self, key);
    }
  for (const auto& v : pod.spec.volumes) {
    if (!v.projected)
      continue;
    for (size_t i = 0; i < v.projected->sources.size(); ++i) {
      const auto& src = v.projected->sources[i].service_account_token;
      if (!src)
        continue;
      token_key key;
      key.namespace_ = pod.metadata.namespace_;
      key.service_account = pod.spec.service_account_name.empty()
                              ? std::string{"default"}
                              : pod.spec.service_account_name;
      key.pod_name = pod.metadata.name;
      key.pod_uid = pod.metadata.uid;
      key.audience = src->audience;
      key.expiration_seconds = src->expiration_seconds.value_or(3607);
      st.token_slots[key].emplace_back(v.name, i);
      if (st.cfg.tokens && st.awaiting_tokens.insert(key).second)
        subscribe_token(self, key);
    }
  }
}

/// A manager incarnation died: subscribe again to its successor (the
/// supervisor restarts it; the relay finds the new one).
void on_manager_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  bool objects = st.objects_incarnation && dm.source == st.objects_incarnation.address();
  bool tokens = st.tokens_incarnation && dm.source == st.tokens_incarnation.address();
  if (!objects && !tokens)
    return;
  (objects ? st.objects_incarnation : st.tokens_incarnation) = nullptr;
  log::info(1, "a manager the pod subscribed to restarted; subscribing again",
            {pod_kv(self), log::kv("podUID", st.uid),
             log::kv("manager", objects ? "objects" : "tokens")});
  after(self, milliseconds{500}, [self, objects] {
    auto& st = self->state;
    if (!is_live(st.machine) && st.machine != pod_state::admitting)
      return;
    if (objects)
      for (const auto& key : st.object_keys)
        subscribe_object(self, key);
    else
      for (const auto& [key, slots] : st.token_slots)
        subscribe_token(self, key);
  });
}

/// Containers that wait for the volumes start once they are there.
void start_waiting_containers(self_ptr self) {
  auto& st = self->state;
  if (st.machine == pod_state::initializing)
    start_container(self, true, st.init_index);
  else if (st.machine == pod_state::running)
    for (size_t i = 0; i < st.containers.size(); ++i)
      start_container(self, false, i);
}

void setup_volumes(self_ptr self);

/// True if the pod's volumes are set up; otherwise starts what is missing.
bool volumes_ready(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.io || st.volumes == volume_phase::ready)
    return true;
  if (st.volumes == volume_phase::idle || st.volumes == volume_phase::waiting_inputs)
    setup_volumes(self);
  return false;
}

/// "MountVolume.SetUp failed for volume "cfg" : <cause>" from our
/// `volume "cfg": <cause>`.
std::string failed_mount_message(const caf::error& err) {
  auto text = context_of(err).empty() ? describe(err) : context_of(err);
  const std::string prefix = "volume \"";
  if (text.rfind(prefix, 0) == 0) {
    auto end = text.find("\": ", prefix.size());
    if (end != std::string::npos)
      return "MountVolume.SetUp failed for volume \"" + text.substr(prefix.size(), end - prefix.size())
             + "\" : " + text.substr(end + 3);
  }
  return "MountVolume.SetUp failed: " + text;
}

/// Sets the volumes up (again) on the I/O thread once every input answered.
void setup_volumes(self_ptr self) {
  auto& st = self->state;
  if (!st.awaiting_objects.empty() || !st.awaiting_tokens.empty()) {
    st.volumes = volume_phase::waiting_inputs;
    return;
  }
  if (st.volumes == volume_phase::setting_up) {
    st.volumes_dirty = true;
    return;
  }
  bool was_ready = st.volumes == volume_phase::ready;
  st.volumes = volume_phase::setting_up;
  st.volume_inputs.node_allocatable = st.cfg.allocatable;
  st.volume_inputs.cluster_domain = st.cfg.cluster_domain;
  st.volume_inputs.pod_ips.clear();
  if (!st.pod->spec.host_network && st.sandbox)
    st.volume_inputs.pod_ips = st.sandbox->ips;
  auto io = st.cfg.io;
  auto root = st.cfg.root_dir;
  auto pod = st.pod;
  auto in = st.volume_inputs;
  st.ops->run<caf::expected<std::vector<volumes::mounted_volume>>>(
    [io, root, pod, in](auto cb) {
      io->post([root, pod, in, cb = std::move(cb)]() mutable {
        cb(volumes::setup_pod_volumes(root, *pod, in));
      });
    },
    [self, was_ready](caf::expected<std::vector<volumes::mounted_volume>>& vols) {
      auto& st = self->state;
      if (!is_live(st.machine) && st.machine != pod_state::admitting)
        return;
      if (st.volumes_dirty) {
        st.volumes_dirty = false;
        st.volumes = was_ready ? volume_phase::ready : volume_phase::idle;
        setup_volumes(self);
        return;
      }
      if (!vols) {
        st.volumes = volume_phase::failed;
        auto msg = failed_mount_message(vols.error());
        event(self, "Warning", "FailedMount", msg);
        log::warning("pod volumes could not be set up",
                     {pod_kv(self), log::kv("podUID", st.uid), log::kv("err", msg)});
        after(self, milliseconds{10000}, [self] {
          if (self->state.volumes == volume_phase::failed)
            setup_volumes(self);
        });
        return;
      }
      st.mounted_volumes = std::move(*vols);
      st.volumes = volume_phase::ready;
      if (!was_ready) {
        log::info(2, "pod volumes set up", {pod_kv(self), log::kv("podUID", st.uid),
                                            log::kv("volumes", st.mounted_volumes.size())});
        start_waiting_containers(self);
      }
    });
}

/// An input changed: set the volumes up again if they were asked for.
void inputs_changed(self_ptr self) {
  auto& st = self->state;
  if (st.volumes != volume_phase::idle && is_live(st.machine))
    setup_volumes(self);
}

void on_object(self_ptr self, const object_update& up) {
  auto& st = self->state;
  if (up.key.kind == object_kind::config_map) {
    if (up.config_map)
      st.volume_inputs.config_maps[up.key.name] = up.config_map;
    else
      st.volume_inputs.config_maps.erase(up.key.name);
  } else {
    if (up.secret)
      st.volume_inputs.secrets[up.key.name] = up.secret;
    else
      st.volume_inputs.secrets.erase(up.key.name);
  }
  st.awaiting_objects.erase(up.key);
  inputs_changed(self);
}

void on_token(self_ptr self, const token_update& up) {
  auto& st = self->state;
  auto i = st.token_slots.find(up.key);
  if (i == st.token_slots.end())
    return;
  if (!up.token.empty())
    for (const auto& slot : i->second)
      st.volume_inputs.tokens[slot] = up.token;
  st.awaiting_tokens.erase(up.key);
  inputs_changed(self);
}

/// Removes the pod's volumes after its clean-up (queued on the I/O thread).
void teardown_volumes(self_ptr self) {
  auto& st = self->state;
  if (!st.cfg.io)
    return; // (also for orphans and pods that never got volumes: harmless)
  auto root = st.cfg.root_dir;
  auto uid = st.uid;
  st.cfg.io->post([root, uid] {
    if (auto err = volumes::teardown_pod_volumes(root, uid))
      log::warning("removing pod volumes failed",
                   {log::kv("podUID", uid), log::kv("err", describe(err))});
  });
}

/// Off the actor: stops containers `ids` with `grace`, then stops and
/// removes sandbox `sandbox` (the runtime removes its containers with it);
/// `done` gets the first error.
void discard_sandbox(std::shared_ptr<pods::pod_runtime> rt, std::vector<std::string> ids,
                     std::string sandbox, int64_t grace, pods::runtime_done done) {
  struct join {
    std::mutex mtx;
    size_t open = 0;
    caf::error first;
  };
  auto finish = [rt, sandbox, done = std::move(done)](caf::error stop_err) mutable {
    rt->stop_sandbox(sandbox, [rt, sandbox, stop_err, done = std::move(done)](
                                caf::error err) mutable {
      if (err) {
        done(std::move(err));
        return;
      }
      rt->remove_sandbox(sandbox, [stop_err, done = std::move(done)](caf::error err) {
        done(err ? std::move(err) : stop_err);
      });
    });
  };
  if (ids.empty()) {
    finish({});
    return;
  }
  auto j = std::make_shared<join>();
  j->open = ids.size();
  auto shared_finish = std::make_shared<decltype(finish)>(std::move(finish));
  for (const auto& id : ids)
    rt->stop_container(id, grace, [j, shared_finish](caf::error err) {
      caf::error first;
      {
        std::lock_guard<std::mutex> guard{j->mtx};
        if (err && !j->first)
          j->first = std::move(err);
        if (--j->open > 0)
          return;
        first = j->first;
      }
      (*shared_finish)(std::move(first));
    });
}

/// IDs of the pod's containers that run.
std::vector<std::string> running_ids(self_ptr self) {
  std::vector<std::string> out;
  for (auto* xs : {&self->state.init_containers, &self->state.containers})
    for (const auto& slot : *xs)
      if (!slot.id.empty() && std::holds_alternative<pods::observed_running>(slot.obs.state))
        out.push_back(slot.id);
  return out;
}

/// Replaces a lost sandbox (action recreate_sandbox), as upstream's
/// computePodActions: what still runs is stopped, the old sandbox removed
/// with its containers, then a new sandbox runs; every container that had
/// been created starts again with restartCount+1, init containers from the
/// first.
void replace_sandbox(self_ptr self) {
  auto& st = self->state;
  st.timers.clear();
  stop_all_probes(self);
  st.ops->cancel_all(); // pulls and creates for the old sandbox
  auto to_stop = running_ids(self);
  std::string old = st.sandbox ? st.sandbox->id : std::string{};
  st.sandbox.reset();
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs) {
      if (!slot.id.empty()) {
        if (auto* done = std::get_if<k8s::container_state_terminated>(&slot.obs.state)) {
          slot.obs.last_termination = *done;
        } else {
          // Stopped with the sandbox; its exit is not known here.
          k8s::container_state_terminated t;
          t.exit_code = 137;
          t.reason = "Error";
          t.finished_at = now(self);
          t.container_id = slot.obs.container_id;
          slot.obs.last_termination = t;
        }
        ++slot.obs.restart_count;
      }
      slot.id.clear();
      slot.dead_id.clear(); // removed with the old sandbox
      slot.busy = false;
      slot.obs.container_id.clear();
      set_waiting(slot, slot.init ? "PodInitializing" : "ContainerCreating");
    }
  st.init_index = 0;
  publish(self);
  auto run_new = [self](caf::error& err) {
    if (err)
      log::warning("removing the lost pod sandbox failed",
                   {pod_kv(self), log::kv("podUID", self->state.uid),
                    log::kv("err", describe(err))});
    if (self->state.machine == pod_state::creating_sandbox && !self->state.sandbox)
      run_sandbox(self);
  };
  if (old.empty()) {
    caf::error none;
    run_new(none);
    return;
  }
  auto rt = st.cfg.runtime;
  auto grace = grace_seconds(*st.pod);
  st.ops->run<caf::error>(
    [rt, to_stop, old, grace](auto cb) {
      discard_sandbox(rt, to_stop, old, grace, std::move(cb));
    },
    run_new);
}

/// Under restartPolicy Never a pod whose containers already ran gets no new
/// sandbox (upstream): what still runs is stopped, containers never created
/// are marked ContainerStatusUnknown, and the pod ends with what its
/// containers did.
void end_without_sandbox(self_ptr self) {
  auto& st = self->state;
  st.sandbox_gone = true;
  st.timers.clear();
  stop_all_probes(self);
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs)
      if (slot.id.empty()
          && !std::holds_alternative<k8s::container_state_terminated>(slot.obs.state)) {
        k8s::container_state_terminated t;
        t.exit_code = 137;
        t.reason = "ContainerStatusUnknown";
        t.message = "The container could not be located when the pod was terminated";
        t.finished_at = now(self);
        slot.obs.state = t;
        slot.busy = false;
      }
  auto ids = running_ids(self);
  if (ids.empty()) {
    settle_gone(self);
    return;
  }
  auto rt = st.cfg.runtime;
  auto grace = grace_seconds(*st.pod);
  for (const auto& id : ids)
    st.ops->run<caf::error>(
      [rt, id, grace](auto cb) { rt->stop_container(id, grace, std::move(cb)); },
      [self](caf::error& err) {
        if (err)
          log::warning("stopping a container failed",
                       {pod_kv(self), log::kv("err", describe(err))});
      });
  publish(self);
  // The PLEG reports the exits; on_died completes the pod.
}

/// Sandbox gone under Never: completes the pod once nothing runs.
void settle_gone(self_ptr self) {
  auto& st = self->state;
  if (!running_ids(self).empty())
    return;
  if (st.machine == pod_state::initializing)
    fire(self, pod_event::init_failed); // Never: completed, Failed
  else if (st.machine == pod_state::running)
    fire(self, pod_event::all_done);
}

/// The PLEG saw the pod's sandbox stop being ready.
void on_sandbox_changed(self_ptr self, const container_event& ev) {
  auto& st = self->state;
  if (!st.sandbox || ev.id != st.sandbox->id || st.sandbox_gone
      || (st.machine != pod_state::running && st.machine != pod_state::initializing))
    return;
  log::info(0, "pod sandbox is no longer ready",
            {pod_kv(self), log::kv("podUID", st.uid), log::kv("sandbox", ev.id)});
  sandbox_lost(self);
}

/// The sandbox is lost: a new one, or the end under restartPolicy Never
/// once containers ran.
void sandbox_lost(self_ptr self) {
  auto& st = self->state;
  bool ran = false;
  for (auto* xs : {&st.init_containers, &st.containers})
    for (const auto& slot : *xs)
      ran = ran || !slot.id.empty();
  if (st.pod->spec.restart_policy == "Never" && ran) {
    event(self, "Normal", "SandboxChanged",
          "Pod sandbox changed, it will be killed.");
    end_without_sandbox(self);
    return;
  }
  event(self, "Normal", "SandboxChanged",
        "Pod sandbox changed, it will be killed and re-created.");
  fire(self, pod_event::sandbox_lost);
}

void on_sandbox(self_ptr self, caf::expected<pods::sandbox_info>& x) {
  auto& st = self->state;
  if (!x) {
    event(self, "Warning", "FailedCreatePodSandBox",
          "Failed to create pod sandbox: " + describe(x.error()));
    log::warning("pod sandbox failed", {pod_kv(self), log::kv("podUID", st.uid),
                                        log::kv("err", describe(x.error()))});
    fire(self, pod_event::sandbox_failed);
    return;
  }
  if (st.machine != pod_state::creating_sandbox) {
    // Deleted meanwhile: the clean-up removes it (or removes it now if the
    // clean-up already ran).
    if (!st.sandbox && st.machine == pod_state::terminating) {
      st.sandbox = std::move(*x);
      return;
    }
    auto rt = st.cfg.runtime;
    auto id = x->id;
    st.ops->run<caf::error>(
      [rt, id](auto cb) { discard_sandbox(rt, {}, id, 0, std::move(cb)); },
      [](caf::error&) {});
    return;
  }
  st.sandbox = std::move(*x);
  fire(self, pod_event::sandbox_ready);
}

void run_sandbox(self_ptr self) {
  auto& st = self->state;
  if (st.adopted_sandbox) {
    caf::expected<pods::sandbox_info> x = std::move(*st.adopted_sandbox);
    st.adopted_sandbox.reset();
    on_sandbox(self, x);
    return;
  }
  auto pod = st.pod;
  auto rt = st.cfg.runtime;
  auto attempt = st.sandbox_attempt++;
  st.ops->run<caf::expected<pods::sandbox_info>>(
    [rt, pod, attempt](auto cb) { rt->run_sandbox(*pod, attempt, std::move(cb)); },
    [self](caf::expected<pods::sandbox_info>& x) { on_sandbox(self, x); });
}

/// Counts down outstanding runtime operations of a phase; runs `then` at 0.
void settle(self_ptr self, pod_event then) {
  auto& st = self->state;
  if (st.outstanding > 0)
    --st.outstanding;
  if (st.outstanding == 0)
    fire(self, then);
}

void stop_all(self_ptr self) {
  auto& st = self->state;
  st.timers.clear(); // no restarts, pulls or retries any more
  stop_all_probes(self);
  auto grace = grace_seconds(*st.pod);
  auto rt = st.cfg.runtime;
  st.outstanding = 1; // guard until every stop is issued
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs) {
      if (slot.id.empty()
          || std::holds_alternative<k8s::container_state_terminated>(slot.obs.state))
        continue;
      ++st.outstanding;
      event(self, "Normal", "Killing", "Stopping container " + slot.obs.name,
            field_path(slot, 0));
      auto id = slot.id;
      st.ops->run<caf::error>(
        [rt, id, grace](auto cb) { rt->stop_container(id, grace, std::move(cb)); },
        [self](caf::error& err) {
          if (err)
            log::warning("stopping a container failed",
                         {pod_kv(self), log::kv("err", describe(err))});
          settle(self, pod_event::all_stopped);
        });
    }
  settle(self, pod_event::all_stopped);
}

void remove_all(self_ptr self) {
  auto& st = self->state;
  auto rt = st.cfg.runtime;
  st.outstanding = 1;
  auto done = [self](caf::error& err) {
    if (err)
      log::warning("pod clean-up step failed",
                   {pod_kv(self), log::kv("err", describe(err))});
    settle(self, pod_event::cleaned);
  };
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs) {
      // A container that never stopped running is marked terminated now.
      if (!slot.id.empty()
          && !std::holds_alternative<k8s::container_state_terminated>(slot.obs.state)) {
        k8s::container_state_terminated t;
        t.exit_code = 137;
        t.reason = "Error";
        t.finished_at = now(self);
        t.container_id = slot.obs.container_id;
        slot.obs.state = t;
      }
      for (auto* id_ptr : {&slot.id, &slot.dead_id}) {
        if (id_ptr->empty())
          continue;
        ++st.outstanding;
        auto id = *id_ptr;
        st.ops->run<caf::error>(
          [rt, id](auto cb) { rt->remove_container(id, std::move(cb)); }, done);
      }
    }
  if (st.sandbox) {
    ++st.outstanding;
    auto id = st.sandbox->id;
    st.ops->run<caf::error>(
      [rt, id](auto cb) {
        rt->stop_sandbox(id, [rt, id, cb = std::move(cb)](caf::error err) mutable {
          if (err) {
            cb(std::move(err));
            return;
          }
          rt->remove_sandbox(id, std::move(cb));
        });
      },
      done);
  }
  settle(self, pod_event::cleaned);
}

void finish(self_ptr self) {
  auto& st = self->state;
  stop_all_probes(self);
  teardown_volumes(self);
  publish(self, true);
  log::info(1, "pod finished and cleaned up", {pod_kv(self), log::kv("podUID", st.uid)});
  if (st.cfg.manager)
    caf::anon_send(st.cfg.manager, pod_done_atom::value, st.uid);
  self->quit();
}

void perform(self_ptr self, pod_action a) {
  auto& st = self->state;
  switch (a) {
    case pod_action::none:
    case pod_action::restart_per_policy:
    case pod_action::restart_init_after_backoff:
    case pod_action::publish_rejected:
      break;
    case pod_action::run_sandbox:
      run_sandbox(self);
      break;
    case pod_action::arm_sandbox_backoff:
      after(self, st.cfg.sandbox_retry,
            [self] { fire(self, pod_event::backoff_expired); });
      break;
    case pod_action::start_next_init:
      start_container(self, true, st.init_index);
      break;
    case pod_action::start_containers:
      for (size_t i = 0; i < st.containers.size(); ++i)
        start_container(self, false, i);
      break;
    case pod_action::publish_completed:
      publish(self, true);
      break;
    case pod_action::recreate_sandbox:
      replace_sandbox(self);
      break;
    case pod_action::stop_containers:
    case pod_action::kill_containers:
      publish(self);
      stop_all(self);
      break;
    case pod_action::remove_all:
      remove_all(self);
      break;
    case pod_action::publish_final_and_delete:
      finish(self);
      break;
  }
}

void fire(self_ptr self, pod_event ev) {
  auto& st = self->state;
  pod_facts facts;
  facts.init_containers = static_cast<uint32_t>(st.init_containers.size());
  facts.init_index = st.init_index;
  facts.restart_never = st.pod->spec.restart_policy == "Never";
  auto t = step(st.machine, ev, facts);
  if (!t) {
    // A broken invariant: fail loudly; the supervisor restarts the worker.
    log::error("pod state machine violated", {pod_kv(self), log::kv("podUID", st.uid),
                                              log::kv("err", describe(t.error()))});
    self->quit(t.error());
    return;
  }
  log::info(3, "pod transition",
            {pod_kv(self), log::kv("podUID", st.uid),
             log::kv("from", to_string(st.machine)), log::kv("event", to_string(ev)),
             log::kv("to", to_string(t->next)), log::kv("action", to_string(t->action))});
  st.machine = t->next;
  if (ev == pod_event::init_succeeded)
    ++st.init_index;
  perform(self, t->action);
}

void on_died(self_ptr self, const container_event& ev) {
  auto& st = self->state;
  bool init = false;
  size_t index = 0;
  container_slot* slot = nullptr;
  for (size_t i = 0; i < st.init_containers.size() && !slot; ++i)
    if (st.init_containers[i].id == ev.id)
      slot = &st.init_containers[i], init = true, index = i;
  for (size_t i = 0; i < st.containers.size() && !slot; ++i)
    if (st.containers[i].id == ev.id)
      slot = &st.containers[i], index = i;
  if (slot == nullptr
      || std::holds_alternative<k8s::container_state_terminated>(slot->obs.state))
    return;
  k8s::container_state_terminated t;
  t.exit_code = ev.exit_code;
  t.reason = ev.reason.empty() ? (ev.exit_code == 0 ? "Completed" : "Error") : ev.reason;
  t.message = ev.message;
  if (auto* r = std::get_if<pods::observed_running>(&slot->obs.state))
    t.started_at = r->started_at;
  t.finished_at = ev.finished_at_ns > 0
                    ? k8s::timestamp{microseconds{ev.finished_at_ns / 1000}}
                    : now(self);
  t.container_id = slot->obs.container_id;
  slot->obs.state = t;
  slot->busy = false;
  stop_probes(*slot);
  if (!is_live(st.machine)) {
    publish(self);
    return;
  }
  if (st.sandbox_gone) {
    publish(self);
    settle_gone(self);
    return;
  }
  if (init) {
    if (ev.exit_code == 0) {
      publish(self);
      fire(self, pod_event::init_succeeded);
      return;
    }
    // Under restartPolicy Never the machine completes the pod (and
    // publishes); otherwise the init container restarts after its backoff.
    fire(self, pod_event::init_failed);
    if (is_live(st.machine))
      schedule_restart(self, true, index, self->clock().now());
    return;
  }
  fire(self, pod_event::container_exited);
  if (restarts(st.pod->spec.restart_policy, ev.exit_code)) {
    schedule_restart(self, false, index, self->clock().now());
    return;
  }
  publish(self);
  // Done when every app container terminated and none will restart.
  for (const auto& s : st.containers)
    if (!std::holds_alternative<k8s::container_state_terminated>(s.obs.state))
      return;
  fire(self, pod_event::all_done);
}

/// A probe's result changed (after its thresholds).
void on_probe(self_ptr self, const probe_update& up) {
  auto& st = self->state;
  container_slot* slot = nullptr;
  for (auto& s : st.containers)
    if (!s.id.empty() && s.id == up.container_id)
      slot = &s;
  if (slot == nullptr || !is_live(st.machine))
    return; // an older instance, or the pod is ending
  auto* run = std::get_if<pods::observed_running>(&slot->obs.state);
  if (run == nullptr)
    return;
  log::info(2, "probe result changed",
            {pod_kv(self), log::kv("podUID", st.uid), log::kv("container", slot->obs.name),
             log::kv("probeType", probes::to_string(up.kind)),
             log::kv("success", up.success)});
  switch (up.kind) {
    case probe_kind::readiness:
      run->ready = up.success;
      publish(self);
      return;
    case probe_kind::startup:
      if (up.success) {
        run->started = true;
        stop_probes(*slot);
        spawn_probes(self, *slot, false);
        publish(self);
        return;
      }
      break;
    case probe_kind::liveness:
      if (up.success)
        return;
      break;
  }
  // A failed liveness or startup probe: restart the container (the restart
  // policy decides, once the PLEG reports its exit).
  const auto* spec = spec_of(self, *slot);
  std::optional<int64_t> probe_grace;
  if (spec != nullptr) {
    const auto& p = up.kind == probe_kind::liveness ? spec->liveness_probe : spec->startup_probe;
    if (p)
      probe_grace = p->termination_grace_period_seconds;
  }
  auto grace = probe_grace.value_or(grace_seconds(*st.pod));
  event(self, "Normal", "Killing", probes::killing_message(up.kind, slot->obs.name),
        field_path(*slot, 0));
  log::info(0, "container failed its probe; restarting it",
            {pod_kv(self), log::kv("podUID", st.uid), log::kv("container", slot->obs.name),
             log::kv("probeType", probes::to_string(up.kind)), log::kv("grace_s", grace)});
  stop_probes(*slot);
  auto rt = st.cfg.runtime;
  auto id = slot->id;
  st.ops->run<caf::error>(
    [rt, id, grace](auto cb) { rt->stop_container(id, grace, std::move(cb)); },
    [self, id](caf::error& err) {
      if (err)
        log::warning("stopping a container after its probe failed did not work",
                     {pod_kv(self), log::kv("id", id), log::kv("err", describe(err))});
    });
}

void delete_requested(self_ptr self) {
  auto& st = self->state;
  if (st.machine == pod_state::terminating || st.machine == pod_state::cleaning_up
      || st.machine == pod_state::terminated)
    return;
  if (st.finding) {
    // First learn what already runs (a restart, an orphan), so that the
    // termination stops and removes it too.
    st.delete_pending = true;
    return;
  }
  log::info(1, "pod terminating", {pod_kv(self), log::kv("podUID", st.uid),
                                   log::kv("grace_s", grace_seconds(*st.pod))});
  fire(self, pod_event::delete_requested);
}

void init_slots(self_ptr self) {
  auto& st = self->state;
  for (const auto& c : st.pod->spec.init_containers) {
    container_slot s;
    s.init = true;
    s.obs.name = c.name;
    s.obs.image = c.image;
    s.obs.state = k8s::container_state_waiting{"PodInitializing", ""};
    st.init_containers.push_back(std::move(s));
  }
  for (const auto& c : st.pod->spec.containers) {
    container_slot s;
    s.obs.name = c.name;
    s.obs.image = c.image;
    s.obs.state = k8s::container_state_waiting{"ContainerCreating", ""};
    st.containers.push_back(std::move(s));
  }
}

/// Stops and removes a sandbox the pod no longer uses, in the background.
void discard_quietly(self_ptr self, const std::string& id) {
  auto rt = self->state.cfg.runtime;
  self->state.ops->run<caf::error>(
    [rt, id](auto cb) { discard_sandbox(rt, {}, id, 0, std::move(cb)); },
    [self, id](caf::error& err) {
      if (err)
        log::warning("removing a stale pod sandbox failed",
                     {pod_kv(self), log::kv("sandbox", id), log::kv("err", describe(err))});
      else
        log::info(1, "removed a stale pod sandbox",
                  {pod_kv(self), log::kv("sandbox", id)});
    });
}

/// Containers found in a dead sandbox start again in a new one: their
/// restart counts go on, their exits become lastState.
void carry_restarts(self_ptr self, const pods::existing_pod& found) {
  auto& st = self->state;
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs)
      for (const auto& c : found.containers) {
        if (c.name != slot.obs.name)
          continue;
        slot.obs.restart_count = c.restart_count + 1;
        k8s::container_state_terminated t;
        t.exit_code = c.running ? 137 : c.exit_code;
        t.reason = c.running || c.reason.empty() ? (t.exit_code == 0 ? "Completed" : "Error")
                                                 : c.reason;
        t.container_id = st.cfg.runtime_name + "://" + c.id;
        slot.obs.last_termination = t;
      }
}

/// Takes over what the runtime already runs for the pod.
void adopt(self_ptr self, const pods::existing_pod& found) {
  auto& st = self->state;
  // Sandboxes left by an earlier loss go, with their containers.
  for (const auto& id : found.stale_sandboxes)
    discard_quietly(self, id);
  if (!found.sandbox)
    return;
  st.sandbox_attempt = found.sandbox_attempt + 1;
  if (!found.sandbox_ready && !st.delete_pending
      && (st.pod->spec.restart_policy != "Never" || found.containers.empty())) {
    // Its sandbox died while no cafelet ran: start over in a new one,
    // counting the restarts (as after a sandbox loss).
    carry_restarts(self, found);
    discard_quietly(self, found.sandbox->id);
    log::info(0, "found the pod's sandbox no longer ready; replacing it",
              {pod_kv(self), log::kv("podUID", st.uid),
               log::kv("sandbox", found.sandbox->id)});
    event(self, "Normal", "SandboxChanged",
          "Pod sandbox changed, it will be killed and re-created.");
    return;
  }
  st.adopted_sandbox = found.sandbox;
  st.adopted_not_ready = !found.sandbox_ready;
  size_t running = 0;
  for (auto* xs : {&st.init_containers, &st.containers})
    for (auto& slot : *xs)
      for (const auto& c : found.containers) {
        if (c.name != slot.obs.name)
          continue;
        slot.id = c.id;
        slot.obs.container_id = st.cfg.runtime_name + "://" + c.id;
        slot.obs.restart_count = c.restart_count;
        slot.obs.image_id = c.image_ref;
        if (c.running) {
          pods::observed_running r;
          if (slot.init) {
            r.started = true;
            r.ready = false;
          } // app containers: the probes decide again, as upstream
          slot.obs.state = r;
          ++running;
        } else {
          k8s::container_state_terminated t;
          t.exit_code = c.exit_code;
          t.reason = c.reason.empty() ? (c.exit_code == 0 ? "Completed" : "Error")
                                      : c.reason;
          t.container_id = slot.obs.container_id;
          slot.obs.state = t;
        }
      }
  // Init containers that finished are done; start after the last of them.
  for (const auto& slot : st.init_containers)
    if (auto* t = std::get_if<k8s::container_state_terminated>(&slot.obs.state);
        t && t->exit_code == 0)
      ++st.init_index;
    else
      break;
  log::info(0,
            st.delete_pending
              ? "found the containers of a removed pod in the runtime; removing them"
              : "adopted a running pod from the container runtime",
            {pod_kv(self), log::kv("podUID", st.uid),
             log::kv("sandbox", found.sandbox->id),
             log::kv("running_containers", running)});
}

/// After adoption: exited app containers go through the restart policy.
void settle_adopted(self_ptr self) {
  auto& st = self->state;
  if (st.machine != pod_state::running)
    return;
  bool all_done = !st.containers.empty();
  for (size_t i = 0; i < st.containers.size(); ++i) {
    auto& slot = st.containers[i];
    if (!slot.id.empty() && std::holds_alternative<pods::observed_running>(slot.obs.state))
      start_probes(self, slot);
    auto* t = std::get_if<k8s::container_state_terminated>(&slot.obs.state);
    if (t == nullptr || slot.id.empty()) {
      all_done = false;
      continue;
    }
    if (restarts(st.pod->spec.restart_policy, t->exit_code)) {
      all_done = false;
      schedule_restart(self, false, i, self->clock().now());
    }
  }
  if (all_done)
    fire(self, pod_event::all_done);
  else
    publish(self);
}

/// activeDeadlineSeconds, counted from status.startTime (now for a pod
/// that starts here).
void arm_deadline(self_ptr self) {
  auto& st = self->state;
  const auto& deadline = st.pod->spec.active_deadline_seconds;
  if (!deadline)
    return;
  auto started = st.pod->status.start_time.value_or(now(self));
  auto elapsed = duration_cast<milliseconds>(now(self) - started);
  auto left = std::max(milliseconds{0}, seconds{*deadline} - elapsed);
  after(self, left, [self] {
    auto& st = self->state;
    if (!is_live(st.machine))
      return;
    st.deadline_exceeded = true;
    event(self, "Warning", "DeadlineExceeded",
          "Pod was active on the node longer than the specified deadline");
    log::info(0, "pod exceeded its activeDeadlineSeconds; stopping it",
              {pod_kv(self), log::kv("podUID", st.uid)});
    fire(self, pod_event::delete_requested);
  });
}

} // namespace

caf::behavior pod_worker(caf::stateful_actor<pod_worker_state>* self,
                         pod_worker_config cfg, k8s::pod_ptr pod) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.ops = std::make_unique<async_ops>(self);
  st.backoff = std::make_unique<pods::crash_backoff>(
    [self] { return self->clock().now(); });
  st.pod = std::move(pod);
  st.uid = st.pod->metadata.uid;
  init_slots(self);
  // Tell the manager who runs this pod, and start from the newest version.
  if (st.cfg.manager)
    self->request(st.cfg.manager, caf::infinite, pod_hello_atom::value, st.uid)
      .then([self](pod_update_atom, k8s::pod_ptr newest) {
        if (newest)
          self->state.pod = std::move(newest);
        if (self->state.pod->metadata.deletion_timestamp)
          delete_requested(self);
      });
  // Re-adoption first: a restarted cafelet must not start pods again.
  auto rt = st.cfg.runtime;
  auto pod_now = st.pod;
  st.ops->run<caf::expected<pods::existing_pod>>(
    [rt, pod_now](auto cb) { rt->find_pod(*pod_now, std::move(cb)); },
    [self](caf::expected<pods::existing_pod>& found) {
      auto& st = self->state;
      st.finding = false;
      subscribe_inputs(self);
      if (found)
        adopt(self, *found);
      else
        log::warning("could not look for existing containers; starting the pod",
                     {pod_kv(self), log::kv("err", describe(found.error()))});
      if (st.machine != pod_state::admitting)
        return;
      if (st.delete_pending) {
        // Deleted before it started here: stop and remove what was found.
        if (st.adopted_sandbox) {
          st.sandbox = std::move(st.adopted_sandbox);
          st.adopted_sandbox.reset();
        }
        delete_requested(self);
        return;
      }
      bool adopted = st.adopted_sandbox.has_value();
      bool dead = st.adopted_not_ready;
      if (dead)
        st.sandbox_gone = true; // nothing new starts in it
      fire(self, pod_event::admitted);
      if (dead)
        end_without_sandbox(self);
      else if (adopted)
        settle_adopted(self);
      // Adopted containers run with volumes set up by the previous process:
      // set them up again so that their payloads follow the objects.
      if (adopted && !dead && st.cfg.io && st.volumes == volume_phase::idle)
        setup_volumes(self);
      arm_deadline(self);
    });
  self->set_down_handler([self](caf::down_msg& dm) { on_manager_down(self, dm); });
  return st.ops->handlers().or_else(caf::behavior{
    [self](tick_atom, uint64_t gen) {
      auto& timers = self->state.timers;
      auto i = timers.find(gen);
      if (i == timers.end())
        return;
      auto fn = std::move(i->second);
      timers.erase(i);
      fn();
    },
    [self](pod_update_atom, k8s::pod_ptr newest) {
      if (!newest)
        return;
      self->state.pod = std::move(newest);
      if (self->state.pod->metadata.deletion_timestamp)
        delete_requested(self);
    },
    [self](pod_removed_atom, const std::string&) { delete_requested(self); },
    [self](const probe_update& up) { on_probe(self, up); },
    [self](const object_update& up) { on_object(self, up); },
    [self](const token_update& up) { on_token(self, up); },
    [self](const container_event& ev) {
      if (ev.type == container_event_type::died)
        on_died(self, ev);
      else if (ev.type == container_event_type::sandbox_changed)
        on_sandbox_changed(self, ev);
    },
  });
}

} // namespace cafelet::actors
