#include "runtime/kuberuntime/format.hpp"

#include "messages/errors.hpp"

namespace cafelet::kuberuntime {

std::string format_pod(const k8s::pod& pod) {
  std::string out = pod.metadata.name;
  out += '_';
  out += pod.metadata.namespace_;
  out += '(';
  out += pod.metadata.uid;
  out += ')';
  return out;
}

caf::error container_error(std::string_view container, std::string_view field,
                           std::string_view what) {
  std::string msg = "container \"";
  msg += container;
  msg += "\": ";
  msg += field;
  msg += ": ";
  msg += what;
  return make_error(errc::invalid, std::move(msg));
}

caf::error pod_error(const k8s::pod& pod, std::string_view field,
                     std::string_view what) {
  std::string msg = "pod \"";
  msg += pod.metadata.namespace_;
  msg += '/';
  msg += pod.metadata.name;
  msg += "\": ";
  msg += field;
  msg += ": ";
  msg += what;
  return make_error(errc::invalid, std::move(msg));
}

} // namespace cafelet::kuberuntime
