#include "messages/k8s/encode_meta.hpp"

namespace cafelet::k8s::detail {

void write_metadata(object_writer& o, const object_meta& x, bool with_times) {
  object_writer m{o.key("metadata")};
  m.str_if("name", x.name);
  m.str_if("generateName", x.generate_name);
  m.str_if("namespace", x.namespace_);
  m.str_if("uid", x.uid);
  m.str_if("resourceVersion", x.resource_version);
  if (with_times) {
    m.time_if("creationTimestamp", x.creation_timestamp);
    m.time_if("deletionTimestamp", x.deletion_timestamp);
  }
  if (!x.labels.empty())
    m.map("labels", x.labels);
  if (!x.annotations.empty())
    m.map("annotations", x.annotations);
  if (!x.owner_references.empty()) {
    array_writer a{m.key("ownerReferences")};
    for (const auto& ref : x.owner_references) {
      object_writer e{a.next()};
      e.str("apiVersion", ref.api_version);
      e.str("kind", ref.kind);
      e.str("name", ref.name);
      e.str("uid", ref.uid);
      if (ref.controller)
        e.boolean("controller", *ref.controller);
      if (ref.block_owner_deletion)
        e.boolean("blockOwnerDeletion", *ref.block_owner_deletion);
    }
  }
  if (!x.finalizers.empty()) {
    array_writer a{m.key("finalizers")};
    for (const auto& f : x.finalizers)
      a.str(f);
  }
}

} // namespace cafelet::k8s::detail
