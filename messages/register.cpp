#include "register.hpp"

#include "api.hpp"
#include "errors.hpp"
#include "pods.hpp"
#include "supervision.hpp"

#include <caf/atom.hpp>

namespace cafelet {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<start_child>("cafelet::start_child");
  cfg.add_message_type<stop_child>("cafelet::stop_child");
  cfg.add_message_type<child_status>("cafelet::child_status");
  cfg.add_message_type<std::vector<child_status>>(
    "std::vector<cafelet::child_status>");
  cfg.add_message_type<children_snapshot>("cafelet::children_snapshot");
  cfg.add_message_type<health_report>("cafelet::health_report");
  cfg.add_message_type<api_response>("cafelet::api_response");
  cfg.add_message_type<stream_chunk>("cafelet::stream_chunk");
  cfg.add_message_type<record_event>("cafelet::record_event");
  cfg.add_message_type<readiness_update>("cafelet::readiness_update");
  cfg.add_message_type<watch_synced>("cafelet::watch_synced");
  cfg.add_message_type<container_event>("cafelet::container_event");
  cfg.add_error_category(
    caf::atom("cafelet"),
    [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
      std::string out = "cafelet.";
      out += to_string(static_cast<errc>(code));
      if (ctx.match_elements<std::string>() && !ctx.get_as<std::string>(0).empty()) {
        out += ": ";
        out += ctx.get_as<std::string>(0);
      }
      return out;
    });
}

} // namespace cafelet
