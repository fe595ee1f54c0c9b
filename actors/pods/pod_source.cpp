#include "actors/pods/pod_source.hpp"

#include "messages/log.hpp"

namespace cafelet::actors {

const char* pod_source_state::name = "pod-source";

caf::behavior pod_source(caf::stateful_actor<pod_source_state>* self,
                         std::shared_ptr<pod_source_stats> stats) {
  self->state.stats = stats ? std::move(stats)
                            : std::make_shared<pod_source_stats>();
  return {
    [self](const k8s::pod_watch_event& ev) {
      auto& st = self->state;
      ++st.stats->events;
      if (ev.type == k8s::watch_event_type::bookmark
          || ev.type == k8s::watch_event_type::error || !ev.object)
        return;
      const auto& meta = ev.object->metadata;
      if (ev.type == k8s::watch_event_type::deleted)
        st.pods.erase(meta.uid);
      else
        st.pods[meta.uid] = ev.object;
      st.stats->pods = st.pods.size();
      log::info(2, "pod update from the API server",
                {log::kv("event", k8s::to_string(ev.type)),
                 log::pod_field(meta.namespace_, meta.name),
                 log::kv("uid", meta.uid),
                 log::kv("resourceVersion", meta.resource_version)});
    },
    [self](const watch_synced& x) {
      ++self->state.stats->syncs;
      log::info(2, "pods in sync with the API server",
                {log::kv("resourceVersion", x.resource_version),
                 log::kv("pods", x.items), log::kv("generation", x.generation)});
    },
    [self](caf::get_atom) {
      return static_cast<uint64_t>(self->state.pods.size());
    },
  };
}

} // namespace cafelet::actors
