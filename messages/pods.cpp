#include "messages/pods.hpp"

namespace cafelet {

const char* to_string(container_event_type x) {
  switch (x) {
    case container_event_type::started: return "started";
    case container_event_type::died: return "died";
    case container_event_type::removed: return "removed";
    case container_event_type::changed: return "changed";
    case container_event_type::sandbox_changed: return "sandbox_changed";
  }
  return "?";
}

} // namespace cafelet
