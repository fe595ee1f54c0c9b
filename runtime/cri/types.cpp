#include "runtime/cri/types.hpp"

#include "api.pb.h"

namespace cafelet::cri {

std::string version_info::container_runtime_version() const {
  return runtime_name + "://" + runtime_version;
}

version_info to_version_info(const runtime::v1::VersionResponse& resp) {
  version_info out;
  out.version = resp.version();
  out.runtime_name = resp.runtime_name();
  out.runtime_version = resp.runtime_version();
  out.runtime_api_version = resp.runtime_api_version();
  return out;
}

std::string to_string(const runtime_condition& cond) {
  std::string out = cond.type;
  out += cond.status ? "=true" : "=false";
  out += " reason:";
  out += cond.reason;
  out += " message:";
  out += cond.message;
  return out;
}

runtime_status to_runtime_status(const runtime::v1::StatusResponse& resp) {
  runtime_status out;
  const runtime_condition* runtime_cond = nullptr;
  const runtime_condition* network_cond = nullptr;
  for (const auto& c : resp.status().conditions())
    out.conditions.push_back(
      runtime_condition{c.type(), c.status(), c.reason(), c.message()});
  // First match wins, as upstream's GetRuntimeCondition.
  for (const auto& c : out.conditions) {
    if (c.type == "RuntimeReady" && runtime_cond == nullptr)
      runtime_cond = &c;
    else if (c.type == "NetworkReady" && network_cond == nullptr)
      network_cond = &c;
  }
  out.runtime_ready = runtime_cond != nullptr && runtime_cond->status;
  out.network_ready = network_cond != nullptr && network_cond->status;
  auto describe = [](const runtime_condition* c) {
    return c != nullptr ? to_string(*c) : std::string{"<nil>"};
  };
  if (!out.network_ready)
    out.messages.push_back("container runtime network not ready: "
                           + describe(network_cond));
  if (!out.runtime_ready)
    out.messages.push_back("container runtime not ready: "
                           + describe(runtime_cond));
  return out;
}

} // namespace cafelet::cri
